"""Reads of the chamomile: every petal's health figures (set-based, a query or two each) and the petals' breakdowns."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.utils.translation import gettext_lazy as _

from romashka.chamomile import facts
from romashka.chamomile.figures import (
    FIGURES,
    PROVIDER_QUERIES_PER_MONTH,
    Figure,
    FigureContext,
    Petal,
    Unit,
    figure_register,
    petal_figures,
    petals_visible,
)
from romashka.chamomile.models import (
    CommunityInitiative,
    Investment,
    Payout,
    PetalTarget,
    RoyaltyPayment,
    SupplierOrder,
)
from romashka.core.access import Scope, in_scope
from romashka.core.choices import Ownership, PartyKind
from romashka.core.models import Employee, Location, Party, PartyRole
from romashka.engine.finance import roi, xirr
from romashka.path.choices import Status
from romashka.path.models import StatusEvent

HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")


# ─── periods ──────────────────────────────────────────────────────────────────────────────────────────

def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def months_before(month: date, count: int) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - count, 12)
    return date(year, index + 1, 1)


def year_window(as_of: date) -> tuple[date, date]:
    """The twelve months ending on as_of: (first day, as_of); the year before is year_window(first − 1)."""
    return as_of - timedelta(days=364), as_of


def _ratio(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _percent(numerator, denominator) -> Decimal | None:
    share = _ratio(numerator, denominator)
    return None if share is None else (share * HUNDRED).quantize(Decimal("0.01"))


def growth_percent(current, previous) -> Decimal | None:
    """(current − previous) / previous in per cent; None when there was nothing the year before."""
    if not previous:
        return None
    return _percent(Decimal(current or 0) - Decimal(previous), previous)


def _parties_of_kind(organisation_id: int, *kinds: str) -> list[tuple[int, str]]:
    """(id, name) of the organisation's parties of those kinds by name, read from the roles' (kind, party) index."""
    rows = (PartyRole.objects.filter(kind__in=kinds, party__organisation_id=organisation_id).order_by()
            .values_list("party_id", "party__name").distinct())
    return sorted(set(rows), key=lambda row: (row[1], row[0]))


# ─── the facts ────────────────────────────────────────────────────────────────────────────────────────

def two_windows(as_of: date) -> tuple[tuple[date, date], tuple[date, date]]:
    """The twelve months to as_of and the twelve before them."""
    start, end = year_window(as_of)
    return (start, end), year_window(start - timedelta(days=1))


def _facts(ctx: FigureContext) -> facts.FactsState:
    return ctx.once_per_page("facts_state", lambda: facts.facts_state(ctx.organisation_id))


# ─── guests ───────────────────────────────────────────────────────────────────────────────────────────

def guest_status_counts(scope: Scope, on: date, state: facts.FactsState | None = None) -> dict[str, int]:
    """The scope's guests by their status on a date: from the facts when they hold the day, else from the events."""
    state = state or facts.facts_state(scope.organisation_id)
    counts = facts.guest_status_counts(state, location_ids=scope.location_ids, on=on)
    return counts if counts is not None else guest_status_counts_from_events(scope, on)


def guest_status_counts_from_events(scope: Scope, on: date) -> dict[str, int]:
    """The scope's guests by their status on a date read from the status events, one query.

    PostgreSQL sums the moves of the events up to the day (each event takes a client from `from_status`
    to `to_status`, as path.selectors.status_counts_by_month does): one scan, where a probe per guest
    takes seconds. SQLite probes the (party, changed_on) index per guest, which it does faster than it
    scans; both give the same counts (tests/chamomile compare them on the demo).
    """
    if connection.vendor == "postgresql":
        return guest_status_counts_by_moves(scope, on)
    return guest_status_counts_by_last_event(scope, on)


def guest_status_counts_by_moves(scope: Scope, on: date) -> dict[str, int]:
    events = StatusEvent.objects.filter(organisation_id=scope.organisation_id, changed_on__lte=on,
                                        party__roles__kind=PartyKind.GUEST)
    if scope.location_ids is not None:
        events = events.filter(party__home_location_id__in=scope.location_ids)
    counts = {status.value: 0 for status in Status}
    for row in events.order_by().values("from_status", "to_status").annotate(clients=Count("pk")):
        counts[row["to_status"]] += row["clients"]
        if row["from_status"]:
            counts[row["from_status"]] -= row["clients"]
    return counts


def guest_status_counts_by_last_event(scope: Scope, on: date) -> dict[str, int]:
    """The scope's guests by their status on a date (the last status event on or before it), one query."""
    last = StatusEvent.objects.filter(party_id=OuterRef("pk"), changed_on__lte=on).order_by("-changed_on")
    guests = in_scope(
        Party.objects.filter(organisation_id=scope.organisation_id, roles__kind=PartyKind.GUEST), scope,
        "home_location_id",
    )
    rows = (
        guests.annotate(status=Subquery(last.values("to_status")[:1]))
        .filter(status__isnull=False).order_by().values("status").annotate(clients=Count("pk"))
    )
    counts = {status.value: 0 for status in Status}
    for row in rows:
        counts[row["status"]] += row["clients"]
    return counts


