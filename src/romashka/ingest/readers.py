"""Purchase files (CSV, XLSX, Parquet) read into one typed Arrow table: customer_id, purchased_at, amount.

The output has the columns ``customer_id`` (string, exactly as written in the file: leading zeros
and ``+7`` stay), ``purchased_at`` (``date32`` when the file stores dates, otherwise
``timestamp[us]`` as wall-clock time) and ``amount`` (``decimal(18, 2)``, refunds negative).

CSV: UTF-8 with or without BOM, or Windows-1251; delimiter ``;``, tab or ``,`` taken from the
header line; decimal comma or dot, spaces as thousands separators; dates ``DD.MM.YYYY[ HH:MM[:SS]]``
or ISO. XLSX: the first sheet; the header may sit below a title. Parquet: typed columns as stored.
Columns are found by their common Russian and English headers (case and spaces ignored) unless
named explicitly. Every problem a user can cause raises :class:`IngestError` naming the file, the
column or the row and value, and what was expected. Parsing runs inside DuckDB, not row by row.
"""

from __future__ import annotations

import codecs
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROLES = ("customer_id", "purchased_at", "amount")
AMOUNT_TYPE = pa.decimal128(18, 2)
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}

# In order of preference: when a file has both «Клиент» and «Номер карты», the card number wins
# over a name-like column only if listed earlier.
HEADER_ALIASES = {
    "customer_id": (
        "customer_id", "customer id", "client id", "card number", "card no", "номер карты", "id клиента",
        "код клиента", "customer", "client", "card", "карта", "клиент", "покупатель", "телефон",
        "номер телефона", "phone",
    ),
    "purchased_at": (
        "purchased_at", "purchase date", "purchased at", "дата чека", "дата покупки", "дата и время",
        "date", "datetime", "дата",
    ),
    "amount": (
        "amount", "total", "sum", "итого по чеку", "сумма чека", "сумма покупки", "итого", "сумма",
    ),
}  # fmt: skip
ROLE_NAMES = {"customer_id": "customer", "purchased_at": "date", "amount": "amount"}
DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
)  # fmt: skip
HEADER_SEARCH_ROWS = 30
SNIFF_BYTES = 1 << 16


class IngestError(ValueError):
    """A file the user gave cannot be read as purchases; the message says where and why."""


def header_key(name: object) -> str:
    """A header as compared: case, spaces, underscores, a BOM and ё/е do not matter."""
    text = str(name).replace("\ufeff", "").replace("_", " ").replace("ё", "е").replace("Ё", "Е")
    return " ".join(text.casefold().split())


def resolve_columns(
    headers: Sequence[object], overrides: dict[str, str | None], *, source: str
) -> dict[str, str] | None:
    """Map each role to a header of the file; None when a role is not found (see _missing_column)."""
    by_key: dict[str, str] = {}
    for header in headers:
        if header is not None and str(header).strip():
            by_key.setdefault(header_key(header), str(header))
    found: dict[str, str] = {}
    for role in ROLES:
        wanted = overrides.get(role)
        candidates = (wanted,) if wanted else HEADER_ALIASES[role]
        for candidate in candidates:
            header = by_key.get(header_key(candidate))
            if header is not None:
                found[role] = header
                break
        else:
            return None
    return found


def _missing_column(
    headers: Sequence[object], overrides: dict[str, str | None], *, source: str
) -> IngestError:
    by_key = {header_key(h) for h in headers if h is not None}
    shown = ", ".join(f"«{h}»" for h in headers if h is not None and str(h).strip()) or "none"
    for role in ROLES:
        wanted = overrides.get(role)
        if wanted and header_key(wanted) not in by_key:
            return IngestError(
                f"{source}: there is no column «{wanted}» for the {ROLE_NAMES[role]}. Headers found: {shown}."
            )
        if not wanted and not any(header_key(alias) in by_key for alias in HEADER_ALIASES[role]):
            known = ", ".join(f"«{alias}»" for alias in HEADER_ALIASES[role])
            return IngestError(
                f"{source}: no {ROLE_NAMES[role]} column. Expected one of {known}, or name it explicitly "
                f"({ROLE_NAMES[role]} column option). Headers found: {shown}."
            )
    return IngestError(f"{source}: the columns could not be matched. Headers found: {shown}.")


