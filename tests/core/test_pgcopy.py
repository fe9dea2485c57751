"""PostgreSQL's binary COPY format from Arrow batches: every supported type, NULLs and edge values.

On PostgreSQL the rows go through a real COPY and are read back; on SQLite (no server to send them
to) psycopg's own binary loaders read the same bytes. Either way an independent reader checks them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pytest
from django.db import connection

from romashka.core import pgcopy

COLUMNS = [
    pgcopy.Column("id", "bigint", True),
    pgcopy.Column("small", "smallint", True),
    pgcopy.Column("whole", "integer", False),
    pgcopy.Column("moment", "timestamp with time zone", True),
    pgcopy.Column("day", "date", False),
    pgcopy.Column("amount", "numeric(14,2)", True),
    pgcopy.Column("maybe_amount", "numeric(18,4)", False),
    pgcopy.Column("flag", "boolean", False),
    pgcopy.Column("code", "character varying(100)", True),
    pgcopy.Column("note", "text", False),
]
ROWS = [
    (1, -32768, None, datetime(2000, 1, 1, tzinfo=UTC), date(2000, 1, 1), Decimal("0.00"), None, True, "", None),
    (2, 32767, -2**31, datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), date(1969, 7, 20),
     Decimal("-0.01"), Decimal("-12345678901234.5678"), False, "Ч-0001", ""),
    (2**62, 0, 2**31 - 1, datetime(2026, 3, 29, 0, 30, tzinfo=UTC), None, Decimal("999999999999.99"),
     Decimal("0.0001"), None, "a;b\t\"c\"\n", "блины со сметаной"),
    (-5, 7, 10000, datetime(1900, 6, 1, 12, tzinfo=UTC), date(2099, 12, 31), Decimal("-1234.50"),
     Decimal("10000"), True, "\\N", "NULL"),
]


def _batch() -> pa.RecordBatch:
    types = [pa.int64(), pa.int16(), pa.int32(), pa.timestamp("us", tz="Europe/Moscow"), pa.date32(),
             pa.decimal128(14, 2), pa.decimal128(18, 4), pa.bool_(), pa.string(), pa.large_string()]
    columns = list(zip(*ROWS, strict=True))
    arrays = [pa.array(values, type=kind) for values, kind in zip(columns, types, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in COLUMNS])


def _expected(names: list[str]) -> list[tuple]:
    order = [[c.name for c in COLUMNS].index(name) for name in names]
    return [tuple(row[i] for i in order) for row in ROWS]


@pytest.mark.django_db
def test_the_fixed_columns_go_first_and_the_rows_read_back_as_they_were():
    batch = _batch()
    plan = pgcopy.plan(batch.schema, COLUMNS)
    assert plan is not None
    assert plan.names == ["id", "small", "moment", "amount", "whole", "day", "maybe_amount", "flag", "code", "note"]
    # Encoded in two slices: a batch that does not start at the beginning of its buffers.
    payload = b"".join(plan.encode(part).to_pybytes() for part in (batch.slice(0, 1), batch.slice(1)))
    assert _round_trip(plan.names, payload) == _expected(plan.names)


def _round_trip(names: list[str], payload: bytes) -> list[tuple]:
    if connection.vendor == "postgresql":
        definitions = ", ".join(f"{c.name} {c.pg_type}{' NOT NULL' if c.not_null else ''}" for c in COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE copy_check ({definitions})")
            with cursor.cursor.copy(f"COPY copy_check ({', '.join(names)}) FROM STDIN WITH (FORMAT binary)") as copy:
                copy.write(pgcopy.SIGNATURE + payload + pgcopy.TRAILER)
            cursor.execute("SET TIME ZONE 'UTC'")
            cursor.execute(f"SELECT {', '.join(names)} FROM copy_check ORDER BY ctid")  # noqa: S608
            rows = [tuple(row) for row in cursor.fetchall()]
            cursor.execute("DROP TABLE copy_check")
        return rows
    from psycopg._copy_base import parse_row_binary
    from psycopg.adapt import Transformer
    from psycopg.pq import Format

    oids = {"bigint": 20, "smallint": 21, "integer": 23, "timestamp with time zone": 1184, "date": 1082,
            "numeric": 1700, "boolean": 16, "character varying": 1043, "text": 25}
    by_name = {c.name: c for c in COLUMNS}
    transformer = Transformer()
    transformer.set_loader_types([oids[pgcopy._base(by_name[n].pg_type)] for n in names], Format.BINARY)
    rows, data = [], memoryview(payload)
    while data:
        length = _row_length(data)
        rows.append(parse_row_binary(bytes(data[:length]), transformer))
        data = data[length:]
    return [tuple(value.astimezone(UTC) if isinstance(value, datetime) else value for value in row) for row in rows]


def _row_length(data: memoryview) -> int:
    fields = int.from_bytes(data[:2], "big")
    position = 2
    for _ in range(fields):
        size = int.from_bytes(data[position : position + 4], "big", signed=True)
        position += 4 + max(size, 0)
    return position


@pytest.mark.parametrize(("arrow_type", "pg_type"), [
    (pa.string(), "timestamp with time zone"),  # text the server would parse: CSV's job
    (pa.decimal128(30, 2), "numeric(30,2)"),  # beyond 64 bits
    (pa.int64(), "jsonb"),
    (pa.timestamp("us"), "date"),
])
def test_a_pair_without_a_binary_encoding_gives_no_plan(arrow_type, pg_type):
    schema = pa.schema([("a", pa.int64()), ("b", arrow_type)])
    assert pgcopy.plan(schema, [pgcopy.Column("a", "bigint", True), pgcopy.Column("b", pg_type, False)]) is None
