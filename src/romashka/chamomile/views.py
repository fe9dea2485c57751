"""Pages of the chamomile: the flower, each petal's page, targets, the monthly summary, supplier reports, the partner cabinet."""

from __future__ import annotations

import io
import math
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from romashka.chamomile import selectors
from romashka.chamomile.figures import (
    FIGURES,
    PETAL_COLOURS,
    Petal,
    can_manage_initiatives,
    is_partner_scope,
    petal_figures,
    petals_visible,
)
from romashka.chamomile.forms import InitiativeForm
from romashka.chamomile.models import CommunityInitiative, InitiativeKind
from romashka.chamomile.services import initiative_delete, initiative_save, petal_targets_set
from romashka.chamomile.templatetags.chamomile_tags import format_figure, health_label, rounds_to_zero
from romashka.core import access
from romashka.core.access import Capability, Scope
from romashka.core.choices import PartyKind
from romashka.core.models import Party
from romashka.path.choices import STATUS_COLOURS, Status

HEALTH_FILLS = {selectors.AHEAD: "#c8e6c9", selectors.BEHIND: "#ffcdd2", selectors.NO_TARGET: "#eceff1",
                selectors.NO_DATA: "#fafafa"}
HEALTH_STROKES = {selectors.AHEAD: "#2e7d32", selectors.BEHIND: "#c62828", selectors.NO_TARGET: "#90a4ae",
                  selectors.NO_DATA: "#cfd8dc"}
SUMMARY_MONTHS = 12


