"""Pages of discovery: segments, Pareto, RFM, not our client, interviews, products → jobs, B2B committees."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from romashka.core import access
from romashka.core.access import Capability
from romashka.core.masking import mask_external_id
from romashka.discovery import forms, selectors, services
from romashka.discovery.choices import LIGHT_CELLS, RfmCell
from romashka.discovery.models import NotOurClient, RfmBounds
from romashka.web.exports import export_response

PAGE_SIZE = 50
GUIDE = [
    ("situation", gettext_lazy("Tell me about the last time you came to us. What was happening, where were you going?")),
    ("job", gettext_lazy("What did you want to get done? What would you have done if we were not there?")),
    ("expected_result", gettext_lazy("How did you know it went well? What result did you expect?")),
    ("missing", gettext_lazy("What was missing, got in the way or annoyed you?")),
    ("channels", gettext_lazy("Where do you look for such places or offers? What do you read or ask?")),
    ("competitors", gettext_lazy("What else did you consider or try instead of us?")),
    ("pays_more", gettext_lazy("Would you pay more for it to be exactly right? How much more?")),
]


def _locale() -> str:
    return "RU" if translation.get_language() == "ru" else "EN"


def _segment_of(request: HttpRequest):
    """The segment chosen with ?segment=, or None; another organisation's segment is a 404."""
    raw = request.GET.get("segment") or request.POST.get("segment")
    if not raw:
        return None
    try:
        return selectors.access_segment(request.user, int(raw))
    except ValueError:
        raise Http404("segment not found") from None


def _base(request: HttpRequest, tab: str, **context) -> dict:
    scope = access.require(request.user, Capability.VIEW_DISCOVERY)
    return {"tab": tab, "segments": list(selectors.segments_visible(request.user)),
            "can_export": scope.can(Capability.EXPORT), "can_touch": scope.can(Capability.MANAGE_TOUCHES),
            **context}


def _client_export(request: HttpRequest, clients, basename: str):
    scope = access.require(request.user, Capability.EXPORT)
    show_ids = scope.can(Capability.VIEW_CONTACTS)

    def rows():
        for party in clients.select_related("status_snapshot", "home_location").iterator(chunk_size=2000):
            snapshot = getattr(party, "status_snapshot", None)
            external_id = party.external_id or ""
            yield [party.pk, external_id if show_ids else mask_external_id(external_id), party.name,
                   party.home_location.code if party.home_location else "",
                   snapshot.get_status_display() if snapshot else "", snapshot.last_purchase if snapshot else None,
                   snapshot.purchase_days if snapshot else 0, snapshot.monetary if snapshot else None]

    header = ["id", _("external id"), _("name"), _("location"), _("status"), _("last purchase"),
              _("purchase days"), _("revenue, ₽")]
    return export_response(request, basename=basename, header=header, rows=rows())


