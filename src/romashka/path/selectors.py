"""Reads of the client's path within the user's scope: purchases, statuses at a date, transitions, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When

from romashka.core.access import (
    Capability,
    access_client,
    access_location,
    clients_visible,
    purchases_visible,
    require,
    user_can,
)
from romashka.core.models import Party
from romashka.path.choices import Status
from romashka.path.models import Purchase, StatusEvent, StatusSnapshot


def purchase_list(
    *,
    user,
    party_id: int | None = None,
    location_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Purchase]:
    """Purchases the user may see, newest first; a party or location outside the scope is a 404, as on pages.

    Dates are purchase days (local dates in the organisation's time zone), both ends included.
    """
    purchases = purchases_visible(user).select_related("location")
    if location_id is not None:
        purchases = purchases.filter(location=access_location(user, location_id))
    if party_id is not None:
        purchases = purchases.filter(party=access_client(user, party_id))
    if date_from is not None:
        purchases = purchases.filter(purchased_on__gte=date_from)
    if date_to is not None:
        purchases = purchases.filter(purchased_on__lte=date_to)
    return purchases.order_by("-occurred_at", "-id")


def _status_on(day: date, column: str = "to_status") -> Subquery:
    """The party's last status event on or before the day (one probe of the (party, changed_on) index)."""
    last = StatusEvent.objects.filter(party_id=OuterRef("pk"), changed_on__lte=day).order_by("-changed_on")
    return Subquery(last.values(column)[:1])


@dataclass(frozen=True)
class StatusCounts:
    on: date
    counts: dict[str, int]  # every status of the vocabulary, zeros included
    won_back: int
    total: int


def status_counts(*, user, on: date) -> StatusCounts:
    """How many of the user's clients had each status on a date, from the status events (one query).

    A client without any event by then (no purchase yet, not yet recorded) is not counted.
    """
    rows = (
        clients_visible(user)
        .annotate(status=_status_on(on), status_won_back=_status_on(on, "won_back"))
        .filter(status__isnull=False)
        .order_by()
        .values("status", "status_won_back")
        .annotate(clients=Count("pk"))
    )
    counts = {status.value: 0 for status in Status}
    won_back = 0
    for row in rows:
        counts[row["status"]] += row["clients"]
        won_back += row["clients"] if row["status_won_back"] else 0
    return StatusCounts(on=on, counts=counts, won_back=won_back, total=sum(counts.values()))


@dataclass(frozen=True)
class Transition:
    from_status: str | None  # None: the client had no status yet on date_from (a newcomer)
    to_status: str
    clients: int
    share: float  # of the clients with from_status on date_from


@dataclass(frozen=True)
class TransitionMatrix:
    date_from: date
    date_to: date
    transitions: list[Transition]
    from_totals: dict[str | None, int] = field(default_factory=dict)


def transition_matrix(*, user, date_from: date, date_to: date) -> TransitionMatrix:
    """Clients by (status on date_from, status on date_to), with each cell's share of its starting status.

    "Of last quarter's fans, how many fell asleep": the cell fan → dormant and its share. One query.
    """
    if date_from > date_to:
        raise ValidationError({"date_to": f"date_to ({date_to}) must not be before date_from ({date_from})."})
    rows = (
        clients_visible(user)
        .annotate(before=_status_on(date_from), after=_status_on(date_to))
        .filter(after__isnull=False)
        .order_by()
        .values("before", "after")
        .annotate(clients=Count("pk"))
    )
    cells = {(row["before"], row["after"]): row["clients"] for row in rows}
    totals: dict[str | None, int] = {}
    for (before, _after), clients in cells.items():
        totals[before] = totals.get(before, 0) + clients
    order = {status.value: index for index, status in enumerate(Status)}
    transitions = [
        Transition(from_status=before, to_status=after, clients=clients, share=clients / totals[before])
        for (before, after), clients in sorted(
            cells.items(), key=lambda item: (order.get(item[0][0], -1), order[item[0][1]])
        )
    ]
    return TransitionMatrix(date_from=date_from, date_to=date_to, transitions=transitions, from_totals=totals)


@dataclass(frozen=True)
class ClientStatusHistory:
    party: Party
    snapshot: StatusSnapshot | None  # None until the first refresh
    events: list[StatusEvent]


def client_status_history(*, user, party_id: int) -> ClientStatusHistory:
    """One client's current status and every change, oldest first; 404 when the client is not the user's."""
    party = access_client(user, party_id)
    snapshot = StatusSnapshot.objects.filter(party=party).first()
    events = list(StatusEvent.objects.filter(party=party).order_by("changed_on"))
    return ClientStatusHistory(party=party, snapshot=snapshot, events=events)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_ends(*, date_from: date, date_to: date) -> list[date]:
    """The last day of every month from date_from's month up to date_to; date_to itself closes the last one."""
    points = []
    month = _month_start(date_from)
    while month <= date_to:
        points.append(min(_next_month(month) - timedelta(days=1), date_to))
        month = _next_month(month)
    return points


def _events_visible(user) -> QuerySet[StatusEvent]:
    scope = require(user, Capability.VIEW_CLIENTS)
    return StatusEvent.objects.filter(
        organisation_id=scope.organisation_id, party_id__in=clients_visible(user).values("pk")
    )


def _month_of(months: list[date], column: str = "changed_on") -> Case:
    """The first day of the row's month among the given month starts, in SQL on every database.

    Earlier rows fall into the first month, so running sums start from everything before it.
    """
    return Case(
        *[When(**{f"{column}__gte": month}, then=Value(month)) for month in reversed(months)],
        default=Value(months[0]),
        output_field=DateField(),
    )


def status_counts_by_month(*, user, date_from: date, date_to: date) -> list[StatusCounts]:
    """Status counts at every month end from date_from to date_to (the last point is date_to), in two queries.

    Every event moves one client from `from_status` to `to_status`, so the counts at a date are the running
    sum of those moves up to it; the won-back count grows on each client's first won-back event.
    Equal to `status_counts` at each of those dates, without a pass over all clients per date.
    """
    points = month_ends(date_from=date_from, date_to=date_to)
    if not points:
        return []
    months = [_month_start(point) for point in points]
    events = _events_visible(user).filter(changed_on__lte=date_to)
    moves = (
        events.annotate(month=_month_of(months))
        .order_by()
        .values("month", "from_status", "to_status")
        .annotate(clients=Count("pk"))
    )
    earlier_won_back = StatusEvent.objects.filter(
        party_id=OuterRef("party_id"), changed_on__lt=OuterRef("changed_on"), won_back=True
    )
    first_won_back = (
        events.filter(won_back=True)
        .filter(~Exists(earlier_won_back))
        .annotate(month=_month_of(months))
        .order_by()
        .values("month")
        .annotate(clients=Count("pk"))
    )
    by_month: dict[date, list[tuple[str | None, str, int]]] = {}
    for row in moves:
        by_month.setdefault(row["month"], []).append((row["from_status"], row["to_status"], row["clients"]))
    won_back_by_month = {row["month"]: row["clients"] for row in first_won_back}

    counts = {status.value: 0 for status in Status}
    won_back = 0
    result = []
    for month, point in zip(months, points, strict=True):
        for before, after, clients in by_month.get(month, []):
            if before is not None:
                counts[before] -= clients
            counts[after] += clients
        won_back += won_back_by_month.get(month, 0)
        result.append(StatusCounts(on=point, counts=dict(counts), won_back=won_back, total=sum(counts.values())))
    return result


@dataclass(frozen=True)
class PathRate:
    key: str  # "novice_fan", "fan_dormant", "dormant_lost", "lost_won_back"
    from_status: str
    to_statuses: tuple[str, ...]


# A lost client leaves "lost" only by buying again: every way out of it is a return.
PATH_RATES = [
    PathRate("novice_fan", Status.NOVICE, (Status.FAN,)),
    PathRate("fan_dormant", Status.FAN, (Status.DORMANT,)),
    PathRate("dormant_lost", Status.DORMANT, (Status.LOST,)),
    PathRate("lost_won_back", Status.LOST, (Status.NOVICE, Status.FAN)),
]


@dataclass(frozen=True)
class MonthlyRate:
    month: date  # the first day of the month
    key: str
    at_start: int  # clients in the from-status at the start of the month
    moved: int  # of them, how many made the transition within the month
    rate: float | None  # moved / at_start; None when nobody was there


def transition_rates_by_month(
    *, user, date_from: date, date_to: date, counts: list[StatusCounts] | None = None
) -> list[MonthlyRate]:
    """For each month: of the clients in a from-status when it began, the share who made the transition in it.

    A client counts when its status on the eve of the month was the from-status and it has an event
    from that status to a target status within the month (clients who arrived in the from-status during the
    month are not in the base, so newcomers who became fans within days do not inflate novice → fan).
    `counts` may pass `status_counts_by_month` from the month before date_from on, to save its queries.
    """
    months = [_month_start(point) for point in month_ends(date_from=date_from, date_to=date_to)]
    if not months:
        return []
    eves = [month - timedelta(days=1) for month in months]
    if counts is None:
        counts = status_counts_by_month(user=user, date_from=eves[0], date_to=eves[-1])
    counts_at = {c.on: c for c in counts}
    pairs = Q()
    for path_rate in PATH_RATES:
        pairs |= Q(from_status=path_rate.from_status, to_status__in=path_rate.to_statuses)
    entered = StatusEvent.objects.filter(party_id=OuterRef("party_id"), changed_on__lt=OuterRef("changed_on"))
    moved_rows = (
        _events_visible(user)
        .filter(pairs, changed_on__gte=months[0], changed_on__lte=date_to)
        .annotate(
            month=_month_of(months),
            entered_on=Subquery(entered.order_by("-changed_on").values("changed_on")[:1]),
        )
        .filter(entered_on__lt=F("month"))
        .order_by()
        .values("month", "from_status")
        .annotate(clients=Count("party_id", distinct=True))
    )
    moved = {(row["month"], row["from_status"]): row["clients"] for row in moved_rows}
    result = []
    for month, eve in zip(months, eves, strict=True):
        at_eve = counts_at.get(eve)
        for path_rate in PATH_RATES:
            at_start = at_eve.counts[path_rate.from_status] if at_eve else 0
            count = moved.get((month, path_rate.from_status), 0)
            result.append(MonthlyRate(month=month, key=path_rate.key, at_start=at_start, moved=count,
                                      rate=count / at_start if at_start else None))
    return result


def segment_choices(user) -> list:
    """The saved segments a user may filter lists by: none for a role that does not see segments."""
    from romashka.discovery.selectors import segments_visible

    if not user_can(user, Capability.VIEW_DISCOVERY):
        return []
    return list(segments_visible(user).order_by("name"))


def in_segment(queryset: QuerySet, *, user, segment_id: int, field: str = "pk") -> QuerySet:
    """`queryset` narrowed to the parties of a saved segment (`field` names the party id).

    Another organisation's segment is a 404 and a role without segments gets 403, as on the segment's
    own page; membership is the segment's as defined now (purchase figures of the last refresh).
    """
    from romashka.discovery.selectors import access_segment, segment_parties

    segment = access_segment(user, segment_id)
    return queryset.filter(**{f"{field}__in": segment_parties(segment=segment).values("pk")})


def status_list(
    *,
    user,
    status: str | None,
    location_id: int | None = None,
    won_back: bool | None = None,
    overdue: bool | None = None,
    segment_id: int | None = None,
) -> QuerySet[StatusSnapshot]:
    """The user's clients at the last refresh, with a status (None: any), newest in the status first.

    A location outside the user's scope is a 404; `overdue` keeps clients past (or within) their own
    rhythm; `segment_id` keeps the clients of a saved segment (see :func:`in_segment`).
    """
    snapshots = StatusSnapshot.objects.filter(party_id__in=clients_visible(user).values("pk"))
    if segment_id is not None:
        snapshots = in_segment(snapshots, user=user, segment_id=segment_id, field="party_id")
    if status is not None:
        snapshots = snapshots.filter(status=status)
    if location_id is not None:
        snapshots = snapshots.filter(party__home_location=access_location(user, location_id))
    if won_back is not None:
        snapshots = snapshots.filter(won_back=won_back)
    if overdue is not None:
        snapshots = snapshots.filter(overdue=overdue)
    return snapshots.select_related("party", "party__home_location").order_by("-status_since", "party_id")
