"""The one engine test suite on every backend: DuckDB, PostgreSQL and PySpark against the plain-Python reference.

DuckDB and PySpark (local mode, one session for the whole run) always run. PostgreSQL runs when
DATABASE_URL points at a PostgreSQL server (the PostgreSQL half of `make test`): the tests work in a
throwaway database on that server, created here and dropped at the end (its name carries
ROMASHKA_TEST_DB_SUFFIX when set, so that two runs can share a server).
"""

from __future__ import annotations

import os
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lifecycle import AS_OF, ago, histories, purchases_table, reference_lifecycle, with_times
from test_prospects import parties_strategy, parties_table, profile, reference_with_parties

from romashka.engine import LIFECYCLE_COLUMNS, lifecycle_table
from romashka.engine.backends import connect, put_table
from romashka.engine.history import history_table
from romashka.engine.prospects import pre_purchase_expr

DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = urlsplit(DATABASE_URL).scheme in ("postgres", "postgresql")
BACKENDS = ["duckdb", *(["postgres"] if ON_POSTGRES else []), "pyspark"]
# Hypothesis examples per test: Spark takes about a second a query, the others a few milliseconds.
EXAMPLES = {"duckdb": 20, "postgres": 30, "pyspark": 12}
# Tiny tables: one shuffle partition and no adaptive re-planning keep a Spark query near a second.
SPARK_SETTINGS = {"spark.sql.shuffle.partitions": 1, "spark.sql.adaptive.enabled": "false"}


@pytest.fixture(scope="session")
def spark_backend():
    pytest.importorskip("pyspark", reason="the spark extra is not installed: pip install -e '.[spark]'")
    backend = connect("pyspark", **SPARK_SETTINGS)
    yield backend
    backend._session.stop()


@pytest.fixture(scope="session")
def postgres_backend():
    import psycopg

    parts = urlsplit(DATABASE_URL)
    suffix = os.environ.get("ROMASHKA_TEST_DB_SUFFIX")
    name = f"romashka_engine_test_{suffix}" if suffix else f"romashka_engine_test_{os.getpid()}"
    server = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    backend = connect("postgres", url=urlunsplit(("postgres", parts.netloc, f"/{name}", "", "")))
    yield backend
    backend.disconnect()
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request):
    if request.param == "pyspark":
        return request.getfixturevalue("spark_backend")
    if request.param == "postgres":
        return request.getfixturevalue("postgres_backend")
    return connect("duckdb")


def run(backend, rows, *, timestamps=False, **parameters):
    table = put_table(backend, purchases_table(rows, timestamps=timestamps))
    result = lifecycle_table(table, as_of=AS_OF, backend=backend, **parameters)
    assert result.column_names == list(LIFECYCLE_COLUMNS)
    return result