def _month(request: HttpRequest, today: date) -> date:
    """The month of `?month=YYYY-MM`; the current month when absent or not a month."""
    try:
        return datetime.strptime(request.GET.get("month", ""), "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)


def _scope(request: HttpRequest) -> Scope:
    return access.require(request.user, Capability.VIEW_DASHBOARD)


def _trend_arrow(figure: selectors.FigureHealth) -> str:
    """↑ or ↓ after the headline when it moved since the previous month (the colour of the figure's row says good or bad)."""
    trend = figure.trend
    if trend is None or rounds_to_zero(trend, figure.figure.unit):
        return ""
    return " ↑" if trend > 0 else " ↓"


def _flower(petals: list[selectors.PetalHealth], organisation_name: str) -> dict:
    """Geometry of the SVG chamomile: petals around the centre, each with its health colours and headline."""
    count = max(len(petals), 1)
    drawn = []
    for index, petal in enumerate(petals):
        angle = -90 + index * 360 / count
        radians = math.radians(angle)
        cx, cy = 320 + 195 * math.cos(radians), 320 + 195 * math.sin(radians)
        headline = next((f for f in petal.figures if f.value is not None), None)
        drawn.append({
            "petal": petal, "angle": round(angle, 1), "cx": round(cx, 1), "cy": round(cy, 1),
            "fill": HEALTH_FILLS[petal.health], "stroke": HEALTH_STROKES[petal.health],
            "hue": PETAL_COLOURS[petal.petal], "health_label": health_label(petal.health),
            "headline": headline,
            "headline_text": (format_figure(headline.value, headline.figure.unit) + _trend_arrow(headline)) if headline
            else _("no data yet"),
            "url": reverse("chamomile_petal", args=[petal.petal.value]),
            "hover": "\n".join(
                [f"{petal.petal.label}: {health_label(petal.health)}"]
                + [f"{f.figure.label}: {format_figure(f.value, f.figure.unit)} — {f.figure.definition}" for f in petal.figures]
            ),
        })
    return {"petals": drawn, "centre": organisation_name}


def flower_context(request: HttpRequest, scope: Scope, month: date, today: date) -> dict:
    """The flower, the petals behind and what the role may do: the chamomile page's and the start page's."""
    petals = selectors.chamomile(scope=scope, month=month, today=today)
    if is_partner_scope(scope):
        centre = Party.objects.filter(membership__user=request.user).values_list("name", flat=True).first()
    else:
        centre = access.organisation_of(request.user).name
    return {
        "petals": petals, "flower": _flower(petals, centre or ""), "month": month,
        "as_of": selectors.period_as_of(month, today),
        "behind": [p for p in petals if p.health == selectors.BEHIND],
        "is_partner": is_partner_scope(scope), "can_set_targets": scope.can(Capability.MANAGE_SETTINGS),
        "can_export": scope.can(Capability.EXPORT),
    }


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    today = timezone.localdate()
    month = _month(request, today)
    return render(request, "chamomile/overview.html", {
        **flower_context(request, scope, month, today),
        "previous_month": selectors.months_before(month, 1), "next_month": selectors.months_before(month, -1),
    })


def _petal_or_404(scope: Scope, name: str) -> Petal:
    try:
        petal = Petal(name)
    except ValueError as error:
        raise Http404("no such petal") from error
    if petal not in petals_visible(scope):
        raise PermissionDenied("the role does not see this petal")
    return petal


@login_required
def petal_page(request: HttpRequest, petal: str) -> HttpResponse:
    scope = _scope(request)
    chosen = _petal_or_404(scope, petal)
    today = timezone.localdate()
    month = _month(request, today)
    as_of = selectors.period_as_of(month, today)
    (health,) = selectors.chamomile(scope=scope, month=month, today=today, petals=[chosen])
    context: dict = {"health": health, "petal": chosen, "month": month, "as_of": as_of,
                     "is_partner": is_partner_scope(scope), "can_export": scope.can(Capability.EXPORT)}
    if chosen == Petal.GUESTS:
        counts = selectors.guest_status_counts(scope, as_of)
        context["statuses"] = [(s, counts[s.value], STATUS_COLOURS[s]) for s in Status]
    elif chosen == Petal.EMPLOYEES:
        context["staff_by_location"] = selectors.staff_by_location(scope, as_of)
    elif chosen == Petal.FRANCHISE:
        if is_partner_scope(scope):
            return redirect("chamomile_partner")
        context["partners"] = selectors.partner_revenues(organisation_id=scope.organisation_id, as_of=as_of)
    elif chosen == Petal.SUPPLIERS:
        context["suppliers"] = selectors.supplier_turnovers(scope=scope, as_of=as_of)
    elif chosen == Petal.INVESTORS:
        context["investors"], context["overall"] = selectors.investor_returns(
            organisation_id=scope.organisation_id, as_of=as_of)
    elif chosen == Petal.COMMUNITY:
        context["years"] = selectors.community_yearly(scope=scope)
        context["kinds"] = InitiativeKind.choices
        context["initiatives"] = (selectors.initiatives_visible(scope).select_related("location")
                                  .prefetch_related("partners")[:200])
        context["can_manage"] = can_manage_initiatives(scope)
    return render(request, f"chamomile/petal_{chosen.value}.html", context)


@login_required
def partner_cabinet(request: HttpRequest, partner_id: int | None = None) -> HttpResponse:
    """A franchise partner's own figures beside the network's medians; another partner's figures never by name."""
    scope = _scope(request)
    partner = selectors.cabinet_partner(scope=scope, user=request.user, partner_id=partner_id)
    today = timezone.localdate()
    month = _month(request, today)
    as_of = selectors.period_as_of(month, today)
    figures = selectors.partners_figures(organisation_id=scope.organisation_id, as_of=as_of)
    own = figures.get(partner.pk)
    medians = selectors.network_medians(figures)
    locations = list(partner.partner_locations.order_by("name").values_list("name", "city"))
    statuses = [(s, own.statuses[s.value] if own else 0, medians[f"status_{s.value}"], STATUS_COLOURS[s]) for s in Status]
    return render(request, "chamomile/partner.html", {
        "partner": partner, "own": own, "medians": medians, "locations": locations, "statuses": statuses,
        "month": month, "as_of": as_of,
        "provided": selectors.partner_provided_figures(organisation_id=scope.organisation_id, partner_id=partner.pk,
                                                       as_of=as_of),
    })


@login_required
def supplier_report(request: HttpRequest, supplier_id: int) -> HttpResponse:
    scope, supplier, report, as_of = _supplier_report(request, supplier_id)
    chart = {
        "years": [str(y) for y in report.years],
        "months": [date(2000, m, 1).strftime("%m") for m in report.months],
        "series": {str(y): [float(report.volume[y].get(m, 0)) for m in report.months] for y in report.years},
        "title": _("Orders, ₽"),
    }
    from romashka.feedback.selectors import supplier_ratings_by_location

    return render(request, "chamomile/supplier.html", {
        "supplier": supplier, "report": report, "as_of": as_of, "chart": chart,
        "rows": [(m, [report.volume[y].get(m) for y in report.years]) for m in report.months],
        "can_export": scope.can(Capability.EXPORT),
        # The delivery surveys of the last twelve months: how each location rates this supplier.
        "ratings": supplier_ratings_by_location(scope=scope, supplier_id=supplier.pk,
                                                date_from=as_of - timedelta(days=365), date_to=as_of),
    })


def _bars(report: selectors.SupplierMonthly, years: list[int]) -> dict:
    """An SVG bar chart of the orders by month for the last years (drawn on the server, so it prints)."""
    width, height, top, bottom, left = 680, 220, 12, 30, 8
    peak = max((report.volume[y].get(m, 0) for y in years for m in report.months), default=0) or 1
    slot = (width - left) / 12
    bar = slot / (len(years) + 1)
    shades = ["#b0bec5", "#f0a868", "#e65100"][-len(years):] if years else []
    bars = []
    for m in report.months:
        for index, year in enumerate(years):
            value = report.volume[year].get(m, 0)
            h = float(value) / float(peak) * (height - top - bottom)
            bars.append({"x": round(left + (m - 1) * slot + index * bar, 1), "y": round(height - bottom - h, 1),
                         "w": round(bar - 1, 1), "h": round(h, 1), "fill": shades[index]})
    labels = [{"x": round(left + (m - 0.5) * slot, 1), "text": date(2000, m, 1)} for m in report.months]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "baseline": height - bottom,
            "label_y": height - 10,
            "legend": list(zip(years, shades, strict=True))}


