"""Files of the four kinds of data (purchases, clients, employees, supplier orders) read into typed
rows plus rejected rows with their reasons — the import's reader; no Django.

A file is read once into DuckDB as text (CSV/TSV/TXT in UTF-8 ± BOM, UTF-16 or Windows-1251, with
`,` `;` or tab; XLSX/XLS/ODS with the header below title rows; Parquet typed as stored), its
columns are matched to the kind's roles from common Russian and English headers (or an explicit
mapping), and every value is parsed by the SQL expressions of :mod:`romashka.ingest.values` in one
query. Rows that cannot be taken are not errors: each becomes a rejected row with its row number
(the line of the file, the row of the sheet), the column, the value and a reason category. Only a
file that cannot be read at all raises :class:`IngestError`.
"""

from __future__ import annotations

import codecs
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from romashka.ingest import values as v
from romashka.ingest.readers import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    IngestError,
    _cell_text,
    _first_line,
    header_key,
)

SNIFF_BYTES = 1 << 16
HEADER_SEARCH_ROWS = 30
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
PREVIEW_HEAD_ROWS = 1000


@dataclass(frozen=True)
class Role:
    """One column a kind of data can have: its name, how it is parsed, and the headers it goes by."""

    name: str
    parser: str  # id, text, datetime, date, amount, phone, email, bool
    required: bool
    aliases: tuple[str, ...]
    max_length: int | None = None


def _r(name, parser, required, aliases, max_length=None) -> Role:
    return Role(name, parser, required, tuple(aliases), max_length)


# In order of preference within a role: when a file has both «Номер карты» and «Клиент», the card wins.
KINDS: dict[str, tuple[Role, ...]] = {
    "purchases": (
        _r("customer_id", "id", True, (
            "customer_id", "customer id", "client id", "card number", "card no", "card", "номер карты",
            "id клиента", "код клиента", "код покупателя", "дисконтная карта", "карта", "карта клиента",
            "номер дисконтной карты", "customer", "client", "клиент", "покупатель", "телефон",
            "номер телефона", "телефон клиента", "phone"), 100),
        _r("occurred_at", "datetime", True, (
            "purchased_at", "occurred_at", "purchase date", "purchased at", "date", "datetime", "date time",
            "дата чека", "дата покупки", "дата и время", "дата/время", "дата время", "время чека", "дата",
            "период", "время")),
        _r("amount", "amount", True, (
            "amount", "total", "sum", "итого по чеку", "сумма чека", "сумма покупки", "сумма со скидкой",
            "сумма", "итого", "стоимость", "выручка")),
        _r("location", "text", False, (
            "location", "location code", "store", "shop", "точка", "код точки", "магазин", "подразделение",
            "склад", "ресторан", "кафе", "торговая точка", "филиал"), 200),
        _r("receipt_ref", "text", False, (
            "receipt_ref", "receipt", "receipt number", "receipt no", "check number", "order id", "номер чека",
            "чек", "№ чека", "документ", "номер документа", "номер заказа", "заказ"), 90),
        _r("category", "text", False, (
            "category", "product category", "категория", "категория товара", "группа товаров", "группа",
            "номенклатурная группа"), 100),
        _r("customer_name", "text", False, (
            "customer name", "client name", "имя клиента", "фио клиента", "фио покупателя", "фио"), 300),
    ),
    "clients": (
        _r("external_id", "id", True, (
            "external_id", "customer_id", "customer id", "client id", "card number", "card", "номер карты",
            "id клиента", "код клиента", "код", "карта", "дисконтная карта", "id"), 100),
        _r("name", "text", False, (
            "name", "full name", "client", "customer", "фио", "имя", "клиент", "покупатель",
            "наименование", "контрагент"), 300),
        _r("phone", "phone", False, ("phone", "mobile", "телефон", "мобильный", "мобильный телефон", "номер телефона"), 200),
        _r("email", "email", False, ("email", "e-mail", "mail", "почта", "электронная почта", "эл. почта"), 200),
        _r("birthday", "date", False, ("birthday", "date of birth", "birth date", "дата рождения", "день рождения", "др")),
        _r("consent", "bool", False, (
            "consent", "marketing consent", "согласие", "согласие на рассылку", "согласие на рассылки",
            "подписка", "рассылка")),
        _r("city", "text", False, ("city", "город"), 100),
        _r("location", "text", False, (
            "location", "home location", "store", "точка", "магазин", "домашняя точка", "подразделение"), 200),
    ),
    "employees": (
        _r("name", "text", True, ("name", "full name", "employee", "фио", "сотрудник", "имя", "работник"), 300),
        _r("external_id", "id", False, (
            "employee id", "external_id", "personnel number", "табельный номер", "таб. номер", "таб номер",
            "табельный", "код сотрудника"), 100),
        _r("location", "text", False, ("location", "store", "точка", "магазин", "подразделение", "место работы"), 200),
        _r("department", "text", False, ("department", "отдел", "служба", "департамент"), 200),
        _r("position", "text", False, ("position", "role", "job title", "должность", "роль"), 100),
        _r("hired_on", "date", True, (
            "hired", "hired_on", "hire date", "start date", "дата приема", "дата приёма", "принят",
            "дата найма", "дата приема на работу")),
        _r("left_on", "date", False, (
            "left", "left_on", "end date", "termination date", "дата увольнения", "уволен", "дата ухода")),
    ),
    "supplier-orders": (
        _r("supplier", "text", True, ("supplier", "vendor", "поставщик", "контрагент", "наименование поставщика"), 300),
        _r("supplier_id", "id", False, ("supplier id", "inn", "инн", "инн поставщика", "код поставщика"), 100),
        _r("location", "text", False, ("location", "store", "точка", "магазин", "подразделение", "склад", "ресторан"), 200),
        _r("ordered_on", "date", True, ("ordered_on", "order date", "date", "дата заказа", "дата поставки", "дата", "период")),
        _r("amount", "amount", True, ("amount", "total", "sum", "сумма", "сумма заказа", "итого", "стоимость")),
        _r("reference", "text", False, (
            "reference", "order number", "order id", "invoice", "номер заказа", "номер документа", "документ",
            "номер накладной", "накладная"), 100),
    ),
}
KIND_NAMES = tuple(KINDS)

