"""The lifecycle engine against a plain-Python reference of the contract's rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romashka.engine import LIFECYCLE_COLUMNS, lifecycle_table
from romashka.engine import lifecycle as lifecycle_module

AS_OF = date(2024, 6, 30)
# One in-process DuckDB for the whole module: a fresh connection per Hypothesis example costs more
# than the query.
BACKEND = ibis.duckdb.connect()
IDS = ["0001", "001", "1", "+79161234567", "79161234567", "card 42", "Ёлка"]


def reference_lifecycle(rows, *, as_of, cycle_days=90, fan_min_purchases=3, lost_after_days=None):
    """The rules of PRODUCT.md read literally, one customer at a time; independent of the engine."""
    if lost_after_days is None:
        lost_after_days = 3 * cycle_days
    day_sums: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer_id, purchased_at, amount in rows:
        day = purchased_at.date() if isinstance(purchased_at, datetime) else purchased_at
        if day <= as_of:
            day_sums[customer_id][day] += amount
    result = []
    for customer_id in sorted(day_sums):
        days = day_sums[customer_id]
        monetary = sum(days.values(), Decimal(0)).quantize(Decimal("0.01"))
        purchase_days = sorted(day for day, total in days.items() if total > 0)
        if not purchase_days:
            result.append(
                dict(
                    customer_id=customer_id,
                    status="lead",
                    purchase_days=0,
                    episode_purchase_days=0,
                    first_purchase=None,
                    last_purchase=None,
                    recency_days=None,
                    monetary=monetary,
                    won_back=False,
                )
            )
            continue
        episodes = [[purchase_days[0]]]
        for previous, current in zip(purchase_days, purchase_days[1:], strict=False):
            if (current - previous).days > lost_after_days:
                episodes.append([current])
            else:
                episodes[-1].append(current)
        recency_days = (as_of - purchase_days[-1]).days
        if recency_days > lost_after_days:
            status = "lost"
        elif recency_days > cycle_days:
            status = "dormant"
        elif len(episodes[-1]) >= fan_min_purchases:
            status = "fan"
        else:
            status = "novice"
        result.append(
            dict(
                customer_id=customer_id,
                status=status,
                purchase_days=len(purchase_days),
                episode_purchase_days=len(episodes[-1]),
                first_purchase=purchase_days[0],
                last_purchase=purchase_days[-1],
                recency_days=recency_days,
                monetary=monetary,
                won_back=len(episodes) > 1,
            )
        )
    return result


def purchases_table(rows, *, timestamps=False):
    return pa.table(
        {
            "customer_id": pa.array([row[0] for row in rows], pa.string()),
            "purchased_at": pa.array(
                [row[1] for row in rows], pa.timestamp("us") if timestamps else pa.date32()
            ),
            "amount": pa.array([row[2] for row in rows], pa.decimal128(18, 2)),
        }
    )


def engine(rows, *, timestamps=False, **parameters):
    table = lifecycle_table(
        purchases_table(rows, timestamps=timestamps), as_of=AS_OF, backend=BACKEND, **parameters
    )
    assert table.column_names == list(LIFECYCLE_COLUMNS)
    return table.to_pylist()


def by_id(rows, **parameters):
    return {row["customer_id"]: row for row in engine(rows, **parameters)}


# --- random histories ----------------------------------------------------------------------------

AMOUNTS = st.one_of(
    st.sampled_from([Decimal("0"), Decimal("0.01"), Decimal("-0.01"), Decimal("10.00"), Decimal("-10.00")]),
    st.decimals(min_value=-500, max_value=2000, places=2, allow_nan=False, allow_infinity=False),
)


@st.composite
def histories(draw, cycle_days, lost_after_days):
    """Customers whose purchase days sit on and around every boundary of the rules."""
    special = [0, 1, cycle_days, cycle_days + 1, lost_after_days, lost_after_days + 1]
    gaps = st.one_of(st.sampled_from(special), st.integers(0, 2 * lost_after_days + 2))
    last_offsets = st.one_of(st.sampled_from([-3, -1, *special]), st.integers(-5, 2 * lost_after_days + 2))
    rows = []
    for customer_id in draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=5, unique=True)):
        day = AS_OF - timedelta(days=draw(last_offsets))
        for _ in range(draw(st.integers(1, 6))):
            for _ in range(draw(st.integers(1, 3))):  # several receipts on one day
                rows.append((customer_id, day, draw(AMOUNTS)))
            day -= timedelta(days=draw(gaps))
    return rows


def with_times(rows, data):
    return [
        (c, datetime.combine(d, data.draw(st.sampled_from([time(0, 0), time(12, 30), time(23, 59, 59)]))), a)
        for c, d, a in rows
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_default_rules_match_the_reference(data):
    rows = data.draw(histories(90, 270))
    timestamps = data.draw(st.booleans())
    if timestamps:
        rows = with_times(rows, data)
    assert engine(rows, timestamps=timestamps) == reference_lifecycle(rows, as_of=AS_OF)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_other_parameters_match_the_reference(data):
    cycle_days = data.draw(st.integers(0, 40))
    lost_after_days = data.draw(st.one_of(st.none(), st.integers(0, 100)))
    fan_min_purchases = data.draw(st.integers(1, 5))
    effective_lost = 3 * cycle_days if lost_after_days is None else lost_after_days
    rows = data.draw(histories(cycle_days, effective_lost))
    parameters = dict(
        cycle_days=cycle_days, fan_min_purchases=fan_min_purchases, lost_after_days=lost_after_days
    )
    assert engine(rows, **parameters) == reference_lifecycle(rows, as_of=AS_OF, **parameters)


# --- boundaries, spelled out ---------------------------------------------------------------------


def ago(days):
    return AS_OF - timedelta(days=days)


def test_columns_and_types_are_the_contract():
    table = lifecycle_table(purchases_table([("1", ago(1), Decimal("1"))]), as_of=AS_OF)
    assert table.column_names == list(LIFECYCLE_COLUMNS)
    assert table.schema.field("first_purchase").type == pa.date32()
    assert table.schema.field("won_back").type == pa.bool_()
    assert pa.types.is_decimal(table.schema.field("monetary").type)


@pytest.mark.parametrize(
    ("recency", "status"), [(0, "novice"), (90, "novice"), (91, "dormant"), (270, "dormant"), (271, "lost")]
)
def test_recency_boundaries(recency, status):
    row = by_id([("1", ago(recency), Decimal("5"))])["1"]
    assert (row["status"], row["recency_days"]) == (status, recency)


@pytest.mark.parametrize(("gap", "won_back", "episode_days"), [(270, False, 3), (271, True, 2)])
def test_episode_gap_of_exactly_lost_after_days_stays_one_episode(gap, won_back, episode_days):
    rows = [("1", ago(10 + gap), Decimal("5")), ("1", ago(10), Decimal("5")), ("1", ago(5), Decimal("5"))]
    row = by_id(rows)["1"]
    assert (row["won_back"], row["episode_purchase_days"], row["purchase_days"]) == (
        won_back,
        episode_days,
        3,
    )
    assert row["status"] == ("fan" if episode_days >= 3 else "novice")


def test_several_receipts_a_day_are_one_purchase_day_and_zero_sum_days_are_not():
    rows = [
        ("1", ago(3), Decimal("100")),
        ("1", ago(3), Decimal("50")),
        ("1", ago(2), Decimal("40")),
        ("1", ago(2), Decimal("-40")),
        ("1", ago(1), Decimal("30")),
        ("1", ago(1), Decimal("-10.5")),
    ]
    row = by_id(rows)["1"]
    assert (row["purchase_days"], row["last_purchase"], row["monetary"]) == (2, ago(1), Decimal("169.50"))
    assert row["status"] == "novice"


def test_refund_on_a_day_without_purchase_counts_in_monetary_only():
    row = by_id([("1", ago(30), Decimal("100")), ("1", ago(2), Decimal("-25.25"))])["1"]
    assert (row["purchase_days"], row["last_purchase"], row["recency_days"]) == (1, ago(30), 30)
    assert row["monetary"] == Decimal("74.75")


def test_rows_after_as_of_are_ignored_including_the_time_on_as_of():
    rows = [
        ("1", datetime.combine(AS_OF, time(23, 59, 59)), Decimal("1")),
        ("1", datetime.combine(AS_OF + timedelta(days=1), time(0, 0)), Decimal("1000")),
        ("2", datetime.combine(AS_OF + timedelta(days=1), time(0, 0)), Decimal("1000")),
    ]
    rows_by_id = by_id(rows, timestamps=True)
    assert list(rows_by_id) == ["1"]
    assert (rows_by_id["1"]["recency_days"], rows_by_id["1"]["monetary"]) == (0, Decimal("1.00"))


def test_customer_without_purchase_day_is_a_lead():
    row = by_id([("0042", ago(5), Decimal("-10")), ("0042", ago(4), Decimal("0"))])["0042"]
    assert row == dict(
        customer_id="0042",
        status="lead",
        purchase_days=0,
        episode_purchase_days=0,
        first_purchase=None,
        last_purchase=None,
        recency_days=None,
        monetary=Decimal("-10.00"),
        won_back=False,
    )


def test_ids_are_kept_exactly():
    ids = ["00123", "0123", "123", "+79161234567", "89161234567"]
    assert sorted(by_id([(i, ago(1), Decimal("1")) for i in ids])) == sorted(ids)


def test_fan_needs_the_purchases_in_the_current_episode():
    rows = [
        ("1", ago(400), Decimal("1")),
        ("1", ago(399), Decimal("1")),
        ("1", ago(398), Decimal("1")),
        ("1", ago(10), Decimal("1")),
        ("1", ago(5), Decimal("1")),
    ]
    row = by_id(rows)["1"]
    assert (row["status"], row["won_back"], row["episode_purchase_days"]) == ("novice", True, 2)
    assert by_id([*rows, ("1", ago(1), Decimal("1"))])["1"]["status"] == "fan"
    assert by_id(rows, fan_min_purchases=2)["1"]["status"] == "fan"


def test_lost_after_days_defaults_to_three_cycles():
    rows = [("1", ago(31), Decimal("1"))]
    assert by_id(rows, cycle_days=10)["1"]["status"] == "lost"
    assert by_id(rows, cycle_days=10, lost_after_days=31)["1"]["status"] == "dormant"


def test_monetary_is_summed_as_decimals():
    rows = [("1", ago(1), Decimal("0.10"))] * 3 + [("1", ago(2), Decimal("0.20"))]
    assert by_id(rows)["1"]["monetary"] == Decimal("0.50")


def test_float_amounts_are_taken_as_kopecks():
    table = pa.table(
        {
            "customer_id": ["1", "1", "1"],
            "purchased_at": pa.array([ago(1)] * 3, pa.date32()),
            "amount": [0.1, 0.1, 0.1],
        }
    )
    assert lifecycle_table(table, as_of=AS_OF).to_pylist()[0]["monetary"] == Decimal("0.30")


def test_the_expression_runs_on_a_given_backend():
    backend = ibis.duckdb.connect()
    backend.create_table("purchases", purchases_table([("1", ago(1), Decimal("1"))]))
    table = lifecycle_table(backend.table("purchases"), as_of=AS_OF, backend=backend)
    assert table.num_rows == 1


def test_negative_parameters_are_refused():
    with pytest.raises(ValueError, match="cycle_days"):
        lifecycle_table(purchases_table([("1", ago(1), Decimal("1"))]), as_of=AS_OF, cycle_days=-1)


def test_amounts_with_finer_decimals_are_rounded_once_on_the_total():
    # Four decimals are not kopecks: each row keeps its scale and only the total is rounded.
    table = pa.table(
        {
            "customer_id": ["1", "1", "1"],
            "purchased_at": pa.array([ago(1)] * 3, pa.date32()),
            "amount": pa.array([Decimal("0.0040")] * 3, pa.decimal128(18, 4)),
        }
    )
    assert lifecycle_table(table, as_of=AS_OF).to_pylist()[0]["monetary"] == Decimal("0.01")


def test_large_totals_in_kopecks_stay_exact():
    rows = [("1", ago(1), Decimal("9999999999999999.99"))] * 4
    assert by_id(rows)["1"]["monetary"] == Decimal("39999999999999999.96")


# --- the window on a hash of the id (DuckDB) -----------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_colliding_hashes_are_caught_and_the_result_stays_exact(data):
    rows = data.draw(histories(90, 270))
    with pytest.MonkeyPatch.context() as patch:
        # Every id "hashes" to its length: most customers of a history share a partition.
        patch.setattr(lifecycle_module, "_partition_hash", lambda customer_id: customer_id.length())
        assert engine(rows) == reference_lifecycle(rows, as_of=AS_OF)


@pytest.mark.parametrize(
    ("days", "clean"),
    [
        # "a" buys first, "b" later: a's rows come first in the shared partition, its figures are right.
        ({"a": (10, 9), "b": (5,)}, {"a": True, "b": False}),
        # Interleaved days: neither customer's rows are a prefix.
        ({"a": (10, 5), "b": (8,)}, {"a": False, "b": False}),
        ({"a": (10, 5)}, {"a": True}),
    ],
)
def test_a_collision_marks_exactly_the_customers_with_wrong_figures(monkeypatch, days, clean):
    monkeypatch.setattr(lifecycle_module, "_partition_hash", lambda customer_id: ibis.literal(1, type="int64"))
    rows = [(customer, ago(day), Decimal("5")) for customer, ago_days in days.items() for day in ago_days]
    expr = lifecycle_module.lifecycle_expr(
        ibis.memtable(purchases_table(rows)), as_of=AS_OF, hash_partitions=True
    )
    assert {row["customer_id"]: row["partition_clean"] for row in BACKEND.to_pyarrow(expr).to_pylist()} == clean
    # lifecycle_table notices and computes again by id: the figures are the reference's.
    assert engine(rows) == reference_lifecycle(rows, as_of=AS_OF)


def test_without_collisions_the_hashed_window_gives_the_same_rows():
    rows = [(customer, ago(days), Decimal("7")) for customer in IDS for days in (3, 40, 400)]
    plain = BACKEND.to_pyarrow(
        lifecycle_module.lifecycle_expr(ibis.memtable(purchases_table(rows)), as_of=AS_OF).order_by("customer_id")
    )
    assert lifecycle_table(purchases_table(rows), as_of=AS_OF, backend=BACKEND).equals(plain)
