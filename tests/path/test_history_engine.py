"""Status history engine: the status its events give at any date equals a fresh lifecycle run at that date."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import ibis
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romashka.engine import lifecycle_table
from romashka.engine.history import HISTORY_COLUMNS, history_table

BACKEND = ibis.duckdb.connect()
START = date(2023, 1, 1)
AS_OF = date(2024, 6, 30)
IDS = ["0001", "001", "+79161234567", "card 42", "Ёлка"]


def _table(rows) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], pa.string()),
            "purchased_at": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.decimal128(12, 2)),
        }
    )


def _status_at(events: pa.Table, day: date) -> dict[str, tuple[str, bool]]:
    """Customer → (status, won_back) from the last event on or before the day."""
    by_customer: dict[str, list[tuple[date, str, bool]]] = defaultdict(list)
    for row in events.to_pylist():
        by_customer[row["customer_id"]].append((row["changed_on"], row["to_status"], row["won_back"]))
    result = {}
    for customer, changes in by_customer.items():
        changes.sort()
        index = bisect_right([c[0] for c in changes], day)
        if index:
            _, status, won_back = changes[index - 1]
            result[customer] = (status, won_back)
    return result


def _check(rows, dates, as_of=AS_OF, **parameters) -> pa.Table:
    table = _table(rows)
    events = history_table(table, as_of=as_of, backend=BACKEND, **parameters)
    assert tuple(events.column_names) == HISTORY_COLUMNS
    for day in dates:
        fresh = lifecycle_table(table, as_of=day, backend=BACKEND, **parameters).to_pylist()
        expected = {row["customer_id"]: (row["status"], row["won_back"]) for row in fresh}
        assert _status_at(events, day) == expected, day
    return events


row = st.tuples(
    st.sampled_from(IDS),
    st.integers(0, (AS_OF - START).days + 60).map(lambda offset: START + timedelta(days=offset)),
    st.sampled_from([Decimal("100.00"), Decimal("0.01"), Decimal("-100.00"), Decimal("-50.00"), Decimal("0")]),
)
histories = st.lists(row, max_size=40)
days = st.lists(st.integers(0, (AS_OF - START).days).map(lambda offset: START + timedelta(days=offset)),
                min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=histories, dates=days)
def test_events_give_the_fresh_status_at_any_date_under_default_rules(rows, dates):
    _check(rows, [*dates, AS_OF])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=histories,
    dates=days,
    cycle_days=st.integers(0, 60),
    fan_min_purchases=st.integers(0, 5),
    lost_after_days=st.one_of(st.none(), st.integers(0, 200)),
)
def test_events_give_the_fresh_status_at_any_date_under_other_parameters(
    rows, dates, cycle_days, fan_min_purchases, lost_after_days
):
    _check(rows, [*dates, AS_OF], cycle_days=cycle_days, fan_min_purchases=fan_min_purchases,
           lost_after_days=lost_after_days)


@settings(max_examples=60, deadline=None)
@given(rows=histories)
def test_every_event_changes_something_and_links_to_the_previous_one(rows):
    events = history_table(_table(rows), as_of=AS_OF, backend=BACKEND).to_pylist()
    previous: dict[str, dict] = {}
    for event in events:
        before = previous.get(event["customer_id"])
        assert event["changed_on"] <= AS_OF
        if before is None:
            assert event["from_status"] is None
        else:
            assert event["from_status"] == before["to_status"]
            assert before["changed_on"] < event["changed_on"]
            assert (before["to_status"], before["won_back"]) != (event["to_status"], event["won_back"])
        previous[event["customer_id"]] = event


def test_the_path_of_one_client_day_by_day():
    rows = [
        ("0001", date(2024, 1, 1), Decimal("100")),
        ("0001", date(2024, 1, 1), Decimal("-100")),  # a fully refunded day is no purchase day
        ("0001", date(2024, 1, 2), Decimal("100")),
        ("0001", date(2024, 1, 10), Decimal("100")),
        ("0001", date(2024, 1, 20), Decimal("100")),
        ("0001", date(2024, 12, 1), Decimal("100")),  # 316 days later: a new episode
    ]
    checked = [date(2024, 1, 1), date(2024, 4, 20), date(2024, 4, 21), date(2024, 10, 17), date(2024, 12, 1)]
    events = _check(rows, checked, as_of=date(2024, 12, 31))
    assert [(e["changed_on"], e["from_status"], e["to_status"], e["won_back"]) for e in events.to_pylist()] == [
        (date(2024, 1, 1), None, "lead", False),
        (date(2024, 1, 2), "lead", "novice", False),
        (date(2024, 1, 20), "novice", "fan", False),
        (date(2024, 4, 20), "fan", "dormant", False),  # 20 January + 90 days + 1
        (date(2024, 10, 17), "dormant", "lost", False),  # 20 January + 270 days + 1
        (date(2024, 12, 1), "lost", "novice", True),
    ]


def test_a_purchase_on_the_day_the_cycle_runs_out_means_no_dormant_event():
    rows = [("1", date(2024, 1, 1), Decimal("10")), ("1", date(2024, 4, 1), Decimal("10"))]  # 91 days
    events = _check(rows, [date(2024, 3, 31), date(2024, 4, 1)])
    assert [e["to_status"] for e in events.to_pylist()] == ["novice"]
