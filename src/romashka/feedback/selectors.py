"""Reads of the surveys: NPS and eNPS by location, department and month with their intervals, the journey
stage that drags NPS down, the internal service matrix, staff turnover by location, and the link between
the staff's and the clients' measures per location and month.

Every function takes the reader's Scope; an anonymous group (eNPS, internal service) with fewer than
MIN_GROUP_ANSWERS answers comes back as `hidden`, never as a number.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet, Sum

from romashka.core.access import Scope, in_scope
from romashka.core.choices import PartyKind
from romashka.core.models import Department, Location
from romashka.engine.satisfaction import (
    DETRACTOR_MAX,
    PROMOTER_MIN,
    Correlation,
    NpsEstimate,
    StageDrag,
    correlation,
    dragging_stage,
    nps_interval,
    stage_drag,
)
from romashka.feedback.choices import MIN_GROUP_ANSWERS, SurveyKind
from romashka.feedback.models import Answer, JourneyStage, ServiceRating, StageRating, Survey, Wave

NETWORK = "network"


def months_back(as_of: date, count: int = 12) -> list[date]:
    """The first days of the `count` months up to as_of's, oldest first."""
    months = [as_of.replace(day=1)]
    while len(months) < count:
        months.append((months[-1] - timedelta(days=1)).replace(day=1))
    return months[::-1]


def answers_visible(scope: Scope, kind: str) -> QuerySet[Answer]:
    return in_scope(Answer.objects.filter(organisation_id=scope.organisation_id, kind=kind), scope, "location_id")


def _nps_counts() -> dict:
    return {
        "promoters": Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
        "passives": Count("pk", filter=Q(score__gt=DETRACTOR_MAX, score__lt=PROMOTER_MIN)),
        "detractors": Count("pk", filter=Q(score__lte=DETRACTOR_MAX)),
        "satisfaction": Avg("satisfaction"),
    }


@dataclass(frozen=True)
class Cell:
    """One group's NPS (or eNPS) and mean satisfaction; `hidden` when an anonymous group is too small."""

    estimate: NpsEstimate
    satisfaction: float | None
    hidden: bool = False
    count: int = field(default=0, repr=False)  # the answers behind it, hidden or not; never shown when hidden

    @property
    def answers(self) -> int:
        return self.estimate.answers


EMPTY = Cell(nps_interval(0, 0, 0), None)


def _hidden(count: int) -> Cell:
    return Cell(nps_interval(0, 0, 0), None, hidden=True, count=count)


def _cell(row: dict, anonymous: bool) -> Cell:
    estimate = nps_interval(row["promoters"], row["passives"], row["detractors"])
    if anonymous and 0 < estimate.answers < MIN_GROUP_ANSWERS:
        return _hidden(estimate.answers)
    satisfaction = float(row["satisfaction"]) if row["satisfaction"] is not None else None
    return Cell(estimate, satisfaction, count=estimate.answers)


def _suppress(cells: list[Cell]) -> bool:
    """Hides the smallest shown cells of a line whose total is shown (a month over the groups, a group over
    the months) until its hidden cells hold five answers or more together: otherwise subtracting the shown
    cells from the total would give away a hidden group. True when it hid something."""
    changed = False
    while 0 < sum(c.count for c in cells if c.hidden) < MIN_GROUP_ANSWERS:
        shown = [index for index, c in enumerate(cells) if not c.hidden and c.count]
        if not shown:
            break
        smallest = min(shown, key=lambda index: cells[index].count)
        cells[smallest] = _hidden(cells[smallest].count)
        changed = True
    return changed


def _suppress_table(grid: list[list[Cell]]) -> None:
    """Complementary suppression over rows (each a group's months and, last, its total) and columns."""
    for _round in range(10):  # each round only hides; a few rounds settle any table
        changed = False
        for line in grid:
            months = line[:-1]
            changed |= _suppress(months)
            line[:-1] = months
        for column in range(len(grid[0]) if grid else 0):
            cells = [line[column] for line in grid]
            if _suppress(cells):
                changed = True
                for line, cell in zip(grid, cells, strict=True):
                    line[column] = cell
        if not changed:
            return


@dataclass(frozen=True)
class GroupRow:
    key: int | str
    name: str
    cells: list[Cell]  # one per month
    total: Cell  # all the months together


@dataclass(frozen=True)
class ScoreTable:
    kind: str
    by: str  # "location" or "department"
    months: list[date]
    rows: list[GroupRow]
    network: GroupRow


