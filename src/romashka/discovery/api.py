"""API of discovery: segments (and their clients and figures), the RFM grid and its cells, Pareto, interviews
and their summaries; all scoped like the pages (owner, CRM manager, analyst; their clients only)."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date
from decimal import Decimal
from typing import Annotated

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import PlainSerializer

from romashka.api_common import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS, Page
from romashka.core.access import Capability, access_client, organisation_of, require
from romashka.discovery import selectors, services
from romashka.discovery.choices import RfmCell

router = Router()
Money = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str)]


class ConditionIO(Schema):
    field: str = Field(description="city, location, age, gender, acquisition_channel, form, status, category, "
                                   "average_ticket, revenue, purchase_days, industry or company_size")
    values: list[str] = Field(default_factory=list, description="For list characteristics: the values to match.")
    min_value: Decimal | None = Field(None, description="For bands (age, average_ticket, revenue, purchase_days).")
    max_value: Decimal | None = None


class SegmentIn(Schema):
    name: str
    description: str = ""
    conditions: list[ConditionIO] = Field(description="One to three; all must hold.")

    def spec(self) -> services.SegmentSpec:
        return services.SegmentSpec(name=self.name, description=self.description, conditions=[
            services.ConditionSpec(field=c.field, values=c.values, min_value=c.min_value, max_value=c.max_value)
            for c in self.conditions])


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    conditions: list[ConditionIO]

    @staticmethod
    def resolve_conditions(segment) -> list[dict]:
        return [{"field": c.field, "values": c.value_list, "min_value": c.min_value, "max_value": c.max_value}
                for c in segment.conditions.all()]


class SegmentFiguresOut(Schema):
    segment_id: int | None = Field(description="None: every client you see.")
    name: str | None
    clients: int
    revenue: Money
    revenue_share: float | None
    average_ticket: Money | None = Field(description="Revenue per purchase day.")
    frequency: float | None = Field(description="Purchase days per client.")
    retention: float | None = Field(description="Of those who bought in the cycle before the last, the share who "
                                                "bought again in the last one.")
    fan_share: float | None
    profit: Money | None = Field(description="Revenue less the cost of the goods, on the purchases whose product "
                                             "category has a cost; null when none has.")
    profit_coverage: float | None = Field(description="The share of the revenue the profit is counted on (1: all).")


class ClientOut(Schema):
    id: int
    name: str
    status: str | None
    purchase_days: int
    revenue: Money | None
    last_purchase: date | None

    @staticmethod
    def resolve_status(party) -> str | None:
        snapshot = getattr(party, "status_snapshot", None)
        return snapshot.status if snapshot else None

    @staticmethod
    def resolve_purchase_days(party) -> int:
        snapshot = getattr(party, "status_snapshot", None)
        return snapshot.purchase_days if snapshot else 0

    @staticmethod
    def resolve_revenue(party) -> Decimal | None:
        snapshot = getattr(party, "status_snapshot", None)
        return snapshot.monetary if snapshot else None

    @staticmethod
    def resolve_last_purchase(party) -> date | None:
        snapshot = getattr(party, "status_snapshot", None)
        return snapshot.last_purchase if snapshot else None


class SegmentQuery(Schema):
    segment: int | None = Field(None, description="A segment's id; every client you see when not given.")


class RfmCellOut(Schema):
    r_score: int
    f_score: int
    cell: str
    customers: int
    revenue: Money


class RfmNamedOut(Schema):
    cell: str
    label: str
    customers: int
    revenue: Money
    revenue_share: float | None


class RfmOut(Schema):
    by_bounds: bool = Field(description="Scored by the business's own bounds; false: by quintiles.")
    customers: int
    revenue: Money
    cells: list[RfmCellOut]
    named: list[RfmNamedOut]


class RfmCellQuery(Schema):
    segment: int | None = None
    cell: str | None = Field(None, description="A named cell: " + ", ".join(RfmCell.values))
    r: int | None = Field(None, ge=1, le=5)
    f: int | None = Field(None, ge=1, le=5)


class ParetoOut(Schema):
    clients: int
    top_clients: int | None = Field(description="The fewest clients who bring 80% of the revenue.")
    share: float | None = Field(description="top_clients / clients.")
    curve: list[tuple[float, float]] = Field(description="(share of clients, share of revenue), from (0, 0).")


class InterviewIn(Schema):
    party_id: int
    interviewed_on: date
    situation: str = ""
    job_id: int | None = None
    job_text: str = ""
    expected_result: str = ""
    missing: str = Field("", description="Comma-separated.")
    channels: str = Field("", description="Comma-separated.")
    competitors: str = Field("", description="Comma-separated.")
    pays_more: bool | None = None
    pays_more_amount: Decimal | None = Field(None, max_digits=12, decimal_places=2)
    notes: str = ""


class InterviewOut(Schema):
    id: int
    party_id: int
    interviewed_on: date
    situation: str
    job_id: int | None
    job_text: str
    expected_result: str
    missing: str
    channels: str
    competitors: str
    pays_more: bool | None
    pays_more_amount: Money | None
    notes: str


class CountOut(Schema):
    text: str
    count: int


class SummaryOut(Schema):
    segment_id: int | None
    name: str | None
    interviews: int
    jobs: list[CountOut]
    missing: list[CountOut]
    channels: list[CountOut]
    competitors: list[CountOut]
    pays_more_share: float | None
    average_extra: Money | None


def _segment(user, segment_id: int | None):
    return selectors.access_segment(user, segment_id) if segment_id is not None else None


@router.get("/segments", response={200: list[SegmentOut], **READ_ERRORS}, tags=["discovery"])
def segment_list(request):
    """Your organisation's segments with their conditions."""
    return list(selectors.segments_visible(request.auth))