def _prepared_by(request: HttpRequest) -> str:
    return request.user.get_full_name() or request.user.get_username()


@login_required
def supplier_report_print(request: HttpRequest, supplier_id: int) -> HttpResponse:
    """The report to send the supplier, ready to print or save as PDF (A4): orders by month, year and location."""
    scope, supplier, report, as_of = _supplier_report(request, supplier_id)
    access.require(request.user, Capability.EXPORT)
    shown = report.years[-3:]
    return render(request, "chamomile/supplier_print.html", {
        "supplier": supplier, "report": report, "as_of": as_of, "years": shown,
        "rows": [(date(2000, m, 1), [report.volume[y].get(m) for y in shown]) for m in report.months],
        "chart": _bars(report, shown[-3:]), "organisation": access.organisation_of(request.user),
        "printed_by": _prepared_by(request), "last12": report.last_twelve_months,
    })


@login_required
def supplier_report_pdf(request: HttpRequest, supplier_id: int) -> HttpResponse:
    from romashka.chamomile.pdf import supplier_report_pdf as render_pdf

    scope, supplier, report, as_of = _supplier_report(request, supplier_id)
    access.require(request.user, Capability.EXPORT)
    content = render_pdf(organisation=access.organisation_of(request.user).name, supplier=supplier.name,
                         report=report, as_of=as_of,
                         prepared_by=_prepared_by(request))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="supplier-{supplier.pk}-turnover-{as_of}.pdf"'
    return response


def _supplier_report(request: HttpRequest, supplier_id: int):
    scope = _scope(request)
    if Petal.SUPPLIERS not in petals_visible(scope):
        raise PermissionDenied("the role does not see suppliers")
    supplier = Party.objects.filter(
        organisation_id=scope.organisation_id, pk=supplier_id,
        roles__kind__in=[PartyKind.SUPPLIER, PartyKind.BUSINESS_PARTNER]).distinct().first()
    if supplier is None:
        raise Http404("supplier not found")
    as_of = timezone.localdate()
    return scope, supplier, selectors.supplier_monthly(scope=scope, supplier_id=supplier.pk, as_of=as_of), as_of


