"""Planning on the client's path: monthly status counts, transitions and revenue; a Markov forecast with a
bootstrap band; its backtest; and how many novices and fans a revenue target needs.

The chain's states are the statuses of :data:`STATUSES`; each month a client moves by the transition
matrix measured over the past months (won back is a flag on novice/fan, so lost → won back is lost →
novice); new clients enter each month as many as entered on average, into the statuses they entered.
Revenue of a month is each status's clients at the month's start times that status's measured
revenue per client and month, plus the entrants' revenue. Everything is linear in the entrants, which
is what makes "how many more novices a month" an exact answer under the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import numpy as np
import pyarrow as pa

STATUSES = ("prospect", "lead", "novice", "fan", "dormant", "lost")
NEW = len(STATUSES)  # the row of clients who had no status yet at the month's start
Array = np.ndarray


@dataclass(frozen=True)
class MonthlyFigures:
    """Per month end: counts (months × statuses); per month (between two month ends): transitions
    ((months − 1) × (statuses + new) × statuses) and revenue by the status at the month's start
    ((months − 1) × (statuses + new))."""

    month_ends: list[date]
    counts: Array
    transitions: Array
    revenue: Array


@dataclass(frozen=True)
class MonthlyStates:
    """Each customer's status at each month end (NEW where none yet), and what each spent in each month."""

    month_ends: list[date]
    customers: Array  # sorted ids
    state: Array  # customers × months
    spend_customer: Array  # index into customers (-1: no status at any month end)
    spend_month: Array  # 1 … months − 1: the month between month ends m − 1 and m
    spend_amount: Array


def monthly_states(events: pa.Table, purchases: pa.Table, month_ends: list[date],
                   backend: ibis.BaseBackend | None = None) -> MonthlyStates:
    """From status events (customer_id, changed_on, to_status) and purchases (customer_id, day, amount)."""
    backend = backend or ibis.duckdb.connect()
    index = {status: i for i, status in enumerate(STATUSES)}
    size = len(month_ends)
    ev = ibis.memtable(events.select(["customer_id", "changed_on", "to_status"]))
    months = ibis.memtable(pa.table({"month_end": pa.array(month_ends, pa.date32()),
                                     "number": pa.array(range(size), pa.int64())}))
    grid = ev.select("customer_id").distinct().cross_join(months)
    at = grid.asof_join(ev, on=grid.month_end >= ev.changed_on, predicates="customer_id")
    at = at.select("customer_id", "number", status=at.to_status)
    status_table = backend.to_pyarrow(at.filter(at.status.notnull()))
    numbers = status_table["number"].to_numpy()
    codes = np.array([index[s] for s in status_table["status"].to_pylist()], dtype=np.int64)
    customers, position = np.unique(status_table["customer_id"].to_numpy(zero_copy_only=False), return_inverse=True)
    state = np.full((customers.size, size), NEW, dtype=np.int64)
    state[position, numbers] = codes

    spend_customer = spend_month = np.zeros(0, dtype=np.int64)
    spend_amount = np.zeros(0)
    if size > 1 and purchases.num_rows:
        pur = ibis.memtable(purchases.select(["customer_id", "day", "amount"]))
        pur = pur.mutate(amount=pur.amount.cast(dt.float64))
        bounds = months.mutate(previous=months.month_end.lag().over(ibis.window(order_by=months.number)))
        bounds = bounds.filter(bounds.previous.notnull())
        inside = pur.join(bounds, [pur.day > bounds.previous, pur.day <= bounds.month_end])
        per = backend.to_pyarrow(inside.group_by(["customer_id", "number"]).aggregate(amount=inside.amount.sum()))
        ids = per["customer_id"].to_numpy(zero_copy_only=False)
        where = np.searchsorted(customers, ids)
        clipped = np.minimum(where, max(customers.size - 1, 0))
        known = (where < customers.size) & (customers[clipped] == ids) if customers.size else np.zeros(ids.size, bool)
        spend_customer = np.where(known, where, -1)
        spend_month = per["number"].to_numpy()
        spend_amount = per["amount"].to_numpy()
    return MonthlyStates(month_ends=list(month_ends), customers=customers, state=state,
                         spend_customer=spend_customer, spend_month=spend_month, spend_amount=spend_amount)