# The reason categories of rejected rows, in the order they are checked for a row.
REASONS = (
    "wrong_column_count", "totals_line", "missing_id", "missing_value", "missing_date", "bad_date",
    "missing_amount", "bad_amount", "bad_phone", "bad_email", "bad_value", "too_long", "left_before_hired",
    # Found by the import against the database or the rest of the file:
    "unknown_location", "duplicate_id",
)


class Mapping(dict):
    """role → header of the file (a plain dict; a role mapped to "" is not imported)."""


@dataclass
class ParsedFile:
    """The outcome of reading a file: typed accepted rows and rejected rows, in a DuckDB connection.

    ``connection`` holds ``accepted`` (the kind's roles plus ``row_number``) and ``rejected``
    (row_number, column, value, reason). Close it with :meth:`close` (or use ``with``).
    """

    kind: str
    source: str
    file_format: str
    encoding: str | None
    delimiter: str | None
    header_row: int
    headers: list[str]
    mapping: dict[str, str]
    rows: int
    connection: duckdb.DuckDBPyConnection
    scratch: str | None = None
    row_word: str = "line"
    _summary: dict | None = field(default=None, repr=False)

    def __enter__(self) -> ParsedFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            if self.scratch:
                shutil.rmtree(self.scratch, ignore_errors=True)

    @property
    def accepted(self) -> int:
        return self.summary()["accepted"]

    @property
    def rejected(self) -> int:
        return self.summary()["rejected"]

    def summary(self) -> dict:
        """The figures of the import's JSON contract (rows, accepted, rejected, customers, amount_total …)."""
        if self._summary is not None:
            return self._summary
        accepted = self.connection.execute("SELECT count(*) FROM accepted").fetchall()[0][0]
        by_reason = dict(
            self.connection.execute("SELECT reason, count(*) FROM rejected GROUP BY reason ORDER BY reason").fetchall()
        )
        rejected = sum(by_reason.values())
        summary: dict = {"rows": accepted + rejected, "accepted": accepted, "rejected": rejected}
        roles = {role.name for role in KINDS[self.kind]}
        # Distinct people the rows name: customers (purchases, clients), suppliers; employees are rows.
        counted = {"purchases": ("customers", "customer_id"), "clients": ("customers", "external_id"),
                   "supplier-orders": ("suppliers", "supplier"), "employees": ("employees", None)}
        key, id_role = counted[self.kind]
        if id_role is None:
            summary[key] = accepted
        else:
            summary[key] = self.connection.execute(f"SELECT count(DISTINCT {id_role}) FROM accepted").fetchall()[0][0]  # noqa: S608
        if "amount" in roles:
            total = self.connection.execute("SELECT CAST(coalesce(sum(amount), 0) AS DECIMAL(38, 2)) FROM accepted").fetchall()[0][0]
            summary["amount_total"] = str(Decimal(total).quantize(Decimal("0.01")))
        summary["rejected_by_reason"] = by_reason
        self._summary = summary
        return summary

    def reject_where(self, condition: str, *, reason: str, role: str) -> int:
        """Moves the accepted rows matching the SQL ``condition`` to the rejected ones; returns how many.

        For checks that need more than the row itself (a location the database does not know, an id
        repeated in the file). ``role`` names the column reported.
        """
        header = self.mapping.get(role, role)
        column = v.quote(role)
        moved = self.connection.execute(
            f"INSERT INTO rejected SELECT row_number, {v.sql_text(header)}, CAST({column} AS VARCHAR), "  # noqa: S608
            f"{v.sql_text(reason)} FROM accepted WHERE {condition}"
        ).fetchall()[0][0]
        if moved:
            self.connection.execute(f"DELETE FROM accepted WHERE {condition}")  # noqa: S608
            self._summary = None
        return moved

    def rejected_rows(self, limit: int | None = None) -> list[dict]:
        sql = "SELECT row_number, column_name, value, reason FROM rejected ORDER BY row_number"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            {"row": row, "column": column, "value": value, "reason": reason}
            for row, column, value, reason in self.connection.execute(sql).fetchall()
        ]

    def write_rejected_csv(self, path: str | Path, *, labels: dict[str, str] | None = None,
                           header: Sequence[str] = ("row", "column", "value", "reason", "reason_code")) -> int:
        """The rejected rows as CSV (UTF-8 with BOM, ';'), reasons in the user's words when ``labels`` are given."""
        import csv

        labels = labels or {}
        count = 0
        with open(path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(header)
            cursor = self.connection.execute(
                "SELECT row_number, column_name, value, reason FROM rejected ORDER BY row_number"
            )
            while batch := cursor.fetchmany(10_000):
                for row, column, value, reason in batch:
                    writer.writerow([row, column or "", value or "", labels.get(reason, reason), reason])
                    count += 1
        return count


# --- detection ------------------------------------------------------------------------------------


def file_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    if suffix in CSV_SUFFIXES or suffix == "":
        return "csv"
    raise IngestError(
        f"{path.name}: unknown file type {suffix}; expected .csv, .tsv, .txt, .xlsx, .xls, .ods or .parquet."
    )


def _checked_path(path: str | Path, max_bytes: int | None) -> Path:
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file.")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path.name}: the file is empty; expected a header line and rows.")
    if max_bytes is not None and size > max_bytes:
        raise IngestError(
            f"{path.name}: the file is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.0f} MB."
        )
    return path


