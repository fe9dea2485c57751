"""API of the chamomile: every petal's figures and health, targets, supplier turnover, investors' returns, community, the partner cabinet."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from romashka.api_common import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS, Page
from romashka.chamomile import selectors
from romashka.chamomile.figures import FIGURES, Petal, is_partner_scope, petals_visible
from romashka.chamomile.services import petal_targets_set
from romashka.core.access import Capability, require
from romashka.core.choices import PartyKind
from romashka.core.models import Party

router = Router(tags=["chamomile"])


class FigureOut(Schema):
    key: str
    label: str
    definition: str
    unit: str
    higher_is_better: bool
    has_data: bool = Field(description="False while the product does not collect the figure (NPS, eNPS, …).")
    value: Decimal | None
    previous: Decimal | None = Field(description="At the end of the previous month.")
    trend: Decimal | None
    target: Decimal | None = Field(description="The owner's target in force that month.")
    health: str = Field(description="ahead, behind, no_target or no_data")


class PetalOut(Schema):
    petal: str
    label: str
    health: str
    figures: list[FigureOut]


class ChamomileOut(Schema):
    month: str = Field(description="YYYY-MM")
    as_of: date
    petals: list[PetalOut]


class MonthFilter(Schema):
    month: str | None = Field(None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; the current month by default.")


def _month(value: str | None) -> date:
    if value:
        try:
            return datetime.strptime(value, "%Y-%m").date()
        except ValueError as error:
            raise Http404("no such month") from error
    return timezone.localdate().replace(day=1)


def _petals_out(petals: list[selectors.PetalHealth]) -> list[dict]:
    return [
        {
            "petal": p.petal.value, "label": str(p.petal.label), "health": p.health,
            "figures": [
                {"key": f.figure.key, "label": str(f.figure.label), "definition": str(f.figure.definition),
                 "unit": f.figure.unit.value, "higher_is_better": f.figure.higher_is_better,
                 "has_data": f.figure.has_provider, "value": f.value, "previous": f.previous, "trend": f.trend,
                 "target": f.target, "health": f.health}
                for f in p.figures
            ],
        }
        for p in petals
    ]


@router.get("/chamomile", response={200: ChamomileOut, **READ_ERRORS}, summary="Every visible petal's health")
def chamomile_get(request, filters: Query[MonthFilter]):
    """The figures of every petal the role sees, with the owner's targets and the trend since the previous month.

    A franchise partner gets its own locations' figures and no targets (they are the network's)."""
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    today = timezone.localdate()
    month = _month(filters.month)
    petals = selectors.chamomile(scope=scope, month=month, today=today)
    return {"month": f"{month:%Y-%m}", "as_of": selectors.period_as_of(month, today), "petals": _petals_out(petals)}


class SummaryMonthOut(Schema):
    month: str
    petals: dict[str, str] = Field(description="petal → health that month")
    behind: list[str] = Field(description="Keys of the figures behind their targets.")


@router.get("/chamomile/summary", response={200: list[SummaryMonthOut], **READ_ERRORS},
            summary="Which petals were behind, month by month")
def chamomile_summary(request, filters: Query[MonthFilter], months: int = Query(12, ge=1, le=24)):
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    today = timezone.localdate()
    rows = selectors.monthly_summary(scope=scope, until=_month(filters.month), months=months, today=today)
    return [
        {"month": f"{row.month:%Y-%m}", "petals": {p.petal.value: p.health for p in row.petals},
         "behind": [f.figure.key for p in row.petals for f in p.behind]}
        for row in rows
    ]


class TargetsOut(Schema):
    month: str
    targets: dict[str, Decimal] = Field(description="figure → target in force (set that month or earlier)")


class TargetsIn(Schema):
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM: the targets hold from this month on.")
    values: dict[str, Decimal | None] = Field(description="figure → target; null removes that month's target.")


@router.get("/chamomile/targets", response={200: TargetsOut, **READ_ERRORS}, summary="Targets in force")
def targets_get(request, filters: Query[MonthFilter]):
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    month = _month(filters.month)
    return {"month": f"{month:%Y-%m}",
            "targets": selectors.targets_in_force(organisation_id=scope.organisation_id, month=month)}


@router.put("/chamomile/targets", response={200: TargetsOut, **WRITE_ERRORS}, summary="Set targets (the owner)")
def targets_put(request, payload: TargetsIn):
    month = _month(payload.month)
    petal_targets_set(user=request.user, month=month, values=payload.values)
    scope = require(request.user, Capability.MANAGE_SETTINGS)
    return {"month": f"{month:%Y-%m}",
            "targets": selectors.targets_in_force(organisation_id=scope.organisation_id, month=month)}


class FigureDefinitionOut(Schema):
    key: str
    petal: str
    label: str
    definition: str
    unit: str
    higher_is_better: bool
    has_data: bool


@router.get("/chamomile/figures", response={200: list[FigureDefinitionOut], **READ_ERRORS},
            summary="The health figures and their definitions")
def figures_list(request):
    require(request.user, Capability.VIEW_DASHBOARD)
    return [{"key": f.key, "petal": f.petal.value, "label": str(f.label), "definition": str(f.definition),
             "unit": f.unit.value, "higher_is_better": f.higher_is_better, "has_data": f.has_provider}
            for f in FIGURES.values()]


def _suppliers_scope(request):
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    if Petal.SUPPLIERS not in petals_visible(scope):
        raise PermissionDenied("the role does not see suppliers")
    return scope


class SupplierTurnoverOut(Schema):
    supplier_id: int
    name: str
    orders: int
    volume: Decimal = Field(description="Orders in the twelve months to today, ₽.")
    volume_before: Decimal
    growth: Decimal | None = Field(description="Per cent; null when nothing was ordered the year before.")
    share: Decimal | None = Field(description="Per cent of the visible orders of the twelve months.")


@router.get("/suppliers/turnover", response={200: list[SupplierTurnoverOut], **READ_ERRORS},
            summary="Every supplier's orders, year on year")
def suppliers_turnover(request):
    scope = _suppliers_scope(request)
    return [s.__dict__ for s in selectors.supplier_turnovers(scope=scope, as_of=timezone.localdate())]


class SupplierYearOut(Schema):
    year: int
    total: Decimal
    growth: Decimal | None
    months: dict[int, Decimal] = Field(description="calendar month (1–12) → orders")


class SupplierReportOut(Schema):
    supplier_id: int
    name: str
    years: list[SupplierYearOut]


@router.get("/suppliers/{supplier_id}/turnover", response={200: SupplierReportOut, **ONE_ERRORS},
            summary="One supplier's orders by month and year")
def supplier_turnover(request, supplier_id: int):
    scope = _suppliers_scope(request)
    supplier = Party.objects.filter(organisation_id=scope.organisation_id, pk=supplier_id,
                                    roles__kind__in=[PartyKind.SUPPLIER, PartyKind.BUSINESS_PARTNER]).first()
    if supplier is None:
        raise Http404("supplier not found")
    report = selectors.supplier_monthly(scope=scope, supplier_id=supplier.pk, as_of=timezone.localdate())
    return {"supplier_id": supplier.pk, "name": supplier.name, "years": [
        {"year": y, "total": report.yearly[y], "growth": report.yearly_growth[y], "months": report.volume[y]}
        for y in report.years]}


class InvestorReturnOut(Schema):
    investor_id: int | None = Field(description="null: all investors together")
    name: str
    invested: Decimal
    paid_out: Decimal
    roi: Decimal | None = Field(description="Per cent, cash on cash.")
    irr: Decimal | None = Field(description="Per cent a year (XIRR of the dated flows); null when none exists.")
    first_investment: date | None


class InvestorReturnsOut(Schema):
    investors: list[InvestorReturnOut]
    overall: InvestorReturnOut


@router.get("/investors/returns", response={200: InvestorReturnsOut, **READ_ERRORS},
            summary="Invested, paid out, ROI and IRR per investor and overall")
def investors_returns(request):
    scope = require(request.user, Capability.VIEW_PARTNERS)
    if not scope.sees_all_locations:
        raise PermissionDenied("investors are the whole network's")
    rows, overall = selectors.investor_returns(organisation_id=scope.organisation_id, as_of=timezone.localdate())
    return {"investors": [r.__dict__ for r in rows], "overall": overall.__dict__}


class InitiativeOut(Schema):
    id: int
    title: str
    held_on: date
    kind: str
    location_id: int | None
    reach: int
    cost: Decimal
    link: str
    description: str
    partners: list[str]
    photo_url: str | None = Field(description="The photo (signed-in users of roles that see the community).")

    @staticmethod
    def resolve_partners(initiative) -> list[str]:
        return [p.name for p in initiative.partners.all()]

    @staticmethod
    def resolve_photo_url(initiative) -> str | None:
        from django.urls import reverse

        return reverse("chamomile_initiative_photo", args=[initiative.pk]) if initiative.photo else None


@router.get("/community/initiatives", response={200: list[InitiativeOut], **READ_ERRORS},
            summary="Community initiatives, newest first")
@paginate(Page)
def initiatives_list(request):
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    return selectors.initiatives_visible(scope).prefetch_related("partners")


class CommunityYearOut(Schema):
    year: int
    held: int
    reach: int
    cost: Decimal
    by_kind: dict[str, int]


@router.get("/community/yearly", response={200: list[CommunityYearOut], **READ_ERRORS},
            summary="Initiatives, reach and cost by year")
def community_yearly(request):
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    return [y.__dict__ for y in selectors.community_yearly(scope=scope)]


class PartnerFiguresOut(Schema):
    statuses: dict[str, int | None]
    active: Decimal | None
    fan_share: Decimal | None
    revenue: Decimal | None
    growth: Decimal | None
    headcount: Decimal | None
    turnover: Decimal | None
    royalties_on_time: Decimal | None


class CabinetOut(Schema):
    partner_id: int
    name: str
    as_of: date
    own: PartnerFiguresOut
    network_median: PartnerFiguresOut = Field(description="Medians over all franchise partners; no names.")
    partners_in_network: int
    surveys: dict[str, dict[str, Decimal | None]] = Field(
        description="eNPS and partner satisfaction: {figure: {own, median}}; both null while not collected.")


@router.get("/franchise/cabinet", response={200: CabinetOut, **ONE_ERRORS},
            summary="A franchise partner's figures against the network's medians")
def franchise_cabinet(request, filters: Query[MonthFilter], partner_id: int | None = None):
    """A partner's user gets its own cabinet (no partner_id needed); the network's roles pass partner_id."""
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    partner = selectors.cabinet_partner(scope=scope, user=request.user, partner_id=partner_id)
    today = timezone.localdate()
    as_of = selectors.period_as_of(_month(filters.month), today)
    figures = selectors.partners_figures(organisation_id=scope.organisation_id, as_of=as_of)
    medians = selectors.network_medians(figures)
    own = figures.get(partner.pk)
    own_out = {"statuses": own.statuses, "active": own.active, "fan_share": own.fan_share, "revenue": own.revenue,
               "growth": own.growth, "headcount": own.headcount, "turnover": own.turnover,
               "royalties_on_time": own.royalties_on_time} if own else {
        "statuses": {}, "active": None, "fan_share": None, "revenue": None, "growth": None, "headcount": None,
        "turnover": None, "royalties_on_time": None}
    median_out = {key: medians[key] for key in ("active", "fan_share", "revenue", "growth", "headcount", "turnover",
                                                "royalties_on_time")}
    median_out["statuses"] = {key[len("status_"):]: medians[key] for key in medians if key.startswith("status_")}
    surveys = {p.figure.key: {"own": p.own, "median": p.median} for p in selectors.partner_provided_figures(
        organisation_id=scope.organisation_id, partner_id=partner.pk, as_of=as_of)}
    return {"partner_id": partner.pk, "name": partner.name, "as_of": as_of, "own": own_out,
            "network_median": median_out, "partners_in_network": len(figures), "surveys": surveys}


class PartnerRevenueOut(Schema):
    partner_id: int
    name: str
    locations: int
    revenue: Decimal
    revenue_before: Decimal
    growth: Decimal | None
    royalties_on_time: Decimal | None = Field(description="Per cent of the twelve months' royalty payments due.")


@router.get("/franchise/partners", response={200: list[PartnerRevenueOut], **READ_ERRORS},
            summary="Every franchise partner's revenue, year on year (the network's roles)")
def franchise_partners(request):
    scope = require(request.user, Capability.VIEW_PARTNERS)
    if not scope.sees_all_locations:
        raise PermissionDenied("only the network's roles see every partner")
    return [r.__dict__ for r in selectors.partner_revenues(organisation_id=scope.organisation_id,
                                                           as_of=timezone.localdate())]


class PetalTableOut(Schema):
    petal: str
    as_of: date
    columns: list[str]
    rows: list[list[str | int | Decimal | None]] = Field(
        description="The breakdown under the petal's figures, as on its page and in its export; dates ISO.")


def _cell(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


@router.get("/chamomile/{petal}/table", response={200: PetalTableOut, **ONE_ERRORS},
            summary="A petal's breakdown: guests by status, staff by location, partners, suppliers, investors, initiatives")
def petal_table(request, petal: str, filters: Query[MonthFilter]):
    """The same rows as the petal's page and export. A franchise partner gets its own locations' rows and no
    table of the franchise partners (it sees the network only as medians, in its cabinet)."""
    scope = require(request.user, Capability.VIEW_DASHBOARD)
    try:
        chosen = Petal(petal)
    except ValueError as error:
        raise Http404("no such petal") from error
    if chosen not in petals_visible(scope) or (chosen == Petal.FRANCHISE and is_partner_scope(scope)):
        raise PermissionDenied("the role does not see this petal's table")
    as_of = selectors.period_as_of(_month(filters.month), timezone.localdate())
    columns, rows = selectors.petal_table(scope, chosen, as_of)
    return {"petal": chosen.value, "as_of": as_of, "columns": columns,
            "rows": [[_cell(value) for value in row] for row in rows]}
