"""Reads of discovery: who is in a segment, who is not our client, and the figures behind the pages."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.http import Http404
from django.utils import timezone

from romashka.core.access import Capability, clients_visible, require
from romashka.core.choices import PartyForm, PartyKind
from romashka.core.models import Party
from romashka.discovery.choices import RFM_CELL_COLOURS, NotOursReason, RfmCell, SegmentField
from romashka.discovery.models import (
    CategoryCost,
    ClientCategory,
    CommitteeMember,
    CompanyProfile,
    Interview,
    Job,
    NotOurClient,
    Product,
    RfmBounds,
    Segment,
    SegmentCondition,
)
from romashka.path.choices import Status
from romashka.path.models import Purchase, StatusSnapshot


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _band_q(column: str, condition: SegmentCondition, *, whole: bool) -> Q:
    """from ≤ value ≤ to for whole numbers, from ≤ value < to for money; an open end is no bound."""
    q = Q()
    if condition.min_value is not None:
        q &= Q(**{f"{column}__gte": condition.min_value})
    if condition.max_value is not None:
        q &= Q(**{f"{column}__{'lte' if whole else 'lt'}": condition.max_value})
    return q


# Characteristics that are a party's column (or a column next to it): the condition lists the values.
VALUE_COLUMNS = {
    SegmentField.CITY: "city",
    SegmentField.LOCATION: "home_location__code",
    SegmentField.GENDER: "gender",
    SegmentField.ACQUISITION_CHANNEL: "acquisition_channel",
    SegmentField.FORM: "form",
    SegmentField.STATUS: "status_snapshot__status",
    SegmentField.INDUSTRY: "company_profile__industry",
    SegmentField.COMPANY_SIZE: "company_profile__size",
}


def _bought(categories, organisation_id: int | None = None) -> Q:
    """The party bought (a positive receipt line) in one of the product categories.

    With `organisation_id`, as the set of those buyers (one pass over the organisation's purchases, for a
    question about every client at once); without, as a probe of each party's purchases (for a few parties).
    """
    if organisation_id is not None:
        return Q(pk__in=Purchase.objects.filter(organisation_id=organisation_id, category__in=categories,
                                                amount__gt=0).values("party_id"))
    return Q(Exists(Purchase.objects.filter(party_id=OuterRef("pk"), category__in=categories, amount__gt=0)))


def _condition_q(condition: SegmentCondition, as_of: date, buyers_of: int | None = None) -> Q:
    values = condition.value_list
    field = condition.field
    if field in VALUE_COLUMNS:
        return Q(**{f"{VALUE_COLUMNS[field]}__in": values})
    if field == SegmentField.CATEGORY:
        return _bought(values, buyers_of)
    if field == SegmentField.AGE:
        # Age a ≥ from ⇔ born on or before as_of − from years; a ≤ to ⇔ born after as_of − (to + 1) years.
        q = Q(birthday__isnull=False)
        if condition.min_value is not None:
            q &= Q(birthday__lte=years_before(as_of, int(condition.min_value)))
        if condition.max_value is not None:
            q &= Q(birthday__gt=years_before(as_of, int(condition.max_value) + 1))
        return q
    if field == SegmentField.PURCHASE_DAYS:
        return _band_q("status_snapshot__purchase_days", condition, whole=True)
    if field == SegmentField.REVENUE:
        return Q(status_snapshot__isnull=False) & _band_q("status_snapshot__monetary", condition, whole=False)
    if field == SegmentField.AVERAGE_TICKET:
        # Revenue per purchase day within [from, to), written without a division: from × days ≤ revenue < to × days.
        days = F("status_snapshot__purchase_days")
        q = Q(status_snapshot__purchase_days__gt=0)
        if condition.min_value is not None:
            q &= Q(status_snapshot__monetary__gte=days * Value(Decimal(condition.min_value)))
        if condition.max_value is not None:
            q &= Q(status_snapshot__monetary__lt=days * Value(Decimal(condition.max_value)))
        return q
    raise ValueError(f"unknown segment field {field!r}")


def segment_q(*, segment: Segment, as_of: date | None = None, whole_base: bool = False) -> Q:
    """The Q over Party that holds for the segment's clients: every condition at once.

    `whole_base`: the Q will be asked of (nearly) every client, so a product category is read as the set of its
    buyers in one pass over the purchases rather than a probe of each client's purchases.
    """
    as_of = as_of or timezone.localdate()
    q = Q()
    # A product category reads purchases: last, so that the database (SQLite reads the conditions in order)
    # tries it only on the clients the other conditions leave.
    for condition in sorted(segment.conditions.all(), key=lambda c: c.field == SegmentField.CATEGORY):
        q &= _condition_q(condition, as_of, segment.organisation_id if whole_base else None)
    return q


def guests_of(organisation_id: int) -> QuerySet[Party]:
    return Party.objects.filter(organisation_id=organisation_id, roles__kind=PartyKind.GUEST)


def segment_parties(*, segment: Segment, as_of: date | None = None) -> QuerySet[Party]:
    """The organisation's clients (guests) in the segment, unscoped: the caller narrows it to what a user sees.

    Party attributes are read as they are now, purchase figures (status, revenue, purchase days, ticket)
    from the last status refresh, ages on `as_of` (today by default). Usable as a subquery:
    `Party.objects.filter(pk__in=segment_parties(segment=s).values("pk"))`.
    """
    return guests_of(segment.organisation_id).filter(segment_q(segment=segment, as_of=as_of))


def segment_party_ids(*, segment: Segment, as_of: date | None = None) -> set[int]:
    return set(segment_parties(segment=segment, as_of=as_of).values_list("pk", flat=True))


def not_ours_q(*, organisation_id: int, as_of: date | None = None) -> Q:
    """The Q over Party for those marked not ours, one by one or through a marked segment; Q(pk__in=[]) if none."""
    marks = NotOurClient.objects.filter(organisation_id=organisation_id)
    q = Q(pk__in=marks.filter(party__isnull=False).values("party_id"))
    segments = Segment.objects.filter(pk__in=marks.filter(segment__isnull=False).values("segment_id"))
    for segment in segments.prefetch_related("conditions"):
        q |= Q(organisation_id=organisation_id) & segment_q(segment=segment, as_of=as_of)
    return q


def not_ours_parties(*, organisation_id: int, as_of: date | None = None) -> QuerySet[Party]:
    """Every party of the organisation that is not our client; usable as a subquery (`.values("pk")`)."""
    return Party.objects.filter(organisation_id=organisation_id).filter(
        not_ours_q(organisation_id=organisation_id, as_of=as_of)
    )


def not_ours_party_ids(*, organisation_id: int, as_of: date | None = None) -> set[int]:
    return set(not_ours_parties(organisation_id=organisation_id, as_of=as_of).values_list("pk", flat=True))


def committee_roles_of(*, company_ids: set[int]) -> dict[int, set[str]]:
    """The committee roles each company has a member in."""
    roles: dict[int, set[str]] = {}
    ids = sorted(company_ids)
    for start in range(0, len(ids), 900):
        for company_id, role in CommitteeMember.objects.filter(company_id__in=ids[start:start + 900]).values_list(
                "company_id", "role"):
            roles.setdefault(company_id, set()).add(role)
    return roles


def committee_recipients(*, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(company, role) → the member a message for that role goes to (the first by name when several)."""
    if not pairs:
        return {}
    recipients: dict[tuple[int, str], int] = {}
    members = CommitteeMember.objects.filter(company_id__in={c for c, _r in pairs}, role__in={r for _c, r in pairs})
    for company_id, role, person_id in members.order_by("person__name", "pk").values_list(
            "company_id", "role", "person_id"):
        if (company_id, role) in pairs:
            recipients.setdefault((company_id, role), person_id)
    return recipients


