"""The direct path: a purchases file read by DuckDB into a table gives what read_purchases gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from romashka.ingest.readers import IngestError, load_purchases, read_purchases


def loaded(path, **columns):
    connection = duckdb.connect()
    try:
        load_purchases(path, connection, table_name="purchases", **columns)
        return connection.sql("SELECT * FROM purchases").to_arrow_table()
    finally:
        connection.close()


def assert_same_as_arrow_path(path, **columns):
    expected = read_purchases(path, **columns)
    table = loaded(path, **columns)
    assert table.schema == expected.schema
    assert table.to_pylist() == expected.to_pylist()


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_files_as_businesses_write_them(tmp_path):
    assert_same_as_arrow_path(
        write(
            tmp_path / "чеки.csv",
            "Номер карты;Дата чека;Итого по чеку\r\n00123;01.02.2024 10:30;1 234,50\r\n"
            "+79161234567;03.02.2024;-10,00\r\n;;\r\n",
            "cp1251",
        )
    )
    assert_same_as_arrow_path(
        write(tmp_path / "p.csv", "\ufeffCustomer ID,Purchase date,Amount\n007,2024-01-02,12.5\n")
    )
    assert_same_as_arrow_path(write(tmp_path / "p.tsv", "CLIENT\tdate\tTOTAL\n1\t2024-01-02T08:15:00\t3\n"))
    assert_same_as_arrow_path(
        write(tmp_path / "n.csv", "who,when,paid,Сумма\n5,2024-06-01,10,1\n"),
        customer_column="who",
        date_column="when",
        amount_column="paid",
    )


def test_plain_ascii_at_the_start_and_windows_1251_further_on(tmp_path):
    filler = "".join(f"{index};01.01.2024;1\n" for index in range(8000))  # beyond the sniffed 64 KB
    path = tmp_path / "p.csv"
    path.write_bytes(("customer;date;amount\n" + filler + "Ёлка;02.01.2024;5\n").encode("cp1251"))
    assert_same_as_arrow_path(path)
    assert loaded(path).num_rows == 8001


def test_parquet_files(tmp_path):
    plain = tmp_path / "plain.parquet"
    pq.write_table(
        pa.table(
            {
                "customer_id": pa.array(["0001", "1", None], pa.string()),
                "purchased_at": pa.array(
                    [datetime(2024, 1, 1, 10), datetime(2024, 1, 2), None], pa.timestamp("ms")
                ),
                "amount": pa.array([Decimal("10.10"), Decimal("-0.01"), None], pa.decimal128(12, 2)),
            }
        ),  # fmt: skip
        plain,
    )
    assert_same_as_arrow_path(plain)
    typed = tmp_path / "typed.parquet"
    pq.write_table(
        pa.table(
            {"Client": pa.array([42, 7]), "Date": pa.array([date(2024, 1, 1)] * 2), "Total": [0.1, 199.99]}
        ),
        typed,
    )
    assert_same_as_arrow_path(typed)
    zoned = tmp_path / "zoned.parquet"
    moscow_evening = datetime(2024, 2, 1, 21, 30, tzinfo=UTC)
    pq.write_table(
        pa.table(
            {
                "customer_id": ["0001"],
                "purchased_at": pa.array([moscow_evening], pa.timestamp("us", tz="Europe/Moscow")),
                "amount": pa.array([Decimal("1.00")], pa.decimal128(12, 2)),
            }
        ),  # fmt: skip
        zoned,
    )
    assert_same_as_arrow_path(zoned)
    assert loaded(zoned).column("purchased_at").to_pylist() == [datetime(2024, 2, 2, 0, 30)]


def test_xlsx(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Выгрузка"])
    sheet.append(["Номер карты", "Дата чека", "Итого по чеку"])
    sheet.append(["00123", datetime(2024, 2, 1, 10, 30), 1234.5])
    sheet.append([79161234567, "04.02.2024", "199,99"])
    workbook.save(tmp_path / "p.xlsx")
    assert_same_as_arrow_path(tmp_path / "p.xlsx")


def bad_files(tmp_path):
    zero_parquet = tmp_path / "bad.parquet"
    pq.write_table(
        pa.table({"Клиент": ["1", None], "Дата": pa.array([date(2024, 1, 1)] * 2), "Сумма": [1.0, 2.0]}),
        zero_parquet,
    )
    return [
        write(tmp_path / "date.csv", "Клиент;Дата;Сумма\n1;01.01.2024;3\n1;32.01.2024;3\n"),
        write(tmp_path / "amount.csv", "Клиент;Дата;Сумма\n1;01.01.2024;три\n", "cp1251"),
        write(tmp_path / "missing.csv", "Клиент;Когда;Сумма\n1;01.01.2024;3\n"),
        write(tmp_path / "empty.csv", ""),
        write(tmp_path / "p.doc", "x"),
        write(tmp_path / "damaged.parquet", "not parquet at all"),
        zero_parquet,
        tmp_path / "absent.csv",
    ]


def test_errors_are_the_arrow_paths_and_leave_nothing_behind(tmp_path):
    for path in bad_files(tmp_path):
        with pytest.raises(IngestError) as expected:
            read_purchases(path)
        connection = duckdb.connect()
        with pytest.raises(IngestError) as raised:
            load_purchases(path, connection, table_name="purchases")
        assert str(raised.value) == str(expected.value)
        assert connection.sql("SELECT table_name FROM duckdb_tables() UNION ALL "
                              "SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall() == []  # fmt: skip
        connection.close()


DAYS = st.dates(min_value=date(2023, 1, 1), max_value=date(2024, 12, 31))
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["0001", "001", "1", "+79161234567", "card 42", "Ёлка"]),
        st.one_of(DAYS, st.builds(lambda d, s: datetime.combine(d, datetime.min.time()) + timedelta(seconds=s),
                                  DAYS, st.integers(0, 86399))),
        st.decimals(min_value=-(10**7), max_value=10**7, places=2, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_random_files_read_the_same_both_ways(tmp_path, rows):
    stamps = [d if isinstance(d, datetime) else datetime.combine(d, datetime.min.time()) for _, d, _ in rows]
    lines = [
        f"{c};{at:%d.%m.%Y %H:%M:%S};{str(a).replace('.', ',')}"
        for (c, _, a), at in zip(rows, stamps, strict=True)
    ]
    assert_same_as_arrow_path(
        write(tmp_path / "r.csv", "Клиент;Дата;Сумма\n" + "\n".join(lines) + "\n", "cp1251")
    )
    pq.write_table(
        pa.table(
            {
                "customer_id": [c for c, _, _ in rows],
                "purchased_at": pa.array(stamps, pa.timestamp("us")),
                "amount": pa.array([a for _, _, a in rows], pa.decimal128(18, 2)),
            }
        ),  # fmt: skip
        tmp_path / "r.parquet",
    )
    assert_same_as_arrow_path(tmp_path / "r.parquet")


def test_the_callers_connection_settings_are_left_as_they_were(tmp_path):
    path = write(tmp_path / "p.csv", "Клиент;Дата;Сумма\n1;01.01.2024;1 234,50 руб.\n2;01.01.2024;12,5\n")
    connection = duckdb.connect()
    connection.execute("SET disabled_optimizers = 'filter_pushdown'").fetchall()
    load_purchases(path, connection)
    assert connection.sql("SELECT current_setting('disabled_optimizers')").fetchall() == [
        ("filter_pushdown",)
    ]
    assert connection.sql("SELECT amount FROM purchases").fetchall() == [
        (Decimal("1234.50"),),
        (Decimal("12.50"),),
    ]