def _guest_counts(ctx: FigureContext) -> dict[str, int]:
    return ctx.once("guest_status_counts", lambda: guest_status_counts(ctx.scope, ctx.as_of, _facts(ctx)))


def active_clients(ctx: FigureContext) -> Decimal:
    counts = _guest_counts(ctx)
    return Decimal(counts[Status.NOVICE] + counts[Status.FAN])


def fan_share(ctx: FigureContext) -> Decimal | None:
    counts = _guest_counts(ctx)
    return _percent(counts[Status.FAN], counts[Status.NOVICE] + counts[Status.FAN])


# ─── employees ────────────────────────────────────────────────────────────────────────────────────────

def _staff(scope: Scope):
    return in_scope(Employee.objects.filter(party__organisation_id=scope.organisation_id), scope, "location_id")


def _employed_on(day: date) -> Q:
    return Q(hired_on__lte=day) & (Q(left_on__isnull=True) | Q(left_on__gt=day))


def staff_turnover(ctx: FigureContext) -> Decimal | None:
    """Exits over the twelve months / the mean of the headcounts at their start and end, in per cent."""
    start, end = year_window(ctx.as_of)
    day_before = start - timedelta(days=1)
    totals = _staff(ctx.scope).aggregate(
        exits=Count("pk", filter=Q(left_on__gte=start, left_on__lte=end)),
        at_start=Count("pk", filter=_employed_on(day_before)),
        at_end=Count("pk", filter=_employed_on(end)),
    )
    mean_headcount = Decimal(totals["at_start"] + totals["at_end"]) / 2
    return _percent(totals["exits"], mean_headcount)


def staff_tenure(ctx: FigureContext) -> Decimal | None:
    """The median time the staff employed on the day have worked, in months."""
    hired = list(_staff(ctx.scope).filter(_employed_on(ctx.as_of)).values_list("hired_on", flat=True))
    if not hired:
        return None
    median_days = statistics.median((ctx.as_of - day).days for day in hired)
    return (Decimal(median_days) / Decimal("30.4375")).quantize(Decimal("0.1"))


def headcount(ctx: FigureContext) -> Decimal:
    return Decimal(_staff(ctx.scope).filter(_employed_on(ctx.as_of)).count())


# ─── franchise partners ───────────────────────────────────────────────────────────────────────────────

def _franchise_locations(ctx: FigureContext) -> list[int]:
    return ctx.once_per_page("franchise_locations", lambda: list(
        in_scope(Location.objects.filter(organisation_id=ctx.organisation_id, ownership=Ownership.FRANCHISE),
                 ctx.scope, "id").values_list("pk", flat=True)))


def _franchise_years(ctx: FigureContext) -> tuple[Decimal, Decimal]:
    return ctx.once("franchise_years", lambda: facts.revenue_two_years(
        _facts(ctx), location_ids=_franchise_locations(ctx), windows=two_windows(ctx.as_of)))


def franchise_revenue(ctx: FigureContext) -> Decimal:
    return _franchise_years(ctx)[0]


def franchise_growth(ctx: FigureContext) -> Decimal | None:
    return growth_percent(*_franchise_years(ctx))


def royalties_visible(scope: Scope):
    """The royalty payments of the scope's franchise partners (a partner's: its own)."""
    payments = RoyaltyPayment.objects.filter(organisation_id=scope.organisation_id)
    if scope.location_ids is None:
        return payments
    return payments.filter(partner_id__in=Location.objects.filter(pk__in=scope.location_ids).values("partner_id"))


def _on_time_counts(queryset, as_of: date):
    start, end = year_window(as_of)
    return queryset.filter(due_on__gte=start, due_on__lte=end).order_by(), {
        "due": Count("pk"), "on_time": Count("pk", filter=Q(paid_on__isnull=False, paid_on__lte=F("due_on")))}


def royalties_on_time(ctx: FigureContext) -> Decimal | None:
    """Payments due in the twelve months to the day paid by their due date, per cent; None when none were due."""
    def compute():
        payments, counts = _on_time_counts(royalties_visible(ctx.scope), ctx.as_of)
        row = payments.aggregate(**counts)
        return _percent(row["on_time"], row["due"])

    return ctx.once("royalties_on_time", compute)


def royalties_on_time_by_partner(*, organisation_id: int, as_of: date) -> dict[int, Decimal | None]:
    """Each franchise partner's royalties paid on time over the twelve months, per cent; one query."""
    payments, counts = _on_time_counts(RoyaltyPayment.objects.filter(organisation_id=organisation_id), as_of)
    return {row["partner_id"]: _percent(row["on_time"], row["due"])
            for row in payments.values("partner_id").annotate(**counts)}


@dataclass(frozen=True)
class PartnerRevenue:
    partner_id: int
    name: str
    locations: int
    revenue: Decimal  # the twelve months to as_of
    revenue_before: Decimal  # the twelve months before
    growth: Decimal | None
    royalties_on_time: Decimal | None  # per cent of the twelve months' payments due