def score_table(*, scope: Scope, kind: str, as_of: date, by: str = "location", months: int = 12) -> ScoreTable:
    """NPS (client, partner) or eNPS (employee) by location or department and month, with the network's row.

    Three grouped queries; anonymous groups under five answers are hidden in every cell and total.
    """
    month_list = months_back(as_of, months)
    anonymous = kind == SurveyKind.EMPLOYEE
    answers = answers_visible(scope, kind).filter(month__gte=month_list[0], month__lte=month_list[-1],
                                                   score__isnull=False)
    group = "location_id" if by == "location" else "department_id"
    per_month = {(row[group], row["month"]): _cell(row, anonymous)
                 for row in answers.order_by().values(group, "month").annotate(**_nps_counts())}
    totals = {row[group]: _cell(row, anonymous) for row in answers.order_by().values(group).annotate(**_nps_counts())}
    network_months = {row["month"]: _cell(row, anonymous)
                      for row in answers.order_by().values("month").annotate(**_nps_counts())}
    network_total = answers.aggregate(**_nps_counts())
    if by == "location":
        names = dict(in_scope(Location.objects.filter(organisation_id=scope.organisation_id), scope, "id")
                     .values_list("pk", "name"))
    else:
        names = dict(Department.objects.filter(organisation_id=scope.organisation_id).values_list("pk", "name"))
    keys = sorted([key for key in names if key in totals], key=lambda k: names[k])
    grid = [[per_month.get((key, m), EMPTY) for m in month_list] + [totals[key]] for key in keys]
    if anonymous:
        # A hidden group must not be recoverable as the network's (or its own total's) remainder.
        _suppress_table(grid)
    rows = [GroupRow(key, names[key], line[:-1], line[-1]) for key, line in zip(keys, grid, strict=True)]
    network = GroupRow(NETWORK, "", [network_months.get(m, EMPTY) for m in month_list],
                       _cell(network_total, anonymous))
    return ScoreTable(kind, by, month_list, rows, network)


def stage_drags(*, scope: Scope, date_from: date, date_to: date) -> tuple[list[tuple[JourneyStage, StageDrag]],
                                                                         StageDrag | None]:
    """Per journey stage: mean rating, share rated low, NPS of the low raters against the rest, and the NPS
    points it costs; with the stage that costs the most. One query over the ratings."""
    stages = list(JourneyStage.objects.filter(organisation_id=scope.organisation_id))
    answers = answers_visible(scope, SurveyKind.CLIENT).filter(month__gte=date_from.replace(day=1),
                                                                month__lte=date_to, score__isnull=False)
    pairs: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for stage_id, rating, score in (StageRating.objects.filter(answer__in=answers)
                                    .values_list("stage_id", "rating", "answer__score").iterator(chunk_size=20_000)):
        pairs[stage_id].append((rating, score))
    drags = [(stage, stage_drag(stage.code, pairs.get(stage.pk, []))) for stage in stages]
    return drags, dragging_stage([d for _s, d in drags])


@dataclass(frozen=True)
class MatrixCell:
    answers: int
    quality: float | None
    speed: float | None
    courtesy: float | None
    hidden: bool

    @property
    def mean(self) -> float | None:
        if self.quality is None or self.speed is None or self.courtesy is None:
            return None
        return (self.quality + self.speed + self.courtesy) / 3


@dataclass(frozen=True)
class ServiceMatrix:
    raters: list[Department]  # the internal clients, rows
    providers: list[Department]  # the serving departments, columns
    cells: dict[tuple[int, int], MatrixCell]


def service_matrix(*, scope: Scope, date_from: date, date_to: date) -> ServiceMatrix:
    """Who serves whom how well: each rating department × serving department, the mean of quality, speed and
    courtesy over the period; a pair with fewer than five ratings is hidden. One grouped query."""
    answers = answers_visible(scope, SurveyKind.INTERNAL).filter(month__gte=date_from.replace(day=1),
                                                                  month__lte=date_to)
    rows = (ServiceRating.objects.filter(answer__in=answers).order_by()
            .values("answer__department_id", "provider_id")
            .annotate(n=Count("pk"), quality=Avg("quality"), speed=Avg("speed"), courtesy=Avg("courtesy")))
    cells = {}
    for row in rows:
        hidden = row["n"] < MIN_GROUP_ANSWERS
        cells[(row["answer__department_id"], row["provider_id"])] = MatrixCell(
            row["n"], *(None if hidden else float(row[a]) for a in ("quality", "speed", "courtesy")), hidden=hidden)
    departments = {d.pk: d for d in Department.objects.filter(organisation_id=scope.organisation_id)}
    raters = sorted({departments[r] for r, _p in cells if r in departments}, key=lambda d: d.name)
    providers = sorted({departments[p] for _r, p in cells if p in departments}, key=lambda d: d.name)
    return ServiceMatrix(raters, providers, cells)