def read_purchases(
    path: str | Path,
    *,
    customer_column: str | None = None,
    date_column: str | None = None,
    amount_column: str | None = None,
) -> pa.Table:
    """Read a CSV, XLSX or Parquet file of purchases into the typed table described above."""
    path, kind, overrides = _checked_source(path, customer_column, date_column, amount_column)
    source = path.name
    if kind == "parquet":
        return _read_parquet(path, overrides, source)
    if kind == "excel":
        return _read_excel(path, overrides, source)
    return _read_csv(path, overrides, source)


def load_purchases(
    path: str | Path,
    connection: duckdb.DuckDBPyConnection,
    *,
    table_name: str = "purchases",
    customer_column: str | None = None,
    date_column: str | None = None,
    amount_column: str | None = None,
) -> None:
    """Like :func:`read_purchases`, but leaves the typed rows in ``connection`` as ``table_name``.

    For large files: DuckDB reads the file itself and no Arrow copy is built in Python. A Parquet
    file becomes a temporary view over the file (the file must stay until the view is used), other
    files a temporary table. The checks and messages are those of :func:`read_purchases`; nothing
    named ``table_name`` is left behind when they fail.
    """
    path, kind, overrides = _checked_source(path, customer_column, date_column, amount_column)
    source = path.name
    if kind == "parquet":
        _load_parquet(path, overrides, source, connection, table_name)
    elif kind == "excel":
        _arrow_into(connection, _read_excel(path, overrides, source), table_name)
    else:
        _read_csv(path, overrides, source, into=(connection, table_name))


def _arrow_into(connection: duckdb.DuckDBPyConnection, table: pa.Table, table_name: str) -> None:
    connection.register(f"{table_name}_arrow", table)
    connection.execute(f"CREATE TEMP TABLE {_quote(table_name)} AS FROM {_quote(table_name + '_arrow')}")
    connection.unregister(f"{table_name}_arrow")


def _checked_source(
    path: str | Path, customer_column: str | None, date_column: str | None, amount_column: str | None
) -> tuple[Path, str, dict[str, str | None]]:
    path = Path(path)
    overrides = {"customer_id": customer_column, "purchased_at": date_column, "amount": amount_column}
    if not path.is_file():
        raise IngestError(f"{path}: no such file.")
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return path, "parquet", overrides
    if suffix in EXCEL_SUFFIXES:
        return path, "excel", overrides
    if suffix in CSV_SUFFIXES:
        return path, "csv", overrides
    raise IngestError(
        f"{path.name}: unknown file type {suffix or '(no extension)'}; expected .csv, .xlsx or .parquet."
    )


# A table name in the caller's connection: the direct path reads into it instead of into Arrow.
Into = tuple[duckdb.DuckDBPyConnection, str] | None


# --- CSV -----------------------------------------------------------------------------------------


def _sniff_text(path: Path, source: str) -> tuple[str, str]:
    """(encoding, first line) from the start of the file: UTF-8 (BOM or not) or Windows-1251."""
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1251"
    text = sample.decode(encoding, errors="replace")
    for line in text.splitlines():
        if line.strip():
            return encoding, line
    raise IngestError(f"{source}: the file is empty.")