# ---------------------------------------------------------------- what a user sees


def segments_visible(user) -> QuerySet[Segment]:
    scope = require(user, Capability.VIEW_DISCOVERY)
    return Segment.objects.filter(organisation_id=scope.organisation_id).prefetch_related("conditions")


def access_segment(user, segment_id: int) -> Segment:
    segment = segments_visible(user).filter(pk=segment_id).first()
    if segment is None:
        raise Http404("segment not found")
    return segment


def discovery_clients(user, segment: Segment | None = None) -> QuerySet[Party]:
    """The clients a discovery page counts: those the user sees, of the segment when one is chosen."""
    require(user, Capability.VIEW_DISCOVERY)
    clients = clients_visible(user)
    return clients.filter(segment_q(segment=segment)) if segment is not None else clients


def party_segments(*, user, party_id: int) -> list[Segment]:
    """The saved segments one client (already access-checked by the caller) belongs to now, by name.

    One query whatever the number of segments: an EXISTS per segment over the one party.
    """
    segments = list(segments_visible(user).order_by("name", "pk"))
    if not segments:
        return []
    flags = {f"in_{segment.pk}": Exists(segment_parties(segment=segment).filter(pk=OuterRef("pk")))
             for segment in segments}
    row = Party.objects.filter(pk=party_id).annotate(**flags).values(*flags).first()
    return [segment for segment in segments if row and row[f"in_{segment.pk}"]]