def turnover_by_location(*, scope: Scope, as_of: date) -> list[tuple[Location, Decimal | None]]:
    """Staff turnover of the twelve months per visible location, as the chamomile's figure counts it."""
    from romashka.chamomile.figures import FigureContext
    from romashka.chamomile.selectors import staff_turnover

    locations = in_scope(Location.objects.filter(organisation_id=scope.organisation_id), scope, "id")
    return [(location, staff_turnover(FigureContext(replace(scope, location_ids=frozenset({location.pk})), as_of)))
            for location in locations]


# ---------------------------------------------------------------- the link


def _month_ends(months: list[date]) -> list[date]:
    return [(m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) for m in months]


def fan_retention(*, scope: Scope, months: list[date], as_of: date,
                  cycle_days: int) -> dict[tuple[int, date], tuple[int, int]]:
    """(location, month) → (fans at the month's end, of them still fans a purchase cycle later), by the guests'
    home locations; months whose cycle has not ended by as_of are left out. One pass over the status events."""
    from romashka.core.models import Party
    from romashka.path.choices import Status
    from romashka.path.models import StatusEvent

    ends = [(month, end) for month, end in zip(months, _month_ends(months), strict=True)
            if end + timedelta(days=cycle_days) <= as_of]
    if not ends:
        return {}
    guests = in_scope(Party.objects.filter(organisation_id=scope.organisation_id, roles__kind=PartyKind.GUEST),
                      scope, "home_location_id")
    homes = dict(guests.filter(home_location__isnull=False).values_list("pk", "home_location_id"))
    last_check = ends[-1][1] + timedelta(days=cycle_days)
    # Only guests who were ever fans by the last month's end can count.
    ever_fans = StatusEvent.objects.filter(organisation_id=scope.organisation_id, to_status=Status.FAN,
                                           changed_on__lte=ends[-1][1]).values("party_id")
    events = (StatusEvent.objects.filter(organisation_id=scope.organisation_id, changed_on__lte=last_check,
                                         party_id__in=ever_fans)
              .order_by("party_id", "changed_on").values_list("party_id", "changed_on", "to_status"))
    counts: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0])

    def settle(party_id: int | None, days: list[date], statuses: list[str]) -> None:
        location_id = homes.get(party_id) if party_id is not None else None
        if location_id is None or not days:
            return
        for month, end in ends:
            at_end = bisect.bisect_right(days, end) - 1
            if at_end < 0 or statuses[at_end] != Status.FAN:
                continue
            later = bisect.bisect_right(days, end + timedelta(days=cycle_days)) - 1
            cell = counts[(location_id, month)]
            cell[0] += 1
            cell[1] += statuses[later] == Status.FAN

    current, days, statuses = None, [], []
    for party_id, day, status in events.iterator(chunk_size=50_000):
        if party_id != current:
            settle(current, days, statuses)
            current, days, statuses = party_id, [], []
        days.append(day)
        statuses.append(status)
    settle(current, days, statuses)
    return {key: (fans, kept) for key, (fans, kept) in counts.items()}


def revenue_per_client(*, scope: Scope, months: list[date]) -> dict[tuple[int, date], Decimal]:
    """(location, month) → the month's revenue at the location / the clients who bought there. One query."""
    from romashka.path.models import Purchase
    from romashka.path.selectors import _month_of

    next_month = (months[-1].replace(day=28) + timedelta(days=4)).replace(day=1)
    # The month as a CASE over the twelve month starts: a per-row date truncation is ten times slower on SQLite.
    rows = (in_scope(Purchase.objects.filter(organisation_id=scope.organisation_id, purchased_on__gte=months[0],
                                             purchased_on__lt=next_month), scope, "location_id")
            .annotate(month=_month_of(months, "purchased_on")).order_by()
            .values("location_id", "month").annotate(revenue=Sum("amount"), clients=Count("party_id", distinct=True)))
    return {(row["location_id"], row["month"]): (row["revenue"] / row["clients"]).quantize(Decimal("0.01"))
            for row in rows if row["clients"] and row["location_id"] is not None}


