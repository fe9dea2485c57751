"""Reads for the dashboard: counts and revenue of purchases within a user's scope, cached per data version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Sum

from romashka.core.access import Capability, Scope, in_scope
from romashka.core.choices import PartyKind
from romashka.core.models import Employee, Location, Organisation, Party
from romashka.path.models import Purchase
from romashka.path.refresh import data_version


@dataclass
class Dashboard:
    clients: int = 0
    purchases: int = 0
    revenue: Decimal = Decimal("0")
    active_clients: int = 0
    active_since: date | None = None
    last_day: date | None = None
    cycle_days: int = 90
    months: list[tuple[str, Decimal, int]] = field(default_factory=list)  # (YYYY-MM, revenue, receipts)
    locations: list[tuple[Location, Decimal, int]] = field(default_factory=list)
    staff_active: int = 0
    staff_left_last_year: int = 0


def dashboard(*, scope: Scope, today: date) -> Dashboard:
    """The home dashboard's figures for the scope; cached until the data changes."""
    locations_key = "all" if scope.location_ids is None else ",".join(map(str, sorted(scope.location_ids)))
    version = data_version(organisation=scope.organisation_id)
    key = f"dashboard:{scope.organisation_id}:{scope.role}:{locations_key}:{today}:{version}"
    board = cache.get(key)
    if board is None:
        board = _dashboard(scope=scope, today=today)
        cache.set(key, board, 3600)
    # Staff figures are cheap and change without new rows (an exit date), so they are never cached.
    if scope.can(Capability.VIEW_STAFF):
        staff = in_scope(Employee.objects.filter(party__organisation_id=scope.organisation_id), scope, "location_id")
        board.staff_active = staff.filter(left_on__isnull=True).count()
        board.staff_left_last_year = staff.filter(left_on__gt=today - timedelta(days=365), left_on__lte=today).count()
    return board


def _dashboard(*, scope: Scope, today: date) -> Dashboard:
    organisation = Organisation.objects.get(pk=scope.organisation_id)
    board = Dashboard(cycle_days=organisation.default_cycle_days)
    if not scope.can(Capability.VIEW_PURCHASES):
        return board
    guests = Party.objects.filter(organisation_id=scope.organisation_id, roles__kind=PartyKind.GUEST)
    board.clients = in_scope(guests, scope, "home_location_id").count()
    purchases = in_scope(Purchase.objects.filter(organisation_id=scope.organisation_id), scope, "location_id")
    # One pass over the purchases, grouped by day and location (the columns as stored: no per-row date
    # formatting, which made the month grouping four times slower on SQLite); months are summed here.
    grid = list(
        purchases.values_list("purchased_on", "location_id").annotate(revenue=Sum("amount"), receipts=Count("*"))
        .order_by()
    )
    months: dict[str, list] = {}
    by_location: dict[int | None, list] = {}
    for day, location_id, revenue, receipts in grid:
        for bucket in (months.setdefault(f"{day:%Y-%m}", [Decimal(0), 0]),
                       by_location.setdefault(location_id, [Decimal(0), 0])):
            bucket[0] += Decimal(revenue or 0)
            bucket[1] += receipts
    cent = Decimal("0.01")
    board.months = [(month, total.quantize(cent), receipts) for month, (total, receipts) in sorted(months.items())]
    board.purchases = sum(receipts for _m, _r, receipts in board.months)
    board.revenue = sum((revenue for _m, revenue, _c in board.months), Decimal(0)).quantize(cent)
    board.last_day = max((day for day, *_rest in grid), default=None)
    if board.last_day:
        # Active: bought within the purchase cycle before the latest purchase day in the data.
        board.active_since = board.last_day - timedelta(days=board.cycle_days)
        board.active_clients = (
            purchases.filter(purchased_on__gt=board.active_since, amount__gt=0)
            .values("party_id").distinct().count()
        )
    locations = in_scope(Location.objects.filter(organisation_id=scope.organisation_id), scope, "id")
    board.locations = sorted(
        (
            (loc, by_location.get(loc.pk, [Decimal(0), 0])[0].quantize(cent), by_location.get(loc.pk, [0, 0])[1])
            for loc in locations
        ),
        key=lambda item: item[1],
        reverse=True,
    )
    return board