def party_interviews(*, user, party_id: int) -> QuerySet[Interview]:
    """One client's recorded interviews, newest first, with the job and the interviewer."""
    return interviews_visible(user).filter(party_id=party_id).select_related("job", "interviewer")


def figures_as_of(organisation_id: int) -> date:
    """The day the purchase figures are of: the last status refresh (today before any)."""
    latest = StatusSnapshot.objects.filter(organisation_id=organisation_id).aggregate(day=Max("as_of"))["day"]
    return latest or timezone.localdate()


# ---------------------------------------------------------------- segment figures


@dataclass(frozen=True)
class SegmentFigures:
    segment: Segment | None  # None: every client the user sees
    clients: int
    revenue: Decimal
    revenue_share: float | None
    average_ticket: Decimal | None  # revenue per purchase day
    frequency: float | None  # purchase days per client
    retention: float | None  # of those who bought in the cycle before the last, the share who bought in the last
    fan_share: float | None
    profit: Decimal | None  # of the revenue whose cost is known; None when no purchase of the segment has one
    profit_coverage: float | None  # the share of the revenue that profit is counted on (1: all of it)


CENT = Decimal("0.01")
SUMS = ("clients", "revenue", "days", "fans", "active_before", "retained", "costed_revenue", "cost")


def _membership(segment: Segment):
    """The segment's conditions as one boolean column of a client row."""
    q = segment_q(segment=segment)
    return ExpressionWrapper(q, output_field=BooleanField()) if q else Value(True, output_field=BooleanField())


