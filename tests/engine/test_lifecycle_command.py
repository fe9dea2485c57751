"""`romashka lifecycle`: a purchases file in, the contract's CSV or Parquet out, no database."""

from __future__ import annotations

import csv
import io
from datetime import date

import pyarrow.parquet as pq
from typer.testing import CliRunner

from romashka.cli import app

CONTRACT_HEADER = (
    "customer_id,status,purchase_days,episode_purchase_days,first_purchase,last_purchase,"
    "recency_days,monetary,won_back"
)
PURCHASES = (
    "Номер карты;Дата чека;Итого по чеку\n"
    "00123;01.01.2024 10:00;100,00\n"
    "00123;01.01.2024 18:00;50,50\n"
    "00123;10.06.2024;20\n"
    "00123;20.06.2024;30\n"
    "00123;30.06.2024;-5,25\n"
    "+79161234567;01.03.2024;10\n"
    "+79161234567;01.03.2024;-10\n"
    "77;01.07.2024;999\n"
)  # fmt: skip


def run(*args):
    return CliRunner().invoke(app, ["lifecycle", *args])


def purchases_file(tmp_path, text=PURCHASES, name="чеки.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("cp1251"))
    return str(path)


def test_csv_to_standard_output_with_the_summary_on_standard_error(tmp_path):
    result = run(purchases_file(tmp_path), "--as-of", "2024-06-30")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == CONTRACT_HEADER
    assert lines[1:] == [
        "+79161234567,lead,0,0,,,,0.00,false",
        "00123,fan,3,3,2024-01-01,2024-06-20,10,195.25,false",
    ]
    assert "Statuses at 2024-06-30" in result.stderr
    assert "fan" in result.stderr and "195.25" in result.stderr


def test_parameters_change_the_statuses(tmp_path):
    result = run(
        purchases_file(tmp_path),
        "--as-of",
        "2024-06-30",
        "--cycle-days",
        "5",
        "--lost-after-days",
        "100",
        "--fan-min-purchases",
        "2",
    )
    assert result.exit_code == 0, result.stderr
    rows = {row["customer_id"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows["00123"]["status"], rows["00123"]["won_back"], rows["00123"]["episode_purchase_days"]) == (
        "dormant",
        "true",
        "2",
    )


def test_csv_and_parquet_files(tmp_path):
    out_csv, out_parquet = tmp_path / "s.csv", tmp_path / "s.parquet"
    assert run(purchases_file(tmp_path), "--as-of", "2024-06-30", "--out", str(out_csv)).exit_code == 0
    assert out_csv.read_text().splitlines()[0] == CONTRACT_HEADER
    result = run(purchases_file(tmp_path), "--as-of", "2024-06-30", "--out", str(out_parquet))
    assert result.exit_code == 0 and "Statuses at 2024-06-30" in result.stdout
    table = pq.read_table(out_parquet)
    assert ",".join(table.column_names) == CONTRACT_HEADER
    assert table.to_pylist()[1]["first_purchase"] == date(2024, 1, 1)


def test_named_columns(tmp_path):
    path = purchases_file(tmp_path, "who,when,paid\n5,2024-06-01,10\n")
    result = run(
        path,
        "--as-of",
        "2024-06-30",
        "--customer-column",
        "who",
        "--date-column",
        "when",
        "--amount-column",
        "paid",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "5,novice,1,1,2024-06-01,2024-06-01,29,10.00,false"


def test_missing_column_exits_with_the_headers_found(tmp_path):
    result = run(purchases_file(tmp_path, "Клиент;Когда;Сумма\n1;01.01.2024;3\n"), "--as-of", "2024-06-30")
    assert result.exit_code == 1
    assert "no date column" in result.stderr and "«Когда»" in result.stderr
    assert result.stdout == ""


def test_bad_date_exits_with_the_line_and_value(tmp_path):
    result = run(purchases_file(tmp_path, "Клиент;Дата;Сумма\n1;31.02.2024;3\n"), "--as-of", "2024-06-30")
    assert result.exit_code == 1
    assert "line 2" in result.stderr and "'31.02.2024' is not a date" in result.stderr


def test_bad_as_of_and_unreadable_file(tmp_path):
    result = run(purchases_file(tmp_path), "--as-of", "30.06.2024")
    assert result.exit_code == 2 and "is not a date" in result.stderr
    result = run(str(tmp_path / "absent.csv"), "--as-of", "2024-06-30")
    assert result.exit_code == 1 and "no such file" in result.stderr
    (tmp_path / "broken.parquet").write_bytes(b"garbage")
    result = run(str(tmp_path / "broken.parquet"), "--as-of", "2024-06-30")
    assert result.exit_code == 1 and "not a readable Parquet file" in result.stderr


def test_spark_engine_writes_the_same_file_as_duckdb(tmp_path):
    # PySpark local mode: the same expression on Spark gives byte-for-byte the same CSV.
    text = PURCHASES + "".join(
        f"{n:04d};{1 + n % 28:02d}.{1 + n % 6:02d}.2024;{n % 40 - 4},{n % 100:02d}\n" for n in range(300)
    )
    path = purchases_file(tmp_path, text)
    outputs = []
    for engine in ("duckdb", "spark"):
        out = tmp_path / f"{engine}.csv"
        result = run(path, "--as-of", "2024-06-30", "--cycle-days", "30", "--engine", engine, "--out", str(out))
        assert result.exit_code == 0, result.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert len(outputs[0].splitlines()) == 1 + 302
