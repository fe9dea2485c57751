"""Reads of the client's path within the user's scope: purchases, statuses at a date, transitions, history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery

from romashka.core.access import access_client, access_location, clients_visible, purchases_visible
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
