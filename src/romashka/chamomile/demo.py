"""Demo petal targets: the owner's targets from six months before the demo's end, some met and some missed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from romashka.chamomile.figures import FIGURES, FigureContext
from romashka.chamomile.models import PetalTarget
from romashka.chamomile.selectors import month_start, months_before
from romashka.core.access import ROLE_CAPABILITIES, Scope
from romashka.core.choices import Role
from romashka.core.models import Organisation

# figure → how far the target sits from the figure's value at the end of the demo (×); below 1 is easy to meet.
DEMO_TARGETS = {
    "active_clients": (1.05, 1.15),
    "fan_share": (0.85, 0.95),
    "staff_turnover": (0.80, 0.95),  # lower is better: a target under today's value is missed
    "franchise_growth": (0.6, 0.9),
    "royalties_on_time": (1.02, 1.1),  # the network wants more on time than it gets: behind
    "supplier_volume": (0.9, 0.98),
    "investors_roi": None,  # no target: investors' return is not managed month to month
    "initiatives_held": (1.2, 1.5),
    "community_cost": (1.1, 1.3),  # a budget above today's spending: met
}
SEED = 909


# Each demo partner's royalty (a share of its locations' revenue of the month, due on the 10th of the next):
# every how many months it pays late (by 1–25 days); the second partner has not paid its last one yet.
ROYALTY_SHARE = Decimal("0.06")
ROYALTY_LATE_EVERY = [12, 3, 5]
ROYALTY_LATE_DAYS = 25


def demo_royalties_create(*, organisation: Organisation, until: date) -> int:
    """Monthly royalties of every franchise partner from its first location's opening to the month before
    `until`, from the facts' revenue by location and day (one query); returns how many."""
    from collections import defaultdict

    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    from romashka.chamomile.models import LocationDayRevenue, RoyaltyPayment
    from romashka.core.models import Location

    rng = np.random.default_rng(SEED + 1)
    partner_of = dict(Location.objects.filter(organisation=organisation, partner__isnull=False)
                      .values_list("pk", "partner_id"))
    revenue: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for location_id, month, total in (
            LocationDayRevenue.objects.filter(organisation=organisation, location_id__in=list(partner_of),
                                              day__lt=month_start(until))
            .annotate(month=TruncMonth("day")).order_by().values("location_id", "month")
            .annotate(total=Sum("revenue")).values_list("location_id", "month", "total")):
        revenue[partner_of[location_id]][month] += Decimal(total)
    payments = []
    for index, partner_id in enumerate(sorted(revenue)):
        every = ROYALTY_LATE_EVERY[index % len(ROYALTY_LATE_EVERY)]
        months = sorted(revenue[partner_id].items())
        for number, (month, total) in enumerate(months):
            due_on = months_before(month, -1).replace(day=10)
            late = int(rng.integers(1, ROYALTY_LATE_DAYS + 1)) if number % every == every - 1 else 0
            paid_on = due_on + timedelta(days=late)
            if paid_on > until or (index == 1 and number == len(months) - 1):
                paid_on = None
            payments.append(RoyaltyPayment(organisation=organisation, partner_id=partner_id, month=month,
                                           due_on=due_on, amount=(total * ROYALTY_SHARE).quantize(Decimal("0.01")),
                                           paid_on=paid_on))
    RoyaltyPayment.objects.bulk_create(payments)
    return len(payments)


def demo_petal_targets_create(*, organisation: Organisation, until: date) -> int:
    """The partners' royalties, then targets from the month six months before `until` for a few figures;
    returns how many targets were set."""
    demo_royalties_create(organisation=organisation, until=until)
    rng = np.random.default_rng(SEED)
    scope = Scope(organisation.pk, Role.OWNER, None, ROLE_CAPABILITIES[Role.OWNER])
    context = FigureContext(scope, until)
    month = months_before(month_start(until), 6)
    targets = []
    for key, spread in DEMO_TARGETS.items():
        figure = FIGURES[key]
        if spread is None or figure.compute is None:
            continue
        value = figure.compute(context)
        if value is None:
            continue
        factor = Decimal(f"{rng.uniform(*spread):.3f}")
        target = (Decimal(value) * factor).quantize(Decimal("0.01") if abs(value) < 1000 else Decimal("1E3"))
        targets.append(PetalTarget(organisation=organisation, figure=key, month=month, value=target))
    PetalTarget.objects.bulk_create(targets)
    return len(targets)