def partner_revenues(*, organisation_id: int, as_of: date,
                     state: facts.FactsState | None = None) -> list[PartnerRevenue]:
    """Every franchise partner of the organisation (also one without locations): revenue of its locations.

    Internal to the network's view and to the medians; a partner's page shows only its own row by name.
    Five small queries: the locations, the partners, the facts' revenue (and the purchases newer than them),
    the royalties.
    """
    partner_of = dict(Location.objects.filter(organisation_id=organisation_id, partner__isnull=False)
                      .values_list("pk", "partner_id"))
    by_location = facts.revenue_two_years(state or facts.facts_state(organisation_id), location_ids=list(partner_of),
                                          windows=two_windows(as_of), by_location=True)
    royalties = royalties_on_time_by_partner(organisation_id=organisation_id, as_of=as_of)
    result = []
    for partner_id, name in _parties_of_kind(organisation_id, PartyKind.FRANCHISE_PARTNER):
        locations = [loc for loc, partner in partner_of.items() if partner == partner_id]
        current = sum((by_location.get(loc, (ZERO, ZERO))[0] for loc in locations), ZERO)
        previous = sum((by_location.get(loc, (ZERO, ZERO))[1] for loc in locations), ZERO)
        result.append(PartnerRevenue(partner_id, name, len(locations), current, previous,
                                     growth_percent(current, previous), royalties.get(partner_id)))
    return result


def median_or_none(values) -> Decimal | None:
    values = [Decimal(v) for v in values if v is not None]
    if not values:
        return None
    return Decimal(statistics.median(values)).quantize(Decimal("0.01"))


# ─── suppliers ────────────────────────────────────────────────────────────────────────────────────────

def _orders(scope: Scope):
    return in_scope(SupplierOrder.objects.filter(organisation_id=scope.organisation_id), scope, "location_id")


def _order_years(ctx: FigureContext) -> list[tuple[Decimal, Decimal]]:
    """(this year, the year before) of each supplier with the scope's orders in the two years: one query."""
    (start, end), (before_start, before_end) = two_windows(ctx.as_of)

    def compute():
        rows = (_orders(ctx.scope).filter(ordered_on__gte=before_start, ordered_on__lte=end).order_by()
                .values("supplier_id").annotate(current=Sum("amount", filter=Q(ordered_on__gte=start)),
                                                previous=Sum("amount", filter=Q(ordered_on__lte=before_end))))
        # SQLite sums decimals as floats: back to kopecks.
        return [(Decimal(row["current"] or 0).quantize(CENT), Decimal(row["previous"] or 0).quantize(CENT))
                for row in rows]

    return ctx.once("order_years", compute)


def supplier_volume(ctx: FigureContext) -> Decimal:
    return sum((current for current, _previous in _order_years(ctx)), ZERO)


def supplier_growth(ctx: FigureContext) -> Decimal | None:
    return growth_percent(supplier_volume(ctx), sum((previous for _current, previous in _order_years(ctx)), ZERO))


def supplier_top3_share(ctx: FigureContext) -> Decimal | None:
    """The three largest suppliers' share of the twelve months' orders, in per cent (dependence on few)."""
    amounts = sorted((current for current, _previous in _order_years(ctx)), reverse=True)
    return _percent(sum(amounts[:3], ZERO), sum(amounts, ZERO))


@dataclass(frozen=True)
class SupplierTurnover:
    supplier_id: int
    name: str
    orders: int  # count in the twelve months
    volume: Decimal
    volume_before: Decimal
    growth: Decimal | None
    share: Decimal | None  # of the scope's orders in the twelve months, per cent


def supplier_turnovers(*, scope: Scope, as_of: date) -> list[SupplierTurnover]:
    """Every supplier and business partner with the scope's orders over two years, largest first; two queries."""
    start, end = year_window(as_of)
    before_start, before_end = year_window(start - timedelta(days=1))
    rows = {
        row["supplier_id"]: row
        for row in _orders(scope).filter(ordered_on__gte=before_start, ordered_on__lte=end).order_by()
        .values("supplier_id")
        .annotate(current=Sum("amount", filter=Q(ordered_on__gte=start)),
                  previous=Sum("amount", filter=Q(ordered_on__lte=before_end)),
                  count=Count("pk", filter=Q(ordered_on__gte=start)))
    }
    suppliers = _parties_of_kind(scope.organisation_id, PartyKind.SUPPLIER, PartyKind.BUSINESS_PARTNER)
    total = sum((row["current"] or ZERO for row in rows.values()), ZERO)
    result = []
    for supplier_id, name in suppliers:
        row = rows.get(supplier_id, {})
        current, previous = row.get("current") or ZERO, row.get("previous") or ZERO
        result.append(SupplierTurnover(supplier_id, name, row.get("count") or 0, current, previous,
                                       growth_percent(current, previous), _percent(current, total)))
    return sorted(result, key=lambda s: (-s.volume, s.name))


@dataclass(frozen=True)
class SupplierMonthly:
    years: list[int]
    months: list[int]  # 1..12
    volume: dict[int, dict[int, Decimal]]  # year → month → amount
    yearly: dict[int, Decimal]
    yearly_growth: dict[int, Decimal | None]
    by_location: list[tuple[str, Decimal, Decimal, Decimal | None]]  # name, this year, last year, growth

    @property
    def last_twelve_months(self) -> Decimal:
        return sum((current for _name, current, _before, _growth in self.by_location), ZERO)


