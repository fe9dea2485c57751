"""Files of the four kinds read into accepted rows and rejected rows with reasons (the import's reader)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from romashka.ingest.readers import IngestError
from romashka.ingest.tables import read_table

POS_EXPORT = (
    "Отчёт о продажах за февраль\r\n"
    "\r\n"
    "Номер карты;Дата чека;Сумма;Номер чека\r\n"
    "00123;01.02.2024 10:30;1 234,50;A1\r\n"
    "\r\n"
    "00124;32.02.2024;10;A2\r\n"
    ";01.02.2024;5;A3\r\n"
    "00125;01.02.2024;abc;A4\r\n"
    "00126;01.02.2024\r\n"
    "00127;01.02.2024;1;2;3\r\n"
    "Итого;;1 249,50;\r\n"
    '"00128";"2024-02-01T10:00:00+05:00";"1\u00a0000,5 руб.";"A;5"\r\n'
)


def accepted(parsed, *columns):
    names = ", ".join(columns)
    return parsed.connection.execute(f"SELECT {names} FROM accepted ORDER BY row_number").fetchall()  # noqa: S608


def test_windows_1251_pos_export_title_rows_blank_lines_and_every_reason(tmp_path):
    path = tmp_path / "чеки.csv"
    path.write_bytes(POS_EXPORT.encode("cp1251"))
    with read_table(path) as parsed:
        assert (parsed.kind, parsed.encoding, parsed.delimiter, parsed.header_row) == ("purchases", "cp1251", ";", 3)
        assert accepted(parsed, "row_number", "customer_id", "occurred_at", "amount", "receipt_ref") == [
            (4, "00123", datetime(2024, 2, 1, 10, 30), Decimal("1234.50"), "A1"),
            # The zone of the file (+05:00) is moved to the business's clock (Moscow, +03:00).
            (12, "00128", datetime(2024, 2, 1, 8, 0), Decimal("1000.50"), "A;5"),
        ]
        assert [(r["row"], r["column"], r["value"], r["reason"]) for r in parsed.rejected_rows()] == [
            (6, "Дата чека", "32.02.2024", "bad_date"),
            (7, "Номер карты", None, "missing_id"),
            (8, "Сумма", "abc", "bad_amount"),
            (9, None, "00126;01.02.2024", "wrong_column_count"),
            (10, None, "00127;01.02.2024;1;2;3", "wrong_column_count"),
            (11, "Номер карты", "Итого", "totals_line"),
        ]
        assert parsed.summary() == {
            "rows": 8, "accepted": 2, "rejected": 6, "customers": 2, "amount_total": "2235.00",
            "rejected_by_reason": {"bad_amount": 1, "bad_date": 1, "missing_id": 1, "totals_line": 1,
                                   "wrong_column_count": 2},
        }


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters_are_detected(tmp_path, encoding, delimiter):
    text = delimiter.join(["Клиент", "Дата", "Сумма"]) + "\n" + delimiter.join(["007", "2024-01-02", '"12,5"']) + "\n"
    path = tmp_path / "p.txt"
    path.write_bytes(text.encode(encoding))
    with read_table(path, kind="purchases") as parsed:
        assert parsed.delimiter == delimiter
        assert accepted(parsed, "customer_id", "amount") == [("007", Decimal("12.50"))]


def test_map_overrides_recognised_headers_and_date_format(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Клиент,Карта,Когда,Сумма\nИванов,0042,03/04/2024,90\n", encoding="utf-8")
    with read_table(path, kind="purchases", mapping={"customer_id": "карта", "occurred_at": "Когда"},
                    date_format="%m/%d/%Y") as parsed:
        assert parsed.mapping["customer_id"] == "Карта"
        assert accepted(parsed, "customer_id", "occurred_at") == [("0042", datetime(2024, 3, 4))]


def test_xlsx_with_title_merged_cells_and_mixed_excel_and_text_dates(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = "Продажи по картам (1С:Розница)"
    sheet.merge_cells("A1:D1")
    sheet.append([])
    sheet.append(["Дисконтная карта", "Дата", "Сумма", "Магазин"])
    sheet.append(["000777", datetime(2024, 5, 1, 12, 30), 1500.5, "Тверская"])
    sheet.append(["000778", "02.05.2024", "1 200,00", "Тверская"])
    sheet.append(["000779", 45416, 10, None])  # an Excel serial day number without a date format
    sheet.append(["Итого", None, 2710.5, None])
    path = tmp_path / "report.xlsx"
    workbook.save(path)
    with read_table(path) as parsed:
        assert parsed.header_row == 3
        assert accepted(parsed, "row_number", "customer_id", "occurred_at", "amount", "location") == [
            (4, "000777", datetime(2024, 5, 1, 12, 30), Decimal("1500.50"), "Тверская"),
            (5, "000778", datetime(2024, 5, 2), Decimal("1200.00"), "Тверская"),
            (6, "000779", datetime(2024, 5, 4), Decimal("10.00"), None),
        ]
        assert [(r["row"], r["reason"]) for r in parsed.rejected_rows()] == [(7, "totals_line")]


def test_parquet_with_timestamps_and_decimals(tmp_path):
    table = pa.table({
        "customer_id": pa.array(["001", "002"]),
        "purchased_at": pa.array([datetime(2024, 1, 1, 9), datetime(2024, 1, 2, 21)], pa.timestamp("us", tz="UTC")),
        "amount": pa.array([Decimal("10.25"), Decimal("-3.00")], pa.decimal128(12, 2)),
    })
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    with read_table(path) as parsed:
        assert accepted(parsed, "customer_id", "occurred_at", "amount") == [
            ("001", datetime(2024, 1, 1, 12), Decimal("10.25")),
            ("002", datetime(2024, 1, 3, 0), Decimal("-3.00")),
        ]


def test_clients_phones_normalised_beside_the_original_and_consent(tmp_path):
    path = tmp_path / "clients.csv"
    path.write_text(
        "Номер карты;ФИО;Телефон;E-mail;Дата рождения;Согласие на рассылку\n"
        "0001;Иванова Анна;8 (916) 123-45-67;Anna@Example.RU;05.06.1990;да\n"
        "0002;Петров Иван;;not-an-email;;нет\n"
        "0003;Сидоров;+7 916 000 00 00;;31.13.1990;да\n"
        "0004;Кузнецова;;;;может быть\n",
        encoding="utf-8",
    )
    with read_table(path) as parsed:
        assert parsed.kind == "clients"
        assert accepted(parsed, "external_id", "phone", "phone_normalized", "email", "birthday", "consent") == [
            ("0001", "8 (916) 123-45-67", "+79161234567", "anna@example.ru", date(1990, 6, 5), True),
        ]
        assert [(r["row"], r["reason"]) for r in parsed.rejected_rows()] == [
            (3, "bad_email"), (4, "bad_date"), (5, "bad_value"),
        ]


def test_employees_and_supplier_orders(tmp_path):
    staff = tmp_path / "staff.csv"
    staff.write_text("ФИО;Точка;Отдел;Должность;Дата приёма;Дата увольнения\n"
                     "Орлова Мария;MSK-1;Зал;Официант;01.03.2023;\n"
                     "Белов Пётр;MSK-1;Кухня;Повар;01.03.2023;01.02.2023\n", encoding="utf-8")
    with read_table(staff) as parsed:
        assert parsed.kind == "employees"
        assert accepted(parsed, "name", "hired_on", "left_on") == [("Орлова Мария", date(2023, 3, 1), None)]
        assert [r["reason"] for r in parsed.rejected_rows()] == ["left_before_hired"]
    orders = tmp_path / "orders.csv"
    orders.write_text("Поставщик;ИНН;Дата заказа;Сумма заказа\nООО Мука;7701000000;01.02.2024;15 000,00\n",
                      encoding="utf-8")
    with read_table(orders) as parsed:
        assert parsed.kind == "supplier-orders"
        assert parsed.summary()["amount_total"] == "15000.00"


@pytest.mark.parametrize(
    ("content", "name", "kind", "message"),
    [
        (b"", "empty.csv", None, "the file is empty"),
        (b"\r\n\r\n  \r\n", "blank.csv", None, "the file is empty"),
        ("Номер карты;Дата;Сумма\r\n".encode("cp1251"), "header.csv", None, "header but no rows"),
        (bytes(range(256)) * 40, "garbage.csv", None, "binary file"),
        ("Номер карты;ФИО;Телефон\n1;Анна;89161234567\n".encode(), "clients.csv", "purchases",
         r"no recognisable header for purchases.*choose that kind \(--kind clients\)"),
        (b"a;b\n1;2\n", "p.pdf", None, "unknown file type .pdf"),
        (b"PK\x03\x04garbage", "broken.xlsx", None, "not a readable spreadsheet"),
        (b"not parquet at all", "broken.parquet", None, "not a readable Parquet file"),
    ],
)
def test_bad_input_names_what_is_wrong(tmp_path, content, name, kind, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        read_table(path, kind=kind)


def test_unknown_encoding_and_size_limit(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Клиент;Дата;Сумма\n1;01.01.2024;5\n", encoding="utf-8")
    with pytest.raises(IngestError, match="unknown encoding «klingon»"):
        read_table(path, encoding="klingon")
    with pytest.raises(IngestError, match=r"the limit is 0 MB"):
        read_table(path, max_bytes=10)
    koi = tmp_path / "koi.csv"
    koi.write_bytes("Клиент;Дата;Сумма\nЁжик в тумане;01.01.2024;5\n".encode("koi8_r"))
    with pytest.raises(IngestError, match="unknown encoding"):
        read_table(koi)


def test_xlsx_without_recognisable_header(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Товар", "Количество"])
    workbook.active.append(["Блин", 3])
    path = tmp_path / "goods.xlsx"
    workbook.save(path)
    with pytest.raises(IngestError, match=r"no recognisable header.*Headers found: «Товар», «Количество»"):
        read_table(path, kind="purchases")


def test_an_explicit_mapping_still_finds_the_header_below_a_title(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Продажи за ноябрь\n\nКарта;Когда;Сумма\n0042;20.11.2026;100\n", encoding="utf-8")
    with read_table(path, kind="purchases", mapping={"customer_id": "Карта", "occurred_at": "Когда"}) as parsed:
        assert parsed.header_row == 3
        assert accepted(parsed, "customer_id", "amount") == [("0042", Decimal("100.00"))]
    with pytest.raises(IngestError, match="there is no column «Гость» for customer_id"):
        read_table(path, kind="purchases", mapping={"customer_id": "Гость"})


# Rows are numbered by the file's physical line where the record starts (the line an editor shows),
# also after quoted values that span lines; in a spreadsheet by the sheet's row.
MULTILINE = (
    "Номер карты;Дата чека;Сумма;Категория\r\n"  # line 1
    '001;01.11.2026;10;"блины\r\nсо сметаной"\r\n'  # lines 2-3
    "\r\n"  # 4: blank
    "002;xx.11.2026;20;чай\r\n"  # 5
    "003;01.11.2026;30;too;many\r\n"  # 6
    "   \r\n"  # 7: only spaces
    '004;01.11.2026;40;"кофе\r\n\r\n""лавандовый"""\r\n'  # 8-10, an empty line and quotes inside
    "005;01.11.2026;bad;чай\r\n"  # 11
)


