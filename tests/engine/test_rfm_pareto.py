"""RFM scores, the grid and the Pareto curve and share on hand-built purchases, on DuckDB and PostgreSQL:
values worked out by hand, ties in quintiles, business-set bounds, an empty table and a single client."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romashka.engine.backends import connect, put_table
from romashka.engine.discovery import (
    CELL_OF,
    RfmBounds,
    customer_figures_expr,
    figures_table,
    pareto_expr,
    rfm_grid_expr,
    rfm_scores_expr,
)

AS_OF = date(2026, 3, 31)
ON_POSTGRES = urlsplit(os.environ.get("DATABASE_URL", "")).scheme in ("postgres", "postgresql")


@pytest.fixture(params=["duckdb", *(["postgres"] if ON_POSTGRES else [])])
def backend(request):
    if request.param == "duckdb":
        yield connect("duckdb")
        return
    # Temporary tables only, so the server's own database will do (the app's may not exist yet).
    parts = urlsplit(os.environ["DATABASE_URL"])
    engine = connect("postgres", url=urlunsplit((parts.scheme, parts.netloc, "/postgres", "", "")))
    yield engine
    engine.disconnect()


def _purchases(rows: list[tuple[str, date, str]]) -> pa.Table:
    return pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.string()),
        "purchased_at": pa.array([r[1] for r in rows], pa.date32()),
        "amount": pa.array([Decimal(r[2]) for r in rows], pa.decimal128(12, 2)),
    })


def _by_customer(backend, expr) -> dict[str, dict]:
    return {row["customer_id"]: row for row in backend.to_pyarrow(expr).to_pylist()}


def test_figures_follow_the_lifecycle_rules(backend):
    rows = [
        ("a", date(2026, 3, 1), "100.10"), ("a", date(2026, 3, 21), "50"),
        ("b", date(2026, 3, 24), "30"),
        ("c", date(2026, 3, 1), "10"), ("c", date(2026, 3, 2), "20"), ("c", date(2026, 3, 2), "-20"),  # day 2 is 0
        ("d", date(2026, 3, 4), "-5"),  # only a refund: no purchase day, not scored
        ("e", date(2026, 4, 2), "70"),  # after as_of
    ]
    figures = _by_customer(backend, customer_figures_expr(put_table(backend, _purchases(rows)), as_of=AS_OF))
    assert figures == {
        "a": {"customer_id": "a", "recency_days": 10, "frequency": 2, "monetary": Decimal("150.10")},
        "b": {"customer_id": "b", "recency_days": 7, "frequency": 1, "monetary": Decimal("30.00")},
        "c": {"customer_id": "c", "recency_days": 30, "frequency": 1, "monetary": Decimal("10.00")},
    }


def _figures(backend, rows):
    ids, recency, frequency, monetary = zip(*rows, strict=True)
    return put_table(backend, figures_table(ids, recency, frequency, [Decimal(m) for m in monetary]))


def test_quintiles_of_ten_distinct_clients_are_two_per_score(backend):
    # Recency 1..10 days: the most recent two score 5; frequency 10..1: the two most frequent score 5.
    rows = [(f"c{i:02}", i, 11 - i, str(100 * i)) for i in range(1, 11)]
    scores = _by_customer(backend, rfm_scores_expr(_figures(backend, rows)))
    assert [scores[f"c{i:02}"]["r_score"] for i in range(1, 11)] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [scores[f"c{i:02}"]["f_score"] for i in range(1, 11)] == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert [scores[f"c{i:02}"]["m_score"] for i in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores["c01"]["cell"] == "champions" and scores["c10"]["cell"] == "hibernating"
    assert scores["c05"]["cell"] == "need_attention"


def test_ties_score_alike_by_the_number_of_clients_strictly_worse(backend):
    # Frequency: six clients with 1 purchase day, then 2, 3, 4, 5 (n = 10).
    # worse = 0 for the six → 1 + ⌊0⌋ = 1; 2 days: worse 6 → 1 + ⌊3⌋ = 4; 3: worse 7 → 1 + ⌊3.5⌋ = 4;
    # 4: worse 8 → 5; 5: worse 9 → 5.
    frequencies = [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    rows = [(f"c{i}", 30, days, "100") for i, days in enumerate(frequencies)]
    scores = _by_customer(backend, rfm_scores_expr(_figures(backend, rows)))
    assert [scores[f"c{i}"]["f_score"] for i in range(10)] == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # Everyone tied on recency and money: nobody is worse than anyone, all score 1.
    assert {scores[f"c{i}"]["r_score"] for i in range(10)} == {1}
    assert {scores[f"c{i}"]["m_score"] for i in range(10)} == {1}


def test_a_single_client_and_an_empty_table(backend):
    single = _by_customer(backend, rfm_scores_expr(_figures(backend, [("only", 3, 7, "900")])))
    assert (single["only"]["r_score"], single["only"]["f_score"], single["only"]["m_score"]) == (1, 1, 1)
    empty = put_table(backend, figures_table([], [], [], []))
    assert backend.to_pyarrow(rfm_grid_expr(rfm_scores_expr(empty))).num_rows == 0
    assert backend.to_pyarrow(pareto_expr(empty)).num_rows == 0
    share = backend.to_pyarrow(pareto_expr(_figures(backend, [("only", 3, 7, "900")]))).to_pylist()
    assert share == [{"client_share": 1.0, "revenue_share": 1.0, "top_clients": 1, "clients": 1}]


def test_business_bounds(backend):
    bounds = RfmBounds(recency_days=(7, 30, 90, 180), frequency=(2, 3, 5, 10), monetary=(500, 1000, 5000, 20000))
    rows = [("a", 7, 10, "20000"), ("b", 8, 9, "19999.99"), ("c", 181, 1, "0"), ("d", 90, 2, "500")]
    scores = _by_customer(backend, rfm_scores_expr(_figures(backend, rows), bounds=bounds))
    assert {k: (v["r_score"], v["f_score"], v["m_score"]) for k, v in scores.items()} == {
        "a": (5, 5, 5), "b": (4, 4, 4), "c": (1, 1, 1), "d": (3, 2, 2)}
    with pytest.raises(ValueError):
        RfmBounds(frequency=(3, 2, 5, 10))


def test_the_grid_counts_and_sums_per_cell(backend):
    rows = [(f"c{i:02}", i, 11 - i, str(100 * i)) for i in range(1, 11)]
    grid = backend.to_pyarrow(rfm_grid_expr(rfm_scores_expr(_figures(backend, rows)))).to_pylist()
    cells = {(row["r_score"], row["f_score"]): (row["cell"], row["customers"], row["revenue"]) for row in grid}
    # R and F fall together here: five diagonal cells of two clients each (revenue 100+200, 300+400, …).
    assert cells == {(5, 5): ("champions", 2, Decimal("300.00")), (4, 4): ("loyal", 2, Decimal("700.00")),
                     (3, 3): ("need_attention", 2, Decimal("1100.00")), (2, 2): ("hibernating", 2, Decimal("1500.00")),
                     (1, 1): ("hibernating", 2, Decimal("1900.00"))}


def test_every_square_of_the_grid_has_one_name():
    assert len(CELL_OF) == 25


def test_pareto_share_and_curve(backend):
    # Revenue 500, 300, 100, 50, 50 (total 1000): 80% is reached by the top two (800) → 2 of 5 = 40%.
    rows = [("a", 1, 1, "500"), ("b", 1, 1, "300"), ("c", 1, 1, "100"), ("d", 1, 1, "50"), ("e", 1, 1, "50"),
            ("z", 1, 1, "0")]  # no money: not counted
    rows = backend.to_pyarrow(pareto_expr(_figures(backend, rows), points=5)).to_pylist()
    assert {(r["top_clients"], r["clients"]) for r in rows} == {(2, 5)}
    curve = [(round(r["client_share"], 4), round(r["revenue_share"], 4)) for r in rows]
    assert curve == [(0.2, 0.5), (0.4, 0.8), (0.6, 0.9), (0.8, 0.95), (1.0, 1.0)]
    # Ties at the threshold: 400, 400, 200 → 80% of 1000 needs both 400s whichever comes first.
    tied = _figures(backend, [("x", 1, 1, "400"), ("y", 1, 1, "400"), ("w", 1, 1, "200")])
    assert {(r["top_clients"], r["clients"]) for r in backend.to_pyarrow(pareto_expr(tied)).to_pylist()} == {(2, 3)}


def _reference_quintile(values: list[int], *, higher_is_better: bool) -> list[int]:
    """1 + ⌊5 · (number strictly worse) / n⌋ by counting, as the module docstring defines it."""
    n = len(values)
    return [1 + (5 * sum(1 for other in values if (other < v if higher_is_better else other > v))) // n
            for v in values]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(1, 6), st.integers(0, 5)), min_size=1, max_size=40))
def test_scores_per_distinct_value_equal_the_definition(backend, drawn):
    # Few distinct values, so ties are the rule: recency and frequency are scored per value, money by rank.
    rows = [(f"c{i:02}", recency, frequency, f"{100 * money}") for i, (recency, frequency, money) in enumerate(drawn)]
    scores = _by_customer(backend, rfm_scores_expr(_figures(backend, rows)))
    ids = [row[0] for row in rows]
    assert [scores[i]["r_score"] for i in ids] == _reference_quintile([r[1] for r in rows], higher_is_better=False)
    assert [scores[i]["f_score"] for i in ids] == _reference_quintile([r[2] for r in rows], higher_is_better=True)
    assert [scores[i]["m_score"] for i in ids] == _reference_quintile([m for _r, _f, m in drawn],
                                                                      higher_is_better=True)
    grid = backend.to_pyarrow(rfm_grid_expr(rfm_scores_expr(_figures(backend, rows)))).to_pylist()
    assert sum(row["customers"] for row in grid) == len(rows)
    assert all(row["cell"] == CELL_OF[(row["r_score"], row["f_score"])] for row in grid)