@router.post("/segments", response={200: SegmentOut, **WRITE_ERRORS}, tags=["discovery"])
def segment_create(request, body: SegmentIn):
    """A new segment of one to three conditions; 422 names the condition that is wrong."""
    return services.segment_create_by(user=request.auth, spec=body.spec())


@router.get("/segments/figures", response={200: list[SegmentFiguresOut], **READ_ERRORS}, tags=["discovery"])
def segment_figures(request):
    """Every segment side by side, all your clients first."""
    return [{"segment_id": r.segment.pk if r.segment else None, "name": r.segment.name if r.segment else None,
             **{k: getattr(r, k) for k in ("clients", "revenue", "revenue_share", "average_ticket", "frequency",
                                           "retention", "fan_share", "profit", "profit_coverage")}}
            for r in selectors.segment_table(user=request.auth)]


@router.get("/segments/{segment_id}", response={200: SegmentOut, **ONE_ERRORS}, tags=["discovery"])
def segment_detail(request, segment_id: int):
    return selectors.access_segment(request.auth, segment_id)


@router.get("/segments/{segment_id}/clients", response={200: list[ClientOut], **ONE_ERRORS}, tags=["discovery"])
@paginate(Page)
def segment_clients(request, segment_id: int):
    """The segment's clients you see, by name."""
    segment = selectors.access_segment(request.auth, segment_id)
    return selectors.discovery_clients(request.auth, segment).select_related("status_snapshot").order_by("name", "pk")


@router.get("/rfm", response={200: RfmOut, **ONE_ERRORS}, tags=["discovery"])
def rfm(request, query: Query[SegmentQuery]):
    """The RFM grid (scores 1–5 of recency and frequency, by quintiles or the business's bounds) with customers
    and revenue per cell."""
    grid = selectors.rfm_grid(user=request.auth, segment=_segment(request.auth, query.segment))
    return {"by_bounds": grid.by_bounds, "customers": grid.customers, "revenue": grid.revenue,
            "cells": [{"r_score": r, "f_score": f, "cell": row["cell"], "customers": row["customers"],
                       "revenue": row["revenue"]} for (r, f), row in sorted(grid.cells.items())],
            "named": [{"cell": n["name"], "label": str(n["label"]), "customers": n["customers"],
                       "revenue": n["revenue"], "revenue_share": n["revenue_share"]} for n in grid.named]}


@router.get("/rfm/clients", response={200: list[ClientOut], **ONE_ERRORS}, tags=["discovery"])
@paginate(Page)
def rfm_clients(request, query: Query[RfmCellQuery]):
    """The clients of a named cell (`cell`) or of one square (`r` and `f`), most revenue first."""
    segment = _segment(request.auth, query.segment)
    if query.cell is not None and query.cell not in RfmCell.values:
        raise Http404(f"no cell {query.cell!r}; one of {', '.join(RfmCell.values)}")
    if query.cell is None and (query.r is None or query.f is None):
        raise Http404("give a cell, or both r and f")
    grid = selectors.rfm_grid(user=request.auth, segment=segment)
    return (selectors.rfm_cell_clients(user=request.auth, grid=grid, cell=query.cell, r=query.r, f=query.f,
                                       segment=segment)
            .select_related("status_snapshot").order_by("-status_snapshot__monetary", "pk"))


@router.get("/pareto", response={200: ParetoOut, **ONE_ERRORS}, tags=["discovery"])
def pareto(request, query: Query[SegmentQuery]):
    """Which share of clients brings 80% of the revenue, and the curve."""
    result = selectors.pareto(user=request.auth, segment=_segment(request.auth, query.segment))
    return {"clients": result.clients, "top_clients": result.top_clients, "share": result.share,
            "curve": result.curve}


@router.get("/interviews", response={200: list[InterviewOut], **READ_ERRORS}, tags=["discovery"])
@paginate(Page)
def interview_list(request):
    """Interviews with the clients you see, newest first."""
    return selectors.interviews_visible(request.auth).order_by("-interviewed_on", "-pk")


@router.post("/interviews", response={200: InterviewOut, **WRITE_ERRORS}, tags=["discovery"])
def interview_create(request, body: InterviewIn):
    """Records an interview with one of your clients (404 for a client you do not see)."""
    from romashka.discovery.models import Job

    require(request.auth, Capability.VIEW_DISCOVERY)
    party = access_client(request.auth, body.party_id)
    organisation = organisation_of(request.auth)
    fields = body.dict(exclude={"party_id", "job_id"})
    job = None
    if body.job_id is not None:
        job = Job.objects.filter(pk=body.job_id, organisation=organisation).first()
        if job is None:
            raise Http404("job not found")
    return services.interview_record(organisation=organisation, party=party, interviewer=request.auth,
                                     fields={**fields, "job": job})


@router.get("/interviews/summaries", response={200: list[SummaryOut], **READ_ERRORS}, tags=["discovery"])
def interview_summaries(request):
    """All your interviews summarised, then per segment: most frequent jobs, what is missing, channels,
    competitors, the share who would pay more and how much on average."""
    def counts(items):
        return [{"text": text, "count": n} for text, n in items]

    return [{"segment_id": s.segment.pk if s.segment else None, "name": s.segment.name if s.segment else None,
             "interviews": s.interviews, "jobs": counts(s.jobs), "missing": counts(s.missing),
             "channels": counts(s.channels), "competitors": counts(s.competitors),
             "pays_more_share": s.pays_more_share, "average_extra": s.average_extra}
            for s in selectors.interview_summaries(user=request.auth)]
