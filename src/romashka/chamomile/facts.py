"""The chamomile's facts: guests by home location and status at every month end, and revenue by location and day.

Built after every status refresh (path.refresh.status_refresh_logged calls facts_refresh; an import of
purchases or clients refreshes the statuses, so it rebuilds them too), in two grouped passes over the status events and the
purchases. The chamomile then reads a few thousand rows instead of a million purchases and a probe per guest.

The facts are exact, not a cache of the first answer:
- purchases newer than the build (`purchase_watermark`) are added to the facts' sums when read (a range of
  the primary key, empty right after a build);
- status events newer than the build (events are written only by a refresh, or by hand) make the guests'
  figures read the events themselves until the next refresh;
- a day that is neither a month end nor on or after the refresh day (statuses do not change after it) is
  read from the events too.
Deleting purchases or clients without a refresh shows after the next refresh (the serve loop runs one
within a minute, since the data's version changed).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth

from romashka.chamomile.models import FactsBuild, GuestStatusFact, LocationDayRevenue
from romashka.core.choices import PartyKind
from romashka.path.choices import Status
from romashka.path.models import Purchase, StatusEvent

ZERO = Decimal(0)
CENT = Decimal("0.01")


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _newest_id(model, organisation_id: int) -> int:
    return model.objects.filter(organisation_id=organisation_id).aggregate(newest=Max("id"))["newest"] or 0


@transaction.atomic
def facts_refresh(*, organisation_id: int, as_of: date) -> FactsBuild:
    """Rebuilds the organisation's facts from its status events and purchases up to now (statuses on as_of)."""
    began = time.perf_counter()
    event_watermark = _newest_id(StatusEvent, organisation_id)
    purchase_watermark = _newest_id(Purchase, organisation_id)
    GuestStatusFact.objects.filter(organisation_id=organisation_id).delete()
    LocationDayRevenue.objects.filter(organisation_id=organisation_id).delete()
    GuestStatusFact.objects.bulk_create(
        _guest_status_facts(organisation_id, as_of, event_watermark), batch_size=2000)
    revenue = (Purchase.objects.filter(organisation_id=organisation_id, pk__lte=purchase_watermark).order_by()
               .values("location_id", "purchased_on").annotate(total=Sum("amount")))
    LocationDayRevenue.objects.bulk_create(
        (LocationDayRevenue(organisation_id=organisation_id, location_id=row["location_id"], day=row["purchased_on"],
                            revenue=row["total"]) for row in revenue.iterator(chunk_size=5000)),
        batch_size=2000)
    build, _created = FactsBuild.objects.update_or_create(
        organisation_id=organisation_id,
        defaults={"refreshed_on": as_of, "event_watermark": event_watermark, "purchase_watermark": purchase_watermark,
                  "seconds": time.perf_counter() - began},
    )
    return build


def _guest_status_facts(organisation_id: int, as_of: date, event_watermark: int) -> list[GuestStatusFact]:
    """Each home location's guests by status at every month end before as_of and on as_of.

    One grouped pass: the events' moves (an event takes a guest from `from_status` to `to_status`) by
    location and month, summed month after month.
    """
    moves = (StatusEvent.objects.filter(organisation_id=organisation_id, pk__lte=event_watermark,
                                        changed_on__lte=as_of, party__roles__kind=PartyKind.GUEST)
             .annotate(month=TruncMonth("changed_on")).order_by()
             .values("party__home_location_id", "month", "from_status", "to_status").annotate(clients=Count("pk")))
    by_month: dict[date, list[tuple]] = defaultdict(list)
    for row in moves:
        by_month[row["month"]].append(
            (row["party__home_location_id"], row["from_status"], row["to_status"], row["clients"]))
    if not by_month:
        return []
    running: dict[tuple[int | None, str], int] = defaultdict(int)
    facts = []
    month = min(by_month)
    while month <= as_of:
        for location_id, from_status, to_status, clients in by_month.get(month, []):
            running[(location_id, to_status)] += clients
            if from_status:
                running[(location_id, from_status)] -= clients
        day = min(_month_end(month), as_of)
        facts += [GuestStatusFact(organisation_id=organisation_id, day=day, location_id=location_id, status=status,
                                  clients=clients)
                  for (location_id, status), clients in running.items() if clients]
        month = _month_end(month) + timedelta(days=1)
    return facts


