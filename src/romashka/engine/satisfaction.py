"""Statistics of the surveys: NPS with its 95% interval, the journey stage that drags NPS down, and the
link between two measures (Pearson r with a Fisher-z interval and a least-squares line).

Pure Python, no Django: the functions take counts and numbers and return numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the two-sided 95% quantile of the standard normal
# Fewer pairs than this and a correlation's interval is too wide to tell anything (and Fisher z needs n > 3).
MIN_PAIRS = 8
PROMOTER_MIN = 9  # 9–10 promote
DETRACTOR_MAX = 6  # 0–6 detract; 7–8 are passive


@dataclass(frozen=True)
class NpsEstimate:
    """NPS in points (−100…100) with its 95% interval; None bounds when there are no answers."""

    answers: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    low: float | None
    high: float | None


def nps_counts(scores: Sequence[int]) -> tuple[int, int, int]:
    """(promoters, passives, detractors) of 0–10 scores."""
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    return promoters, len(scores) - promoters - detractors, detractors


def nps_interval(promoters: int, passives: int, detractors: int, z: float = Z_95) -> NpsEstimate:
    """NPS = 100·(p₊ − p₋) with the normal interval of the promoter/passive/detractor trinomial.

    Each answer is +1, 0 or −1; the mean of those is p₊ − p₋ and its variance is
    (p₊ + p₋ − (p₊ − p₋)²) / n. The interval is clipped to −100…100. With every answer the same the
    variance is zero; the interval then is the point itself, which says "few answers" only through n.
    """
    n = promoters + passives + detractors
    if n == 0:
        return NpsEstimate(0, 0, 0, 0, None, None, None)
    p_plus, p_minus = promoters / n, detractors / n
    score = p_plus - p_minus
    variance = (p_plus + p_minus - score**2) / n
    half = z * math.sqrt(max(variance, 0.0))
    return NpsEstimate(n, promoters, passives, detractors, 100 * score,
                       100 * max(-1.0, score - half), 100 * min(1.0, score + half))


@dataclass(frozen=True)
class StageDrag:
    """How much one journey stage costs the NPS: answers that rated it low (1–2 of 5) against the rest."""

    stage: str
    ratings: int
    mean_rating: float | None
    low_share: float | None  # share of ratings 1–2
    nps_low: float | None  # NPS of the answers that rated the stage low
    nps_rest: float | None
    drag: float | None  # NPS points lost: low share × (NPS of the rest − NPS of the low raters)


LOW_RATING_MAX = 2


def stage_drag(stage: str, pairs: Sequence[tuple[int, int]]) -> StageDrag:
    """`pairs`: (the stage's 1–5 rating, the same answer's 0–10 NPS score)."""
    if not pairs:
        return StageDrag(stage, 0, None, None, None, None, None)
    low = [score for rating, score in pairs if rating <= LOW_RATING_MAX]
    rest = [score for rating, score in pairs if rating > LOW_RATING_MAX]
    mean_rating = sum(rating for rating, _score in pairs) / len(pairs)
    low_share = len(low) / len(pairs)
    nps_low = nps_interval(*nps_counts(low)).nps
    nps_rest = nps_interval(*nps_counts(rest)).nps
    drag = low_share * (nps_rest - nps_low) if nps_low is not None and nps_rest is not None else 0.0
    return StageDrag(stage, len(pairs), mean_rating, low_share, nps_low, nps_rest, drag)


def dragging_stage(drags: Sequence[StageDrag]) -> StageDrag | None:
    """The stage that costs the most NPS points; None when no stage costs any."""
    costly = [d for d in drags if d.drag is not None and d.drag > 0]
    return max(costly, key=lambda d: d.drag or 0.0) if costly else None


@dataclass(frozen=True)
class Correlation:
    """Pearson r of paired measures with its Fisher-z 95% interval and the least-squares line y = a + b·x."""

    n: int
    r: float | None
    low: float | None
    high: float | None
    slope: float | None
    intercept: float | None
    enough: bool  # n ≥ MIN_PAIRS and both measures vary

    @property
    def positive(self) -> bool:
        return self.enough and self.low is not None and self.low > 0

    @property
    def negative(self) -> bool:
        return self.enough and self.high is not None and self.high < 0


def correlation(xs: Sequence[float], ys: Sequence[float], z: float = Z_95, min_pairs: int = MIN_PAIRS) -> Correlation:
    """r = cov(x, y) / (sd x · sd y); interval tanh(atanh r ± z / √(n − 3)); line by least squares."""
    if len(xs) != len(ys):
        raise ValueError("x and y need the same length")
    n = len(xs)
    if n < 2:
        return Correlation(n, None, None, None, None, None, False)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    if sxx == 0 or syy == 0:
        return Correlation(n, None, None, None, None, None, False)
    r = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    if n <= 3 or abs(r) == 1.0:
        low = high = None if n <= 3 else r
    else:
        centre, half = math.atanh(r), z / math.sqrt(n - 3)
        low, high = math.tanh(centre - half), math.tanh(centre + half)
    return Correlation(n, r, low, high, slope, intercept, n >= min_pairs)
