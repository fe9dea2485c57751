"""The purchase-cycle suggestion, personal rhythm and per-customer parameters on constructed histories."""

from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from romashka.engine import lifecycle_table
from romashka.engine.cycle import cycle_suggestion, histogram_buckets, rhythm_table, suggested_cycle_days
from romashka.engine.history import history_table
from romashka.engine.parameters import RuleParameters, lifecycle_and_history_tables

START = date(2024, 1, 1)


def purchases(rows):
    """rows: (customer, day offset from START, amount[, location, category])."""
    columns = {
        "customer_id": pa.array([r[0] for r in rows], pa.string()),
        "purchased_at": pa.array([START + timedelta(days=r[1]) for r in rows], pa.date32()),
        "amount": pa.array([Decimal(str(r[2])) for r in rows], pa.decimal128(14, 2)),
    }
    if rows and len(rows[0]) > 3:
        columns["location"] = pa.array([r[3] for r in rows], pa.string())
        columns["category"] = pa.array([r[4] for r in rows], pa.string())
    return pa.table(columns)


def history_with_gaps(customer, gaps, **extra):
    day, rows = 0, [(customer, 0, 100, *extra.values())]
    for gap in gaps:
        day += gap
        rows.append((customer, day, 100, *extra.values()))
    return rows


def test_suggestion_is_the_80th_percentile_of_gaps_rounded_up_to_weeks():
    # Ten gaps 1..10 days: 8 of 10 are ≤ 8 days, so the 80th percentile is 8 and the suggestion 14.
    rows = history_with_gaps("a", [1, 2, 3, 4, 5]) + history_with_gaps("b", [6, 7, 8, 9, 10])
    suggestion = cycle_suggestion(purchases(rows))
    assert suggestion.overall.gaps == 10
    assert suggestion.overall.percentile_days == 8
    assert suggestion.overall.median_days == 5
    assert suggestion.overall.suggested_cycle_days == 14
    assert sum(bucket[2] for bucket in suggestion.histogram) == 10


def test_refund_days_and_same_day_receipts_are_not_gaps():
    rows = [("a", 0, 100), ("a", 0, 50), ("a", 10, 100), ("a", 10, -100), ("a", 30, 100), ("b", 5, 10)]
    suggestion = cycle_suggestion(purchases(rows))
    assert suggestion.overall.gaps == 1
    assert suggestion.overall.percentile_days == 30
    assert suggestion.overall.suggested_cycle_days == 35


def test_per_location_and_category_gaps_count_returns_to_the_same_place():
    rows = history_with_gaps("a", [7, 7, 7], location="north", category="coffee") + history_with_gaps(
        "b", [60, 60], location="south", category="beans"
    )
    suggestion = cycle_suggestion(purchases(rows))
    by_location = {s.key: s for s in suggestion.by_location}
    assert by_location["north"].percentile_days == 7 and by_location["north"].suggested_cycle_days == 7
    assert by_location["south"].percentile_days == 60 and by_location["south"].suggested_cycle_days == 63
    assert {s.key: s.gaps for s in suggestion.by_category} == {"coffee": 3, "beans": 2}


def test_no_gaps_no_suggestion():
    suggestion = cycle_suggestion(purchases([("a", 0, 100)]))
    assert suggestion.overall.gaps == 0 and suggestion.overall.suggested_cycle_days is None
    assert suggestion.histogram == []


@pytest.mark.parametrize(("days", "expected"), [(1, 7), (7, 7), (8, 14), (0, 7), (5000, 3650)])
def test_suggestion_rounding(days, expected):
    assert suggested_cycle_days(days) == expected


def test_histogram_puts_the_long_tail_in_the_last_bucket():
    width, buckets = histogram_buckets([(1, 5), (7, 5), (8, 1), (400, 2)], p95_days=14)
    assert width == 1
    assert buckets[-1] == (15, None, 2)
    assert sum(b[2] for b in buckets) == 13


def rhythm(rows, as_of, **options):
    table = rhythm_table(purchases(rows), as_of=START + timedelta(days=as_of), **options)
    return {row["customer_id"]: (row["rhythm_days"], row["overdue"]) for row in table.to_pylist()}


def test_rhythm_is_the_median_gap_from_two_gaps_on():
    rows = (
        history_with_gaps("a", [10, 20]) + history_with_gaps("b", [10]) + history_with_gaps("c", [4, 10, 30])
    )
    result = rhythm(rows, 50)
    assert result["a"] == (15.0, False)  # recency 20
    assert result["b"] == (None, False)
    assert result["c"][0] == 10.0


def test_overdue_when_the_current_gap_exceeds_rhythm_times_factor():
    rows = history_with_gaps("a", [10, 10])  # last purchase on day 20, rhythm 10
    assert rhythm(rows, 35) == {"a": (10.0, False)}  # 15 days: exactly 1.5 × 10 is not more
    assert rhythm(rows, 36) == {"a": (10.0, True)}
    assert rhythm(rows, 41, overdue_factor=2.0) == {"a": (10.0, True)}
    assert rhythm(rows, 40, overdue_factor=2.0) == {"a": (10.0, False)}
    factors = pa.table({"customer_id": ["a"], "overdue_factor": [3.0]})
    assert rhythm(rows, 41, factors=factors) == {"a": (10.0, False)}


def test_per_customer_parameters_match_a_run_with_those_parameters():
    rows = history_with_gaps("a", [10, 10, 10]) + history_with_gaps("b", [10, 10, 10])
    table = purchases(rows)
    as_of = START + timedelta(days=60)  # last purchase day 30: recency 30
    parameters = pa.table(
        {"customer_id": ["b"], "cycle_days": [14], "lost_after_days": [None], "fan_min_purchases": [None]},
        schema=pa.schema(
            [
                ("customer_id", pa.string()),
                ("cycle_days", pa.int64()),
                ("lost_after_days", pa.int64()),
                ("fan_min_purchases", pa.int64()),
            ]
        ),
    )
    defaults = RuleParameters(cycle_days=90, fan_min_purchases=3, lost_after_days=270)
    current, history = lifecycle_and_history_tables(
        table, as_of=as_of, defaults=defaults, parameters=parameters
    )
    status = {row["customer_id"]: row["status"] for row in current.to_pylist()}
    assert status == {"a": "fan", "b": "dormant"}
    only_b = purchases([r for r in rows if r[0] == "b"])
    expected = history_table(only_b, as_of=as_of, cycle_days=14, lost_after_days=42)
    got = history.filter(pa.compute.equal(history["customer_id"], "b")).sort_by("changed_on")
    assert got.to_pylist() == expected.to_pylist()
    plain = lifecycle_table(table, as_of=as_of)
    no_overrides, _ = lifecycle_and_history_tables(table, as_of=as_of, defaults=defaults)
    assert no_overrides.sort_by("customer_id").to_pylist() == plain.to_pylist()
