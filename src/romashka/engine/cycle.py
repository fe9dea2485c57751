"""Gaps between purchase days: the purchase-cycle suggestion and each client's personal rhythm.

A purchase day is a (customer, calendar day) whose summed amount is > 0, exactly as in the lifecycle
rules; a *gap* is the number of days between two consecutive purchase days of one customer. Per
location or per product category, the days are those whose summed amount *at that location* (or in
that category) is > 0, so a gap there is the time between two returns to the same place or product.

**The suggestion.** ``cycle_days`` is the 80th percentile of the gaps (nearest rank: the smallest gap
``g`` with at least 80 % of all gaps ≤ ``g``), rounded up to whole weeks. Why: a business calls a
client dormant when a return has become unlikely; "80 % of returns happen within N days" means that
after N days without a purchase only one return in five is still to come, which is where wake-up
touches start to pay. The median would call half of the ordinary returns late; the 95th percentile
waits months for the last stragglers. Whole weeks absorb weekday habits (the Saturday shopper), and
rounding *up* errs on the side of not calling a regular client dormant too early.

**Personal rhythm.** A customer's rhythm is the median of its own gaps (all purchase days up to
``as_of``), defined from two gaps on; ``overdue`` is true when ``recency_days`` (as_of − last
purchase day) exceeds rhythm × factor. It sits beside the status and never changes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

PERCENTILE = 0.8
WEEK = 7
CYCLE_LIMITS = (1, 3650)
OVERDUE_FACTOR = 1.5
MIN_RHYTHM_GAPS = 2
# Histogram bucket widths in days, the first that keeps the 95th percentile within about 30 buckets.
BUCKET_WIDTHS = (1, 7, 14, 30, 91, 365)
MAX_BUCKETS = 30


def _purchase_days(purchases: ibis.Table, *, as_of: date | None, by: str | None) -> ibis.Table:
    """(customer_id, [by], day) of every purchase day up to as_of (per value of `by` when given)."""
    columns = dict(
        customer_id=purchases.customer_id.cast(dt.string),
        day=purchases.purchased_at.cast(dt.date),
        amount=purchases.amount,
    )
    if by is not None:
        columns[by] = purchases[by]
    rows = purchases.select(**columns)
    if as_of is not None:
        rows = rows.filter(rows.day <= ibis.literal(as_of, type=dt.date))
    keys = ["customer_id", "day"] + ([by] if by else [])
    days = rows.group_by(keys).aggregate(day_amount=rows.amount.sum())
    return days.filter(days.day_amount > 0).select(*keys)


def gaps_expr(purchases: ibis.Table, *, as_of: date | None = None, by: str | None = None) -> ibis.Table:
    """(customer_id, [by], day, gap_days): each purchase day after a customer's first, with its gap."""
    days = _purchase_days(purchases, as_of=as_of, by=by)
    window = ibis.window(group_by=[days.customer_id] + ([days[by]] if by else []), order_by=days.day)
    previous_day = days.day.lag().over(window)
    days = days.mutate(gap_days=days.day.delta(previous_day, unit="day").cast(dt.int64))
    return days.filter(days.gap_days.notnull())


def gap_counts_expr(purchases: ibis.Table, *, as_of: date | None = None, by: str | None = None) -> ibis.Table:
    """The distribution of gaps: ([by], gap_days, gaps) — how many gaps have each length."""
    gaps = gaps_expr(purchases, as_of=as_of, by=by)
    keys = ([by] if by else []) + ["gap_days"]
    return gaps.group_by(keys).aggregate(gaps=gaps.count())


def percentile_expr(
    gap_counts: ibis.Table, *, percentile: float = PERCENTILE, by: str | None = None
) -> ibis.Table:
    """([by], gaps, percentile_days, median_days): nearest-rank percentiles of a gap distribution."""
    groups = [gap_counts[by]] if by else []
    so_far = ibis.cumulative_window(group_by=groups, order_by=gap_counts.gap_days)
    whole = ibis.window(group_by=groups)
    counts = gap_counts.mutate(
        up_to=gap_counts.gaps.sum().over(so_far), total=gap_counts.gaps.sum().over(whole)
    )
    # Nearest rank: the smallest gap whose cumulative count reaches percentile × total.
    reached = counts.up_to >= counts.total * percentile
    half = counts.up_to * 2 >= counts.total
    measures = dict(
        gaps=counts.gaps.sum(),
        percentile_days=counts.gap_days.min(where=reached),
        median_days=counts.gap_days.min(where=half),
    )
    return counts.group_by(by).aggregate(**measures) if by else counts.aggregate(**measures)


def suggested_cycle_days(percentile_days: int | None) -> int | None:
    """The percentile rounded up to whole weeks, within 1..3650 days; None without gaps."""
    if percentile_days is None:
        return None
    weeks = math.ceil(max(percentile_days, 1) / WEEK)
    return min(max(weeks * WEEK, CYCLE_LIMITS[0]), CYCLE_LIMITS[1])


@dataclass(frozen=True)
class GapSummary:
    """The gaps of one group (everything, one location, one category) and the cycle they suggest."""

    key: str | None
    gaps: int
    median_days: int | None
    percentile_days: int | None
    suggested_cycle_days: int | None


@dataclass(frozen=True)
class CycleSuggestion:
    percentile: float
    overall: GapSummary
    # (first day, last day or None for "and more", gaps) per bucket of the overall distribution.
    histogram: list[tuple[int, int | None, int]] = field(default_factory=list)
    bucket_days: int = WEEK
    by_location: list[GapSummary] = field(default_factory=list)
    by_category: list[GapSummary] = field(default_factory=list)