def monthly_figures(states: MonthlyStates, members: Array | None = None) -> MonthlyFigures:
    """Counts, transitions and revenue of the customers in ``members`` (a boolean mask over
    ``states.customers``; all when None). Spend of customers without any status counts as entrants'."""
    mask = np.ones(states.customers.size, bool) if members is None else np.asarray(members, bool)
    state = states.state[mask]
    size = len(states.month_ends)
    counts = np.zeros((size, len(STATUSES)))
    for month in range(size):
        held = state[:, month]
        counts[month] = np.bincount(held[held != NEW], minlength=len(STATUSES))[: len(STATUSES)]
    transitions = np.zeros((max(size - 1, 0), NEW + 1, len(STATUSES)))
    for month in range(1, size):
        moved = state[:, month] != NEW
        np.add.at(transitions[month - 1], (state[moved, month - 1], state[moved, month]), 1)
    revenue = np.zeros((max(size - 1, 0), NEW + 1))
    if states.spend_amount.size:
        if members is None:
            keep = np.ones(states.spend_amount.size, bool)
        else:  # a group's revenue: its members' spend only
            keep = (states.spend_customer >= 0) & mask[np.maximum(states.spend_customer, 0)]
        customer = states.spend_customer[keep]
        spend_month = states.spend_month[keep]
        start_state = np.full(spend_month.size, NEW)
        has = customer >= 0
        start_state[has] = states.state[customer[has], spend_month[has] - 1]
        np.add.at(revenue, (spend_month - 1, start_state), states.spend_amount[keep])
    return MonthlyFigures(month_ends=states.month_ends, counts=counts, transitions=transitions, revenue=revenue)


@dataclass(frozen=True)
class Chain:
    """Monthly transition matrix, entrants per month by status, revenue per client and month by status."""

    matrix: Array  # statuses × statuses, rows sum to 1 (or 0 for a status nobody held)
    entrants: Array  # statuses
    revenue_per_client: Array  # statuses
    entrant_revenue: float  # revenue per entrant in its first month


def fit_chain(figures: MonthlyFigures, months: Array | None = None) -> Chain:
    """The chain measured over the given months (indices into the transitions; default: all)."""
    chosen = np.arange(figures.transitions.shape[0]) if months is None else np.asarray(months)
    moves = figures.transitions[chosen].sum(axis=0)
    held = moves[:NEW].sum(axis=1, keepdims=True)
    matrix = np.divide(moves[:NEW], held, out=np.zeros_like(moves[:NEW]), where=held > 0)
    entrants = moves[NEW] / max(chosen.size, 1)
    at_start = figures.counts[chosen].sum(axis=0)
    revenue = figures.revenue[chosen].sum(axis=0)
    per_client = np.divide(revenue[:NEW], at_start, out=np.zeros(len(STATUSES)), where=at_start > 0)
    entered = moves[NEW].sum()
    return Chain(matrix=matrix, entrants=entrants, revenue_per_client=per_client,
                 entrant_revenue=float(revenue[NEW] / entered) if entered else 0.0)


def forecast(chain: Chain, start: Array, months: int, *, extra_entrants: Array | None = None) -> tuple[Array, Array]:
    """(counts at each of the next month ends: months × statuses, revenue of each month: months)."""
    entrants = chain.entrants + (0 if extra_entrants is None else extra_entrants)
    counts = np.zeros((months, len(STATUSES)))
    revenue = np.zeros(months)
    current = np.asarray(start, dtype=float)
    for month in range(months):
        revenue[month] = current @ chain.revenue_per_client + entrants.sum() * chain.entrant_revenue
        current = current @ chain.matrix + entrants
        counts[month] = current
    return counts, revenue