def on_every_backend(test):
    """A Hypothesis test ``test(backend, data)`` run once per backend, each with its own number of examples."""

    def wrapper(backend):
        @settings(max_examples=EXAMPLES[backend.name], deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(data=st.data())
        def examples(data):
            test(backend, data)

        examples()

    wrapper.__name__ = test.__name__
    wrapper.__doc__ = test.__doc__
    return wrapper


# --- random histories ----------------------------------------------------------------------------


@on_every_backend
def test_default_rules_match_the_reference(backend, data):
    rows = data.draw(histories(90, 270))
    timestamps = data.draw(st.booleans())
    if timestamps:
        rows = with_times(rows, data)
    assert run(backend, rows, timestamps=timestamps).to_pylist() == reference_lifecycle(rows, as_of=AS_OF)


@on_every_backend
def test_other_parameters_match_the_reference_and_history_matches_duckdb(backend, data):
    cycle_days = data.draw(st.integers(0, 40))
    lost_after_days = data.draw(st.one_of(st.none(), st.integers(0, 100)))
    fan_min_purchases = data.draw(st.integers(1, 5))
    effective_lost = 3 * cycle_days if lost_after_days is None else lost_after_days
    rows = data.draw(histories(cycle_days, effective_lost))
    parameters = dict(cycle_days=cycle_days, fan_min_purchases=fan_min_purchases, lost_after_days=lost_after_days)
    assert run(backend, rows, **parameters).to_pylist() == reference_lifecycle(rows, as_of=AS_OF, **parameters)
    # The status events: the same rows as on DuckDB, whose history is tested against the lifecycle.
    purchases = purchases_table(rows)
    events = history_table(put_table(backend, purchases), as_of=AS_OF, backend=backend, **parameters)
    assert events.to_pylist() == history_table(purchases, as_of=AS_OF, **parameters).to_pylist()


@on_every_backend
def test_parties_before_their_first_purchase_match_the_reference(backend, data):
    """Leads and prospects from a parties table: the lifecycle as the reference, the events as on DuckDB."""
    rows = data.draw(histories(90, 270))
    parties = data.draw(parties_strategy)
    profiles = data.draw(st.lists(profile, max_size=2))
    expected = reference_with_parties(rows, parties, profiles, as_of=AS_OF)
    on_backend = pre_purchase_expr(put_table(backend, parties_table(parties)), profiles=profiles, as_of=AS_OF)
    purchases = put_table(backend, purchases_table(rows))
    assert lifecycle_table(purchases, as_of=AS_OF, backend=backend, parties=on_backend).to_pylist() == expected
    on_duckdb = pre_purchase_expr(ibis.memtable(parties_table(parties)), profiles=profiles, as_of=AS_OF)
    events = history_table(purchases, as_of=AS_OF, backend=backend, parties=on_backend).to_pylist()
    assert events == history_table(purchases_table(rows), as_of=AS_OF, parties=on_duckdb).to_pylist()


def test_profile_matching_trims_and_folds_the_same_on_every_backend(backend):
    """Spaces around a value do not matter, letters do (PySpark once trimmed "f" and "v" off the ends)."""
    from test_prospects import party

    from romashka.engine.prospects import TargetProfile

    parties = [
        party("1", None, gender="f", city="  Казань\t", channel="2ГИС "),
        party("2", None, gender="fv", city="Казань", channel="2ГИС"),
        party("3", None, gender="f", city="Казаньf", channel="2ГИС"),
    ]
    profile = TargetProfile(gender="F", cities=(" казань",), acquisition_channels=("2гис",))
    table = put_table(backend, parties_table(parties))
    result = backend.to_pyarrow(pre_purchase_expr(table, profiles=[profile], as_of=AS_OF).order_by("customer_id"))
    assert [row["pre_status"] for row in result.to_pylist()] == ["prospect", "lead", "lead"]


# --- the boundaries of test_lifecycle.py, spelled out ---------------------------------------------

D = Decimal
BOUNDARY_CASES = {
    **{f"recency {days}": ([("1", ago(days), D("5"))], {}) for days in (0, 90, 91, 270, 271)},
    **{
        f"episode gap {gap}": ([("1", ago(10 + gap), D("5")), ("1", ago(10), D("5")), ("1", ago(5), D("5"))], {})
        for gap in (270, 271)
    },
    "receipts a day, zero-sum day": (
        [("1", ago(3), D("100")), ("1", ago(3), D("50")), ("1", ago(2), D("40")), ("1", ago(2), D("-40")),
         ("1", ago(1), D("30")), ("1", ago(1), D("-10.5"))],
        {},
    ),
    "refund on a day without purchase": ([("1", ago(30), D("100")), ("1", ago(2), D("-25.25"))], {}),
    "lead": ([("0042", ago(5), D("-10")), ("0042", ago(4), D("0"))], {}),
    "ids kept exactly": ([(i, ago(1), D("1")) for i in ["00123", "0123", "123", "+79161234567", "89161234567"]], {}),
    "fan in the current episode": (
        [("1", ago(400), D("1")), ("1", ago(399), D("1")), ("1", ago(398), D("1")), ("1", ago(10), D("1")),
         ("1", ago(5), D("1"))],
        {},
    ),
    "fan from 2": ([("1", ago(400), D("1")), ("1", ago(10), D("1")), ("1", ago(5), D("1"))], {"fan_min_purchases": 2}),
    "lost after 3 cycles": ([("1", ago(31), D("1"))], {"cycle_days": 10}),
    "lost after 31 days": ([("1", ago(31), D("1"))], {"cycle_days": 10, "lost_after_days": 31}),
    "zero cycle": ([("1", ago(0), D("1")), ("1", ago(1), D("1"))], {"cycle_days": 0, "lost_after_days": 0}),
    "decimal sums": ([("1", ago(1), D("0.10"))] * 3 + [("1", ago(2), D("0.20"))], {}),
    "large totals": ([("1", ago(1), D("9999999999999999.99"))] * 4, {}),
}  # fmt: skip


@pytest.mark.parametrize("case", BOUNDARY_CASES)
def test_boundaries_match_the_reference(backend, case):
    rows, parameters = BOUNDARY_CASES[case]
    assert run(backend, rows, **parameters).to_pylist() == reference_lifecycle(rows, as_of=AS_OF, **parameters)


def test_rows_after_as_of_are_ignored_including_the_time_on_as_of(backend):
    rows = [
        ("1", datetime.combine(AS_OF, time(23, 59, 59)), D("1")),
        ("1", datetime.combine(AS_OF + timedelta(days=1), time(0, 0)), D("1000")),
        ("2", datetime.combine(AS_OF + timedelta(days=1), time(0, 0)), D("1000")),
    ]
    result = run(backend, rows, timestamps=True).to_pylist()
    assert result == reference_lifecycle(rows, as_of=AS_OF)
    assert [(row["customer_id"], row["recency_days"]) for row in result] == [("1", 0)]


def test_columns_and_types_are_the_contract(backend):
    reference = lifecycle_table(purchases_table([("1", ago(1), D("1"))]), as_of=AS_OF)
    assert run(backend, [("1", ago(1), D("1"))]).schema.remove_metadata() == reference.schema.remove_metadata()


def test_amounts_with_finer_decimals_are_rounded_once_on_the_total(backend):
    table = pa.table(
        {
            "customer_id": ["1", "1", "1"],
            "purchased_at": pa.array([ago(1)] * 3, pa.date32()),
            "amount": pa.array([D("0.0040")] * 3, pa.decimal128(18, 4)),
        }
    )
    result = lifecycle_table(put_table(backend, table), as_of=AS_OF, backend=backend)
    assert result.to_pylist()[0]["monetary"] == D("0.01")


def test_spark_runs_in_local_mode_within_seconds(spark_backend):
    # The session is already up: a query over a small table must not take Spark's cluster-sized pauses.
    started = clock.perf_counter()
    rows = [(f"{n:05d}", date(2024, 1, 1) + timedelta(days=n % 180), D(n % 50) - 5) for n in range(2000)]
    assert run(spark_backend, rows).to_pylist() == reference_lifecycle(rows, as_of=AS_OF)
    assert spark_backend._session.sparkContext.master == "local[2]"
    assert clock.perf_counter() - started < 30