STAFF_MEASURES = ("enps", "satisfaction")
CLIENT_MEASURES = ("nps", "retention", "revenue_per_client")


@dataclass(frozen=True)
class LinkPoint:
    location_id: int
    location: str
    month: date
    enps: float | None
    satisfaction: float | None
    nps: float | None
    retention: float | None  # per cent of the month-end fans still fans a cycle later
    revenue_per_client: float | None

    def value(self, measure: str) -> float | None:
        return getattr(self, measure)


@dataclass(frozen=True)
class LinkReport:
    x: str
    y: str
    points: list[LinkPoint]  # every location-month with the staff measure (a group of five answers or more)
    pairs: list[LinkPoint]  # those with both measures
    result: Correlation
    cycle_days: int


def link_points(*, scope: Scope, as_of: date, months: int = 12) -> tuple[list[LinkPoint], int]:
    """Per location and month: eNPS and mean satisfaction (anonymous groups of five or more answers), client
    NPS, fan retention a cycle later and revenue per client. Returns the points and the cycle used."""
    from romashka.core.models import Organisation

    month_list = months_back(as_of, months)
    cycle_days = Organisation.objects.get(pk=scope.organisation_id).default_cycle_days

    # The staff's cells as the eNPS table shows them, complementary suppression included, so the link page
    # gives away no group the table hides.
    table = score_table(scope=scope, kind=SurveyKind.EMPLOYEE, as_of=as_of, months=months)
    staff = {(row.key, month): cell for row in table.rows
             for month, cell in zip(table.months, row.cells, strict=True) if cell.count}
    client_answers = answers_visible(scope, SurveyKind.CLIENT).filter(
        month__gte=month_list[0], month__lte=month_list[-1], location__isnull=False, score__isnull=False)
    clients = {(row["location_id"], row["month"]): _cell(row, False)
               for row in client_answers.order_by().values("location_id", "month").annotate(**_nps_counts())}
    retention = fan_retention(scope=scope, months=month_list, as_of=as_of, cycle_days=cycle_days)
    revenue = revenue_per_client(scope=scope, months=month_list)
    names = dict(Location.objects.filter(organisation_id=scope.organisation_id).values_list("pk", "name"))
    points = []
    for (location_id, month), cell in sorted(staff.items(), key=lambda item: (names.get(item[0][0], ""), item[0][1])):
        if cell.hidden or cell.estimate.nps is None:
            continue
        client = clients.get((location_id, month))
        fans, kept = retention.get((location_id, month), (0, 0))
        per_client = revenue.get((location_id, month))
        points.append(LinkPoint(
            location_id, names.get(location_id, ""), month, cell.estimate.nps, cell.satisfaction,
            client.estimate.nps if client and client.answers >= MIN_GROUP_ANSWERS else None,
            100 * kept / fans if fans else None, float(per_client) if per_client is not None else None))
    return points, cycle_days


def link_report(*, scope: Scope, as_of: date, x: str = "enps", y: str = "nps", months: int = 12) -> LinkReport:
    """The correlation of a staff measure (x) with a client measure (y) over the location-months."""
    if x not in STAFF_MEASURES:
        x = "enps"
    if y not in CLIENT_MEASURES:
        y = "nps"
    points, cycle_days = link_points(scope=scope, as_of=as_of, months=months)
    pairs = [p for p in points if p.value(x) is not None and p.value(y) is not None]
    result = correlation([p.value(x) for p in pairs], [p.value(y) for p in pairs])  # type: ignore[misc]
    return LinkReport(x, y, points, pairs, result, cycle_days)


# ---------------------------------------------------------------- lists


def surveys_visible(scope: Scope) -> QuerySet[Survey]:
    return (Survey.objects.filter(organisation_id=scope.organisation_id).annotate(answer_count=Count("answers"))
            .order_by("kind", "pk"))


def waves_visible(scope: Scope, kinds: list[str]) -> QuerySet[Wave]:
    waves = Wave.objects.filter(survey__organisation_id=scope.organisation_id, survey__kind__in=kinds)
    if scope.location_ids is not None:
        waves = waves.filter(location_id__in=scope.location_ids)
    return (waves.select_related("survey", "location", "department").annotate(answer_count=Count("answers"))
            .order_by("-scheduled_on", "-pk"))


def client_answers(scope: Scope) -> QuerySet[Answer]:
    """Client answers with the client (for roles that see clients), newest first."""
    return (answers_visible(scope, SurveyKind.CLIENT).select_related("party", "location")
            .order_by("-answered_on", "-pk"))


