"""Uplift of a touch standard: treated against control, the difference with a 95% interval and a verdict.

Pure NumPy, no Django: the functions take counts or arrays (also arrays of many simulated
replications at once) and return the same shapes, so the coverage of the intervals can be checked
on tens of thousands of simulated standards in a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

Z_95 = 1.959963984540054  # the two-sided 95% quantile of the standard normal
# Below this many clients in either group an interval says little, whatever its width.
MIN_GROUP = 30
MIN_CONVERSIONS = 5


class Verdict(StrEnum):
    WORKS = "works"
    HARMS = "harms"
    NO_EVIDENCE = "no_evidence"
    TOO_FEW = "too_few"


@dataclass(frozen=True)
class Difference:
    """Treated minus control, with its 95% interval."""

    treated: float
    control: float
    difference: float
    low: float
    high: float


def proportion_difference(converted_t, n_t, converted_c, n_c, z: float = Z_95):
    """Conversion treated − control with the Agresti–Caffo interval (one success and one failure added
    to each group), which keeps ≈ 95% coverage with a small control group and rare conversions,
    where the plain Wald interval collapses to zero width.

    Accepts scalars or equal-shaped arrays; returns (difference, low, high).
    """
    converted_t, n_t, converted_c, n_c = (np.asarray(v, dtype=float) for v in (converted_t, n_t, converted_c, n_c))
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = converted_t / n_t - converted_c / n_c
        p_t = (converted_t + 1) / (n_t + 2)
        p_c = (converted_c + 1) / (n_c + 2)
        centre = p_t - p_c
        half = z * np.sqrt(p_t * (1 - p_t) / (n_t + 2) + p_c * (1 - p_c) / (n_c + 2))
    return difference, np.maximum(centre - half, -1.0), np.minimum(centre + half, 1.0)


def mean_difference(sum_t, sum_sq_t, n_t, sum_c, sum_sq_c, n_c, z: float = Z_95):
    """Mean treated − control (revenue per client) with the unequal-variance (Welch) normal interval.

    From sums and sums of squares, so arrays of replications work; returns (difference, low, high).
    """
    sum_t, sum_sq_t, n_t, sum_c, sum_sq_c, n_c = (
        np.asarray(v, dtype=float) for v in (sum_t, sum_sq_t, n_t, sum_c, sum_sq_c, n_c)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_t, mean_c = sum_t / n_t, sum_c / n_c
        var_t = np.maximum(sum_sq_t - n_t * mean_t**2, 0) / (n_t - 1)
        var_c = np.maximum(sum_sq_c - n_c * mean_c**2, 0) / (n_c - 1)
        half = z * np.sqrt(var_t / n_t + var_c / n_c)
    difference = mean_t - mean_c
    return difference, difference - half, difference + half


def verdict(low, high, n_t, n_c, conversions=None):
    """"works" when the whole interval is above zero, "harms" when below, else "no evidence yet";
    "too few clients to tell" when a group is under MIN_GROUP clients (or there are under
    MIN_CONVERSIONS conversions in all). Arrays give an array of verdict strings."""
    low, high, n_t, n_c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (low, high, n_t, n_c)))
    too_few = (n_t < MIN_GROUP) | (n_c < MIN_GROUP)
    if conversions is not None:
        too_few = too_few | (np.asarray(conversions) < MIN_CONVERSIONS)
    result = np.where(low > 0, Verdict.WORKS.value, np.where(high < 0, Verdict.HARMS.value, Verdict.NO_EVIDENCE.value))
    result = np.where(too_few, Verdict.TOO_FEW.value, result)
    return result.item() if result.ndim == 0 else result


def window_outcomes(entry_party, entry_day, day_party, day_ordinal, day_amount, window_days: int):
    """Per entry: whether the client bought within `window_days` after the entry day (not on it) and what it spent.

    `day_*` are purchase days (party, date ordinal, summed amount; refunds may make a day ≤ 0, and such
    a day is not a purchase). Returns (converted bool array, revenue float array), aligned with the entries.
    """
    entry_party = np.asarray(entry_party, dtype=np.int64)
    entry_day = np.asarray(entry_day, dtype=np.int64)
    day_party = np.asarray(day_party, dtype=np.int64)
    day_ordinal = np.asarray(day_ordinal, dtype=np.int64)
    day_amount = np.asarray(day_amount, dtype=float)
    span = 1 << 22  # more days than any date ordinal (year 9999 is 3.65 million)
    keys = day_party * span + day_ordinal
    order = np.argsort(keys, kind="stable")
    keys, amounts = keys[order], day_amount[order]
    bought = (amounts > 0).astype(np.int64)
    cum_amount = np.concatenate([[0.0], np.cumsum(amounts)])
    cum_bought = np.concatenate([[0], np.cumsum(bought)])
    first = np.searchsorted(keys, entry_party * span + entry_day + 1, side="left")
    last = np.searchsorted(keys, entry_party * span + entry_day + window_days, side="right")
    return (cum_bought[last] - cum_bought[first]) > 0, cum_amount[last] - cum_amount[first]