def _delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (";", "\t", ",")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _read_csv(
    path: Path, overrides: dict[str, str | None], source: str, into: Into = None
) -> pa.Table | None:
    encoding, header_line = _sniff_text(path, source)
    delimiter = _delimiter(header_line)
    with tempfile.TemporaryDirectory(prefix="romashka-csv-") as scratch:
        if encoding == "cp1251":
            utf8_path = Path(scratch) / "utf8.csv"
            _transcode(path, utf8_path, "cp1251")
            return _csv_through_duckdb(utf8_path, delimiter, overrides, source, into)
        try:
            return _csv_through_duckdb(path, delimiter, overrides, source, into)
        except duckdb.InvalidInputException as error:
            if "unicode" not in str(error).lower():
                raise IngestError(f"{source}: not a readable CSV file ({_first_line(error)}).") from None
            # Valid UTF-8 at the start and not further on: the file is Windows-1251 after all.
            utf8_path = Path(scratch) / "utf8.csv"
            _transcode(path, utf8_path, "cp1251")
            return _csv_through_duckdb(utf8_path, delimiter, overrides, source, into)


def _transcode(source_path: Path, target_path: Path, encoding: str) -> None:
    with (
        source_path.open("r", encoding=encoding, newline="") as reader,
        target_path.open("w", encoding="utf-8", newline="") as writer,
    ):
        while chunk := reader.read(1 << 20):
            writer.write(chunk)


