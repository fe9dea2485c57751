"""The demo network's revenue targets: the three months the planning page plans first, 10–14% above the last three months' pace."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Sum

from romashka.core.models import Organisation
from romashka.path.models import Purchase
from romashka.planning.models import RevenueTarget
from romashka.planning.selectors import month_ends_before, next_months


def demo_targets_create(*, organisation: Organisation, until: date) -> int:
    """Targets for the network and every location; returns how many were set."""
    since = until - timedelta(days=90)
    per_location = dict(
        Purchase.objects.filter(organisation=organisation, purchased_on__gt=since, purchased_on__lte=until)
        .values_list("location_id").annotate(total=Sum("amount")).values_list("location_id", "total")
    )
    monthly = {location_id: total / 3 for location_id, total in per_location.items() if total}
    targets = []
    # The planning page plans from the last complete month before the statuses' date.
    first_ahead = month_ends_before(until + timedelta(days=1), 1)[-1]
    for step, month in enumerate(next_months(first_ahead, 3)):
        lift = Decimal("1.10") + Decimal("0.02") * step
        targets.append(RevenueTarget(organisation=organisation, location=None, month=month,
                                     amount=(sum(monthly.values()) * lift).quantize(Decimal("1000"))))
        targets += [
            RevenueTarget(organisation=organisation, location_id=location_id, month=month,
                          amount=(value * lift).quantize(Decimal("100")))
            for location_id, value in monthly.items() if location_id is not None
        ]
    RevenueTarget.objects.bulk_create(targets)
    return len(targets)
