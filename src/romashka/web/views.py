"""Pages: thin views that check the role through the access layer, call a selector and render."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Q, Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from romashka.core import access
from romashka.core.access import Capability
from romashka.core.choices import PartyKind
from romashka.core.masking import mask_external_id
from romashka.core.models import ApiToken, Channel
from romashka.core.selectors import party_list
from romashka.core.services import (
    api_token_create,
    api_token_revoke,
    login_failure_register,
    login_failures_clear,
    login_locked_until,
)
from romashka.path import reports
from romashka.path.selectors import client_status_history, in_segment, segment_choices
from romashka.planning.models import ClvPrediction
from romashka.web import exports

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Sign-in with a plain message on a wrong password and a lockout after repeated failures."""
    if request.user.is_authenticated:
        return redirect("home")
    form = AuthenticationForm(request, data=request.POST or None)
    error = None
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST":
        # The lock follows the name Django authenticates (stripped, NFKC), so `ｏｗｎｅｒ` counts as `owner`.
        username = unicodedata.normalize("NFKC", request.POST.get("username", "").strip())
        locked_until = login_locked_until(username=username)
        if locked_until is not None:
            error = _("Too many failed attempts. Sign-in for this user is locked until %(time)s.") % {
                "time": date_format(timezone.localtime(locked_until), "H:i")}
        elif form.is_valid():
            login_failures_clear(username=username)
            auth_login(request, form.get_user())
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
                next_url = ""
            return redirect(next_url or "home")
        else:
            login_failure_register(username=username)
            error = _("Wrong user name or password.")
    return render(request, "web/login.html", {"form": form, "error": error, "next": next_url}, status=200)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_DASHBOARD)
    organisation = access.organisation_of(request.user)
    board = reports.dashboard(scope=scope, today=timezone.localdate())
    locale = "RU" if translation.get_language() == "ru" else "EN"
    chart = {
        "locale": locale,
        "months": [m for m, _r, _c in board.months],
        "revenue": [float(r) for _m, r, _c in board.months],
        "receipts": [c for _m, _r, c in board.months],
        "titles": {"revenue": _("Revenue, ₽"), "receipts": _("Receipts"), "month": _("Month")},
    }
    location_chart = {
        "locale": locale,
        "names": [loc.name for loc, _r, _c in board.locations][::-1],
        "revenue": [float(r) for _loc, r, _c in board.locations][::-1],
        "titles": {"revenue": _("Revenue, ₽")},
    }
    return render(request, "web/home.html", {
        "board": board, "organisation": organisation, "chart": chart, "location_chart": location_chart,
        "can_purchases": scope.can(Capability.VIEW_PURCHASES), "can_staff": scope.can(Capability.VIEW_STAFF),
    })


def _number(request: HttpRequest, name: str, low: float, high: float) -> float | None:
    """A number filter of the query string; None when absent or outside [low, high] (the filter is then off)."""
    try:
        value = float(request.GET.get(name, "").replace(",", "."))
    except ValueError:
        return None
    return value if low <= value <= high else None


def _client_rows(request: HttpRequest):
    """Clients in scope filtered by the query string (the API's search; probability alive and lifetime value)."""
    location_id = request.GET.get("location", "")
    clients = party_list(
        user=request.user,
        kind=PartyKind.GUEST,
        location_id=int(location_id) if location_id.isdigit() else None,
        query=request.GET.get("q", ""),
    ).select_related("clv_prediction")
    alive_below = _number(request, "alive_below", 0.0, 1.0)
    if alive_below is not None:
        clients = clients.filter(clv_prediction__p_alive__lt=alive_below)
    clv_from = _number(request, "clv_from", 0.0, 1e14)
    if clv_from is not None:
        clients = clients.filter(clv_prediction__clv__gte=clv_from)
    segment = request.GET.get("segment", "")
    if segment.isdigit():
        clients = in_segment(clients, user=request.user, segment_id=int(segment))
    return clients