def test_row_numbers_are_physical_lines_after_values_spanning_lines(tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_bytes(MULTILINE.encode("utf-8"))
    with read_table(path, kind="purchases") as parsed:
        assert accepted(parsed, "row_number", "customer_id", "category") == [
            (2, "001", "блины\r\nсо сметаной"), (8, "004", 'кофе\r\n\r\n"лавандовый"')]
        assert [(r["row"], r["reason"]) for r in parsed.rejected_rows()] == [
            (5, "bad_date"), (6, "wrong_column_count"), (11, "bad_amount")]


def test_xlsx_row_numbers_are_sheet_rows_with_multiline_cells(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Номер карты", "Дата чека", "Сумма", "Категория"])
    sheet.append(["001", "01.11.2026", 10, "блины\nсо сметаной"])
    sheet.append(["002", "xx.11.2026", 20, "чай"])
    sheet.append(["003", "01.11.2026", 30, "кофе\n\nлавандовый"])
    sheet.append(["004", "01.11.2026", "bad", "чай"])
    path = tmp_path / "multiline.xlsx"
    workbook.save(path)
    with read_table(path, kind="purchases") as parsed:
        assert accepted(parsed, "row_number", "customer_id") == [(2, "001"), (4, "003")]
        assert [(r["row"], r["reason"]) for r in parsed.rejected_rows()] == [(3, "bad_date"), (5, "bad_amount")]


def test_preview_reads_only_the_head_of_the_file(tmp_path):
    from romashka.ingest.tables import preview

    lines = ["Номер карты;Дата чека;Сумма"] + [f"{n:06d};01.11.2026;{n},50" for n in range(5000)]
    lines.insert(3000, "999999;not a date;1")  # far below the head: the preview does not see it
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shown = preview(path, rows=5, head_rows=100)
    assert shown["kind"] == "purchases" and shown["mapping"] == {
        "customer_id": "Номер карты", "occurred_at": "Дата чека", "amount": "Сумма"}
    assert shown["rows"][0] == ["000000", "01.11.2026", "0,50"] and len(shown["rows"]) == 5
    assert shown["head_only"] and 100 <= shown["summary"]["rows"] < 200
    assert shown["summary"]["rejected"] == 0
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[:11]) + "\n", encoding="utf-8")
    assert preview(small, head_rows=100)["summary"]["rows"] == 10