def supplier_monthly(*, scope: Scope, supplier_id: int, as_of: date) -> SupplierMonthly:
    """One supplier's orders from the scope by calendar month and year up to as_of, and by location (two queries)."""
    orders = _orders(scope).filter(supplier_id=supplier_id, ordered_on__lte=as_of)
    from django.db.models.functions import ExtractMonth, ExtractYear

    rows = (orders.annotate(year=ExtractYear("ordered_on"), month=ExtractMonth("ordered_on")).order_by()
            .values("year", "month").annotate(total=Sum("amount")))
    volume: dict[int, dict[int, Decimal]] = {}
    for row in rows:
        volume.setdefault(row["year"], {})[row["month"]] = row["total"]
    years = sorted(volume)
    yearly = {year: sum(volume[year].values(), ZERO) for year in years}
    yearly_growth = {year: growth_percent(yearly[year], yearly.get(year - 1)) for year in years}
    start, end = year_window(as_of)
    before_start, before_end = year_window(start - timedelta(days=1))
    by_location = [
        (row["location__name"] or "—", row["current"] or ZERO, row["previous"] or ZERO,
         growth_percent(row["current"] or ZERO, row["previous"] or ZERO))
        for row in orders.filter(ordered_on__gte=before_start).order_by("location__name")
        .values("location__name")
        .annotate(current=Sum("amount", filter=Q(ordered_on__gte=start)),
                  previous=Sum("amount", filter=Q(ordered_on__lte=before_end)))
    ]
    return SupplierMonthly(years, list(range(1, 13)), volume, yearly, yearly_growth, by_location)


# ─── investors ────────────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class InvestorReturn:
    investor_id: int | None  # None: the whole network
    name: str
    invested: Decimal
    paid_out: Decimal
    roi: Decimal | None  # per cent
    irr: Decimal | None  # per cent a year
    first_investment: date | None


def _return(investor_id, name, flows: list[tuple[date, Decimal]]) -> InvestorReturn:
    invested = sum((-amount for _day, amount in flows if amount < 0), ZERO)
    paid = sum((amount for _day, amount in flows if amount > 0), ZERO)
    ratio = roi(invested=float(invested), paid_out=float(paid))
    rate = xirr([(day, float(amount)) for day, amount in flows]) if flows else None
    first = min((day for day, amount in flows if amount < 0), default=None)
    return InvestorReturn(
        investor_id, name, invested, paid,
        None if ratio is None else Decimal(ratio * 100).quantize(Decimal("0.01")),
        None if rate is None else Decimal(rate * 100).quantize(Decimal("0.01")),
        first,
    )


def investor_flows(organisation_id: int) -> tuple[list[tuple[int, str]], dict[int, list[tuple[date, Decimal]]]]:
    """The investors by name and each one's dated flows (investments negative, payouts positive): three queries."""
    investors = _parties_of_kind(organisation_id, PartyKind.INVESTOR)
    flows: dict[int, list[tuple[date, Decimal]]] = {pk: [] for pk, _name in investors}
    for investor_id, day, amount in Investment.objects.filter(organisation_id=organisation_id).values_list(
            "investor_id", "invested_on", "amount"):
        flows.setdefault(investor_id, []).append((day, -amount))
    for investor_id, day, amount in Payout.objects.filter(organisation_id=organisation_id).values_list(
            "investor_id", "paid_on", "amount"):
        flows.setdefault(investor_id, []).append((day, amount))
    return investors, flows


def investor_returns(*, organisation_id: int, as_of: date, flows=None) -> tuple[list[InvestorReturn], InvestorReturn]:
    """Per investor and overall: invested, paid out, ROI (cash on cash) and IRR of the dated flows up to as_of.

    Three queries (none when given investor_flows). Money invested is an outflow of the investor, a payout
    an inflow; no valuation of the stake is assumed, so the IRR is what the payouts alone returned.
    """
    investors, all_flows = flows or investor_flows(organisation_id)
    until = {pk: sorted(flow for flow in all_flows[pk] if flow[0] <= as_of) for pk, _name in investors}
    rows = [_return(pk, name, until[pk]) for pk, name in investors]
    overall = _return(None, str(_("All investors")), sorted(flow for pk, _name in investors for flow in until[pk]))
    return rows, overall


def _overall_return(ctx: FigureContext) -> InvestorReturn:
    flows = ctx.once_per_page("investor_flows", lambda: investor_flows(ctx.organisation_id))
    return ctx.once("investor_returns", lambda: investor_returns(
        organisation_id=ctx.organisation_id, as_of=ctx.as_of, flows=flows)[1])


def invested_total(ctx: FigureContext) -> Decimal:
    return _overall_return(ctx).invested


def paid_out_total(ctx: FigureContext) -> Decimal:
    return _overall_return(ctx).paid_out


def investors_roi(ctx: FigureContext) -> Decimal | None:
    return _overall_return(ctx).roi


def investors_irr(ctx: FigureContext) -> Decimal | None:
    return _overall_return(ctx).irr


# ─── community ────────────────────────────────────────────────────────────────────────────────────────

