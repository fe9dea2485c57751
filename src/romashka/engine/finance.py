"""Investor returns: ROI and the internal rate of return of irregular cash flows (XIRR); pure, no Django."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

DAYS_PER_YEAR = 365.0


def roi(*, invested: float, paid_out: float) -> float | None:
    """Cash-on-cash return: (paid out − invested) / invested; None when nothing was invested."""
    if invested <= 0:
        return None
    return (paid_out - invested) / invested


def xnpv(rate: float, flows: Sequence[tuple[date, float]]) -> float:
    """Net present value at the first flow's date, discounting each flow by (1 + rate)^(days / 365)."""
    if rate <= -1.0:
        raise ValueError("rate must be greater than -1")
    start = min(day for day, _amount in flows)
    return sum(amount / (1.0 + rate) ** ((day - start).days / DAYS_PER_YEAR) for day, amount in flows)


def xirr(flows: Sequence[tuple[date, float]], *, tolerance: float = 1e-10, max_iterations: int = 300) -> float | None:
    """The annual rate at which the flows' XNPV is zero (as Excel's XIRR), or None when none exists.

    Money paid in is negative, money received positive. A rate exists only when the flows change
    sign; bisection on a bracket found by widening keeps it robust where Newton's method diverges.
    """
    flows = [(day, float(amount)) for day, amount in flows if amount != 0]
    if not any(amount < 0 for _d, amount in flows) or not any(amount > 0 for _d, amount in flows):
        return None
    low, high = -0.999999, 1.0
    npv_low = xnpv(low, flows)
    npv_high = xnpv(high, flows)
    # Widen the upper end until the sign changes (rates of several hundred per cent happen on short spans).
    while npv_low * npv_high > 0 and high < 1e6:
        high *= 4.0
        npv_high = xnpv(high, flows)
    if npv_low * npv_high > 0 or math.isnan(npv_high):
        return None
    for _ in range(max_iterations):
        middle = (low + high) / 2.0
        npv_middle = xnpv(middle, flows)
        if abs(npv_middle) < tolerance or (high - low) / 2.0 < tolerance:
            return middle
        if npv_low * npv_middle < 0:
            high = middle
        else:
            low, npv_low = middle, npv_middle
    return (low + high) / 2.0