def _xlsx_response(filename: str, sheets: list[tuple[str, list, list]]) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        cells = []
        for text in header:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def supplier_report_xlsx(request: HttpRequest, supplier_id: int) -> HttpResponse:
    """The report to send the supplier: orders by month and year, yearly totals with growth, by location."""
    scope, supplier, report, as_of = _supplier_report(request, supplier_id)
    access.require(request.user, Capability.EXPORT)
    by_month = [[m] + [report.volume[y].get(m, Decimal(0)) for y in report.years] for m in report.months]
    yearly = [[y, report.yearly[y], None if report.yearly_growth[y] is None else float(report.yearly_growth[y])]
              for y in report.years]
    locations = [[name, current, before, None if growth is None else float(growth)]
                 for name, current, before, growth in report.by_location]
    return _xlsx_response(f"supplier-{supplier.pk}-turnover-{as_of}.xlsx", [
        (_("By month"), [_("Month")] + [str(y) for y in report.years], by_month),
        (_("By year"), [_("Year"), _("Orders, ₽"), _("Growth, %")], yearly),
        (_("By location"), [_("Location"), _("Last 12 months, ₽"), _("12 months before, ₽"), _("Growth, %")], locations),
    ])


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    today = timezone.localdate()
    months = selectors.monthly_summary(scope=scope, until=_month(request, today), months=SUMMARY_MONTHS, today=today)
    return render(request, "chamomile/summary.html", {
        "months": months, "petals": petals_visible(scope), "can_export": scope.can(Capability.EXPORT),
    })


def export_rows(scope: Scope, until: date, today: date, months: int = SUMMARY_MONTHS) -> tuple[list[str], list[list]]:
    """Targets and actuals of every visible figure for the last months: one row per month and figure."""
    header = ["month", "petal", "figure", "label", "unit", "value", "target", "health", "previous_month_value",
              "definition"]
    rows = []
    for summary_month in selectors.monthly_summary(scope=scope, until=until, months=months, today=today):
        for petal in summary_month.petals:
            for f in petal.figures:
                rows.append([summary_month.month.strftime("%Y-%m"), petal.petal.value, f.figure.key, str(f.figure.label),
                             f.figure.unit.value, f.value, f.target, f.health, f.previous, str(f.figure.definition)])
    return header, rows


@login_required
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    scope = access.require(request.user, Capability.EXPORT)
    _scope(request)
    today = timezone.localdate()
    header, rows = export_rows(scope, _month(request, today), today)
    if fmt == "xlsx":
        return _xlsx_response(f"chamomile-{today}.xlsx", [(_("Chamomile"), header, rows)])
    if fmt != "csv":
        raise Http404("csv or xlsx")
    from romashka.web.views import _csv_response

    response = _csv_response(f"chamomile-{today}.csv", header, rows)
    return response


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.MANAGE_SETTINGS)
    today = timezone.localdate()
    month = _month(request, today) if request.method == "GET" else _posted_month(request, today)
    if request.method == "POST":
        values, errors = {}, []
        for key, figure in FIGURES.items():
            if not figure.has_provider or f"target_{key}" not in request.POST:
                continue
            raw = request.POST[f"target_{key}"].strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
            if raw == "":
                values[key] = None
                continue
            try:
                values[key] = Decimal(raw).quantize(Decimal("0.01"))
            except InvalidOperation:
                errors.append(_("%(figure)s: “%(value)s” is not a number.") % {"figure": figure.label, "value": raw})
        if errors:
            for error in errors:
                messages.error(request, error)
        else:
            petal_targets_set(user=request.user, month=month, values=values)
            messages.success(request, _("Targets from %(month)s are saved.") % {"month": month.strftime("%m.%Y")})
            return redirect(f"{reverse('chamomile_targets')}?month={month:%Y-%m}")
    in_force = selectors.targets_in_force(organisation_id=scope.organisation_id, month=month)
    own_month = set(access_targets_of_month(scope.organisation_id, month))
    petals = [(petal, [(f, in_force.get(f.key), f.key in own_month) for f in petal_figures(petal)]) for petal in Petal]
    return render(request, "chamomile/targets.html", {"petals": petals, "month": month})