@login_required
def clients(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_CLIENTS)
    page = Paginator(_client_rows(request), PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [c.pk for c in page.object_list]
    figures = {
        row["party_id"]: row
        for row in access.purchases_visible(request.user).filter(party_id__in=ids).values("party_id").annotate(
            receipts=Count("id"), revenue=Sum("amount"), last_day=Max("purchased_on"))
    }
    rows = [(c, figures.get(c.pk, {})) for c in page.object_list]
    return render(request, "web/clients.html", {
        "page": page, "rows": rows, "locations": access.locations_visible(request.user),
        "q": request.GET.get("q", ""), "location": request.GET.get("location", ""),
        "alive_below": request.GET.get("alive_below", ""), "clv_from": request.GET.get("clv_from", ""),
        "segments": segment_choices(request.user), "segment": request.GET.get("segment", ""),
        "can_export": scope.can(Capability.EXPORT), "querystring": _querystring(request),
        "show_contacts": scope.can(Capability.VIEW_CONTACTS),
    })


def _querystring(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def client_card(request: HttpRequest, party_id: int) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_CLIENTS)
    client = access.access_client(request.user, party_id)
    purchases = access.purchases_visible(request.user).filter(party=client).select_related("location")
    totals = purchases.aggregate(receipts=Count("id"), revenue=Sum("amount"), first_day=Min("purchased_on"),
                                 last_day=Max("purchased_on"))
    purchase_days = purchases.values("purchased_on").annotate(total=Sum("amount")).filter(total__gt=0).count()
    history = client_status_history(user=request.user, party_id=party_id)
    return render(request, "web/client.html", {
        "history": history, "timeline": _status_timeline(history.events, timezone.localdate()),
        "client": client,
        "channels": Channel.objects.filter(party=client).order_by("kind", "-is_primary"),
        "purchases": purchases.order_by("-occurred_at")[:100],
        "totals": totals, "purchase_days": purchase_days,
        "show_contacts": scope.can(Capability.VIEW_CONTACTS),
        "kinds": [r.get_kind_display() for r in client.roles.all()],
        "prediction": ClvPrediction.objects.filter(party=client).first(),
        **_client_discovery_and_feedback(request.user, scope, client.pk),
    })


def _client_discovery_and_feedback(user, scope, party_id: int) -> dict:
    """The card's segments and interviews (for roles that see segments) and survey answers (for roles that
    see client feedback); nothing of either for other roles."""
    from romashka.discovery.selectors import party_interviews, party_segments
    from romashka.feedback.selectors import party_answers

    shown: dict = {"show_discovery": scope.can(Capability.VIEW_DISCOVERY),
                   "show_feedback": scope.can(Capability.VIEW_FEEDBACK)}
    if shown["show_discovery"]:
        shown["segments"] = party_segments(user=user, party_id=party_id)
        shown["interviews"] = list(party_interviews(user=user, party_id=party_id)[:20])
    if shown["show_feedback"]:
        shown["answers"] = list(party_answers(scope=scope, party_id=party_id)[:20])
    return shown


def _status_timeline(events, today: date) -> list[dict]:
    """The client's statuses as consecutive periods, each with its share of the whole span for the strip."""
    periods = []
    for event, following in zip(events, [*events[1:], None], strict=True):
        until = following.changed_on if following else today
        periods.append({"event": event, "until": until, "days": max((until - event.changed_on).days, 0)})
    span = sum(p["days"] for p in periods) or 1
    for period in periods:
        period["width"] = f"{100 * period['days'] / span:.2f}"
    return periods


def _csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """A CSV that Excel opens correctly (the shared streamed export): UTF-8 with BOM; `;` in Russian, `,` in English."""
    return exports.csv_response(filename, header, rows)


@login_required
def clients_export(request: HttpRequest) -> StreamingHttpResponse:
    scope = access.require(request.user, Capability.EXPORT)
    show_contacts = scope.can(Capability.VIEW_CONTACTS)
    clients = _client_rows(request).prefetch_related("channels")

    def rows():
        for client in clients.iterator(chunk_size=2000):
            phones = [c.normalized for c in client.channels.all() if c.kind == "phone"]
            emails = [c.normalized for c in client.channels.all() if c.kind == "email"]
            external_id = client.external_id or ""
            yield [client.pk, external_id if show_contacts else mask_external_id(external_id), client.name,
                   client.home_location.code if client.home_location else "",
                   " ".join(phones) if show_contacts else "", " ".join(emails) if show_contacts else "",
                   client.birthday.isoformat() if client.birthday else "", *_prediction_cells(client)]

    header = ["id", _("external id"), _("name"), _("location"), _("phone"), _("e-mail"), _("birthday"),
              _("probability alive"), _("expected purchases, 90 days"), _("lifetime value, 12 months, ₽")]
    return exports.export_response(request, basename=f"clients-{timezone.localdate()}", header=header, rows=rows())


def _prediction_cells(client) -> list:
    prediction = getattr(client, "clv_prediction", None)
    if prediction is None:
        return ["", "", ""]
    return [f"{prediction.p_alive:.4f}", f"{prediction.expected_purchases:.4f}", prediction.clv]


def _purchase_rows(request: HttpRequest):
    purchases = access.purchases_visible(request.user).select_related("party", "location")
    location_id = request.GET.get("location")
    if location_id and location_id.isdigit():
        purchases = purchases.filter(location=access.access_location(request.user, int(location_id)))
    party_id = request.GET.get("client")
    if party_id and party_id.isdigit():
        purchases = purchases.filter(party=access.access_client(request.user, int(party_id)))
    for name, lookup in (("from", "purchased_on__gte"), ("to", "purchased_on__lte")):
        value = request.GET.get(name)
        if value:
            try:
                purchases = purchases.filter(**{lookup: date.fromisoformat(value)})
            except ValueError:
                messages.error(request, _("%(value)s is not a date; expected YYYY-MM-DD.") % {"value": value})
    return purchases.order_by("-occurred_at", "-id")


@login_required
def purchases(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_PURCHASES)
    rows = _purchase_rows(request)
    # Counting a million rows on every page view is wasteful: the paginator shows pages, not a total.
    raw_page = request.GET.get("page", "1")
    page_number = max(int(raw_page), 1) if raw_page.isdigit() else 1
    start = (page_number - 1) * PAGE_SIZE
    items = list(rows[start : start + PAGE_SIZE + 1])
    return render(request, "web/purchases.html", {
        "items": items[:PAGE_SIZE], "has_next": len(items) > PAGE_SIZE, "page_number": page_number,
        "locations": access.locations_visible(request.user), "location": request.GET.get("location", ""),
        "date_from": request.GET.get("from", ""), "date_to": request.GET.get("to", ""),
        "can_export": scope.can(Capability.EXPORT), "querystring": _querystring(request),
    })


@login_required
def purchases_export(request: HttpRequest) -> StreamingHttpResponse:
    # A guest without a card is known by the phone number: without contacts the id is masked like on the card.
    show_contacts = access.require(request.user, Capability.EXPORT).can(Capability.VIEW_CONTACTS)
    rows = _purchase_rows(request).values_list(
        "party__external_id", "party__name", "occurred_at", "purchased_on", "amount", "location__code",
        "receipt_ref", "source", "category")

    def out():
        for external_id, name, occurred_at, day, amount, code, ref, source, category in rows.iterator(chunk_size=5000):
            shown_id = (external_id or "") if show_contacts else mask_external_id(external_id)
            yield [shown_id, name, timezone.localtime(occurred_at).isoformat(), day.isoformat(),
                   f"{amount:.2f}", code or "", ref, source, category]

    header = [_("client id"), _("name"), _("date and time"), _("purchase day"), _("amount"), _("location"),
              _("receipt"), _("source"), _("product category")]
    return exports.export_response(request, basename=f"purchases-{timezone.localdate()}", header=header, rows=out())


@login_required
def locations(request: HttpRequest) -> HttpResponse:
    scope = access.scope_for(request.user)
    can_purchases = scope.can(Capability.VIEW_PURCHASES)
    if can_purchases:
        rows = reports.dashboard(scope=scope, today=timezone.localdate()).locations
    else:
        # The dashboard holds no locations for a role without purchases (HR); the list must still show them.
        visible = access.locations_visible(request.user).select_related("partner").order_by("code")
        rows = [(loc, None, None) for loc in visible]
    return render(request, "web/locations.html", {"rows": rows, "can_purchases": can_purchases})


@login_required
def location_detail(request: HttpRequest, location_id: int) -> HttpResponse:
    scope = access.scope_for(request.user)
    location = access.access_location(request.user, location_id)
    context = {"location": location, "can_purchases": scope.can(Capability.VIEW_PURCHASES)}
    if scope.can(Capability.VIEW_CLIENTS):
        context["clients"] = access.clients_visible(request.user).filter(home_location=location).count()
    if scope.can(Capability.VIEW_PURCHASES):
        context["totals"] = access.purchases_visible(request.user).filter(location=location).aggregate(
            receipts=Count("id"), revenue=Sum("amount"), last_day=Max("purchased_on"))
    if scope.can(Capability.VIEW_STAFF):
        staff = access.staff_visible(request.user).filter(location=location)
        context["staff_active"] = staff.filter(left_on__isnull=True).count()
    return render(request, "web/location.html", context)


@login_required
def staff(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_STAFF)
    rows = access.staff_visible(request.user).select_related("party", "location", "department")
    show = request.GET.get("show", "current")
    if show == "current":
        rows = rows.filter(left_on__isnull=True)
    page = Paginator(rows.order_by("location__code", "department__name", "party__name"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "web/staff.html", {
        "page": page, "show": show, "personal": scope.can(Capability.VIEW_STAFF_PERSONAL),
        "querystring": _querystring(request),
    })


@login_required
def partners(request: HttpRequest) -> HttpResponse:
    from romashka.chamomile.models import CommunityInitiative

    access.require(request.user, Capability.VIEW_PARTNERS)
    from romashka.chamomile.models import Investment, Payout

    year_ago = timezone.localdate().replace(day=1).replace(year=timezone.localdate().year - 1)
    supplier_rows = (
        access.partners_visible(request.user, PartyKind.SUPPLIER, PartyKind.BUSINESS_PARTNER)
        .annotate(
            orders_year=Sum("supplier_orders__amount", filter=Q(supplier_orders__ordered_on__gte=year_ago)),
            orders_total=Sum("supplier_orders__amount"),
        )
        .order_by("-orders_year")
    )
    investors = list(access.partners_visible(request.user, PartyKind.INVESTOR).order_by("name"))
    invested = dict(Investment.objects.filter(investor__in=investors).values("investor_id")
                    .annotate(total=Sum("amount")).values_list("investor_id", "total"))
    paid = dict(Payout.objects.filter(investor__in=investors).values("investor_id")
                .annotate(total=Sum("amount")).values_list("investor_id", "total"))
    investor_rows = [(inv, invested.get(inv.pk) or Decimal(0), paid.get(inv.pk) or Decimal(0)) for inv in investors]
    organisation = access.organisation_of(request.user)
    initiatives = CommunityInitiative.objects.filter(organisation=organisation).select_related("location")[:50]
    return render(request, "web/partners.html", {
        "suppliers": supplier_rows, "investors": investor_rows, "initiatives": initiatives,
        "franchise": access.partners_visible(request.user, PartyKind.FRANCHISE_PARTNER).annotate(
            locations=Count("partner_locations")),
    })


@login_required
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    """API tokens: a new token is shown once; only its hash is kept."""
    access.require(request.user, Capability.USE_API)
    new_token = None
    if request.method == "POST":
        if "revoke" in request.POST and request.POST["revoke"].isdigit():
            api_token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
            messages.success(request, _("The token is revoked."))
            return redirect("data")
        name = request.POST.get("name", "").strip()[:100]
        if not name:
            messages.error(request, _("Give the token a name, e.g. the system that will use it."))
        else:
            _token, new_token = api_token_create(user=request.user, name=name)
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "web/data.html", {"tokens": tokens, "new_token": new_token})


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Capability.MANAGE_SETTINGS)
    organisation = access.organisation_of(request.user)
    return render(request, "web/settings.html", {
        "organisation": organisation,
        "locations": access.locations_visible(request.user).select_related("partner"),
        "departments": organisation.departments.all(),
    })
