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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from romashka.engine.lifecycle import KOPECK, MONEY, customer_days

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
    days, in_kopecks = customer_days(purchases, as_of=as_of)
    per_customer = days.group_by("customer_id").aggregate(
        monetary=days.day_amount.sum(),
        frequency=days.is_purchase.cast(dt.int64).sum(),
        last_day=days.day.max(where=days.is_purchase),
    )
    bought = per_customer.filter(per_customer.frequency > 0)
    monetary = bought.monetary.cast(MONEY) * KOPECK if in_kopecks else bought.monetary.cast(MONEY)
    return bought.select(
        customer_id=bought.customer_id,
        recency_days=ibis.literal(as_of, type=dt.date).delta(bought.last_day, unit="day").cast(dt.int64),
        frequency=bought.frequency,
        monetary=monetary.round(2),
    )


def _quintile(column: ibis.Column, *, higher_is_better: bool) -> ibis.Column:
    # rank() is the min rank from 0: how many customers have a strictly worse value.
    worse = ibis.rank().over(order_by=column if higher_is_better else column.desc())
    return (1 + (worse * 5 / column.count().over()).floor()).cast(dt.int8)


def _bounded(column: ibis.Column, bounds: Sequence[float], *, higher_is_better: bool) -> ibis.Column:
    if higher_is_better:
        passed = sum((column >= bound).cast(dt.int8) for bound in bounds)
        return (1 + passed).cast(dt.int8)
    within = sum((column <= bound).cast(dt.int8) for bound in bounds)
    return (1 + within).cast(dt.int8)


def rfm_scores_expr(figures: ibis.Table, *, bounds: RfmBounds | None = None) -> ibis.Table:
    """The figures with r_score, f_score, m_score (1–5) and the cell name of (R, F)."""
    bounds = bounds or RfmBounds()

    def score(name: str, higher_is_better: bool) -> ibis.Column:
        column = figures[name]
        own = getattr(bounds, name)
        if own is None:
            return _quintile(column, higher_is_better=higher_is_better)
        return _bounded(column, own, higher_is_better=higher_is_better)

    scored = figures.mutate(
        r_score=score("recency_days", False), f_score=score("frequency", True), m_score=score("monetary", True)
    )
    cell = ibis.cases(*(((scored.r_score == r) & (scored.f_score == f), name) for (r, f), name in CELL_OF.items()))
    return scored.mutate(cell=cell)


def rfm_grid_expr(scores: ibis.Table) -> ibis.Table:
    """(r_score, f_score, cell, customers, revenue, mean_monetary_score) per non-empty (R, F) pair."""
    return scores.group_by(["r_score", "f_score", "cell"]).aggregate(
        customers=scores.count(),
        revenue=scores.monetary.sum(),
        mean_m_score=scores.m_score.cast(dt.float64).mean(),
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
        running=steps.running.max(), total=steps.total.max(), clients=steps.clients.max(),
        first_reached=steps.position.min(where=reached),
    )
    return curve.select(
        client_share=curve.step.cast(dt.float64) / points,
        revenue_share=(curve.running.cast(dt.float64) / curve.total.cast(dt.float64)),
        top_clients=curve.first_reached.min().over(),
        clients=curve.clients,
    ).order_by("client_share")


def figures_table(customer_ids: Sequence, recency_days: Sequence, frequency: Sequence, monetary: Sequence
                  ) -> pa.Table:
    """An Arrow table of figures for the expressions above, from plain columns (the app's snapshots)."""
    return pa.table({
        "customer_id": pa.array([str(c) for c in customer_ids], pa.string()),
        "recency_days": pa.array(recency_days, pa.int64()),
        "frequency": pa.array(frequency, pa.int64()),
        "monetary": pa.array(monetary, pa.decimal128(16, 2)),
    })