def histogram_buckets(
    counts: list[tuple[int, int]], *, p95_days: int | None
) -> tuple[int, list[tuple[int, int | None, int]]]:
    """(bucket width, buckets) from (gap_days, gaps) pairs; the last bucket takes the long tail."""
    if not counts:
        return WEEK, []
    reach = p95_days or max(gap for gap, _ in counts)
    width = next((w for w in BUCKET_WIDTHS if reach / w <= MAX_BUCKETS), BUCKET_WIDTHS[-1])
    buckets = min(math.ceil(reach / width), MAX_BUCKETS)
    totals = [0] * (buckets + 1)
    for gap, number in counts:
        totals[min((max(gap, 1) - 1) // width, buckets)] += number
    result: list[tuple[int, int | None, int]] = [
        (index * width + 1, (index + 1) * width, totals[index]) for index in range(buckets)
    ]
    if totals[buckets]:
        result.append((buckets * width + 1, None, totals[buckets]))
    return width, result


def _summaries(
    backend: ibis.BaseBackend, counts: ibis.Table, *, percentile: float, by: str | None
) -> list[GapSummary]:
    table = backend.to_pyarrow(percentile_expr(counts, percentile=percentile, by=by)).to_pylist()
    summaries = [
        GapSummary(
            key=None if by is None else row[by],
            gaps=int(row["gaps"] or 0),
            median_days=row["median_days"],
            percentile_days=row["percentile_days"],
            suggested_cycle_days=suggested_cycle_days(row["percentile_days"]),
        )
        for row in table
    ]
    return sorted(summaries, key=lambda s: (-s.gaps, str(s.key)))


def cycle_suggestion(
    purchases: pa.Table | ibis.Table,
    *,
    as_of: date | None = None,
    percentile: float = PERCENTILE,
    backend: ibis.BaseBackend | None = None,
) -> CycleSuggestion:
    """The suggestion from `purchases` (customer_id, purchased_at, amount; optional location, category)."""
    table = ibis.memtable(purchases) if isinstance(purchases, pa.Table) else purchases
    backend = backend or ibis.duckdb.connect()
    overall_counts = gap_counts_expr(table, as_of=as_of)
    found = _summaries(backend, overall_counts, percentile=percentile, by=None)
    overall = found[0] if found and found[0].gaps else GapSummary(None, 0, None, None, None)
    pairs = backend.to_pyarrow(overall_counts.order_by("gap_days")).to_pylist()
    p95 = _summaries(backend, overall_counts, percentile=0.95, by=None)
    width, histogram = histogram_buckets(
        [(row["gap_days"], row["gaps"]) for row in pairs], p95_days=p95[0].percentile_days if p95 else None
    )
    groups: dict[str, list[GapSummary]] = {}
    for by in ("location", "category"):
        if by in table.columns:
            counts = gap_counts_expr(
                table.filter(table[by].notnull() & (table[by].cast(dt.string) != "")), as_of=as_of, by=by
            )
            groups[by] = _summaries(backend, counts, percentile=percentile, by=by)
    return CycleSuggestion(
        percentile=percentile,
        overall=overall,
        histogram=histogram,
        bucket_days=width,
        by_location=groups.get("location", []),
        by_category=groups.get("category", []),
    )


def rhythm_expr(
    purchases: ibis.Table,
    *,
    as_of: date,
    overdue_factor: float = OVERDUE_FACTOR,
    factors: ibis.Table | None = None,
) -> ibis.Table:
    """(customer_id, rhythm_days, overdue) for every customer with a purchase day up to as_of.

    ``rhythm_days`` is the median gap (null below two gaps; a half day when the middle two differ);
    ``factors`` (customer_id, overdue_factor) overrides the factor for the customers it lists.
    """
    days = _purchase_days(purchases, as_of=as_of, by=None)
    window = ibis.window(group_by=days.customer_id, order_by=days.day)
    days = days.mutate(gap_days=days.day.delta(days.day.lag().over(window), unit="day").cast(dt.float64))
    per_customer = days.group_by("customer_id").aggregate(
        gaps=days.gap_days.count(),
        median_gap=days.gap_days.median(),
        last_purchase=days.day.max(),
    )
    c = per_customer
    factor = ibis.literal(overdue_factor, type=dt.float64)
    if factors is not None:
        f = factors.select(
            factor_customer=factors.customer_id.cast(dt.string),
            factor=factors.overdue_factor.cast(dt.float64),
        )
        c = c.left_join(f, c.customer_id == f.factor_customer)
        factor = c.factor.fill_null(overdue_factor)
    rhythm = ibis.ifelse(c.gaps >= MIN_RHYTHM_GAPS, c.median_gap, ibis.null(dt.float64))
    recency = ibis.literal(as_of, type=dt.date).delta(c.last_purchase, unit="day")
    return c.select(
        customer_id=c.customer_id,
        rhythm_days=rhythm,
        overdue=(rhythm.notnull() & (recency.cast(dt.float64) > rhythm * factor)).fill_null(False),
    )


def rhythm_table(
    purchases: pa.Table | ibis.Table,
    *,
    as_of: date,
    overdue_factor: float = OVERDUE_FACTOR,
    factors: pa.Table | None = None,
    backend: ibis.BaseBackend | None = None,
) -> pa.Table:
    """Execute :func:`rhythm_expr` (DuckDB in-process unless ``backend`` is given) into Arrow."""
    table = ibis.memtable(purchases) if isinstance(purchases, pa.Table) else purchases
    factor_table = ibis.memtable(factors) if factors is not None and factors.num_rows else None
    expr = rhythm_expr(table, as_of=as_of, overdue_factor=overdue_factor, factors=factor_table)
    return (backend or ibis.duckdb.connect()).to_pyarrow(expr)