def initiatives_visible(scope: Scope):
    """The organisation's initiatives, newest first; a scope of some locations sees those held at them."""
    initiatives = CommunityInitiative.objects.filter(organisation_id=scope.organisation_id).order_by("-held_on", "-pk")
    if scope.sees_all_locations:
        return initiatives
    return initiatives.filter(location_id__in=scope.location_ids)


def _community_year(ctx: FigureContext) -> dict:
    start, end = year_window(ctx.as_of)
    return ctx.once("community_year", lambda: initiatives_visible(ctx.scope).filter(
        held_on__gte=start, held_on__lte=end).aggregate(held=Count("pk"), reach=Sum("reach"), cost=Sum("cost")))


def initiatives_held(ctx: FigureContext) -> Decimal:
    return Decimal(_community_year(ctx)["held"])


def community_reach(ctx: FigureContext) -> Decimal:
    return Decimal(_community_year(ctx)["reach"] or 0)


def community_cost(ctx: FigureContext) -> Decimal:
    return _community_year(ctx)["cost"] or ZERO


@dataclass(frozen=True)
class CommunityYear:
    year: int
    held: int
    reach: int
    cost: Decimal
    by_kind: dict[str, int]

    @property
    def cost_per_person(self) -> Decimal | None:
        return (self.cost / self.reach).quantize(CENT) if self.reach else None


def community_yearly(*, scope: Scope) -> list[CommunityYear]:
    """Initiatives by year, newest first: how many, reach, cost, and how many of each kind (one query)."""
    from django.db.models.functions import ExtractYear

    rows = (initiatives_visible(scope).annotate(year=ExtractYear("held_on")).order_by()
            .values("year", "kind").annotate(held=Count("pk"), reach=Sum("reach"), cost=Sum("cost")))
    years: dict[int, dict] = {}
    for row in rows:
        year = years.setdefault(row["year"], {"held": 0, "reach": 0, "cost": ZERO, "by_kind": {}})
        year["held"] += row["held"]
        year["reach"] += row["reach"] or 0
        year["cost"] += row["cost"] or ZERO
        year["by_kind"][row["kind"]] = row["held"]
    return [CommunityYear(year, **values) for year, values in sorted(years.items(), reverse=True)]


# ─── the registry ─────────────────────────────────────────────────────────────────────────────────────

for _figure in [
    Figure("active_clients", Petal.GUESTS, _("Active clients"),
           _("Guests whose status on the day is novice or fan (bought within the purchase cycle)."),
           Unit.CLIENTS, compute=active_clients),
    Figure("fan_share", Petal.GUESTS, _("Share of fans"),
           _("Fans among the active clients (novices and fans) on the day."), Unit.PERCENT, compute=fan_share),
    Figure("client_nps", Petal.GUESTS, _("Client NPS"),
           _("Net promoter score of the clients' survey answers in the month: promoters − detractors, per cent."),
           Unit.SCORE, missing=_("No data yet: appears when client surveys (NPS) are collected.")),
    Figure("enps", Petal.EMPLOYEES, _("eNPS"),
           _("Employee net promoter score of the month's pulse survey: promoters − detractors, per cent."),
           Unit.SCORE, missing=_("No data yet: appears when employee pulse surveys (eNPS) are collected.")),
    Figure("staff_turnover", Petal.EMPLOYEES, _("Staff turnover"),
           _("Employees who left in the twelve months to the day, per cent of the mean headcount at the start and the end."),
           Unit.PERCENT, higher_is_better=False, compute=staff_turnover),
    Figure("staff_tenure", Petal.EMPLOYEES, _("Median tenure"),
           _("The median time the staff employed on the day have worked, in months."), Unit.MONTHS,
           compute=staff_tenure),
    Figure("franchise_revenue", Petal.FRANCHISE, _("Franchise revenue"),
           _("Purchases at franchise partners' locations in the twelve months to the day, refunds included."),
           Unit.ROUBLES, compute=franchise_revenue),
    Figure("franchise_growth", Petal.FRANCHISE, _("Franchise revenue growth"),
           _("Franchise locations' revenue of the twelve months against the twelve before, per cent."),
           Unit.PERCENT, compute=franchise_growth),
    Figure("partner_satisfaction", Petal.FRANCHISE, _("Partner satisfaction"),
           _("The franchise partners' satisfaction survey score of the month."), Unit.SCORE,
           missing=_("No data yet: appears when partner satisfaction surveys are collected.")),
    Figure("royalties_on_time", Petal.FRANCHISE, _("Royalties paid on time"),
           _("Share of royalty payments due in the twelve months that arrived by their due date."), Unit.PERCENT,
           compute=royalties_on_time),
    Figure("supplier_volume", Petal.SUPPLIERS, _("Order volume"),
           _("Orders the network gave its suppliers and business partners in the twelve months to the day."),
           Unit.ROUBLES, compute=supplier_volume),
    Figure("supplier_growth", Petal.SUPPLIERS, _("Order volume year on year"),
           _("The twelve months' orders against the twelve before, per cent."), Unit.PERCENT,
           compute=supplier_growth),
    Figure("supplier_top3_share", Petal.SUPPLIERS, _("Share of the three largest suppliers"),
           _("The three largest suppliers' share of the twelve months' orders, per cent: how much the network depends on few."),
           Unit.PERCENT, higher_is_better=False, compute=supplier_top3_share),
    Figure("delivery_quality", Petal.SUPPLIERS, _("Delivery quality rating"),
           _("The locations' rating of deliveries (on time, complete, quality)."), Unit.SCORE,
           missing=_("No data yet: delivery ratings are not recorded in Romashka.")),
    Figure("invested", Petal.INVESTORS, _("Invested"),
           _("All the investors' money received up to the day."), Unit.ROUBLES, compute=invested_total),
    Figure("paid_out", Petal.INVESTORS, _("Paid out"),
           _("All payouts to investors up to the day."), Unit.ROUBLES, compute=paid_out_total),
    Figure("investors_roi", Petal.INVESTORS, _("ROI"),
           _("(paid out − invested) / invested, per cent, cash on cash: the stake itself is not valued."),
           Unit.PERCENT, compute=investors_roi),
    Figure("investors_irr", Petal.INVESTORS, _("IRR"),
           _("The annual rate at which the dated investments and payouts up to the day net to zero (XIRR), per cent."),
           Unit.PERCENT, compute=investors_irr),
    Figure("initiatives_held", Petal.COMMUNITY, _("Initiatives held"),
           _("Community initiatives (forums, city events, foundation programmes) in the twelve months to the day."),
           Unit.COUNT, compute=initiatives_held),
    Figure("community_reach", Petal.COMMUNITY, _("Reach"),
           _("People the twelve months' initiatives reached."), Unit.PEOPLE, compute=community_reach),
    Figure("community_cost", Petal.COMMUNITY, _("Cost of initiatives"),
           _("What the twelve months' initiatives cost; a target is a budget not to exceed."), Unit.ROUBLES,
           higher_is_better=False, compute=community_cost),
]:
    figure_register(_figure)


