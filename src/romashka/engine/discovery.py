"""Who the business's clients are by money and habit: RFM scores and grid, the Pareto curve and share.

Input: purchases with ``customer_id``, ``purchased_at`` (date or timestamp) and ``amount`` (refunds
negative), read by the same rules as the lifecycle (:func:`~romashka.engine.lifecycle.customer_days`):
a purchase day is a (customer, day) whose summed amount is > 0, monetary is the sum of every amount up
to ``as_of``. The app, which keeps these figures in its status snapshots, may start from a table of
figures instead (``customer_id``, ``recency_days``, ``frequency``, ``monetary``).

Scores, defined so that ties and tiny bases have one answer:

* Quintiles: a customer's score is ``1 + floor(5 · worse / n)``, where ``worse`` is the number of
  customers with a strictly worse value (longer recency, fewer purchase days, less money) and ``n``
  the number of customers scored. Equal values always get the same score; a single customer scores 1.
* Business-set bounds: four ascending bounds per figure. Recency scores 5 up to the first bound (days
  since the last purchase ≤ it), 4 up to the second, …, 1 beyond the fourth; frequency and monetary
  score 1 below the first bound, 2 from it, …, 5 from the fourth.

Cells are the pair (R, F), named as in the common RFM segment map (champions, at risk, hibernating …).

Performance (bench/rfm.py, 10M purchases of 1M customers): days are integer day numbers in the
customer-day grouping; money stays BIGINT kopecks to the end and becomes a decimal without rounding;
recency and frequency are scored per distinct value (a few hundred) instead of ranking a million rows,
and the grid groups by the two scores before naming the cells.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from romashka.engine.lifecycle import MONEY, customer_days, day_number

CENT = ibis.literal(Decimal("0.01"), type=dt.Decimal(38, 2))
FIGURES = ("customer_id", "recency_days", "frequency", "monetary")
SCORES = (1, 2, 3, 4, 5)
# (cell name, recency scores, frequency scores): every one of the 25 (R, F) pairs has exactly one name.
CELLS: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...] = (
    ("champions", (5,), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential_loyalists", (4, 5), (2, 3)),
    ("new_customers", (5,), (1,)),
    ("promising", (4,), (1,)),
    ("need_attention", (3,), (3,)),
    ("about_to_sleep", (3,), (1, 2)),
    ("at_risk", (1, 2), (3, 4)),
    ("cannot_lose", (1, 2), (5,)),
    ("hibernating", (1, 2), (1, 2)),
)
CELL_OF = {(r, f): name for name, rs, fs in CELLS for r in rs for f in fs}


@dataclass(frozen=True)
class RfmBounds:
    """Business-set bounds, four ascending numbers per figure (see the module docstring); None: quintiles."""

    recency_days: tuple[float, float, float, float] | None = None
    frequency: tuple[float, float, float, float] | None = None
    monetary: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("recency_days", "frequency", "monetary"):
            bounds = getattr(self, name)
            if bounds is not None and (len(bounds) != 4 or list(bounds) != sorted(bounds)):
                raise ValueError(f"{name}: four ascending bounds, got {bounds!r}")


def customer_figures_expr(purchases: ibis.Table, *, as_of: date) -> ibis.Table:
    """(customer_id, recency_days, frequency, monetary) of every customer with a purchase day up to as_of."""
    # Days as integers: the customer-day grouping, the last day and the recency are integer work.
    days, in_kopecks = customer_days(purchases, as_of=as_of, day_numbers=True)
    bought_on = days.day_amount > 0
    per_customer = days.group_by("customer_id").aggregate(
        monetary=days.day_amount.sum(),
        frequency=days.count(where=bought_on),
        last_day=days.day.max(where=bought_on),
    )
    bought = per_customer.filter(per_customer.frequency > 0)
    # Kopecks as DECIMAL(38, 0) times 0.01 have scale 2 already, exact with nothing to round; a DECIMAL(38, 2)
    # times 0.01 rounded back to 2 decimals cost DuckDB a tenth of the whole query.
    monetary = (
        (bought.monetary.cast(dt.Decimal(38, 0)) * CENT).cast(MONEY)
        if in_kopecks
        else bought.monetary.round(2).cast(MONEY)
    )
    return bought.select(
        customer_id=bought.customer_id,
        recency_days=(day_number(as_of) - bought.last_day).cast(dt.int64),
        frequency=bought.frequency.cast(dt.int64),
        monetary=monetary,
    )


def _quintile(column: ibis.Column, *, higher_is_better: bool) -> ibis.Column:
    # rank() is the min rank from 0: how many customers have a strictly worse value.
    worse = ibis.rank().over(order_by=column if higher_is_better else column.desc())
    return (1 + (worse * 5 / column.count().over()).floor()).cast(dt.int8)


def _quintile_of_values(figures: ibis.Table, name: str, *, higher_is_better: bool) -> ibis.Table:
    """(value, score) for each distinct value of a whole-day figure, scored as _quintile scores customers.

    Recency and purchase days take a few hundred distinct values among a million customers, so counting
    customers per value and adding up the counts of the worse values is far cheaper than ranking every
    customer (a sort of the whole table); the scores are joined back by value.
    """
    counts = figures.group_by(name).aggregate(customers=figures.count())
    order = counts[name] if higher_is_better else counts[name].desc()
    # Running total up to and including this value, less its own customers: those strictly worse.
    worse = counts.customers.sum().over(order_by=order, rows=(None, 0)) - counts.customers
    score = (1 + (worse * 5 / counts.customers.sum().over()).floor()).cast(dt.int8)
    return counts.select(counts[name], score=score)


def _bounded(column: ibis.Column, bounds: Sequence[float], *, higher_is_better: bool) -> ibis.Column:
    if higher_is_better:
        passed = sum((column >= bound).cast(dt.int8) for bound in bounds)
        return (1 + passed).cast(dt.int8)
    within = sum((column <= bound).cast(dt.int8) for bound in bounds)
    return (1 + within).cast(dt.int8)


# (figure, whether more is better, its score); recency and purchase days are whole numbers of days.
SCORED = (("recency_days", False, "r_score"), ("frequency", True, "f_score"), ("monetary", True, "m_score"))
WHOLE_DAYS = ("recency_days", "frequency")


def rfm_scores_expr(figures: ibis.Table, *, bounds: RfmBounds | None = None) -> ibis.Table:
    """The figures with r_score, f_score, m_score (1–5) and the cell name of (R, F); figures hold no nulls."""
    bounds = bounds or RfmBounds()
    scored = figures
    for name, higher_is_better, score_name in SCORED:
        if getattr(bounds, name) is None and name in WHOLE_DAYS:
            values = _quintile_of_values(figures, name, higher_is_better=higher_is_better)
            scored = scored.inner_join(values.rename({score_name: "score"}), name)
    own = {}
    for name, higher_is_better, score_name in SCORED:
        if score_name in scored.columns:
            continue
        column, set_bounds = scored[name], getattr(bounds, name)
        own[score_name] = (
            _quintile(column, higher_is_better=higher_is_better)
            if set_bounds is None
            else _bounded(column, set_bounds, higher_is_better=higher_is_better)
        )
    scored = scored.mutate(**own)
    cell = ibis.cases(
        *(((scored.r_score == r) & (scored.f_score == f), name) for (r, f), name in CELL_OF.items())
    )
    return scored.select(*figures.columns, "r_score", "f_score", "m_score", cell=cell)


def rfm_grid_expr(scores: ibis.Table) -> ibis.Table:
    """(r_score, f_score, cell, customers, revenue, mean_monetary_score) per non-empty (R, F) pair."""
    # Grouped by the two small integers and named after: a string key for a million rows costs more.
    grid = scores.group_by(["r_score", "f_score"]).aggregate(
        customers=scores.count(),
        revenue=scores.monetary.sum(),
        mean_m_score=scores.m_score.cast(dt.float64).mean(),
    )
    cell = ibis.cases(
        *(((grid.r_score == r) & (grid.f_score == f), name) for (r, f), name in CELL_OF.items())
    )
    return grid.select(
        "r_score",
        "f_score",
        cell=cell,
        customers=grid.customers,
        revenue=grid.revenue,
        mean_m_score=grid.mean_m_score,
    )


def _ranked(figures: ibis.Table) -> ibis.Table:
    """Customers with positive money, richest first: position (from 1), running total, total and count."""
    positive = figures.filter(figures.monetary > 0)
    order = [positive.monetary.desc(), positive.customer_id]
    return positive.mutate(
        position=ibis.row_number().over(order_by=order) + 1,
        running=positive.monetary.sum().over(order_by=order, rows=(None, 0)),
        total=positive.monetary.sum().over(),
        clients=positive.count().over(),
    )


def pareto_expr(figures: ibis.Table, *, points: int = 100, revenue_share: float = 0.8) -> ibis.Table:
    """The Pareto curve and share in one pass: (client_share, revenue_share) at `points` even steps of the
    customers sorted by money, each row also carrying `top_clients` (the fewest customers who bring
    `revenue_share` of the money) and `clients`.

    Only customers with positive money count; client_share k/points is the top ⌈k·n/points⌉ customers.
    """
    ranked = _ranked(figures)
    reached = ranked.running.cast(dt.float64) >= ranked.total.cast(dt.float64) * revenue_share
    steps = ranked.mutate(step=(ranked.position * points / ranked.clients).ceil().cast(dt.int64))
    curve = steps.group_by("step").aggregate(
        running=steps.running.max(),
        total=steps.total.max(),
        clients=steps.clients.max(),
        first_reached=steps.position.min(where=reached),
    )
    return curve.select(
        client_share=curve.step.cast(dt.float64) / points,
        revenue_share=(curve.running.cast(dt.float64) / curve.total.cast(dt.float64)),
        top_clients=curve.first_reached.min().over(),
        clients=curve.clients,
    ).order_by("client_share")


def figures_table(
    customer_ids: Sequence, recency_days: Sequence, frequency: Sequence, monetary: Sequence
) -> pa.Table:
    """An Arrow table of figures for the expressions above, from plain columns (the app's snapshots)."""
    return pa.table(
        {
            "customer_id": pa.array([str(c) for c in customer_ids], pa.string()),
            "recency_days": pa.array(recency_days, pa.int64()),
            "frequency": pa.array(frequency, pa.int64()),
            "monetary": pa.array(monetary, pa.decimal128(16, 2)),
        }
    )