# ─── reading ──────────────────────────────────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class FactsState:
    """The organisation's facts as a page finds them: the build (None before the first refresh) and whether
    status events were written since it."""

    organisation_id: int
    build: FactsBuild | None
    events_fresh: bool
    purchases_newer: bool  # purchases arrived after the build (or there is no build): they are read too

    @property
    def purchase_watermark(self) -> int:
        return self.build.purchase_watermark if self.build is not None else 0

    def status_day(self, on: date) -> date | None:
        """The day of the facts that holds the statuses on `on`, or None when the events must be read."""
        if self.build is None or not self.events_fresh:
            return None
        if on >= self.build.refreshed_on:
            return self.build.refreshed_on
        return on if on == _month_end(on) else None


def facts_state(organisation_id: int) -> FactsState:
    """Three queries: the build and the newest status event's and purchase's ids (index probes)."""
    build = FactsBuild.objects.filter(organisation_id=organisation_id).first()
    if build is None:
        return FactsState(organisation_id, None, events_fresh=False, purchases_newer=True)
    return FactsState(organisation_id, build,
                      events_fresh=build.event_watermark == _newest_id(StatusEvent, organisation_id),
                      purchases_newer=_newest_id(Purchase, organisation_id) > build.purchase_watermark)


def guest_status_counts(state: FactsState, *, location_ids, on: date, by_partner: bool = False) -> dict | None:
    """Guests by status on a day from the facts, within the locations (None: all); None when they cannot tell.

    One query. by_partner: {partner id: {status: clients}} over the franchise partners' locations instead.
    """
    day = state.status_day(on)
    if day is None:
        return None
    rows = GuestStatusFact.objects.filter(organisation_id=state.organisation_id, day=day)
    if location_ids is not None:
        rows = rows.filter(location_id__in=location_ids)
    if by_partner:
        result: dict[int, dict[str, int]] = {}
        for partner_id, status, clients in (rows.filter(location__partner__isnull=False).order_by()
                                            .values("location__partner_id", "status").annotate(n=Sum("clients"))
                                            .values_list("location__partner_id", "status", "n")):
            result.setdefault(partner_id, {s.value: 0 for s in Status})[status] = clients
        return result
    counts = {s.value: 0 for s in Status}
    for status, clients in rows.order_by().values("status").annotate(n=Sum("clients")).values_list("status", "n"):
        counts[status] = clients
    return counts


def revenue_two_years(state: FactsState, *, location_ids, windows, by_location: bool = False):
    """Revenue of the locations in the current and the previous window: ((start, end), (start, end)) → (sum, sum).

    The facts' days plus the purchases newer than the build (all purchases before the first build): one
    query, two while purchases arrived after the build. by_location: {location id: (current, previous)} instead of one pair.
    """
    (start, end), (before_start, before_end) = windows

    def sums(queryset, day_field: str, amount_field: str) -> dict:
        queryset = queryset.filter(location_id__in=location_ids, **{f"{day_field}__gte": before_start,
                                                                    f"{day_field}__lte": end}).order_by()
        totals = {
            "current": Sum(amount_field, filter=Q(**{f"{day_field}__gte": start})),
            "previous": Sum(amount_field, filter=Q(**{f"{day_field}__lte": before_end})),
        }
        if by_location:
            return {row["location_id"]: (row["current"] or ZERO, row["previous"] or ZERO)
                    for row in queryset.values("location_id").annotate(**totals)}
        row = queryset.aggregate(**totals)
        return {None: (row["current"] or ZERO, row["previous"] or ZERO)}

    organisation_id = state.organisation_id
    stored = (sums(LocationDayRevenue.objects.filter(organisation_id=organisation_id), "day", "revenue")
              if state.build is not None else {})
    newer = (sums(Purchase.objects.filter(organisation_id=organisation_id, pk__gt=state.purchase_watermark),
                  "purchased_on", "amount") if state.purchases_newer else {})
    result = {}
    for key in set(stored) | set(newer):
        (current, previous), (current_new, previous_new) = stored.get(key, (ZERO, ZERO)), newer.get(key, (ZERO, ZERO))
        # SQLite sums decimals as floats: back to kopecks.
        result[key] = ((current + current_new).quantize(CENT), (previous + previous_new).quantize(CENT))
    return result if by_location else result.get(None, (ZERO, ZERO))