def _csv_through_duckdb(
    path: Path, delimiter: str, overrides: dict[str, str | None], source: str, into: Into = None
) -> pa.Table | None:
    connection = duckdb.connect() if into is None else into[0]
    relation_name = "source_rows" if into is None else f"{into[1]}_source_rows"
    try:
        try:
            relation = connection.read_csv(
                str(path), header=True, sep=delimiter, all_varchar=True, quotechar='"', escapechar='"'
            )
        except duckdb.Error as error:
            if "unicode" in str(error).lower():
                raise
            raise IngestError(f"{source}: not a readable CSV file ({_first_line(error)}).") from None
        columns = resolve_columns(relation.columns, overrides, source=source)
        if columns is None:
            raise _missing_column(relation.columns, overrides, source=source)
        connection.register(relation_name, relation)
        try:
            return _normalise(
                connection,
                relation_name,
                relation.columns,
                relation.types,
                columns,
                source,
                first_row_number=2,
                row_word="line",
                into=None if into is None else into[1],
            )
        except duckdb.InvalidInputException as error:
            if "unicode" in str(error).lower():
                raise
            raise IngestError(f"{source}: not a readable CSV file ({_first_line(error)}).") from None
    finally:
        if into is None:
            connection.close()
        else:
            connection.unregister(relation_name)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- XLSX ----------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """An Excel cell as text for the shared parser: integral numbers without '.0', dates in ISO."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _read_excel(path: Path, overrides: dict[str, str | None], source: str) -> pa.Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises several unrelated types for a damaged file
        raise IngestError(f"{source}: not a readable spreadsheet ({_first_line(error)}).") from None
    header_index = None
    columns = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        headers = [_cell_text(cell) for cell in row]
        columns = resolve_columns(headers, overrides, source=source)
        if columns is not None:
            header_index = index
            break
    if header_index is None or columns is None:
        first = next((row for row in rows if any(cell not in (None, "") for cell in row)), [])
        raise _missing_column([_cell_text(cell) for cell in first], overrides, source=source)
    headers = [_cell_text(cell) for cell in rows[header_index]]
    positions = {role: headers.index(header) for role, header in columns.items()}
    data = rows[header_index + 1 :]
    table = pa.table({
        columns[role]: pa.array(
            [_cell_text(row[position]) if position < len(row) else None for row in data], pa.string()
        )
        for role, position in positions.items()
    })  # fmt: skip
    connection = duckdb.connect()
    try:
        connection.register("source_rows", table)
        return _normalise(
            connection,
            "source_rows",
            table.column_names,
            ["VARCHAR"] * 3,
            columns,
            source,
            first_row_number=header_index + 2,
            row_word="row",
        )
    finally:
        connection.close()


# --- Parquet -------------------------------------------------------------------------------------


def _read_parquet(path: Path, overrides: dict[str, str | None], source: str) -> pa.Table:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as error:
        raise IngestError(f"{source}: not a readable Parquet file ({_first_line(error)}).") from None
    columns = resolve_columns(schema.names, overrides, source=source)
    if columns is None:
        raise _missing_column(schema.names, overrides, source=source)
    try:
        table = pq.read_table(path, columns=sorted(set(columns.values())))
    except (pa.ArrowException, OSError) as error:
        raise IngestError(f"{source}: not a readable Parquet file ({_first_line(error)}).") from None
    date_field = table.schema.field(columns["purchased_at"])
    if pa.types.is_timestamp(date_field.type) and date_field.type.tz is not None:
        # The purchase day is the day on the shop's clock, the zone the file was written in.
        index = table.schema.get_field_index(columns["purchased_at"])
        table = table.set_column(index, date_field.name, pc.local_timestamp(table.column(index)))
    connection = duckdb.connect()
    try:
        connection.register("source_rows", table)
        relation = connection.table("source_rows")
        return _normalise(
            connection,
            "source_rows",
            relation.columns,
            relation.types,
            columns,
            source,
            first_row_number=1,
            row_word="row",
        )
    finally:
        connection.close()


def _load_parquet(
    path: Path,
    overrides: dict[str, str | None],
    source: str,
    connection: duckdb.DuckDBPyConnection,
    table_name: str,
) -> None:
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowException, OSError) as error:
        raise IngestError(f"{source}: not a readable Parquet file ({_first_line(error)}).") from None
    columns = resolve_columns(schema.names, overrides, source=source)
    if columns is None:
        raise _missing_column(schema.names, overrides, source=source)
    date_type = schema.field(columns["purchased_at"]).type
    if pa.types.is_timestamp(date_type) and date_type.tz is not None:
        # Wall-clock time in the file's own zone is Arrow's job (see _read_parquet); rare enough
        # that such files take the Arrow path.
        _arrow_into(connection, _read_parquet(path, overrides, source), table_name)
        return
    relation_name = f"{table_name}_source_rows"
    wanted = ", ".join(_quote(name) for name in sorted(set(columns.values())))
    try:
        connection.execute(
            f"CREATE TEMP VIEW {_quote(relation_name)} AS SELECT {wanted} FROM read_parquet({_sql_text(str(path))})"  # noqa: S608
        )
        relation = connection.table(relation_name)
        _normalise(
            connection,
            _quote(relation_name),
            relation.columns,
            relation.types,
            columns,
            source,
            first_row_number=1,
            row_word="row",
            into=table_name,
            as_view=True,
        )
    except duckdb.Error as error:
        connection.execute(f"DROP VIEW IF EXISTS {_quote(table_name)}")
        connection.execute(f"DROP VIEW IF EXISTS {_quote(relation_name)}")
        raise IngestError(f"{source}: not a readable Parquet file ({_first_line(error)}).") from None
    except IngestError:
        connection.execute(f"DROP VIEW IF EXISTS {_quote(relation_name)}")
        raise


# --- the shared parser ---------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _blank_sql(column: str, kind: str) -> str:
    # Only text can be blank without being NULL; a number or a date as text never is, and casting
    # ten million of them to text to find out cost a second.
    if kind == "VARCHAR":
        return f"NULLIF(trim({column}), '') IS NULL"
    if kind in ("DATE", "DOUBLE", "FLOAT", "BIGINT", "INTEGER") or kind.startswith(("TIMESTAMP", "DECIMAL")):
        return f"{column} IS NULL"
    return f"NULLIF(trim(CAST({column} AS VARCHAR)), '') IS NULL"


def _customer_sql(column: str, kind: str) -> str:
    if kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL"):
        return f"CASE WHEN {column} = trunc({column}) THEN CAST(CAST({column} AS HUGEINT) AS VARCHAR) END"
    return f"NULLIF(CAST({column} AS VARCHAR), '')"


def _date_sql(column: str, kind: str) -> str:
    if kind == "DATE" or kind.startswith("TIMESTAMP"):
        return column if kind == "DATE" else f"CAST({column} AS TIMESTAMP)"
    formats = "[" + ", ".join(_sql_text(fmt) for fmt in DATE_FORMATS) + "]"
    text = f"trim(CAST({column} AS VARCHAR))"
    return f"coalesce(try_strptime({text}, {formats}), try_cast({text} AS TIMESTAMP))"


def _amount_sql(column: str, kind: str) -> str:
    if kind in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
        "FLOAT",
        "DOUBLE",
    ) or kind.startswith("DECIMAL"):
        return f"try_cast({column} AS DECIMAL(18, 2))"
    # Spaces (also non-breaking) group thousands, a currency sign may follow; the separator that
    # comes last is the decimal one, so both 1 234,50 and 1,234.50 read as 1234.50.
    cleaned = (
        f"regexp_replace(replace(lower(CAST({column} AS VARCHAR)), '−', '-'), "
        f"'[\\s\u00a0\u202f''’₽$€]|руб\\.?|р\\.', '', 'g')"
    )
    reversed_text = f"reverse({cleaned})"
    normalised = (
        f"CASE WHEN strpos({reversed_text}, ',') > 0 AND (strpos({reversed_text}, '.') = 0 "
        f"OR strpos({reversed_text}, ',') < strpos({reversed_text}, '.')) "
        f"THEN replace(replace({cleaned}, '.', ''), ',', '.') ELSE replace({cleaned}, ',', '') END"
    )
    # Most files write plain numbers (12.50 or 12,50): those need no cleaning, which costs three
    # times the cast. Anything the plain reading refuses goes the full way, so results are the same.
    plain = f"try_cast(replace(CAST({column} AS VARCHAR), ',', '.') AS DECIMAL(18, 2))"
    return f"coalesce({plain}, try_cast({normalised} AS DECIMAL(18, 2)))"


def _normalise(
    connection: duckdb.DuckDBPyConnection,
    relation_name: str,
    names: Sequence[str],
    types: Sequence[object],
    columns: dict[str, str],
    source: str,
    *,
    first_row_number: int,
    row_word: str,
    into: str | None = None,
    as_view: bool = False,
) -> pa.Table | None:
    """The typed rows as Arrow, or, with ``into``, as a temporary table (``as_view``: view) of that
    name in ``connection``; the same checks either way."""
    kinds = {name: str(kind).upper() for name, kind in zip(names, types, strict=True)}
    raw = {role: _quote(columns[role]) for role in ROLES}
    parsed = {
        "customer_id": _customer_sql(raw["customer_id"], kinds[columns["customer_id"]]),
        "purchased_at": _date_sql(raw["purchased_at"], kinds[columns["purchased_at"]]),
        "amount": _amount_sql(raw["amount"], kinds[columns["amount"]]),
    }
    blank = " AND ".join(_blank_sql(raw[role], kinds[columns[role]]) for role in ROLES)
    select = ", ".join(f"{parsed[role]} AS {role}" for role in ROLES)
    query = f"SELECT {select} FROM {relation_name} WHERE NOT ({blank})"  # noqa: S608
    if into is None:
        with _lazy_fallbacks(connection):
            table = connection.sql(query).to_arrow_table()
        has_nulls = any(table.column(role).null_count for role in ROLES)
    else:
        # Typed as the Arrow path types them: VARCHAR, DATE or TIMESTAMP, DECIMAL(18, 2).
        typed = query.replace(
            f"SELECT {select}",
            "SELECT "
            + ", ".join(
                f"{parsed[role]}::{_SQL_TYPES[role](kinds[columns[role]])} AS {role}" for role in ROLES
            ),
            1,
        )
        kind = "VIEW" if as_view else "TABLE"
        with _lazy_fallbacks(connection):
            connection.execute(f"CREATE TEMP {kind} {_quote(into)} AS {typed}").fetchall()
        nulls = " OR ".join(f"{role} IS NULL" for role in ROLES)
        count = f"SELECT count(*) FILTER (WHERE {nulls}) FROM {_quote(into)}"  # noqa: S608
        has_nulls = bool(connection.execute(count).fetchall()[0][0])
        if has_nulls:
            connection.execute(f"DROP {kind} {_quote(into)}")
    if has_nulls:
        raise _first_bad_row(
            connection,
            relation_name,
            raw,
            parsed,
            blank,
            columns,
            source,
            first_row_number=first_row_number,
            row_word=row_word,
        )
    if into is not None:
        return None
    purchased_at = table.column("purchased_at")
    if not pa.types.is_date32(purchased_at.type):
        purchased_at = purchased_at.cast(pa.timestamp("us"))
    return pa.table({
        "customer_id": table.column("customer_id").cast(pa.string()),
        "purchased_at": purchased_at,
        "amount": table.column("amount").cast(AMOUNT_TYPE),
    })  # fmt: skip


@contextmanager
def _lazy_fallbacks(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Without DuckDB's common-subexpression optimiser while the rows are parsed.

    It hoists the repeated parts of the full amount parser out of ``coalesce(plain, full)`` and so
    runs them for every row; without it the full parser runs only where the plain reading failed
    (a CSV of 10M rows parses in half the time). The caller's setting is restored.
    """
    previous = connection.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    disabled = ",".join(filter(None, [previous, "common_subexpressions"]))
    connection.execute(f"SET disabled_optimizers = {_sql_text(disabled)}").fetchall()
    try:
        yield
    finally:
        connection.execute(f"SET disabled_optimizers = {_sql_text(previous)}").fetchall()


