"""Demo petal targets: the owner's targets from six months before the demo's end, some met and some missed."""

from __future__ import annotations

from datetime import date
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
    "supplier_volume": (0.9, 0.98),
    "investors_roi": None,  # no target: investors' return is not managed month to month
    "initiatives_held": (1.2, 1.5),
    "community_cost": (1.1, 1.3),  # a budget above today's spending: met
}
SEED = 909


def demo_petal_targets_create(*, organisation: Organisation, until: date) -> int:
    """Targets from the month six months before `until` for a few figures; returns how many were set."""
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