def bootstrap_forecast(figures: MonthlyFigures, months: int, *, window: int = 12, draws: int = 300,
                       seed: int = 7, levels=(10, 50, 90)) -> dict[str, Array]:
    """Percentiles of the forecast when the past months the rates come from are resampled with replacement."""
    available = figures.transitions.shape[0]
    recent = np.arange(max(available - window, 0), available)
    rng = np.random.default_rng(seed)
    start = figures.counts[-1]
    counts = np.empty((draws, months, len(STATUSES)))
    revenue = np.empty((draws, months))
    for draw in range(draws):
        chain = fit_chain(figures, rng.choice(recent, size=recent.size, replace=True))
        counts[draw], revenue[draw] = forecast(chain, start, months)
    return {
        "counts": np.percentile(counts, levels, axis=0),
        "revenue": np.percentile(revenue, levels, axis=0),
    }


def backtest(figures: MonthlyFigures, *, origin: int, horizon: int, window: int = 12) -> dict[str, Array | float]:
    """Forecast from month end ``origin`` with the rates of the ``window`` months before it, against what happened.

    Returns predicted and actual counts (horizon × statuses) and revenue (horizon), and the mean
    absolute percentage error of the total active clients (novice, fan, dormant) and of revenue.
    """
    if origin - window < 0 or origin + horizon >= len(figures.month_ends):
        raise ValueError("the backtest needs `window` months before the origin and `horizon` months after it")
    chain = fit_chain(figures, np.arange(origin - window, origin))
    predicted, predicted_revenue = forecast(chain, figures.counts[origin], horizon)
    actual = figures.counts[origin + 1 : origin + 1 + horizon]
    actual_revenue = figures.revenue[origin : origin + horizon].sum(axis=1)
    active = [STATUSES.index(s) for s in ("novice", "fan", "dormant")]
    with np.errstate(divide="ignore", invalid="ignore"):
        count_error = np.abs(predicted[:, active].sum(1) - actual[:, active].sum(1)) / actual[:, active].sum(1)
        revenue_error = np.abs(predicted_revenue - actual_revenue) / actual_revenue
    return {
        "predicted": predicted, "actual": actual,
        "predicted_revenue": predicted_revenue, "actual_revenue": actual_revenue,
        "active_error": float(np.nanmean(count_error)), "revenue_error": float(np.nanmean(revenue_error)),
    }


@dataclass(frozen=True)
class TargetPlan:
    """For a revenue target in month ``month`` (1 = next month): the course, and what the target needs."""

    month: int
    target: float
    forecast_revenue: float
    forecast_fans: float
    fans_needed: float  # fans at that month end that would close the gap by themselves
    extra_novices_per_month: float  # or: this many more new novices every month from now on
    novices_per_month: float  # the entrants into novice the course already has


def plan_for_target(chain: Chain, start: Array, *, month: int, target: float) -> TargetPlan:
    """Fans and new novices a monthly revenue target needs, under the chain (see the module docstring)."""
    if month < 1:
        raise ValueError("month counts from 1 (next month)")
    counts, revenue = forecast(chain, start, month)
    gap = target - revenue[-1]
    fan = STATUSES.index("fan")
    novice = STATUSES.index("novice")
    # Revenue of month `month` per extra novice entering every month from now: linear in the entrants.
    one_more = np.zeros(len(STATUSES))
    one_more[novice] = 1.0
    _, with_one = forecast(chain, start, month, extra_entrants=one_more)
    per_novice = with_one[-1] - revenue[-1]
    fans_before = counts[-2, fan] if month > 1 else start[fan]
    return TargetPlan(
        month=month, target=target, forecast_revenue=float(revenue[-1]), forecast_fans=float(fans_before),
        fans_needed=float(fans_before + max(gap, 0) / chain.revenue_per_client[fan]) if chain.revenue_per_client[fan] else float("nan"),
        extra_novices_per_month=float(max(gap, 0) / per_novice) if per_novice > 0 else float("nan"),
        novices_per_month=float(chain.entrants[novice]),
    )
