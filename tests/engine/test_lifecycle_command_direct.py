"""`romashka lifecycle` hands the file to DuckDB; the result is the Arrow path's, row for row."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from romashka.cli import app
from romashka.engine import lifecycle_table
from romashka.ingest.readers import read_purchases

AS_OF = date(2024, 6, 30)


def purchases(count=3000, seed=3):
    """Several receipts a day, refunds, long pauses, ids with and without leading zeros, later rows."""
    chooser = random.Random(seed)
    ids = (
        [f"{number:04d}" for number in range(150)] + [str(number) for number in range(50)] + ["+79161234567"]
    )
    rows = []
    for _ in range(count):
        day = AS_OF - timedelta(
            days=chooser.choice([0, 1, 2, 90, 91, 270, 271, 400, chooser.randint(-5, 700)])
        )
        at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=chooser.randint(0, 1439))
        amount = Decimal(chooser.randint(-20_000, 200_000)) / 100
        rows.append((chooser.choice(ids), at, amount))
    return rows


def write_files(tmp_path, rows):
    csv_path = tmp_path / "чеки.csv"
    lines = [f"{c};{at:%d.%m.%Y %H:%M};{str(a).replace('.', ',')}" for c, at, a in rows]
    csv_path.write_bytes(("Номер карты;Дата чека;Итого по чеку\n" + "\n".join(lines) + "\n").encode("cp1251"))
    parquet_path = tmp_path / "purchases.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": [c for c, _, _ in rows],
                "purchased_at": pa.array([at for _, at, _ in rows], pa.timestamp("us")),
                "amount": pa.array([a for _, _, a in rows], pa.decimal128(18, 2)),
            }
        ),  # fmt: skip
        parquet_path,
    )
    return csv_path, parquet_path


@pytest.mark.parametrize("parameters", [[], ["--cycle-days", "30", "--fan-min-purchases", "2"]])
def test_direct_path_gives_the_arrow_paths_result(tmp_path, parameters):
    csv_path, parquet_path = write_files(tmp_path, purchases())
    as_arrow = lifecycle_table(
        read_purchases(parquet_path),
        as_of=AS_OF,
        **({"cycle_days": 30, "fan_min_purchases": 2} if parameters else {}),
    )
    assert as_arrow.num_rows > 150
    for source in (csv_path, parquet_path):
        out = tmp_path / f"{source.stem}-result.parquet"
        result = CliRunner().invoke(
            app, ["lifecycle", str(source), "--as-of", AS_OF.isoformat(), "--out", str(out), *parameters]
        )
        assert result.exit_code == 0, result.output
        assert pq.read_table(out).equals(as_arrow)