_SQL_TYPES = {
    "customer_id": lambda kind: "VARCHAR",
    "purchased_at": lambda kind: "DATE" if kind == "DATE" else "TIMESTAMP",
    "amount": lambda kind: "DECIMAL(18, 2)",
}


def _first_bad_row(
    connection, relation_name, raw, parsed, blank, columns, source, *, first_row_number, row_word
):
    checks = " OR ".join(f"{parsed[role]} IS NULL" for role in ROLES)
    raw_columns = ", ".join(f"CAST({raw[role]} AS VARCHAR) AS {role}_raw" for role in ROLES)
    parsed_columns = ", ".join(f"{parsed[role]} IS NULL AS {role}_bad" for role in ROLES)
    found = connection.execute(
        f"SELECT number, {', '.join(f'{role}_raw, {role}_bad' for role in ROLES)} FROM ("  # noqa: S608
        f"SELECT row_number() OVER () - 1 AS number, {raw_columns}, {parsed_columns}, ({blank}) AS is_blank, "
        f"({checks}) AS is_bad FROM {relation_name}) WHERE is_bad AND NOT is_blank ORDER BY number LIMIT 1"
    ).fetchall()
    if not found:  # cannot happen: the nulls came from these rows
        return IngestError(f"{source}: some values could not be read.")
    row = found[0]
    where = f"{source}, {row_word} {row[0] + first_row_number}"
    expected = {
        "customer_id": "a customer id",
        "purchased_at": "a date such as 31.12.2024, 31.12.2024 18:05 or 2024-12-31",
        "amount": "an amount such as 1234.50 or 1 234,50",
    }
    for offset, role in enumerate(ROLES):
        value, bad = row[1 + 2 * offset], row[2 + 2 * offset]
        if bad:
            shown = "empty" if value is None or not value.strip() else repr(value)
            return IngestError(f"{where}, column «{columns[role]}»: {shown} is not {expected[role]}.")
    return IngestError(f"{where}: the row could not be read.")