def resolve_mapping(headers: Sequence[object], kind: str, overrides: dict[str, str] | None = None) -> dict[str, str]:
    """role → header for every role found (explicit overrides first); roles not found are absent.

    An override naming a header the file does not have raises IngestError; an override of "" leaves
    the role out.
    """
    overrides = dict(overrides or {})
    roles = {role.name: role for role in KINDS[kind]}
    unknown = [name for name in overrides if name not in roles]
    if unknown:
        raise IngestError(
            f"unknown column role {', '.join(unknown)} for {kind}; the roles are {', '.join(roles)}."
        )
    by_key: dict[str, str] = {}
    for header in headers:
        if header is not None and str(header).strip():
            by_key.setdefault(header_key(header), str(header))
    found: dict[str, str] = {}
    taken: set[str] = set()
    for name, wanted in overrides.items():
        if not wanted:
            continue
        header = by_key.get(header_key(wanted))
        if header is None:
            shown = ", ".join(f"«{h}»" for h in by_key.values()) or "none"
            raise IngestError(f"there is no column «{wanted}» for {name}. Headers found: {shown}.")
        found[name] = header
        taken.add(header)
    for role in KINDS[kind]:
        if role.name in overrides:
            continue
        for alias in role.aliases:
            header = by_key.get(header_key(alias))
            if header is not None and header not in taken:
                found[role.name] = header
                taken.add(header)
                break
    return found


def _missing_roles(kind: str, mapping: dict[str, str]) -> list[Role]:
    return [role for role in KINDS[kind] if role.required and role.name not in mapping]


def detect_kind(headers: Sequence[object], overrides: dict[str, str] | None = None) -> str | None:
    """The kind whose required columns all appear, preferring the one that matches most columns."""
    best, best_score = None, 0
    for kind in KINDS:
        try:
            mapping = resolve_mapping(headers, kind, overrides if overrides else None)
        except IngestError:
            continue
        if _missing_roles(kind, mapping):
            continue
        score = len(mapping)
        if score > best_score:
            best, best_score = kind, score
    return best


def _header_kind(cells: Sequence[str], kind: str | None, overrides: dict[str, str] | None) -> str | None:
    """The kind this row of cells is the header of (``kind`` when given), or None when it is not a header."""
    candidate = kind or detect_kind(cells, overrides)
    if candidate is None:
        return None
    try:
        mapping = resolve_mapping(cells, candidate, overrides)
    except IngestError:  # an explicit column not in this row: a title line above the header
        return None
    return None if _missing_roles(candidate, mapping) else candidate


def _no_header_error(source: str, kind: str, headers: Sequence[object], mapping: dict[str, str]) -> IngestError:
    shown = ", ".join(f"«{h}»" for h in headers if h is not None and str(h).strip()) or "none"
    missing = _missing_roles(kind, mapping)
    other = detect_kind(headers)
    hint = f" The columns look like {other.replace('-', ' ')}: choose that kind (--kind {other})." if other and other != kind else ""
    parts = []
    for role in missing:
        known = ", ".join(f"«{alias}»" for alias in role.aliases[:6])
        parts.append(f"{role.name} (a header such as {known}, or --map {role.name}=\"Header\")")
    return IngestError(
        f"{source}: no recognisable header for {kind.replace('-', ' ')}: missing {'; '.join(parts)}. "
        f"Headers found: {shown}.{hint}"
    )


# --- CSV ------------------------------------------------------------------------------------------