def _grouped_figures(clients: QuerySet[Party], segments: list[Segment]) -> list[dict]:
    """The clients' sums grouped by which segments each is in: one query for every segment at once.

    Each client row gets one true/false column per segment, worked out once (a materialised CTE: grouped
    directly, SQLite evaluated every condition twice, once for the group key); grouping by them gives a row per
    combination that occurs (a few dozen), whose sums add up to each segment's figures. Retention and costs
    come from the client's ClientFigures of the last refresh, not from probes of its purchases.
    """
    def flag(q: Q) -> ExpressionWrapper:
        return ExpressionWrapper(q, output_field=BooleanField())

    flags = {f"in_{segment.pk}": _membership(segment) for segment in segments}
    figures = {"f_revenue": F("status_snapshot__monetary"), "f_days": F("status_snapshot__purchase_days"),
               "f_fan": flag(Q(status_snapshot__status=Status.FAN)),
               "f_before": flag(Q(discovery_figures__bought_cycle_before=True)),
               "f_retained": flag(Q(discovery_figures__bought_cycle_before=True,
                                    discovery_figures__bought_last_cycle=True)),
               "f_costed": F("discovery_figures__costed_revenue"), "f_cost": F("discovery_figures__cost")}
    inner = clients.annotate(**flags, **figures).order_by().values(*flags, *figures)
    sql, params = inner.query.sql_with_params()
    keys = ", ".join(connection.ops.quote_name(name) for name in flags)

    def count(name: str) -> str:
        return f"SUM(CASE WHEN {name} THEN 1 ELSE 0 END)"

    # Only the ORM's own SQL (values stay parameters) and column names made of segment ids go in.
    group = f" GROUP BY {keys}" if keys else ""
    selected = f"{keys}, " if keys else ""
    outer = (
        f"WITH clients AS MATERIALIZED ({sql}) SELECT {selected}COUNT(*), SUM(f_revenue), "  # noqa: S608
        f"SUM(f_days), {count('f_fan')}, {count('f_before')}, {count('f_retained')}, SUM(f_costed), "
        f"SUM(f_cost), COUNT(f_costed) FROM clients{group}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner's cost estimate for the subqueries switches JIT compilation on, which took a
            # second for a query that runs in half of one; off for this transaction only.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(outer, params)
        names = [*flags, *SUMS, "costed_clients"]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _summed(rows: list[dict], flag: str | None) -> dict:
    inside = [row for row in rows if flag is None or row[flag]]
    return {name: sum((row[name] or 0 for row in inside), 0) for name in SUMS} | {
        "has_cost": any(row["costed_clients"] for row in inside)}


def _ratio(part, whole) -> float | None:
    return float(part) / float(whole) if whole else None


def _money(value) -> Decimal:
    # SQLite sums decimals as floats: back to kopecks.
    return Decimal(str(value)).quantize(CENT)


def segment_table(*, user) -> list[SegmentFigures]:
    """Every segment side by side with all the user's clients first; figures from the last status refresh.

    Profit is revenue less cost where the cost is known (discovery.services.client_costs_refresh: the purchases
    of categories with a cost share); `profit_coverage` says which share of the revenue that is. A segment none
    of whose purchases has a known cost has no profit (None), not a profit of zero.
    """
    require(user, Capability.VIEW_DISCOVERY)
    segments = list(segments_visible(user))
    grouped = _grouped_figures(discovery_clients(user), segments)
    rows: list[SegmentFigures] = []
    total_revenue: Decimal | None = None
    for segment in [None, *segments]:
        f = _summed(grouped, f"in_{segment.pk}" if segment else None)
        revenue = _money(f["revenue"])
        if segment is None:
            total_revenue = revenue
        costed = _money(f["costed_revenue"])
        coverage = None
        if f["has_cost"] and revenue > 0:
            coverage = min(1.0, float(costed) / float(revenue))
        rows.append(SegmentFigures(
            segment=segment, clients=f["clients"], revenue=revenue,
            revenue_share=_ratio(revenue, total_revenue),
            average_ticket=(revenue / f["days"]).quantize(CENT) if f["days"] else None,
            frequency=_ratio(f["days"] or 0, f["clients"]),
            retention=_ratio(f["retained"], f["active_before"]),
            fan_share=_ratio(f["fans"], f["clients"]),
            profit=costed - _money(f["cost"]) if f["has_cost"] else None,
            profit_coverage=coverage,
        ))
    return rows


# ---------------------------------------------------------------- RFM and Pareto


def _figures_arrow(clients: QuerySet[Party]):
    from romashka.engine.discovery import figures_table

    rows = list(clients.filter(status_snapshot__purchase_days__gt=0).values_list(
        "pk", "status_snapshot__recency_days", "status_snapshot__purchase_days", "status_snapshot__monetary"))
    columns = list(zip(*rows, strict=True)) if rows else [[], [], [], []]
    return figures_table(*columns)


def _run(expr):
    from romashka.engine.lifecycle import duckdb_backend

    return duckdb_backend(threads=1).to_pyarrow(expr)


@dataclass(frozen=True)
class RfmGrid:
    """The 5 × 5 grid of recency (rows, 5 = most recent) and frequency scores; the named cells' totals; and
    the value ranges each score covers, so a cell is a plain filter on the clients' figures."""

    cells: dict[tuple[int, int], dict]  # (r, f) → customers, revenue, cell
    by_bounds: bool  # the business's own bounds, not quintiles
    named: list[dict]  # name, label, colour, customers, revenue, revenue_share
    customers: int
    revenue: Decimal
    recency_ranges: dict[int, tuple[int, int]]
    frequency_ranges: dict[int, tuple[int, int]]


def rfm_bounds_of(organisation_id: int):
    """The organisation's bounds for the engine (engine.discovery.RfmBounds), or None: quintiles."""
    from romashka.discovery.services import bounds_parse
    from romashka.engine.discovery import RfmBounds as EngineBounds

    own = RfmBounds.objects.filter(organisation_id=organisation_id).first()
    if own is None:
        return None
    parsed = {name: bounds_parse(getattr(own, name)) for name in ("recency_days", "frequency", "monetary")}
    if not any(parsed.values()):
        return None
    return EngineBounds(**{name: tuple(float(n) for n in value) if value else None for name, value in parsed.items()})


def rfm_grid(*, user, segment: Segment | None = None) -> RfmGrid:
    import ibis

    from romashka.engine.discovery import CELLS, rfm_scores_expr

    bounds = rfm_bounds_of(require(user, Capability.VIEW_DISCOVERY).organisation_id)
    scores = rfm_scores_expr(ibis.memtable(_figures_arrow(discovery_clients(user, segment))), bounds=bounds)
    table = _run(scores.group_by(["r_score", "f_score", "cell"]).aggregate(
        customers=scores.count(), revenue=scores.monetary.sum(),
        recency_min=scores.recency_days.min(), recency_max=scores.recency_days.max(),
        frequency_min=scores.frequency.min(), frequency_max=scores.frequency.max(),
    )).to_pylist()
    cells = {(row["r_score"], row["f_score"]): row for row in table}
    recency: dict[int, tuple[int, int]] = {}
    frequency: dict[int, tuple[int, int]] = {}
    for row in table:
        low, high = recency.get(row["r_score"], (row["recency_min"], row["recency_max"]))
        recency[row["r_score"]] = (min(low, row["recency_min"]), max(high, row["recency_max"]))
        low, high = frequency.get(row["f_score"], (row["frequency_min"], row["frequency_max"]))
        frequency[row["f_score"]] = (min(low, row["frequency_min"]), max(high, row["frequency_max"]))
    customers = sum(row["customers"] for row in table)
    revenue = sum((row["revenue"] for row in table), Decimal(0))
    named = []
    for name, _rs, _fs in CELLS:
        inside = [row for row in table if row["cell"] == name]
        cell_revenue = sum((row["revenue"] for row in inside), Decimal(0))
        named.append({"name": name, "label": RfmCell(name).label, "colour": RFM_CELL_COLOURS[name],
                      "customers": sum(row["customers"] for row in inside), "revenue": cell_revenue,
                      "revenue_share": _ratio(cell_revenue, revenue)})
    return RfmGrid(cells=cells, by_bounds=bounds is not None, named=named, customers=customers, revenue=revenue, recency_ranges=recency,
                   frequency_ranges=frequency)


def rfm_cell_clients(*, user, grid: RfmGrid, cell: str | None = None, r: int | None = None,
                     f: int | None = None, segment: Segment | None = None) -> QuerySet[Party]:
    """The clients of a named cell, or of one (R, F) square: a filter on recency and purchase days."""
    from romashka.engine.discovery import CELL_OF

    if cell is not None:
        pairs = [pair for pair, name in CELL_OF.items() if name == cell]
    elif r is not None and f is not None:
        pairs = [(r, f)]
    else:
        raise ValueError("a cell name or both scores")
    q = Q(pk__in=[])
    for r_score, f_score in pairs:
        if r_score not in grid.recency_ranges or f_score not in grid.frequency_ranges:
            continue
        (r_low, r_high), (f_low, f_high) = grid.recency_ranges[r_score], grid.frequency_ranges[f_score]
        q |= Q(status_snapshot__recency_days__gte=r_low, status_snapshot__recency_days__lte=r_high,
               status_snapshot__purchase_days__gte=f_low, status_snapshot__purchase_days__lte=f_high)
    return discovery_clients(user, segment).filter(status_snapshot__purchase_days__gt=0).filter(q)


@dataclass(frozen=True)
class Pareto:
    curve: list[tuple[float, float]]  # (client share, revenue share) from (0, 0)
    clients: int
    top_clients: int | None  # the fewest clients who bring `revenue_share` of the revenue
    share: float | None
    revenue_share: float


def pareto(*, user, segment: Segment | None = None, revenue_share: float = 0.8) -> Pareto:
    import ibis

    from romashka.engine.discovery import pareto_expr

    figures = ibis.memtable(_figures_arrow(discovery_clients(user, segment)))
    curve = _run(pareto_expr(figures, revenue_share=revenue_share)).to_pylist()
    clients = curve[0]["clients"] if curve else 0
    top = curve[0]["top_clients"] if curve else None
    return Pareto(curve=[(0.0, 0.0)] + [(row["client_share"], row["revenue_share"]) for row in curve],
                  clients=clients, top_clients=top, share=_ratio(top or 0, clients), revenue_share=revenue_share)


def top_clients(*, user, segment: Segment | None = None) -> QuerySet[Party]:
    return (discovery_clients(user, segment).filter(status_snapshot__monetary__gt=0)
            .select_related("status_snapshot", "home_location").order_by("-status_snapshot__monetary", "pk"))


# ---------------------------------------------------------------- interviews


def interviews_visible(user) -> QuerySet[Interview]:
    """Interviews with the clients the user sees."""
    scope = require(user, Capability.VIEW_DISCOVERY)
    return Interview.objects.filter(organisation_id=scope.organisation_id,
                                    party__in=clients_visible(user).values("pk"))


@dataclass(frozen=True)
class InterviewSummary:
    segment: Segment | None
    interviews: int
    jobs: list[tuple[str, int]]  # most frequent first
    missing: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    competitors: list[tuple[str, int]]
    answered_pay: int  # how many answered the question about paying more
    pays_more: int
    pays_more_share: float | None
    average_extra: Decimal | None  # among those who would pay more and said how much


def _frequent(texts, top: int) -> list[tuple[str, int]]:
    """Comma-separated answers counted item by item, case and outer spaces ignored; each shown in its most
    frequent spelling (of equals, the first in alphabetical order, capitals first)."""
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        for item in (part.strip() for part in (text or "").split(",")):
            if item:
                spellings.setdefault(item.casefold(), Counter())[item] += 1
    counted = [(min(seen.items(), key=lambda kv: (-kv[1], kv[0]))[0], sum(seen.values()))
               for seen in spellings.values()]
    return sorted(counted, key=lambda pair: (-pair[1], pair[0]))[:top]


def interview_summary(*, interviews: QuerySet[Interview], segment: Segment | None = None,
                      top: int = 5) -> InterviewSummary:
    rows = list(interviews.values_list("job__name", "job_text", "missing", "channels", "competitors", "pays_more",
                                       "pays_more_amount"))
    jobs = _frequent(((job or text or "").replace(",", " ") for job, text, *_rest in rows), top)
    answered = [row for row in rows if row[5] is not None]
    yes = [row for row in answered if row[5]]
    amounts = [row[6] for row in yes if row[6] is not None]
    return InterviewSummary(
        segment=segment, interviews=len(rows), jobs=jobs,
        missing=_frequent((row[2] for row in rows), top), channels=_frequent((row[3] for row in rows), top),
        competitors=_frequent((row[4] for row in rows), top), answered_pay=len(answered), pays_more=len(yes),
        pays_more_share=_ratio(len(yes), len(answered)),
        average_extra=(sum(amounts, Decimal(0)) / len(amounts)).quantize(Decimal("0.01")) if amounts else None,
    )


def interview_summaries(*, user) -> list[InterviewSummary]:
    """All the user's interviews, then one summary per segment (its clients' interviews)."""
    visible = interviews_visible(user)
    summaries = [interview_summary(interviews=visible)]
    for segment in segments_visible(user):
        inside = visible.filter(party__in=segment_parties(segment=segment).values("pk"))
        summaries.append(interview_summary(interviews=inside, segment=segment))
    return summaries


RECENT_INTERVIEW_DAYS = 180


def interview_suggestions(*, user, segment: Segment | None = None, today: date | None = None,
                          limit: int = 20) -> QuerySet[Party]:
    """Whom to interview: clients of the segment with good relations — fans, and NPS promoters (whose latest
    client NPS answer is 9 or 10) — not interviewed in the last half year, most purchase days first."""
    from romashka.feedback.choices import SurveyKind
    from romashka.feedback.models import Answer
    from romashka.feedback.selectors import PROMOTER_MIN

    today = today or timezone.localdate()
    recent = Interview.objects.filter(party_id=OuterRef("pk"),
                                      interviewed_on__gt=today - timedelta(days=RECENT_INTERVIEW_DAYS))
    latest_score = (Answer.objects.filter(party_id=OuterRef("pk"), kind=SurveyKind.CLIENT, score__isnull=False)
                    .order_by("-answered_on", "-pk").values("score")[:1])
    return (discovery_clients(user, segment).annotate(latest_nps=Subquery(latest_score))
            .filter(Q(status_snapshot__status=Status.FAN) | Q(latest_nps__gte=PROMOTER_MIN))
            .exclude(Exists(recent)).exclude(pk__in=not_ours_parties(organisation_id=require(
                user, Capability.VIEW_DISCOVERY).organisation_id).values("pk"))
            .select_related("status_snapshot", "home_location")
            .order_by(F("status_snapshot__purchase_days").desc(nulls_last=True),
                      F("status_snapshot__last_purchase").desc(nulls_last=True), "pk")[:limit])


# ---------------------------------------------------------------- products, jobs, B2B


def buyers_by_category(*, user) -> dict[str, set[int]]:
    """The clients the user sees who bought (a positive line) in each product category: one pass over the
    purchases, so a page counting several categories' buyers does not probe them per client and category."""
    scope = require(user, Capability.VIEW_DISCOVERY)
    pairs = (Purchase.objects.filter(organisation_id=scope.organisation_id, amount__gt=0).exclude(category="")
             .values_list("category", "party_id").distinct())
    visible = None if scope.sees_all_locations else set(clients_visible(user).values_list("pk", flat=True))
    buyers: dict[str, set[int]] = {}
    for category, party_id in pairs.iterator(chunk_size=20_000):
        if visible is None or party_id in visible:
            buyers.setdefault(category, set()).add(party_id)
    return buyers


def _matched(buyers: dict[str, set[int]], links) -> int:
    """How many clients bought in any purchase category of the linked products."""
    categories = {link.product.purchase_category for link in links if link.product.purchase_category}
    return len(set().union(*(buyers.get(category, set()) for category in categories)))


def job_map(*, user, buyers: dict[str, set[int]] | None = None) -> list[dict]:
    """For each job: the products that solve it (for which categories), the categories' segments and the
    clients matched to them by what they bought, and how often interviews named the job."""
    scope = require(user, Capability.VIEW_DISCOVERY)
    jobs = Job.objects.filter(organisation_id=scope.organisation_id).prefetch_related(
        "product_links__product", "product_links__category__segment")
    interviews = dict(interviews_visible(user).filter(job__isnull=False).values_list("job_id").annotate(
        n=Count("pk")).values_list("job_id", "n"))
    buyers = buyers if buyers is not None else buyers_by_category(user=user)
    rows = []
    for job in jobs:
        links = list(job.product_links.all())
        rows.append({"job": job, "links": links, "interviews": interviews.get(job.pk, 0),
                     "categories": sorted({link.category for link in links if link.category}, key=lambda c: c.name),
                     "matched_clients": _matched(buyers, links)})
    return rows


def products_described(*, user) -> list[dict]:
    """The organisation's products with their characteristics and the jobs they solve."""
    scope = require(user, Capability.VIEW_DISCOVERY)
    products = Product.objects.filter(organisation_id=scope.organisation_id).prefetch_related("job_links__job")
    return [{"product": product, "characteristics": sorted((product.characteristics or {}).items()),
             "jobs": sorted({link.job.name for link in product.job_links.all()})} for product in products]


def category_matches(*, user, buyers: dict[str, set[int]] | None = None) -> list[dict]:
    """Client categories with the clients matched to them: those who bought a product the category hires."""
    scope = require(user, Capability.VIEW_DISCOVERY)
    categories = ClientCategory.objects.filter(organisation_id=scope.organisation_id).select_related(
        "segment").prefetch_related("product_links__product", "product_links__job")
    buyers = buyers if buyers is not None else buyers_by_category(user=user)
    rows = []
    for category in categories:
        links = list(category.product_links.all())
        rows.append({"category": category, "products": sorted({link.product.name for link in links}),
                     "jobs": sorted({link.job.name for link in links}), "matched_clients": _matched(buyers, links)})
    return rows


def business_clients(*, user) -> QuerySet[Party]:
    """Business clients (form company) the user sees, with their profile and committee."""
    return (discovery_clients(user).filter(form=PartyForm.COMPANY)
            .select_related("company_profile", "status_snapshot", "home_location")
            .prefetch_related("committee__person").order_by("name"))


def not_ours_report(*, user) -> dict:
    """Who is not our client and why: marked parties the user sees, marked segments with their size."""
    scope = require(user, Capability.VIEW_DISCOVERY)
    marks = NotOurClient.objects.filter(organisation_id=scope.organisation_id).select_related(
        "party", "segment", "marked_by")
    visible = clients_visible(user)
    parties = [m for m in marks if m.party_id and visible.filter(pk=m.party_id).exists()]
    segments = [(m, visible.filter(segment_q(segment=m.segment)).count()) for m in marks if m.segment_id]
    by_reason = Counter(m.reason for m in parties)
    for mark, size in segments:
        by_reason[mark.reason] += size
    return {"parties": parties, "segments": segments,
            "by_reason": [(NotOursReason(reason).label, n) for reason, n in by_reason.most_common()],
            "total": not_ours_parties(organisation_id=scope.organisation_id).filter(
                pk__in=visible.values("pk")).count()}


def known_values(*, user) -> list[tuple[str, list[str]]]:
    """For the segment editor: the values each list characteristic takes in the organisation's data."""
    from romashka.core.models import Location
    from romashka.discovery.choices import CompanySize

    scope = require(user, Capability.VIEW_DISCOVERY)
    guests = guests_of(scope.organisation_id)

    def distinct(queryset, column: str) -> list[str]:
        return sorted(v for v in queryset.exclude(**{column: ""}).values_list(column, flat=True).distinct() if v)

    return [
        (SegmentField.CITY.label, distinct(guests, "city")),
        (SegmentField.LOCATION.label, distinct(Location.objects.filter(organisation_id=scope.organisation_id), "code")),
        (SegmentField.ACQUISITION_CHANNEL.label, distinct(guests, "acquisition_channel")),
        # The last month's receipts through the (organisation, day) index: a scan of every purchase takes seconds.
        (SegmentField.CATEGORY.label, distinct(Purchase.objects.filter(
            organisation_id=scope.organisation_id,
            purchased_on__gte=figures_as_of(scope.organisation_id) - timedelta(days=30)), "category")),
        (SegmentField.INDUSTRY.label, distinct(CompanyProfile.objects.filter(
            party__organisation_id=scope.organisation_id), "industry")),
        (SegmentField.STATUS.label, list(Status.values)),
        (SegmentField.GENDER.label, ["f", "m"]),
        (SegmentField.FORM.label, list(PartyForm.values)),
        (SegmentField.COMPANY_SIZE.label, list(CompanySize.values)),
    ]


@dataclass(frozen=True)
class CostListing:
    costs: list[CategoryCost]
    categories: list[str]  # the product categories the purchases name
    locations: list[tuple[int, str]]
    uncosted: list[str]  # categories with no cost for the network (profit leaves their revenue out)


def category_costs(*, user) -> CostListing:
    """The organisation's category costs and the categories and locations they can be set for."""
    from romashka.core.access import locations_visible

    scope = require(user, Capability.MANAGE_SETTINGS)
    costs = list(CategoryCost.objects.filter(organisation_id=scope.organisation_id).select_related("location"))
    # The last quarter's receipts through the (organisation, day) index (a scan of every purchase takes
    # seconds), and the categories already given a cost.
    since = figures_as_of(scope.organisation_id) - timedelta(days=90)
    categories = sorted(c for c in Purchase.objects.filter(organisation_id=scope.organisation_id, purchased_on__gte=since)
                        .exclude(category="").values_list("category", flat=True).distinct() if c)
    categories = sorted(set(categories) | {cost.category for cost in costs})
    network = {cost.category for cost in costs if cost.location_id is None}
    return CostListing(costs=costs, categories=categories,
                       locations=list(locations_visible(user).order_by("code").values_list("pk", "code")),
                       uncosted=[category for category in categories if category not in network])
