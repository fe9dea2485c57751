"""The planning engine on hand-built histories: monthly figures, the chain, the forecast and a target's arithmetic."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from romashka.engine import planning

STATUSES = planning.STATUSES
MONTH_ENDS = [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def events(rows):
    return pa.table({"customer_id": pa.array([r[0] for r in rows], pa.int64()),
                     "changed_on": pa.array([r[1] for r in rows], pa.date32()),
                     "to_status": pa.array([r[2] for r in rows], pa.string())})


def purchases(rows):
    return pa.table({"customer_id": pa.array([r[0] for r in rows], pa.int64()),
                     "day": pa.array([r[1] for r in rows], pa.date32()),
                     "amount": pa.array([r[2] for r in rows], pa.float64())})


def test_monthly_figures_count_statuses_transitions_and_revenue_by_the_status_at_the_months_start():
    states = planning.monthly_states(
        events([
            (1, date(2024, 1, 10), "novice"), (1, date(2024, 2, 15), "fan"),
            (2, date(2024, 2, 5), "lead"), (2, date(2024, 3, 1), "novice"),
            (3, date(2023, 12, 1), "fan"), (3, date(2024, 3, 20), "dormant"),
        ]),
        purchases([(1, date(2024, 2, 15), 100.0), (2, date(2024, 3, 1), 40.0), (3, date(2024, 2, 1), 10.0),
                   (3, date(2024, 1, 31), 999.0)]),  # the last one falls before the first month
        MONTH_ENDS,
    )
    figures = planning.monthly_figures(states)
    idx = STATUSES.index
    assert figures.counts[0].tolist() == [0, 0, 1, 1, 0, 0]  # 1 novice, 3 fan
    assert figures.counts[1][idx("fan")] == 2 and figures.counts[1][idx("lead")] == 1
    assert figures.counts[2].tolist() == [0, 0, 1, 1, 1, 0]
    # February: 1 novice → fan, 3 fan → fan, 2 new → lead.
    feb = figures.transitions[0]
    assert feb[idx("novice"), idx("fan")] == 1 and feb[idx("fan"), idx("fan")] == 1
    assert feb[planning.NEW, idx("lead")] == 1 and feb.sum() == 3
    # February revenue: 100 by customer 1 (a novice on Jan 31), 10 by customer 3 (a fan).
    assert figures.revenue[0][idx("novice")] == 100 and figures.revenue[0][idx("fan")] == 10
    # March: 40 by customer 2, a lead on Feb 29.
    assert figures.revenue[1][idx("lead")] == 40 and figures.revenue[1].sum() == 40
    only_three = planning.monthly_figures(states, states.customers == 3)
    assert only_three.counts[:, idx("fan")].tolist() == [1, 1, 0, 0] and only_three.revenue.sum() == 10


def chain_of(matrix, entrants, revenue, entrant_revenue=0.0):
    return planning.Chain(matrix=np.array(matrix, float), entrants=np.array(entrants, float),
                          revenue_per_client=np.array(revenue, float), entrant_revenue=entrant_revenue)


SIMPLE = [  # prospect, lead, novice, fan, dormant, lost
    [1, 0, 0, 0, 0, 0],
    [0, 1, 0, 0, 0, 0],
    [0, 0, 0.5, 0.5, 0, 0],
    [0, 0, 0, 0.9, 0.1, 0],
    [0, 0, 0, 0, 0.5, 0.5],
    [0, 0, 0, 0, 0, 1],
]


def test_the_forecast_follows_the_chain_and_the_entrants():
    chain = chain_of(SIMPLE, [0, 0, 10, 0, 0, 0], [0, 0, 100, 300, 20, 0], entrant_revenue=50)
    counts, revenue = planning.forecast(chain, np.array([0, 0, 10, 100, 0, 0.0]), 2)
    assert counts[0].tolist() == pytest.approx([0, 0, 15, 95, 10, 0])
    assert revenue[0] == pytest.approx(10 * 100 + 100 * 300 + 10 * 50)
    assert counts[1].tolist() == pytest.approx([0, 0, 17.5, 93, 14.5, 5])
    assert revenue[1] == pytest.approx(15 * 100 + 95 * 300 + 10 * 20 + 500)


def test_a_target_needs_exactly_the_novices_that_close_its_gap():
    chain = chain_of(SIMPLE, [0, 0, 10, 0, 0, 0], [0, 0, 100, 300, 20, 0])
    start = np.array([0, 0, 10, 100, 0, 0.0])
    course = planning.plan_for_target(chain, start, month=3, target=0)
    target = course.forecast_revenue + 3000
    plan = planning.plan_for_target(chain, start, month=3, target=target)
    extra = np.zeros(6)
    extra[STATUSES.index("novice")] = plan.extra_novices_per_month
    _, revenue = planning.forecast(chain, start, 3, extra_entrants=extra)
    assert revenue[-1] == pytest.approx(target)
    assert plan.fans_needed == pytest.approx(plan.forecast_fans + 3000 / 300)
    assert planning.plan_for_target(chain, start, month=3, target=1).extra_novices_per_month == 0  # already on course
    with pytest.raises(ValueError):
        planning.plan_for_target(chain, start, month=0, target=1)


def test_the_chain_is_measured_from_the_transitions_and_the_bootstrap_band_holds_the_median():
    rng = np.random.default_rng(1)
    size = 20
    figures = planning.MonthlyFigures(
        month_ends=[date(2024, 1, 1)] * size,
        counts=np.tile([0, 0, 50, 200, 30, 10.0], (size, 1)),
        transitions=np.zeros((size - 1, 7, 6)),
        revenue=np.tile([0, 0, 5000, 60000, 600, 0, 0.0], (size - 1, 1)),
    )
    for month in range(size - 1):
        t = figures.transitions[month]
        t[2, 3], t[2, 2] = rng.integers(15, 25), 30
        t[3, 3], t[3, 4] = 185, 15
        t[4, 4], t[4, 5] = 25, 5
        t[5, 5] = 10
        t[planning.NEW, 2] = 20
    chain = planning.fit_chain(figures)
    assert chain.matrix.sum(axis=1)[2:].tolist() == pytest.approx([1, 1, 1, 1])
    assert chain.matrix[3, 4] == pytest.approx(15 / 200) and chain.entrants[2] == 20
    assert chain.revenue_per_client[3] == pytest.approx(300)
    band = planning.bootstrap_forecast(figures, 6, window=12, draws=100)
    assert np.all(band["revenue"][0] <= band["revenue"][1]) and np.all(band["revenue"][1] <= band["revenue"][2])
    assert np.any(band["revenue"][0] < band["revenue"][2])  # the rates vary, so the band has a width
    result = planning.backtest(figures, origin=12, horizon=6, window=12)
    assert result["predicted"].shape == (6, 6) and 0 <= result["active_error"] < 0.2