# ─── health against targets ───────────────────────────────────────────────────────────────────────────

AHEAD, BEHIND, NO_TARGET, NO_DATA = "ahead", "behind", "no_target", "no_data"


@dataclass(frozen=True)
class FigureHealth:
    figure: Figure
    value: Decimal | None
    previous: Decimal | None  # at the end of the previous month
    target: Decimal | None
    health: str

    @property
    def trend(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def trend_is_good(self) -> bool | None:
        trend = self.trend
        if not trend:
            return None
        return (trend > 0) == self.figure.higher_is_better


@dataclass(frozen=True)
class PetalHealth:
    petal: Petal
    figures: list[FigureHealth]

    @property
    def health(self) -> str:
        """Behind when any figure with a target is behind; ahead when every figure with a target is ahead."""
        states = {f.health for f in self.figures}
        if BEHIND in states:
            return BEHIND
        if AHEAD in states:
            return AHEAD
        if all(f.value is None for f in self.figures):
            return NO_DATA
        return NO_TARGET

    @property
    def behind(self) -> list[FigureHealth]:
        return [f for f in self.figures if f.health == BEHIND]


def figure_health(figure: Figure, value: Decimal | None, target: Decimal | None) -> str:
    if value is None:
        return NO_DATA
    if target is None:
        return NO_TARGET
    met = value >= target if figure.higher_is_better else value <= target
    return AHEAD if met else BEHIND


def targets_in_force(*, organisation_id: int, month: date) -> dict[str, Decimal]:
    """Each figure's target for the month: the latest set for that month or an earlier one (a target holds until changed)."""
    rows = (PetalTarget.objects.filter(organisation_id=organisation_id, month__lte=month_start(month))
            .order_by("figure", "-month").values_list("figure", "value"))
    targets: dict[str, Decimal] = {}
    for key, value in rows:
        targets.setdefault(key, value)
    return targets


def period_as_of(month: date, today: date) -> date:
    """The day a month's figures are taken on: its last day, or today while the month runs."""
    return min(month_end(month), today)


def chamomile(*, scope: Scope, month: date, today: date, petals: list[Petal] | None = None,
              common: dict | None = None) -> list[PetalHealth]:
    """Every visible petal's figures for the month with targets and the previous month's values.

    A franchise partner's chamomile has no targets (targets are the network's) and shows its own figures.
    Queries: one for the targets and one or two per figure and month, independent of the data's size.
    """
    from romashka.chamomile.figures import is_partner_scope

    as_of = period_as_of(month, today)
    previous_as_of = month_start(month) - timedelta(days=1)
    targets = {} if is_partner_scope(scope) else targets_in_force(organisation_id=scope.organisation_id, month=month)
    # The facts' state, the scope's locations, the investors' flows: read once for both months (and for
    # every month of a summary that passes its own).
    common = {} if common is None else common
    now_ctx = FigureContext(scope, as_of, common=common)
    before_ctx = FigureContext(scope, previous_as_of, common=common)
    result = []
    for petal in petals if petals is not None else petals_visible(scope):
        figures = []
        for figure in petal_figures(petal):
            value = figure.compute(now_ctx) if figure.compute else None
            previous = figure.compute(before_ctx) if figure.compute else None
            target = targets.get(figure.key)
            figures.append(FigureHealth(figure, value, previous, target, figure_health(figure, value, target)))
        result.append(PetalHealth(petal, figures))
    return result


@dataclass(frozen=True)
class MonthSummary:
    month: date
    petals: list[PetalHealth]

    @property
    def behind(self) -> list[PetalHealth]:
        return [p for p in self.petals if p.health == BEHIND]


def monthly_summary(*, scope: Scope, until: date, months: int, today: date) -> list[MonthSummary]:
    """The last `months` months, newest first: each petal's health against the targets in force then."""
    last = month_start(until)
    common: dict = {}
    return [
        MonthSummary(months_before(last, back),
                     chamomile(scope=scope, month=months_before(last, back), today=today, common=common))
        for back in range(months)
    ]


# The chamomile page's own queries at most, whatever the data's size: the session, the user and the role,
# the targets, the facts' state (three index probes), every own figure for two months (the guests from the
# facts; the franchise revenue reads the purchases newer than the facts as well when there are any), the
# organisation. Another app's figures add PROVIDER_QUERIES_PER_MONTH each per month.
PAGE_QUERIES = 28


def page_query_bound() -> int:
    provided = sum(1 for figure in FIGURES.values() if figure.provided)
    return PAGE_QUERIES + 2 * PROVIDER_QUERIES_PER_MONTH * provided


def figure_keys_with_provider() -> list[str]:
    return [key for key, figure in FIGURES.items() if figure.has_provider]



# ─── the franchise partner's cabinet ──────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class PartnerFigures:
    partner_id: int
    statuses: dict[str, int]
    active: int
    fan_share: Decimal | None
    revenue: Decimal
    growth: Decimal | None
    headcount: int
    exits: int
    turnover: Decimal | None
    royalties_on_time: Decimal | None


def partners_figures(*, organisation_id: int, as_of: date) -> dict[int, PartnerFigures]:
    """Each franchise partner's clients by status, revenue, staff and turnover, grouped in four queries.

    For the cabinet: one partner's row is shown by name to that partner, the others only as medians.
    """
    state = facts.facts_state(organisation_id)
    statuses = facts.guest_status_counts(state, location_ids=None, on=as_of, by_partner=True)
    if statuses is None:
        statuses = _partner_statuses_from_events(organisation_id, as_of)
    start, end = year_window(as_of)
    day_before = start - timedelta(days=1)
    staff = {
        row["location__partner_id"]: row
        for row in Employee.objects.filter(party__organisation_id=organisation_id, location__partner__isnull=False)
        .order_by().values("location__partner_id")
        .annotate(exits=Count("pk", filter=Q(left_on__gte=start, left_on__lte=end)),
                  at_start=Count("pk", filter=_employed_on(day_before)),
                  at_end=Count("pk", filter=_employed_on(end)))
    }
    result = {}
    for revenue in partner_revenues(organisation_id=organisation_id, as_of=as_of, state=state):
        counts = statuses.get(revenue.partner_id, {s.value: 0 for s in Status})
        active = counts[Status.NOVICE] + counts[Status.FAN]
        team = staff.get(revenue.partner_id, {"exits": 0, "at_start": 0, "at_end": 0})
        result[revenue.partner_id] = PartnerFigures(
            revenue.partner_id, counts, active, _percent(counts[Status.FAN], active), revenue.revenue,
            revenue.growth, team["at_end"], team["exits"],
            _percent(team["exits"], Decimal(team["at_start"] + team["at_end"]) / 2), revenue.royalties_on_time,
        )
    return result


def _partner_statuses_from_events(organisation_id: int, as_of: date) -> dict[int, dict[str, int]]:
    last = StatusEvent.objects.filter(party_id=OuterRef("pk"), changed_on__lte=as_of).order_by("-changed_on")
    rows = (
        Party.objects.filter(organisation_id=organisation_id, roles__kind=PartyKind.GUEST,
                             home_location__partner__isnull=False)
        .annotate(status=Subquery(last.values("to_status")[:1])).filter(status__isnull=False).order_by()
        .values("home_location__partner_id", "status").annotate(clients=Count("pk"))
    )
    statuses: dict[int, dict[str, int]] = {}
    for row in rows:
        statuses.setdefault(row["home_location__partner_id"], {s.value: 0 for s in Status})[row["status"]] = row["clients"]
    return statuses


def network_medians(figures: dict[int, PartnerFigures]) -> dict[str, Decimal | None]:
    """The median over the franchise partners of each cabinet figure (names never leave this function)."""
    rows = list(figures.values())
    return {
        "active": median_or_none([r.active for r in rows]),
        "fan_share": median_or_none([r.fan_share for r in rows]),
        "revenue": median_or_none([r.revenue for r in rows]),
        "growth": median_or_none([r.growth for r in rows]),
        "headcount": median_or_none([r.headcount for r in rows]),
        "turnover": median_or_none([r.turnover for r in rows]),
        "royalties_on_time": median_or_none([r.royalties_on_time for r in rows]),
        **{f"status_{s.value}": median_or_none([r.statuses[s.value] for r in rows]) for s in Status},
        "partners": Decimal(len(rows)),
    }


# The cabinet's figures another app provides (the surveys), each partner's own beside the network's median.
CABINET_PROVIDED = ("enps", "partner_satisfaction")


@dataclass(frozen=True)
class ProvidedFigure:
    figure: Figure
    own: Decimal | None
    median: Decimal | None


def partner_provided_figures(*, organisation_id: int, partner_id: int, as_of: date) -> list[ProvidedFigure]:
    """eNPS and partner satisfaction of the partner's locations and their median over the franchise partners.

    Each computed in a franchise partner's scope of that partner's locations (one provider call per partner);
    a figure without a provider has neither.
    """
    from romashka.core.access import ROLE_CAPABILITIES
    from romashka.core.choices import Role

    locations: dict[int, set[int]] = {}
    for location_id, owner in Location.objects.filter(organisation_id=organisation_id,
                                                      partner__isnull=False).values_list("pk", "partner_id"):
        locations.setdefault(owner, set()).add(location_id)
    partners = [pk for pk, _name in _parties_of_kind(organisation_id, PartyKind.FRANCHISE_PARTNER)]
    result = []
    for key in CABINET_PROVIDED:
        figure = FIGURES[key]
        if figure.compute is None:
            result.append(ProvidedFigure(figure, None, None))
            continue
        values = {pk: figure.compute(FigureContext(
            Scope(organisation_id, Role.FRANCHISE_PARTNER, frozenset(locations.get(pk, ())),
                  ROLE_CAPABILITIES[Role.FRANCHISE_PARTNER]), as_of)) for pk in partners}
        result.append(ProvidedFigure(figure, values.get(partner_id), median_or_none(values.values())))
    return result


def cabinet_partner(*, scope: Scope, user, partner_id: int | None) -> Party:
    """Whose cabinet: a franchise partner's user gets its own (any other id is 404); the network's roles name one."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from romashka.chamomile.figures import is_partner_scope
    from romashka.core.access import Capability

    if is_partner_scope(scope):
        own = Party.objects.filter(membership__user=user).first()
        if own is None:
            raise PermissionDenied("the user has no franchise partner")
        if partner_id is not None and partner_id != own.pk:
            raise Http404("partner not found")
        return own
    if not scope.can(Capability.VIEW_PARTNERS) or partner_id is None:
        raise PermissionDenied("only the network's roles open a partner's cabinet")
    partner = Party.objects.filter(organisation_id=scope.organisation_id, pk=partner_id,
                                   roles__kind=PartyKind.FRANCHISE_PARTNER).first()
    if partner is None:
        raise Http404("partner not found")
    return partner


# ─── the petals' tables ───────────────────────────────────────────────────────────────────────────────

def staff_by_location(scope: Scope, as_of: date) -> list[dict]:
    start, end = year_window(as_of)
    rows = (
        in_scope(Employee.objects.filter(party__organisation_id=scope.organisation_id), scope, "location_id")
        .order_by().values("location__name")
        .annotate(headcount=Count("pk", filter=_employed_on(end)),
                  exits=Count("pk", filter=Q(left_on__gte=start, left_on__lte=end)))
        .order_by("location__name")
    )
    return [{"name": row["location__name"] or str(_("Office")), "headcount": row["headcount"], "exits": row["exits"]}
            for row in rows]


def petal_table(scope: Scope, petal: Petal, as_of: date) -> tuple[list[str], list[list]]:
    """The breakdown under a petal's figures as (columns, rows): its page's table, its export and its API."""
    if petal == Petal.GUESTS:
        counts = guest_status_counts(scope, as_of)
        return ["status", "clients"], [[s.value, counts[s.value]] for s in Status]
    if petal == Petal.EMPLOYEES:
        return ["location", "headcount", "left_in_12_months"], [
            [row["name"], row["headcount"], row["exits"]] for row in staff_by_location(scope, as_of)]
    if petal == Petal.FRANCHISE:
        return ["partner_id", "partner", "locations", "revenue_12_months", "revenue_12_months_before", "growth_percent",
                "royalties_on_time_percent"], [
            [r.partner_id, r.name, r.locations, r.revenue, r.revenue_before, r.growth, r.royalties_on_time]
            for r in partner_revenues(organisation_id=scope.organisation_id, as_of=as_of)]
    if petal == Petal.SUPPLIERS:
        return ["supplier_id", "supplier", "orders", "volume_12_months", "volume_12_months_before", "growth_percent",
                "share_percent"], [
            [s.supplier_id, s.name, s.orders, s.volume, s.volume_before, s.growth, s.share]
            for s in supplier_turnovers(scope=scope, as_of=as_of)]
    if petal == Petal.INVESTORS:
        rows, overall = investor_returns(organisation_id=scope.organisation_id, as_of=as_of)
        return ["investor_id", "investor", "first_investment", "invested", "paid_out", "roi_percent", "irr_percent"], [
            [r.investor_id or "", r.name, r.first_investment, r.invested, r.paid_out, r.roi, r.irr]
            for r in [*rows, overall]]
    initiatives = initiatives_visible(scope)
    return ["date", "title", "kind", "location", "reach", "cost", "partners", "link"], [
        [i.held_on, i.title, i.kind, i.location.name if i.location else "", i.reach, i.cost,
         ", ".join(p.name for p in i.partners.all()), i.link]
        for i in initiatives.select_related("location").prefetch_related("partners").order_by("-held_on")]