def _decode_sample(sample: bytes, encoding: str | None, source: str) -> tuple[str, str]:
    """(Python codec, decoded text) of the start of the file."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise IngestError(
                f"{source}: unknown encoding «{encoding}»; expected utf-8, cp1251 (windows-1251) or utf-16."
            ) from None
        try:
            return codec, codecs.getincrementaldecoder(codec)().decode(sample, final=False)
        except UnicodeDecodeError as error:
            raise IngestError(
                f"{source}: the file is not in {encoding} (byte {error.start + 1} cannot be read); "
                f"leave the encoding out to detect it."
            ) from None
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", sample[3:].decode("utf-8", errors="replace")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", sample.decode("utf-16", errors="replace")
    if b"\x00" in sample:
        raise IngestError(f"{source}: this is a binary file, not a text table; expected CSV, XLSX or Parquet.")
    try:
        return "utf-8", codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    try:
        text = sample.decode("cp1251")
    except UnicodeDecodeError:
        raise IngestError(
            f"{source}: unknown encoding: the file is neither UTF-8 nor Windows-1251; "
            f"save it as UTF-8 or give the encoding (--encoding)."
        ) from None
    non_ascii = [char for char in text if ord(char) > 127]
    letters = sum(1 for char in non_ascii if char.isalpha())
    if non_ascii and letters / len(non_ascii) < 0.6:
        raise IngestError(
            f"{source}: unknown encoding: the text reads neither as UTF-8 nor as Windows-1251; "
            f"save it as UTF-8 or give the encoding (--encoding)."
        )
    # KOI8-R read as Windows-1251 is Cyrillic too, but with the case inverted («лМЙЕОФ» for «Клиент»).
    cyrillic = [char for char in non_ascii if "\u0400" <= char <= "\u04ff"]
    if len(cyrillic) >= 10 and sum(1 for char in cyrillic if char.isupper()) / len(cyrillic) > 0.7:
        raise IngestError(
            f"{source}: unknown encoding: the text is not Windows-1251 (it may be KOI8-R); save it as UTF-8 "
            f"or give the encoding (--encoding koi8_r)."
        )
    return "cp1251", text


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    control = sum(1 for char in text[:20_000] if ord(char) < 32 and char not in "\r\n\t\f")
    replacement = text[:20_000].count("\ufffd")
    return (control + replacement) / min(len(text), 20_000) > 0.05


def _split(line: str, delimiter: str) -> list[str]:
    import csv

    return next(csv.reader([line], delimiter=delimiter, quotechar='"'), [])


def _choose_delimiter(lines: Sequence[str]) -> str:
    """The delimiter that splits the first lines into the same number (> 1) of fields most often."""
    best, best_score = ",", (-1, 0)
    for delimiter in (";", "\t", ",", "|"):
        counts = [len(_split(line, delimiter)) for line in lines[:20]]
        widths = [count for count in counts if count > 1]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        score = (widths.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _transcode(source_path: Path, target_path: Path, encoding: str) -> None:
    with (
        source_path.open("r", encoding=encoding, errors="strict", newline="") as reader,
        target_path.open("w", encoding="utf-8", newline="") as writer,
    ):
        while chunk := reader.read(1 << 22):
            writer.write(chunk)


HEAD_MAX_BYTES = 8 << 20


def _csv_head(path: Path, scratch: str, lines: int) -> Path:
    """The first lines of a CSV (the title and header search, then ``lines`` more) as a file of their own.

    Cut at the end of a line outside quotes, so a quoted value spanning lines stays whole. UTF-16
    has no byte-wise lines: such a file is taken whole.
    """
    with path.open("rb") as reader:
        if reader.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return path
        reader.seek(0)
        head = Path(scratch) / f"head{path.suffix.lower() or '.csv'}"
        taken, size, quotes = 0, 0, 0
        with head.open("wb") as writer:
            for line in reader:
                writer.write(line)
                size += len(line)
                quotes += line.count(b'"')
                if quotes % 2 == 0:
                    taken += 1
                    if taken >= lines + HEADER_SEARCH_ROWS or size >= HEAD_MAX_BYTES:
                        break
    return head


def _read_csv_raw(connection, path: Path, source: str, kind: str | None, overrides, encoding, delimiter,
                  scratch: str) -> tuple[str, str, str, int, list[str]]:
    """Loads the file into the table ``raw`` (all text, ``_line`` = line of the file); returns
    (kind, codec, delimiter, header line, headers)."""
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    codec, text = _decode_sample(sample, encoding, source)
    if _looks_binary(text):
        raise IngestError(f"{source}: this is a binary file, not a text table; expected CSV, XLSX or Parquet.")
    lines = text.splitlines()
    if len(sample) == SNIFF_BYTES and lines:
        lines = lines[:-1]  # the last line of the sample may be cut
    non_blank = [(index, line) for index, line in enumerate(lines) if line.strip()]
    if not non_blank:
        raise IngestError(f"{source}: the file is empty; expected a header line and rows.")
    if delimiter:
        delimiter = {"tab": "\t", "\\t": "\t", "semicolon": ";", "comma": ","}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise IngestError(f"{source}: the delimiter must be one character (, ; tab |), not «{delimiter}».")
    else:
        delimiter = _choose_delimiter([line for _index, line in non_blank])
    # The header: the first of the first lines whose cells name the kind's required columns.
    header_index, chosen_kind, headers = None, kind, []
    for index, line in non_blank[:HEADER_SEARCH_ROWS]:
        cells = [cell.strip().lstrip("\ufeff") for cell in _split(line, delimiter)]
        candidate = _header_kind(cells, kind, overrides)
        if candidate is not None:
            header_index, chosen_kind, headers = index, candidate, cells
            break
    if header_index is None:
        first = [cell.strip().lstrip("\ufeff") for cell in _split(non_blank[0][1], delimiter)]
        raise _no_header_error(source, kind or "purchases", first, resolve_mapping(first, kind or "purchases", overrides))
    if codec not in ("utf-8", "utf-8-sig"):
        utf8_path = Path(scratch) / "utf8.csv"
        try:
            _transcode(path, utf8_path, codec)
        except UnicodeDecodeError as error:
            raise IngestError(
                f"{source}: the file is not in {codec} throughout (byte {error.start + 1} of a block cannot be "
                f"read); save it as UTF-8 or give the encoding."
            ) from None
        path = utf8_path
    names = _unique_names(headers)
    columns = "{" + ", ".join(f"{v.sql_text(name)}: 'VARCHAR'" for name in names) + "}"
    try:
        connection.execute(
            f"CREATE TEMP TABLE raw AS SELECT * FROM read_csv({v.sql_text(str(path))}, header = false, "  # noqa: S608
            f"skip = {header_index + 1}, delim = {v.sql_text(delimiter)}, quote = '\"', escape = '\"', "
            f"columns = {columns}, auto_detect = false, store_rejects = true, rejects_table = 'csv_rejects', "
            f"rejects_scan = 'csv_reject_scans', max_line_size = 10000000, strict_mode = true, "
            f"null_padding = false)"
        )
    except duckdb.Error as error:
        raise IngestError(f"{source}: not a readable CSV file ({_first_line(error)}).") from None
    _number_csv_lines(connection, path, header_index + 2)
    return chosen_kind, codec, delimiter, header_index + 1, headers


def _blank_lines(path: Path, after_line: int) -> list[int]:
    """Line numbers (1-based) of the empty lines after ``after_line``: DuckDB skips them silently."""
    import mmap
    import re

    blank: list[int] = []
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        line, position = 1, 0
        for match in re.finditer(rb"\n(?=[ \t]*\r?\n)", data):
            line += data[position : match.start() + 1].count(b"\n")
            position = match.start() + 1
            if line > after_line:
                blank.append(line)
    return blank


def _line_shifts(path: Path):
    """Where quoted values span lines: (logical line, newlines inside quotes before it) of every record
    start, or None when no value spans lines (the usual file: then logical = physical).

    DuckDB counts a record as one line however many lines its quoted values take; the user's editor
    counts lines. A newline is inside quotes when an odd number of quote characters precede it.
    """
    import mmap

    import numpy as np

    with path.open("rb") as handle:
        if path.stat().st_size == 0:
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(b'"') < 0:
                return None
            bytes_ = np.frombuffer(data, dtype=np.uint8)
            newlines = np.flatnonzero(bytes_ == 10)
            quotes = np.flatnonzero(bytes_ == 34)
            del bytes_
    inside = np.searchsorted(quotes, newlines) % 2 == 1
    if not inside.any():
        return None
    ends = ~inside
    # The record after the k-th record-ending newline starts on logical line k + 1 (1-based: k + 2).
    logical = (np.cumsum(ends)[ends] + 1).astype(np.int64)
    embedded = np.cumsum(inside)[ends].astype(np.int64)
    return logical, embedded


def _number_csv_lines(connection, path: Path, first_data_line: int) -> None:
    """Adds ``_line`` to ``raw``: the file's physical line number where each row starts, around blank and
    rejected lines and quoted values that span lines (``csv_rejects.line`` likewise)."""
    import numpy as np

    # A whitespace-only line is a blank line, not a row with the wrong number of columns.
    connection.execute("DELETE FROM csv_rejects WHERE trim(csv_line, E' \\t\\r\\n') = ''")
    rejected_lines = [row[0] for row in connection.execute("SELECT DISTINCT line FROM csv_rejects").fetchall()]
    shifts = _line_shifts(path)
    blank = _blank_lines(path, first_data_line - 1)
    if shifts is not None and blank:
        # Blank lines are found by physical line, DuckDB's rows and rejects count logical ones; an empty
        # line inside a quoted value is no blank line.
        physical_starts = shifts[0] + shifts[1]
        found = np.array(blank, dtype=np.int64)
        index = np.searchsorted(physical_starts, found)
        starts = (index < len(physical_starts)) & (physical_starts[np.minimum(index, len(physical_starts) - 1)] == found)
        blank = shifts[0][index[starts]].tolist()
    skipped = sorted(set(rejected_lines) | set(blank))
    # The i-th row read sits on the i-th line (from first_data_line) that was neither blank nor rejected.
    gaps = [line - first_data_line - index for index, line in enumerate(skipped)]
    # A row's position in ``raw`` is its rowid: the table keeps the file's order (insertion order), and a
    # row_number() window over ten million rows cost as much again as reading them. Usually no line was
    # skipped and a view numbers them.
    names = [row[0] for row in connection.execute("DESCRIBE raw").fetchall()]
    if any(name.casefold() == "rowid" for name in names):  # a column of the file hides the rowid
        connection.execute("CREATE TEMP TABLE raw_numbered AS SELECT *, row_number() OVER () - 1 AS _position FROM raw")
        connection.execute("DROP TABLE raw")
        position, own = "_position", " EXCLUDE (_position)"
    else:
        connection.execute("ALTER TABLE raw RENAME TO raw_numbered")
        position, own = "rowid", ""
    if gaps:
        connection.register("reject_shifts", pa.table({"shift": pa.array(gaps, pa.int64())}))
        connection.execute(
            f"CREATE TEMP TABLE raw AS SELECT r.*{own}, r.{position} + {first_data_line} + "  # noqa: S608
            f"coalesce((SELECT count(*) FROM reject_shifts s WHERE s.shift <= r.{position}), 0) AS _line "
            f"FROM raw_numbered r ORDER BY r.{position}"
        )
        connection.unregister("reject_shifts")
        connection.execute("DROP TABLE raw_numbered")
    else:
        connection.execute(
            f"CREATE TEMP VIEW raw AS SELECT *{own}, {position} + {first_data_line} AS _line FROM raw_numbered"  # noqa: S608
        )
    if shifts is None:
        return
    logical, embedded = shifts
    changed = np.concatenate(([True], embedded[1:] != embedded[:-1]))
    connection.register("line_shifts_arrow", pa.table({"logical": logical[changed], "shift": embedded[changed]}))
    connection.execute("CREATE TEMP TABLE line_shifts AS FROM line_shifts_arrow")
    connection.unregister("line_shifts_arrow")
    connection.execute(
        "CREATE TEMP TABLE raw_physical AS SELECT r.* EXCLUDE (_line), r._line + coalesce(s.shift, 0) AS _line "
        "FROM raw r ASOF LEFT JOIN line_shifts s ON r._line >= s.logical ORDER BY r._line"
    )
    connection.execute(
        "UPDATE csv_rejects SET line = line + coalesce((SELECT max_by(s.shift, s.logical) FROM line_shifts s "
        "WHERE s.logical <= csv_rejects.line), 0)"
    )
    connection.execute("DROP " + ("VIEW" if _is_view(connection, "raw") else "TABLE") + " raw")
    connection.execute("DROP TABLE IF EXISTS raw_numbered")
    connection.execute("ALTER TABLE raw_physical RENAME TO raw")
    connection.execute("DROP TABLE line_shifts")


def _unique_names(headers: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for index, header in enumerate(headers):
        name = header or f"column {index + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


# --- XLSX -----------------------------------------------------------------------------------------


def _read_excel_raw(connection, path: Path, source: str, kind: str | None, overrides,
                    nrows: int | None = None) -> tuple[str, int, list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet_names = workbook.sheet_names
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False, nrows=nrows)
    except Exception as error:  # calamine raises several unrelated types for a damaged file
        raise IngestError(f"{source}: not a readable spreadsheet ({_first_line(error)}).") from None
    header_index, chosen_kind, headers = None, kind, []
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [(_cell_text(cell) or "").strip() for cell in row]
        if not any(cells):
            continue
        candidate = _header_kind(cells, kind, overrides)
        if candidate is not None:
            header_index, chosen_kind, headers = index, candidate, cells
            break
    if header_index is None:
        if not any(any(cell not in (None, "") for cell in row) for row in rows):
            raise IngestError(f"{source}: the sheet «{sheet_names[0] if sheet_names else 1}» is empty.")
        # Show the fullest of the first rows: with a title above, that is the intended header.
        near = [[(_cell_text(cell) or "").strip() for cell in row] for row in rows[:HEADER_SEARCH_ROWS]]
        best = max(near, key=lambda cells: sum(1 for cell in cells if cell))
        raise _no_header_error(source, kind or "purchases", best, resolve_mapping(best, kind or "purchases", overrides))
    names = _unique_names(headers)
    data = rows[header_index + 1 :]
    columns = {
        name: pa.array([_cell_text(row[position]) if position < len(row) else None for row in data], pa.string())
        for position, name in enumerate(names)
    }
    columns["_line"] = pa.array(range(header_index + 2, header_index + 2 + len(data)), pa.int64())
    connection.register("raw_arrow", pa.table(columns))
    connection.execute("CREATE TEMP TABLE raw AS FROM raw_arrow")
    connection.unregister("raw_arrow")
    connection.execute("CREATE TEMP TABLE csv_rejects (line BIGINT, csv_line VARCHAR, error_type VARCHAR)")
    return chosen_kind, header_index + 1, headers


# --- Parquet --------------------------------------------------------------------------------------


def _read_parquet_raw(connection, path: Path, source: str, kind: str | None, overrides,
                      limit: int | None = None) -> tuple[str, list[str]]:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as error:
        raise IngestError(f"{source}: not a readable Parquet file ({_first_line(error)}).") from None
    headers = list(schema.names)
    chosen = kind or detect_kind(headers, overrides)
    if chosen is None or _missing_roles(chosen, resolve_mapping(headers, chosen, overrides)):
        chosen_for_error = kind or "purchases"
        raise _no_header_error(source, chosen_for_error, headers, resolve_mapping(headers, chosen_for_error, overrides))
    try:
        connection.execute(
            f"CREATE TEMP VIEW raw AS SELECT *, row_number() OVER () AS _line FROM read_parquet({v.sql_text(str(path))})"  # noqa: S608
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        connection.execute("CREATE TEMP TABLE csv_rejects (line BIGINT, csv_line VARCHAR, error_type VARCHAR)")
    except duckdb.Error as error:
        raise IngestError(f"{source}: not a readable Parquet file ({_first_line(error)}).") from None
    return chosen, headers


# --- the parse --------------------------------------------------------------------------------------


def read_table(
    path: str | Path,
    *,
    kind: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    date_format: str | None = None,
    time_zone: str = "Europe/Moscow",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    memory_limit: str = "1GB",
    threads: int | None = None,
    keep_raw: bool = False,
    head: int | None = None,
) -> ParsedFile:
    """Reads and checks a file of ``kind`` (None: recognised from the headers); see the module's docstring.

    ``head``: only the file's first rows after the header, about that many (a preview); the row numbers
    are the file's.

    ``mapping`` overrides the recognised columns (role → header; "" leaves a role out). Dates with
    a zone are moved to ``time_zone``; others are taken as written on the business's clock.
    ``keep_raw`` keeps the cells as text in the table ``raw`` (for a preview).
    """
    if kind is not None and kind not in KINDS:
        raise IngestError(f"unknown kind «{kind}»; expected one of {', '.join(KINDS)}.")
    path = _checked_path(path, max_bytes)
    source = path.name
    fmt = file_format(path)
    scratch = tempfile.mkdtemp(prefix="romashka-import-")
    config = {"memory_limit": memory_limit, "temp_directory": scratch, "preserve_insertion_order": True}
    if threads:
        config["threads"] = threads
    connection = duckdb.connect(config=config)
    try:
        encoding_used = delimiter_used = None
        if fmt == "csv":
            kind, encoding_used, delimiter_used, header_row, headers = _read_csv_raw(
                connection, _csv_head(path, scratch, head) if head else path, source, kind, mapping, encoding,
                delimiter, scratch
            )
            row_word = "line"
        elif fmt == "excel":
            kind, header_row, headers = _read_excel_raw(connection, path, source, kind, mapping,
                                                        nrows=head + HEADER_SEARCH_ROWS if head else None)
            row_word = "row"
        else:
            kind, headers = _read_parquet_raw(connection, path, source, kind, mapping, limit=head)
            header_row, row_word = 0, "row"
        resolved = resolve_mapping(headers, kind, mapping)
        names = dict(zip(headers, _unique_names(headers), strict=True))
        rows = _parse(connection, kind, {role: names[header] for role, header in resolved.items()},
                      time_zone=time_zone, date_format=date_format, keep_raw=keep_raw)
        if rows == 0:
            raise IngestError(f"{source}: the file has a header but no rows.")
    except BaseException:
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return ParsedFile(
        kind=kind, source=source, file_format=fmt, encoding=encoding_used, delimiter=delimiter_used,
        header_row=header_row, headers=headers, mapping=resolved, rows=rows, connection=connection,
        scratch=scratch, row_word=row_word,
    )


def _parse(connection, kind: str, columns: dict[str, str], *, time_zone: str, date_format: str | None,
           keep_raw: bool = False) -> int:
    """Creates ``accepted`` and ``rejected`` from ``raw``; returns the number of rows read (blank ones skipped).

    One set-based pass parses every value, finds each row's first problem and keeps the typed row
    (``accepted``); the rows with a problem then move to ``rejected`` with their column and value.
    """
    described = connection.execute("DESCRIBE raw").fetchall()
    types = {row[0]: str(row[1]).upper() for row in described}
    all_columns = [name for name in types if name != "_line"]
    roles = [role for role in KINDS[kind] if role.name in columns]
    parsed: dict[str, str] = {}
    for role in roles:
        column = v.quote(columns[role.name])
        column_type = types[columns[role.name]]
        likely = None
        if role.parser in ("datetime", "date") and column_type == "VARCHAR" and not date_format:
            likely = v.likely_date_format(connection, "raw", column)
        parsed[role.name] = {
            "id": lambda c, t, _likely: v.id_sql(c, t),
            "text": lambda c, t, _likely: v.text_sql(c),
            "datetime": lambda c, t, likely: v.datetime_sql(c, t, time_zone=time_zone, date_format=date_format,
                                                            likely_format=likely),
            "date": lambda c, t, likely: v.date_sql(c, t, time_zone=time_zone, date_format=date_format,
                                                    likely_format=likely),
            "amount": lambda c, t, _likely: v.amount_sql(c, t),
            "phone": lambda c, t, _likely: v.text_sql(c),
            "email": lambda c, t, _likely: v.email_sql(c),
            "bool": lambda c, t, _likely: v.bool_sql(c),
        }[role.parser](column, column_type, likely)
    # (The readers give NULL for an empty cell; a row of spaces is a row, rejected for its missing values.)
    not_blank = "NOT (" + " AND ".join(f"{v.quote(name)} IS NULL" for name in all_columns) + ")" if all_columns else "true"
    # A totals line: «Итого» in the first column or in any mapped text column.
    totals_columns = list(dict.fromkeys([all_columns[0], *(columns[r.name] for r in roles if r.parser in ("id", "text"))]))
    totals = " OR ".join(v.totals_sql(v.quote(name)) for name in totals_columns)

    checks: list[tuple[str, str, str]] = [("totals_line", f"({totals})", totals_columns[0])]
    for role in roles:
        column_name = columns[role.name]
        if role.required:
            missing = {"id": "missing_id", "datetime": "missing_date", "date": "missing_date",
                       "amount": "missing_amount"}.get(role.parser, "missing_value")
            checks.append((missing, v.empty_sql(v.quote(column_name), types[column_name]), column_name))
    for role in roles:
        column_name = columns[role.name]
        value = f"p_{role.name}"
        not_empty = f"NOT {v.empty_sql(v.quote(column_name), types[column_name])}"
        if role.parser in ("datetime", "date"):
            checks.append(("bad_date", f"({not_empty} AND NOT coalesce({v.datetime_valid_sql(value)}, false))", column_name))
        elif role.parser == "amount":
            checks.append(("bad_amount", f"({not_empty} AND NOT coalesce({v.amount_valid_sql(value)}, false))", column_name))
        elif role.parser == "email":
            checks.append(("bad_email", f"({not_empty} AND {value} IS NULL)", column_name))
        elif role.parser == "phone":
            checks.append(("bad_phone", f"({not_empty} AND {v.phone_sql(value)} IS NULL)", column_name))
        elif role.parser == "bool":
            checks.append(("bad_value", f"({not_empty} AND {value} IS NULL)", column_name))
        if role.max_length:
            checks.append(("too_long", f"coalesce(length({value}) > {role.max_length}, false)", column_name))
    if kind == "employees" and "left_on" in columns:
        checks.append(("left_before_hired", "coalesce(p_left_on < p_hired_on, false)", columns["left_on"]))
    # The reason and the column at once, so the checks run once per row.
    problem = "CASE " + " ".join(
        f"WHEN {check} THEN {v.sql_text(name + chr(31) + column)}" for name, check, column in checks
    ) + " END"
    parsed_select = ", ".join(f"{expression} AS p_{name}" for name, expression in parsed.items())
    kept = ", ".join(v.quote(name) for name in dict.fromkeys([all_columns[0], *columns.values()]))
    # A failing check reports its column's cell as written: kept only on the rows that fail (NULL, nearly
    # free, on the others), under names of their own so that no header can take a role's name.
    reported = list(dict.fromkeys(c for _n, _c, c in checks))
    raw_of = {name: v.quote(f"_raw_{index}") for index, name in enumerate(reported)}
    raw_select = "".join(
        f", CASE WHEN problem IS NOT NULL THEN CAST({v.quote(name)} AS VARCHAR) END AS {alias}"
        for name, alias in raw_of.items()
    )
    finals = {
        role.name: f"CASE WHEN problem IS NULL THEN TRY_{v.amount_final_sql(f'p_{role.name}')} END"
        if role.parser == "amount" else f"p_{role.name}"
        for role in roles
    }
    # Phones: the original beside the normalised one (NULL when it is no phone).
    extra = f", {v.phone_sql('p_phone')} AS phone_normalized" if "phone" in parsed else ""
    accepted_select = ", ".join(f"{expression} AS {name}" for name, expression in finals.items())
    from romashka.ingest.readers import _lazy_fallbacks

    # One pass: every value parsed once (the inner select), each row's first problem found from the parsed
    # values (the checks read each several times), the typed row kept with it; the failing rows then move
    # to ``rejected``. Rows stay in the file's order (insertion order is kept).
    with _lazy_fallbacks(connection):
        connection.execute(
            f"CREATE TEMP TABLE accepted AS SELECT _line AS row_number, {accepted_select}{extra}, problem{raw_select} "  # noqa: S608
            f"FROM (SELECT *, {problem} AS problem FROM (SELECT _line, {kept}, {parsed_select} FROM raw WHERE {not_blank}))"
        ).fetchall()
    if not keep_raw:
        connection.execute("DROP " + ("VIEW" if _is_view(connection, "raw") else "TABLE") + " raw")
        connection.execute("DROP TABLE IF EXISTS raw_numbered")
    value_of = "CASE column_name " + " ".join(
        f"WHEN {v.sql_text(name)} THEN {alias}" for name, alias in raw_of.items()
    ) + " END"
    connection.execute(
        f"CREATE TEMP TABLE rejected AS SELECT row_number, column_name, {value_of} AS value, reason FROM ("  # noqa: S608
        "SELECT *, split_part(problem, chr(31), 1) AS reason, "
        "split_part(problem, chr(31), 2) AS column_name FROM accepted WHERE problem IS NOT NULL) "
        "UNION ALL SELECT line, NULL, any_value(trim(csv_line, E' \\t\\r\\n')), "
        "CASE WHEN bool_and(error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')) THEN 'wrong_column_count' "
        "ELSE 'unreadable' END FROM csv_rejects GROUP BY line "
        "ORDER BY 1"
    )
    if connection.execute("SELECT count(*) FROM accepted WHERE problem IS NOT NULL").fetchall()[0][0]:
        connection.execute("DELETE FROM accepted WHERE problem IS NOT NULL")
    for column in ["problem", *(alias for alias in raw_of.values())]:
        connection.execute(f"ALTER TABLE accepted DROP COLUMN {column}")
    return connection.execute("SELECT (SELECT count(*) FROM accepted) + (SELECT count(*) FROM rejected)").fetchall()[0][0]


def _is_view(connection, name: str) -> bool:
    return bool(connection.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND temporary", [name]).fetchall()[0][0])


def preview(path: str | Path, *, kind: str | None = None, mapping: dict[str, str] | None = None,
            encoding: str | None = None, delimiter: str | None = None, rows: int = 10,
            max_bytes: int | None = DEFAULT_MAX_BYTES, head_rows: int = PREVIEW_HEAD_ROWS) -> dict:
    """The first rows as text, the headers, the recognised kind and mapping — for the upload page.

    Reads only the head of the file (``head_rows`` rows after the header), with the import's checks:
    detection, mapping and the figures are those of the head (``summary``, ``head_only``).
    """
    with read_table(path, kind=kind, mapping=mapping, encoding=encoding, delimiter=delimiter,
                    max_bytes=max_bytes, keep_raw=True, head=head_rows) as parsed:
        names = _unique_names(parsed.headers)
        quoted = ", ".join(f"CAST({v.quote(name)} AS VARCHAR)" for name in names)
        first = parsed.connection.execute(
            f"SELECT {quoted} FROM raw ORDER BY _line LIMIT {int(rows)}"  # noqa: S608
        ).fetchall()
        return {
            "kind": parsed.kind, "headers": parsed.headers, "mapping": parsed.mapping,
            "rows": [list(row) for row in first], "summary": parsed.summary(),
            "encoding": parsed.encoding, "delimiter": parsed.delimiter, "header_row": parsed.header_row,
            "rejected": parsed.rejected_rows(limit=rows),
            "head_only": parsed.rows >= head_rows,
        }