def anonymous_answers(scope: Scope, kind: str, as_of: date) -> list[Answer]:
    """Answers of an anonymous kind in the twelve months to as_of, only of (location, department, month)
    groups of five or more whose location-month the eNPS table shows too, in an order that says nothing
    about when each came in (by group, then score)."""
    months = months_back(as_of)
    answers = answers_visible(scope, kind).filter(month__gte=months[0], month__lte=months[-1])
    groups = (answers.order_by().values("location_id", "department_id", "month").annotate(n=Count("pk"))
              .filter(n__gte=MIN_GROUP_ANSWERS))
    keys = {(g["location_id"], g["department_id"], g["month"]) for g in groups}
    if kind == SurveyKind.EMPLOYEE:
        table = score_table(scope=scope, kind=kind, as_of=as_of)
        shown = {(row.key, month) for row in table.rows for month, cell in zip(table.months, row.cells, strict=True)
                 if not cell.hidden}
        keys = {key for key in keys if key[0] is None or (key[0], key[2]) in shown}
    rows = answers.select_related("location", "department").order_by("month", "location_id", "department_id",
                                                                     "score", "satisfaction", "comment")
    return [a for a in rows if (a.location_id, a.department_id, a.month) in keys]


def detractor_answers(*, organisation_id: int) -> list[tuple[int, date]]:
    """(party, day) of every client whose client NPS answers include a 0–6: the latest such day per client."""
    from django.db.models import Max

    rows = (Answer.objects.filter(organisation_id=organisation_id, kind=SurveyKind.CLIENT, party__isnull=False,
                                  score__lte=DETRACTOR_MAX, answered_on__isnull=False)
            .order_by().values("party_id").annotate(day=Max("answered_on")).order_by("party_id"))
    return [(row["party_id"], row["day"]) for row in rows]


def party_answers(*, scope: Scope, party_id: int) -> QuerySet[Answer]:
    """A client's (or partner's) own survey answers, newest first, for the client card; never staff answers."""
    return (Answer.objects.filter(organisation_id=scope.organisation_id, party_id=party_id,
                                  kind__in=[SurveyKind.CLIENT, SurveyKind.PARTNER])
            .select_related("location", "survey").prefetch_related("stage_ratings__stage")
            .order_by("-answered_on", "-pk"))


@dataclass(frozen=True)
class Deliveries:
    """Mean delivery ratings (1–5) of one supplier, or by one location: `key` is the supplier's or the location's id."""

    key: int | None
    name: str
    ratings: int
    on_time: float
    complete: float
    quality: float

    @property
    def mean(self) -> float:
        return (self.on_time + self.complete + self.quality) / 3


def _deliveries(*, scope: Scope, date_from: date, date_to: date, by: str, **only) -> list[Deliveries]:
    """The visible locations' delivery ratings over the period grouped by `by` (a DeliveryRating path whose
    `__name` sibling names it), worst first. One query."""
    from romashka.feedback.models import DeliveryRating

    answers = answers_visible(scope, SurveyKind.DELIVERY).filter(month__gte=date_from.replace(day=1),
                                                                  month__lte=date_to)
    name = by.removesuffix("_id") + "__name"
    rows = (DeliveryRating.objects.filter(answer__in=answers, **only).order_by().values(by, name)
            .annotate(n=Count("pk"), on_time=Avg("on_time"), complete=Avg("complete"), quality=Avg("quality")))
    table = [Deliveries(r[by], r[name] or "—", r["n"], float(r["on_time"]), float(r["complete"]),
                        float(r["quality"])) for r in rows]
    return sorted(table, key=lambda row: (row.mean, row.name))


def delivery_ratings(*, scope: Scope, date_from: date, date_to: date) -> list[Deliveries]:
    """How the visible locations rate each supplier's deliveries over the period, worst first. One query."""
    return _deliveries(scope=scope, date_from=date_from, date_to=date_to, by="supplier_id")


def supplier_ratings_by_location(*, scope: Scope, supplier_id: int, date_from: date, date_to: date
                                 ) -> list[Deliveries]:
    """How each visible location rated one supplier's deliveries over the period, worst first. One query.

    The supplier's page shows it: "supplier ratings by locations" (issue 9) from the delivery surveys.
    """
    return _deliveries(scope=scope, date_from=date_from, date_to=date_to, by="answer__location_id",
                       supplier_id=supplier_id)