def _page(request: HttpRequest, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _querystring(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# ---------------------------------------------------------------- segments


@login_required
def costs(request: HttpRequest) -> HttpResponse:
    """The owner sets what each product category costs as a share of its price (per location where it differs)."""
    access.require(request.user, Capability.MANAGE_SETTINGS)
    listing = selectors.category_costs(user=request.user)
    form = forms.CategoryCostForm(request.POST or None, categories=listing.categories, locations=listing.locations)
    if request.method == "POST" and request.POST.get("delete"):
        try:
            services.category_cost_delete(user=request.user, cost_id=int(request.POST["delete"]))
        except ValueError:
            raise Http404("cost not found") from None
        messages.success(request, _("Cost removed; profit is counted again."))
        return redirect("segments_costs")
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data
            services.category_cost_set(user=request.user, category=data["category"], location_id=data["location"],
                                       cost_percent=data["cost_percent"])
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field, problems)
        else:
            messages.success(request, _("Cost saved; profit is counted again."))
            return redirect("segments_costs")
    return render(request, "discovery/costs.html", _base(request, "segments", listing=listing, form=form))



@login_required
def segments(request: HttpRequest) -> HttpResponse:
    """Segments side by side: clients, revenue and its share, ticket, frequency, retention, fans."""
    rows = selectors.segment_table(user=request.user)
    chart = {
        "locale": _locale(), "names": [r.segment.name if r.segment else _("All clients") for r in rows[1:]],
        "clients": [r.clients for r in rows[1:]], "revenue_share": [round((r.revenue_share or 0) * 100, 1)
                                                                   for r in rows[1:]],
        "retention": [round((r.retention or 0) * 100, 1) for r in rows[1:]],
        "titles": {"clients": _("Clients"), "revenue_share": _("Share of revenue, %"),
                   "retention": _("Retention, %")},
    }
    can_set_costs = access.require(request.user, Capability.VIEW_DISCOVERY).can(Capability.MANAGE_SETTINGS)
    return render(request, "discovery/segments.html", _base(request, "segments", rows=rows, chart=chart,
                                                            can_set_costs=can_set_costs))


@login_required
def segment_edit(request: HttpRequest, segment_id: int | None = None) -> HttpResponse:
    access.require(request.user, Capability.VIEW_DISCOVERY)
    segment = selectors.access_segment(request.user, segment_id) if segment_id else None
    if request.method == "POST":
        form = forms.SegmentForm(request.POST)
        conditions = forms.ConditionFormSet(request.POST, prefix="c")
        if form.is_valid() and conditions.is_valid():
            spec = forms.segment_spec(form, conditions)
            try:
                if segment is None:
                    segment = services.segment_create_by(user=request.user, spec=spec)
                else:
                    services.segment_update(segment=segment, spec=spec)
            except ValidationError as error:
                forms.segment_errors_show(error, form, conditions)
            else:
                messages.success(request, _("Segment “%(name)s” saved.") % {"name": segment.name})
                return redirect("segments_clients", segment.pk)
    else:
        form = forms.SegmentForm(initial={"name": segment.name, "description": segment.description}
                                 if segment else None)
        conditions = forms.ConditionFormSet(prefix="c", initial=forms.condition_initial(segment) if segment
                                            else [{}, {}, {}])
    return render(request, "discovery/segment_edit.html", _base(
        request, "segments", form=form, conditions=conditions, segment=segment,
        known=selectors.known_values(user=request.user)))


@login_required
@require_POST
def segment_delete(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.access_segment(request.user, segment_id)
    try:
        services.segment_delete_checked(segment=segment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("segments_clients", segment.pk)
    messages.success(request, _("Segment deleted."))
    return redirect("segments")


@login_required
def segment_clients(request: HttpRequest, segment_id: int) -> HttpResponse:
    segment = selectors.access_segment(request.user, segment_id)
    clients = selectors.discovery_clients(request.user, segment).order_by("name", "pk")
    if request.GET.get("format"):
        return _client_export(request, clients, f"segment-{segment.pk}-{timezone.localdate()}")
    page = _page(request, clients.select_related("status_snapshot", "home_location"))
    return render(request, "discovery/segment_clients.html", _base(
        request, "segments", segment=segment, page=page, querystring=_querystring(request),
        not_ours=NotOurClient.objects.filter(segment=segment).first()))


# ---------------------------------------------------------------- Pareto and RFM


@login_required
def pareto(request: HttpRequest) -> HttpResponse:
    segment = _segment_of(request)
    result = selectors.pareto(user=request.user, segment=segment)
    top = selectors.top_clients(user=request.user, segment=segment)
    if request.GET.get("format"):
        return _client_export(request, top, f"top-clients-{timezone.localdate()}")
    chart = {"locale": _locale(), "curve": [[round(x * 100, 2), round(y * 100, 2)] for x, y in result.curve],
             "share": round((result.share or 0) * 100, 2),
             "titles": {"clients": _("Share of clients, %"), "revenue": _("Share of revenue, %"),
                        "curve": _("Pareto curve"), "even": _("Equal shares")}}
    return render(request, "discovery/pareto.html", _base(
        request, "pareto", segment=segment, result=result, top=top[:PAGE_SIZE],
        chart=chart))


@login_required
def rfm(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_DISCOVERY)
    segment = _segment_of(request)
    own = RfmBounds.objects.filter(organisation_id=scope.organisation_id).first()
    bounds_form = forms.RfmBoundsForm(request.POST or None, initial={
        name: getattr(own, name) for name in ("recency_days", "frequency", "monetary")} if own else None)
    if request.method == "POST" and bounds_form.is_valid():
        try:
            services.rfm_bounds_set(user=request.user, **bounds_form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                bounds_form.add_error(field, problems)
        else:
            messages.success(request, _("RFM bounds saved."))
            return redirect(request.get_full_path())
    grid = selectors.rfm_grid(user=request.user, segment=segment)
    colours = {n["name"]: n["colour"] for n in grid.named}
    labels = {n["name"]: n["label"] for n in grid.named}
    from romashka.engine.discovery import CELL_OF

    rows = []
    for r in (5, 4, 3, 2, 1):
        cells = []
        for f in (1, 2, 3, 4, 5):
            data = grid.cells.get((r, f))
            name = CELL_OF[(r, f)]
            cells.append({"r": r, "f": f, "name": name, "label": labels[name], "colour": colours[name],
                          "light": name in LIGHT_CELLS,
                          "customers": data["customers"] if data else 0,
                          "revenue": data["revenue"] if data else None})
        rows.append({"r": r, "cells": cells, "range": grid.recency_ranges.get(r)})
    return render(request, "discovery/rfm.html", _base(
        request, "rfm", segment=segment, grid=grid, rows=rows, bounds_form=bounds_form,
        frequency_ranges=[(f, grid.frequency_ranges.get(f)) for f in (1, 2, 3, 4, 5)]))


def _cell_from(request: HttpRequest) -> tuple[str | None, int | None, int | None]:
    cell = request.GET.get("cell") or None
    if cell is not None and cell not in RfmCell.values:
        raise Http404("no such cell")
    try:
        r = int(request.GET["r"]) if request.GET.get("r") else None
        f = int(request.GET["f"]) if request.GET.get("f") else None
    except ValueError:
        raise Http404("no such cell") from None
    if cell is None and not (r in range(1, 6) and f in range(1, 6)):
        raise Http404("no such cell")
    return cell, r, f


@login_required
def rfm_cell(request: HttpRequest) -> HttpResponse:
    """The clients of one RFM cell: a list to export or to put on a touch standard chosen from a list."""
    from romashka.engine.discovery import CELL_OF
    from romashka.touches.choices import Trigger
    from romashka.touches.models import Standard

    segment = _segment_of(request)
    cell, r, f = _cell_from(request)
    grid = selectors.rfm_grid(user=request.user, segment=segment)
    clients = selectors.rfm_cell_clients(user=request.user, grid=grid, cell=cell, r=r, f=f, segment=segment)
    clients = clients.order_by("-status_snapshot__monetary", "pk")
    name = cell or CELL_OF[(r, f)]
    if request.method == "POST":
        try:
            counts = services.list_standard_enter(
                user=request.user, standard_id=int(request.POST.get("standard") or 0),
                party_ids=list(clients.values_list("pk", flat=True)), on=timezone.localdate())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(entries)s clients put on the standard, %(tasks)s tasks planned.")
                             % {"entries": counts["entries"], "tasks": counts["tasks"]})
        return redirect(request.get_full_path())
    if request.GET.get("format"):
        return _client_export(request, clients, f"rfm-{name}-{timezone.localdate()}")
    page = _page(request, clients.select_related("status_snapshot", "home_location"))
    standards = Standard.objects.filter(organisation_id=access.scope_for(request.user).organisation_id,
                                        trigger=Trigger.LIST).prefetch_related("versions")
    return render(request, "discovery/rfm_cell.html", _base(
        request, "rfm", segment=segment, page=page, querystring=_querystring(request), cell=RfmCell(name),
        r=r, f=f if cell is None else None, standards=[(s.pk, s.versions.all()[0].name) for s in standards]))


# ---------------------------------------------------------------- not our client


@login_required
def not_ours(request: HttpRequest) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_DISCOVERY)
    form = forms.NotOursForm(request.POST or None)
    form.fields["segment"].choices = [("", "—")] + [(s.pk, s.name) for s in selectors.segments_visible(request.user)]
    if request.method == "POST":
        if request.POST.get("unmark"):
            mark = NotOurClient.objects.filter(pk=request.POST["unmark"], organisation_id=scope.organisation_id).first()
            if mark is None or (mark.party_id and not access.clients_visible(request.user).filter(
                    pk=mark.party_id).exists()):
                raise Http404("mark not found")
            services.not_ours_unmark(mark=mark)
            messages.success(request, _("The mark is removed."))
            return redirect("segments_not_ours")
        if form.is_valid():
            data = form.cleaned_data
            party = access.access_client(request.user, data["party"]) if data.get("party") else None
            segment = selectors.access_segment(request.user, data["segment"]) if data.get("segment") else None
            try:
                services.not_ours_mark(organisation=access.organisation_of(request.user), party=party,
                                       segment=segment, reason=data["reason"], note=data.get("note", ""),
                                       user=request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Marked as not our client."))
                return redirect("segments_not_ours")
    report = selectors.not_ours_report(user=request.user)
    return render(request, "discovery/not_ours.html", _base(request, "not_ours", report=report, form=form))


# ---------------------------------------------------------------- interviews


@login_required
def interviews(request: HttpRequest) -> HttpResponse:
    """The guide, whom to interview (with tasks through the touch system), the summaries per segment, the list."""
    segment = _segment_of(request)
    if request.method == "POST":
        chosen = [int(v) for v in request.POST.getlist("party") if v.isdigit()]
        allowed = set(access.clients_visible(request.user).filter(pk__in=chosen).values_list("pk", flat=True))
        if not allowed:
            messages.error(request, _("Choose the clients to invite."))
        else:
            counts = services.interview_invitations_create(user=request.user, party_ids=sorted(allowed),
                                                           on=timezone.localdate())
            messages.success(request, _("%(tasks)s interview tasks created.") % {"tasks": counts["tasks"]})
        return redirect(request.get_full_path())
    listed = selectors.interviews_visible(request.user).select_related("party", "job", "interviewer")
    if segment is not None:
        listed = listed.filter(party__in=selectors.segment_parties(segment=segment).values("pk"))
    what = request.GET.get("format") and request.GET.get("what", "list")
    if what == "summary":
        return _summary_export(request)
    if what:
        return _interview_export(request, listed)
    return render(request, "discovery/interviews.html", _base(
        request, "interviews", segment=segment, guide=GUIDE, summaries=selectors.interview_summaries(user=request.user),
        suggestions=selectors.interview_suggestions(user=request.user, segment=segment),
        page=_page(request, listed), querystring=_querystring(request)))


def _interview_export(request: HttpRequest, listed):
    access.require(request.user, Capability.EXPORT)
    header = ["id", _("client id"), _("client"), _("date"), _("interviewer"), _("situation"), _("job to be done"),
              _("expected result"), _("what is missing"), _("where they look for such offers"),
              _("competitors considered"), _("would pay more"), _("how much more, ₽"), _("notes")]
    rows = ([i.pk, i.party_id, i.party.name, i.interviewed_on,
             i.interviewer.get_full_name() if i.interviewer else "", i.situation,
             i.job.name if i.job else i.job_text, i.expected_result, i.missing, i.channels, i.competitors,
             "" if i.pays_more is None else (_("yes") if i.pays_more else _("no")), i.pays_more_amount, i.notes]
            for i in listed.iterator(chunk_size=1000))
    return export_response(request, basename=f"interviews-{timezone.localdate()}", header=header, rows=rows)


def _summary_export(request: HttpRequest):
    access.require(request.user, Capability.EXPORT)
    header = [_("segment"), _("interviews"), _("most frequent jobs"), _("what is missing"),
              _("where they look for such offers"), _("competitors considered"), _("would pay more"),
              _("average extra, ₽")]

    def listed(items):
        return "; ".join(f"{text} ({n})" for text, n in items)

    rows = ([s.segment.name if s.segment else _("All clients"), s.interviews, listed(s.jobs), listed(s.missing),
             listed(s.channels), listed(s.competitors),
             "" if s.pays_more_share is None else f"{s.pays_more_share:.2f}", s.average_extra]
            for s in selectors.interview_summaries(user=request.user))
    return export_response(request, basename=f"interview-summaries-{timezone.localdate()}", header=header, rows=rows)


@login_required
def interview_start(request: HttpRequest) -> HttpResponse:
    """The interview form for the client whose id is typed in (?party=…); 404 for one the user does not see."""
    access.require(request.user, Capability.VIEW_DISCOVERY)
    raw = request.GET.get("party", "").strip()
    if not raw.isdigit():
        messages.error(request, _("Type the client's id from the client card."))
        return redirect("segments_interviews")
    return redirect("segments_interview_new", access.access_client(request.user, int(raw)).pk)


@login_required
def interview_new(request: HttpRequest, party_id: int) -> HttpResponse:
    scope = access.require(request.user, Capability.VIEW_DISCOVERY)
    party = access.access_client(request.user, party_id)
    form = forms.InterviewForm(request.POST or None, organisation_id=scope.organisation_id,
                               initial={"interviewed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.interview_record(organisation=access.organisation_of(request.user), party=party,
                                      interviewer=request.user, fields=fields)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, _("Interview with %(name)s recorded.") % {"name": party.name})
            return redirect("segments_interviews")
    return render(request, "discovery/interview_new.html", _base(request, "interviews", party=party, form=form,
                                                                 guide=GUIDE))


# ---------------------------------------------------------------- products → jobs, B2B


@login_required
def jobs(request: HttpRequest) -> HttpResponse:
    buyers = selectors.buyers_by_category(user=request.user)
    return render(request, "discovery/jobs.html", _base(
        request, "jobs", jobs=selectors.job_map(user=request.user, buyers=buyers),
        categories=selectors.category_matches(user=request.user, buyers=buyers),
        products=selectors.products_described(user=request.user)))


@login_required
def business(request: HttpRequest) -> HttpResponse:
    companies = selectors.business_clients(user=request.user)
    return render(request, "discovery/business.html", _base(
        request, "business", page=_page(request, companies), querystring=_querystring(request)))


@login_required
def business_company(request: HttpRequest, party_id: int) -> HttpResponse:
    access.require(request.user, Capability.VIEW_DISCOVERY)
    company = selectors.business_clients(user=request.user).filter(pk=party_id).first()
    if company is None:
        raise Http404("business client not found")
    form = forms.CommitteeMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.committee_member_add(company=company, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("Committee member added."))
            return redirect("segments_business_company", company.pk)
    return render(request, "discovery/business_company.html", _base(request, "business", company=company, form=form))