def access_targets_of_month(organisation_id: int, month: date) -> list[str]:
    from romashka.chamomile.models import PetalTarget

    return list(PetalTarget.objects.filter(organisation_id=organisation_id, month=month).values_list("figure", flat=True))


def _posted_month(request: HttpRequest, today: date) -> date:
    try:
        return datetime.strptime(request.POST.get("month", ""), "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)


@login_required
def petal_export(request: HttpRequest, petal: str, fmt: str) -> HttpResponse:
    scope = access.require(request.user, Capability.EXPORT)
    chosen = _petal_or_404(scope, petal)
    if chosen == Petal.FRANCHISE and is_partner_scope(scope):
        raise PermissionDenied("a partner sees the network only as medians")
    today = timezone.localdate()
    header, rows = selectors.petal_table(scope, chosen, selectors.period_as_of(_month(request, today), today))
    if fmt == "xlsx":
        return _xlsx_response(f"chamomile-{chosen.value}-{today}.xlsx", [(str(chosen.label), header, rows)])
    if fmt != "csv":
        raise Http404("csv or xlsx")
    from romashka.web.views import _csv_response

    return _csv_response(f"chamomile-{chosen.value}-{today}.csv", header, rows)


# ─── community initiatives ────────────────────────────────────────────────────────────────────────────

def _initiatives_scope(request: HttpRequest) -> Scope:
    scope = _scope(request)
    if not can_manage_initiatives(scope):
        raise PermissionDenied("only the owner and the CRM manager record initiatives")
    return scope


@login_required
def initiative_edit(request: HttpRequest, initiative_id: int | None = None) -> HttpResponse:
    """Adds (no id) or edits a community initiative: date, kind, reach, cost, partners, a link and a photo."""
    scope = _initiatives_scope(request)
    initiative = None
    if initiative_id is not None:
        initiative = CommunityInitiative.objects.filter(organisation_id=scope.organisation_id, pk=initiative_id).first()
        if initiative is None:
            raise Http404("initiative not found")
    if request.method == "POST":
        form = InitiativeForm(request.POST, request.FILES, instance=initiative, organisation_id=scope.organisation_id)
        if form.is_valid():
            saved = initiative_save(user=request.user, form=form)
            messages.success(request, _("The initiative “%(title)s” is saved.") % {"title": saved.title})
            return redirect(f"{reverse('chamomile_petal', args=['community'])}#initiatives")
    else:
        form = InitiativeForm(instance=initiative, organisation_id=scope.organisation_id,
                              initial=None if initiative else {"held_on": timezone.localdate()})
    return render(request, "chamomile/initiative_form.html", {"form": form, "initiative": initiative})


@login_required
def initiative_remove(request: HttpRequest, initiative_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("chamomile_initiative", initiative_id=initiative_id)
    _initiatives_scope(request)
    title = CommunityInitiative.objects.filter(pk=initiative_id).values_list("title", flat=True).first()
    initiative_delete(user=request.user, initiative_id=initiative_id)
    messages.success(request, _("The initiative “%(title)s” is deleted.") % {"title": title})
    return redirect(f"{reverse('chamomile_petal', args=['community'])}#initiatives")


@login_required
def initiative_photo(request: HttpRequest, initiative_id: int) -> HttpResponse:
    """The photo of an initiative the user's role sees (media files are not served publicly)."""
    from django.http import FileResponse

    scope = _scope(request)
    if Petal.COMMUNITY not in petals_visible(scope):
        raise PermissionDenied("the role does not see the community")
    initiative = selectors.initiatives_visible(scope).filter(pk=initiative_id).exclude(photo="").first()
    if initiative is None:
        raise Http404("no photo")
    extension = initiative.photo.name.rsplit(".", 1)[-1].lower()
    content_type = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(extension)
    if content_type is None:
        raise Http404("no photo")
    response = FileResponse(initiative.photo.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
