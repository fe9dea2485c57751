"""Purchase files as businesses export them, read into one typed table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from romashka.ingest.readers import IngestError, read_purchases


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def rows(table):
    return [tuple(row.values()) for row in table.to_pylist()]


def test_windows_1251_semicolons_decimal_comma_and_russian_dates(tmp_path):
    path = write(
        tmp_path / "чеки.csv",
        "Номер карты;Дата чека;Итого по чеку\r\n"
        "00123;01.02.2024 10:30;1 234,50\r\n"
        "+79161234567;03.02.2024;-10,00\r\n"
        "00123;29.02.2024 23:59:59;0,5\r\n",
        encoding="cp1251",
    )
    table = read_purchases(path)
    assert table.schema == pa.schema(
        [("customer_id", pa.string()), ("purchased_at", pa.timestamp("us")), ("amount", pa.decimal128(18, 2))]
    )
    assert rows(table) == [
        ("00123", datetime(2024, 2, 1, 10, 30), Decimal("1234.50")),
        ("+79161234567", datetime(2024, 2, 3), Decimal("-10.00")),
        ("00123", datetime(2024, 2, 29, 23, 59, 59), Decimal("0.50")),
    ]


def test_utf8_with_bom_and_commas(tmp_path):
    path = write(tmp_path / "p.csv", "\ufeffCustomer ID,Purchase date,Amount\n007,2024-01-02,12.5\n")
    assert rows(read_purchases(path)) == [("007", datetime(2024, 1, 2), Decimal("12.50"))]


def test_tab_separated_with_english_headers_in_any_case(tmp_path):
    path = write(
        tmp_path / "p.tsv",
        "CLIENT\t  date \tTOTAL\n1\t2024-01-02 10:00:00\t3\n2\t2024-01-03T08:15:00\t4.25\n",
    )
    assert rows(read_purchases(path)) == [
        ("1", datetime(2024, 1, 2, 10), Decimal("3.00")),
        ("2", datetime(2024, 1, 3, 8, 15), Decimal("4.25")),
    ]


def test_russian_utf8_headers_with_phone_and_sum(tmp_path):
    path = write(tmp_path / "p.csv", "Телефон;Дата;Сумма;Магазин\n+79161234567;05.03.2024;1 000;Тверская\n")
    assert rows(read_purchases(path)) == [("+79161234567", datetime(2024, 3, 5), Decimal("1000.00"))]


def test_explicit_columns_win_over_recognised_headers(tmp_path):
    path = write(
        tmp_path / "p.csv", "Клиент,Карта,Дата,Сумма,Сумма без скидки\nИванов,0042,2024-01-02,90,100\n"
    )
    table = read_purchases(path, customer_column="карта", amount_column="Сумма без скидки")
    assert rows(table) == [("0042", datetime(2024, 1, 2), Decimal("100.00"))]


def test_missing_column_names_the_file_and_the_headers_found(tmp_path):
    path = write(tmp_path / "p.csv", "Клиент;Когда;Сумма\n1;01.01.2024;3\n")
    with pytest.raises(
        IngestError, match=r"p\.csv: no date column.*Headers found: «Клиент», «Когда», «Сумма»"
    ):
        read_purchases(path)
    with pytest.raises(IngestError, match=r"no column «Дата покупки» for the date"):
        read_purchases(path, date_column="Дата покупки")
    assert rows(read_purchases(path, date_column="когда")) == [("1", datetime(2024, 1, 1), Decimal("3.00"))]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1;32.01.2024;3", r"p\.csv, line 3, column «Дата»: '32\.01\.2024' is not a date"),
        ("1;01.01.2024;три", r"p\.csv, line 3, column «Сумма»: 'три' is not an amount"),
        (";01.01.2024;3", r"p\.csv, line 3, column «Клиент»: empty is not a customer id"),
    ],
)
def test_bad_values_name_the_line_column_and_value(tmp_path, line, message):
    path = write(tmp_path / "p.csv", f"Клиент;Дата;Сумма\n1;01.01.2024;3\n{line}\n")
    with pytest.raises(IngestError, match=message):
        read_purchases(path)


def test_blank_lines_are_skipped(tmp_path):
    path = write(tmp_path / "p.csv", "Клиент;Дата;Сумма\n1;01.01.2024;3\n;;\n")
    assert read_purchases(path).num_rows == 1


def test_unknown_missing_and_damaged_files(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        read_purchases(tmp_path / "absent.csv")
    with pytest.raises(IngestError, match="unknown file type .doc"):
        read_purchases(write(tmp_path / "p.doc", "x"))
    with pytest.raises(IngestError, match="not a readable Parquet file"):
        read_purchases(write(tmp_path / "p.parquet", "not parquet at all"))
    with pytest.raises(IngestError, match="not a readable spreadsheet"):
        read_purchases(write(tmp_path / "p.xlsx", "not a workbook"))
    with pytest.raises(IngestError, match="empty"):
        read_purchases(write(tmp_path / "e.csv", ""))


def test_xlsx_with_a_title_row_above_the_header(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Выгрузка чеков за февраль 2024"])
    sheet.append([])
    sheet.append(["Номер карты", "Дата чека", "Итого по чеку"])
    sheet.append(["00123", datetime(2024, 2, 1, 10, 30), 1234.5])
    sheet.append(["+79161234567", date(2024, 2, 3), -10])
    sheet.append([79161234567, "04.02.2024", "199,99"])
    sheet.append([None, None, None])
    path = tmp_path / "чеки.xlsx"
    workbook.save(path)
    assert rows(read_purchases(path)) == [
        ("00123", datetime(2024, 2, 1, 10, 30), Decimal("1234.50")),
        ("+79161234567", datetime(2024, 2, 3), Decimal("-10.00")),
        ("79161234567", datetime(2024, 2, 4), Decimal("199.99")),
    ]


def test_xlsx_bad_date_names_the_sheet_row(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Клиент", "Дата", "Сумма"])
    sheet.append(["1", "вчера", 3])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    with pytest.raises(IngestError, match=r"p\.xlsx, row 2, column «Дата»: 'вчера' is not a date"):
        read_purchases(path)


def test_parquet_with_zoned_timestamps_and_decimals(tmp_path):
    moscow_evening = datetime(2024, 2, 1, 21, 30, tzinfo=UTC)  # 00:30 on 2 February in Moscow
    table = pa.table({
        "customer_id": pa.array(["0001", "+79161234567"]),
        "purchased_at": pa.array([moscow_evening, moscow_evening], pa.timestamp("us", tz="Europe/Moscow")),
        "amount": pa.array([Decimal("10.10"), Decimal("-0.01")], pa.decimal128(12, 2)),
    })  # fmt: skip
    pq.write_table(table, tmp_path / "p.parquet")
    assert rows(read_purchases(tmp_path / "p.parquet")) == [
        ("0001", datetime(2024, 2, 2, 0, 30), Decimal("10.10")),
        ("+79161234567", datetime(2024, 2, 2, 0, 30), Decimal("-0.01")),
    ]


def test_parquet_with_dates_integer_ids_and_float_amounts(tmp_path):
    table = pa.table(
        {
            "Client": pa.array([42, 7], pa.int64()),
            "Date": pa.array([date(2024, 1, 1)] * 2),
            "Total": pa.array([0.1, 199.99]),
        }
    )
    pq.write_table(table, tmp_path / "p.parquet")
    result = read_purchases(tmp_path / "p.parquet")
    assert result.schema.field("purchased_at").type == pa.date32()
    assert rows(result) == [
        ("42", date(2024, 1, 1), Decimal("0.10")),
        ("7", date(2024, 1, 1), Decimal("199.99")),
    ]


def ru(amount: Decimal) -> str:
    sign, text = ("-" if amount < 0 else ""), f"{abs(amount):,.2f}"
    return sign + text.replace(",", "\u00a0").replace(".", ",")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False), min_size=1, max_size=30
    )
)
def test_amounts_written_the_russian_or_the_english_way_read_back_exactly(tmp_path_factory, amounts):
    path = tmp_path_factory.mktemp("amounts") / "p.csv"
    lines = [f"{index};01.01.2024;{ru(amount)}" for index, amount in enumerate(amounts)]
    lines += [f"{index};01.01.2024;{amount:f}" for index, amount in enumerate(amounts)]
    write(path, "Клиент;Дата;Сумма\n" + "\n".join(lines) + "\n", encoding="cp1251")
    assert read_purchases(path).column("amount").to_pylist() == [*amounts, *amounts]
