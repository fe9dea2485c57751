"""Parsing of values as businesses write them: amounts, dates, phones, e-mails, yes/no.

Each parser exists once, as a DuckDB SQL expression, so a file of millions of rows is parsed in
one set-based query; the small Python helpers at the bottom run the same expressions over a list
(for single values, the web preview and the property tests), so there is no second implementation
to drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

_NON_DIGITS = re.compile(r"\D+")

AMOUNT_SQL_TYPE = "DECIMAL(18, 2)"
EXACT_TYPE = "DECIMAL(18, 6)"  # 64-bit: a value at or above AMOUNT_LIMIT does not fit and is no amount
# Purchase.amount holds 14 digits, 2 of them kopecks: anything larger is a misread column, not money.
AMOUNT_LIMIT = 10**12
# Day-first as written in Russia first; ISO and the US slash only after them (see date_sql).
DATE_FORMATS = (
    # Two-digit years first: %Y would read 05.03.24 as the year 24 (and %y refuses four digits).
    "%d.%m.%y %H:%M:%S", "%d.%m.%y %H:%M", "%d.%m.%y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f", "%Y.%m.%d", "%Y/%m/%d",
)  # fmt: skip
# Excel's serial day numbers between these are dates (1927-05-18 … 2173-10-14); outside, a number is no date.
EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 10_000, 100_000
YEAR_MIN, YEAR_MAX = 1900, 2100
TRUE_WORDS = ("1", "да", "д", "yes", "y", "true", "t", "+", "x", "х", "v", "✓", "согласен", "согласна", "есть")
FALSE_WORDS = ("0", "нет", "н", "no", "n", "false", "f", "-", "—", "не согласен", "не согласна")
TOTALS_WORDS = ("итого", "итог", "всего", "total", "grand total", "subtotal", "сумма итого")

NUMERIC_KINDS = (
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
    "FLOAT", "DOUBLE",
)  # fmt: skip


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text_sql(column: str) -> str:
    """A cell as trimmed text, NULL when blank."""
    return f"NULLIF(trim(CAST({column} AS VARCHAR)), '')"


def id_sql(column: str, kind: str = "VARCHAR") -> str:
    """An id exactly as written (only surrounding spaces go): leading zeros and '+7' stay.

    A number column (Parquet, Excel) gives its integral value without '.0'.
    """
    if kind in ("FLOAT", "DOUBLE") or kind.startswith("DECIMAL"):
        return f"CASE WHEN {column} = trunc({column}) THEN CAST(CAST({column} AS HUGEINT) AS VARCHAR) END"
    return text_sql(column)


def amount_sql(column: str, kind: str = "VARCHAR") -> str:
    """A money amount as an exact DECIMAL(18, 6), NULL when it is not a number; see :func:`amount_valid_sql`.

    Spaces (also non-breaking and narrow ones) group thousands; a currency sign or 'руб.' may stand
    before or after; the separator that comes last is the decimal one, so 1 234,50 and 1,234.50 are
    both 1234.50; a minus (also '−') or parentheses make a refund.
    """
    if kind in NUMERIC_KINDS or kind.startswith("DECIMAL"):
        return f"try_cast({column} AS {EXACT_TYPE})"
    raw = f"CAST({column} AS VARCHAR)"
    cleaned = (
        f"regexp_replace(replace(replace(lower({raw}), '−', '-'), '–', '-'), "
        f"'[\\s\u00a0\u202f\u2009''’₽$€£¥]|руб\\.?|rub\\.?|р\\.|usd|eur', '', 'g')"
    )
    # (123,45) is how accountants write a negative amount.
    signed = (
        f"CASE WHEN starts_with({cleaned}, '(') AND ends_with({cleaned}, ')') "
        f"THEN '-' || {cleaned}[2:-2] ELSE {cleaned} END"
    )
    reversed_text = f"reverse({signed})"
    normalised = (
        f"CASE WHEN strpos({reversed_text}, ',') > 0 AND (strpos({reversed_text}, '.') = 0 "
        f"OR strpos({reversed_text}, ',') < strpos({reversed_text}, '.')) "
        f"THEN replace(replace({signed}, '.', ''), ',', '.') ELSE replace({signed}, ',', '') END"
    )
    # Most files write plain numbers (12.50 or 12,50): those skip the cleaning, three times the cost.
    # (Run with DuckDB's common-subexpression optimiser off, so the fallback runs only where needed.)
    plain = f"try_cast(replace({raw}, ',', '.') AS {EXACT_TYPE})"
    # Then 1 234,50 (spaces between thousands, a decimal comma): plain replaces, no regular expression.
    spaced = f"try_cast(replace(replace(replace({raw}, ' ', ''), '\u00a0', ''), ',', '.') AS {EXACT_TYPE})"
    full = f"CASE WHEN regexp_full_match({normalised}, '[-+]?[0-9]*\\.?[0-9]+') THEN try_cast({normalised} AS {EXACT_TYPE}) END"
    return f"coalesce({plain}, {spaced}, {full})"


def amount_valid_sql(value: str) -> str:
    """An amount of :func:`amount_sql` is money: at most two decimals (12,345 is 12.345 or 12345?) and below the limit."""
    return f"({value} = round({value}, 2) AND abs({value}) < {AMOUNT_LIMIT})"


def amount_final_sql(value: str) -> str:
    return f"CAST({value} AS {AMOUNT_SQL_TYPE})"


def datetime_sql(column: str, kind: str = "VARCHAR", *, time_zone: str = "Europe/Moscow",
                 date_format: str | None = None, likely_format: str | None = None) -> str:
    """A date and time as a TIMESTAMP on the business's wall clock, NULL when it is not one.

    Text: DD.MM.YYYY[ HH:MM[:SS]] (also with / or -, two-digit years), ISO with or without time;
    ISO with a zone (Z, +03:00) is moved to ``time_zone``; Excel serial day numbers. ``date_format``
    (strftime codes, e.g. %m/%d/%Y) is tried before all others, then ``likely_format`` alone (the
    one most of the file's values have: a list of formats costs 20 times one). Whether the year is
    plausible is :func:`datetime_valid_sql`'s question.
    """
    if kind == "DATE":
        value = f"CAST({column} AS TIMESTAMP)"
    elif kind.startswith("TIMESTAMP WITH TIME ZONE") or kind == "TIMESTAMPTZ":
        value = f"CAST(timezone({sql_text(time_zone)}, {column}) AS TIMESTAMP)"
    elif kind.startswith("TIMESTAMP"):
        value = f"CAST({column} AS TIMESTAMP)"
    elif kind in NUMERIC_KINDS or kind.startswith("DECIMAL"):
        value = _serial_sql(f"CAST({column} AS DOUBLE)")
    else:
        text = f"trim(CAST({column} AS VARCHAR))"
        formats = ((date_format,) if date_format else ()) + DATE_FORMATS
        listed = "[" + ", ".join(sql_text(fmt) for fmt in formats) + "]"
        first = []
        if date_format:
            first.append(f"try_strptime({text}, {sql_text(date_format)})")
        if likely_format and likely_format != date_format:
            first.append(f"try_strptime({text}, {sql_text(likely_format)})")
        zoned = (
            f"CASE WHEN regexp_matches({text}, '\\d[T ]\\d{{1,2}}:\\d\\d(:\\d\\d(\\.\\d+)?)?\\s*(Z|[+-]\\d\\d(:?\\d\\d)?)$') "
            f"THEN CAST(timezone({sql_text(time_zone)}, try_cast({text} AS TIMESTAMPTZ)) AS TIMESTAMP) END"
        )
        serial_number = f"CAST(replace({text}, ',', '.') AS DOUBLE)"
        serial = f"CASE WHEN regexp_full_match({text}, '\\d{{5}}([.,]\\d+)?') THEN {_serial_sql(serial_number)} END"
        value = f"coalesce({', '.join([*first, f'try_strptime({text}, {listed})', zoned, serial])})"
    return value


def datetime_valid_sql(value: str) -> str:
    return f"(year({value}) BETWEEN {YEAR_MIN} AND {YEAR_MAX})"


def likely_date_format(connection, relation: str, column: str) -> str | None:
    """The format of DATE_FORMATS that reads most of the first 2,000 values of a text column (None: none)."""
    text = f"trim(CAST({column} AS VARCHAR))"
    sample = f"(SELECT {text} AS v FROM {relation} WHERE {text} <> '' LIMIT 2000)"  # noqa: S608
    counts = ", ".join(f"count(try_strptime(v, {sql_text(fmt)}))" for fmt in DATE_FORMATS)
    row = connection.execute(f"SELECT {counts} FROM {sample}").fetchall()[0]  # noqa: S608
    best = max(range(len(DATE_FORMATS)), key=lambda index: row[index])
    return DATE_FORMATS[best] if row[best] else None


def _serial_sql(number: str) -> str:
    return (
        f"CASE WHEN {number} >= {EXCEL_SERIAL_MIN} AND {number} < {EXCEL_SERIAL_MAX} "
        f"THEN TIMESTAMP '1899-12-30' + to_microseconds(CAST(round({number} * 86400) AS BIGINT) * 1000000) END"
    )


def date_sql(column: str, kind: str = "VARCHAR", *, time_zone: str = "Europe/Moscow",
             date_format: str | None = None, likely_format: str | None = None) -> str:
    """A calendar date (a birthday, a hiring day): the day of :func:`datetime_sql`."""
    parsed = datetime_sql(column, kind, time_zone=time_zone, date_format=date_format, likely_format=likely_format)
    return f"CAST({parsed} AS DATE)"


def phone_sql(column: str) -> str:
    """The phone as +7XXXXXXXXXX (other countries +digits), NULL when it is not a phone; see normalize_phone."""
    text = f"trim(CAST({column} AS VARCHAR))"
    digits = f"regexp_replace({text}, '\\D', '', 'g')"
    return (
        f"CASE WHEN length({digits}) = 10 AND starts_with({digits}, '9') THEN '+7' || {digits} "
        f"WHEN length({digits}) = 11 AND substr({digits}, 1, 1) IN ('7', '8') THEN '+7' || substr({digits}, 2) "
        f"WHEN length({digits}) BETWEEN 11 AND 15 AND starts_with({text}, '+') THEN '+' || {digits} END"
    )


def email_sql(column: str) -> str:
    text = f"lower(trim(CAST({column} AS VARCHAR)))"
    return f"CASE WHEN regexp_full_match({text}, '[^@\\s]+@[^@\\s]+\\.[^@\\s]+') THEN {text} END"


def bool_sql(column: str) -> str:
    text = f"lower(trim(CAST({column} AS VARCHAR)))"
    yes = ", ".join(sql_text(word) for word in TRUE_WORDS)
    no = ", ".join(sql_text(word) for word in FALSE_WORDS)
    return f"CASE WHEN {text} IN ({yes}) THEN true WHEN {text} IN ({no}) THEN false END"


def totals_sql(column: str) -> str:
    """True when the cell starts a totals line: «Итого», «Всего:», «Total» …"""
    words = "|".join(re.escape(word) for word in TOTALS_WORDS)
    text = f"CAST({column} AS VARCHAR)"
    # The first character first (cheap, unlike case-folding Cyrillic); the regular expression
    # (a whole word?) only where it could match.
    firsts = sorted({ord(char) for word in TOTALS_WORDS for char in (word[0], word[0].upper())} | set(_BLANK_CODES))
    return (
        f"coalesce(CASE WHEN ascii({text}) IN ({', '.join(map(str, firsts))}) "
        f"THEN regexp_matches(lower(trim({text})), '^({words})(\\PL|$)') END, false)"
    )


_BLANK_CODES = (0, 9, 32, 160)


def empty_sql(column: str, kind: str = "VARCHAR") -> str:
    """True when the cell is empty or only spaces; cheap for the usual cell that starts with a letter or digit."""
    if kind != "VARCHAR":
        return f"({column} IS NULL)"
    codes = ", ".join(map(str, _BLANK_CODES))
    return f"({column} IS NULL OR (ascii({column}) IN ({codes}) AND trim({column}) = ''))"


# --- the same expressions over a list of values ------------------------------------------------


_V = quote("v")


def _run(expression: str, values: Sequence[object], kind: str = "VARCHAR") -> list:
    import duckdb
    import pyarrow as pa

    connection = duckdb.connect()
    try:
        arrow_type = pa.string() if kind == "VARCHAR" else None
        connection.register("input_values", pa.table({"v": pa.array(list(values), arrow_type)}))
        rows = connection.execute(
            f"SELECT {expression} FROM input_values",  # noqa: S608 - the expression is built here, values are data
        ).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


def parse_amounts(values: Sequence[str | None]) -> list[Decimal | None]:
    value = amount_sql(_V)
    return _run(f"CASE WHEN {amount_valid_sql(value)} THEN {amount_final_sql(value)} END", values)


def parse_datetimes(values: Sequence[str | None], *, time_zone: str = "Europe/Moscow",
                    date_format: str | None = None) -> list[datetime | None]:
    value = datetime_sql(_V, time_zone=time_zone, date_format=date_format)
    return _run(f"CASE WHEN {datetime_valid_sql(value)} THEN {value} END", values)


def parse_dates(values: Sequence[str | None], *, date_format: str | None = None) -> list[date | None]:
    value = date_sql(_V, date_format=date_format)
    return _run(f"CASE WHEN {datetime_valid_sql(value)} THEN {value} END", values)


def normalize_phones(values: Sequence[str | None]) -> list[str | None]:
    return _run(phone_sql(_V), values)


def normalize_phone(raw: str) -> str | None:
    """A Russian phone as +7XXXXXXXXXX; other international numbers as +digits; None if not a phone.

    8 916 123-45-67, +7 (916) 123 45 67 and 9161234567 all give +79161234567.
    """
    digits = _NON_DIGITS.sub("", raw or "")
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if 11 <= len(digits) <= 15 and (raw or "").strip().startswith("+"):
        return "+" + digits
    return None


def normalize_email(raw: str) -> str | None:
    value = (raw or "").strip().lower()
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return value
    return None