def test_preview_head_keeps_a_quoted_value_spanning_the_cut_whole(tmp_path):
    from romashka.ingest.tables import preview

    rows = ["Номер карты;Дата чека;Сумма;Категория"] + [f"{n:03d};01.11.2026;{n};x" for n in range(40)]
    rows.append('777;01.11.2026;7;"' + "\n" * 50 + '"')  # spans the line where the head would end
    rows += [f"{n:03d};01.11.2026;1;y" for n in range(100, 120)]
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    shown = preview(path, head_rows=12)  # 12 + 30 lines of header search: the cut falls inside the value
    assert shown["summary"]["rejected"] == 0
    assert shown["summary"]["rows"] == 41


@pytest.mark.parametrize("extra_column", ["Примечание", "rowid"])
def test_row_numbers_stay_the_file_lines_when_duckdb_reads_a_large_file_in_parallel(tmp_path, extra_column):
    """A row's number comes from its position in the table DuckDB read (its rowid, unless a column of the
    file is called so): over many blocks read by two threads, every row keeps its own line."""
    import numpy as np
    import pyarrow.compute as pc

    rows = 1_500_000
    numbers = pa.array(np.arange(rows)).cast(pa.string())
    lines = pc.binary_join_element_wise(pc.utf8_lpad(numbers, 7, "0"), "01.02.2024", "5", numbers, "x", ";")
    body = lines.to_pylist()
    body[900_000] = "bad;line"  # the wrong number of columns: rejected, and the lines after it stay right
    body.insert(1_200_000, "")  # a blank line is skipped, and counted as a line
    path = tmp_path / "large.csv"
    path.write_text(f"Номер карты;Дата чека;Сумма;Номер чека;{extra_column}\n" + "\n".join(body) + "\n",
                    encoding="utf-8")
    with read_table(path, kind="purchases", threads=2) as parsed:
        # Row k of the file (line k + 2, one more after the blank line) carries receipt k.
        wrong = parsed.connection.execute(
            "SELECT count(*) FROM accepted WHERE row_number <> CAST(receipt_ref AS BIGINT) + 2 "
            "+ (CAST(receipt_ref AS BIGINT) >= 1200000)::INT").fetchall()[0][0]
        assert (parsed.summary()["accepted"], wrong) == (rows - 1, 0)
        assert [(r["row"], r["reason"]) for r in parsed.rejected_rows()] == [(900_002, "wrong_column_count")]
