"""Imports of files into the system of record: all or nothing, idempotent, set-based.

The file is read and checked by :func:`romashka.ingest.tables.read_table` (DuckDB); the accepted
rows are matched to the organisation's clients and locations inside DuckDB, and go to the database
in one transaction: PostgreSQL COPY or SQLite executemany into a staging table, then one
``INSERT … SELECT … ON CONFLICT DO NOTHING``, so a row already stored is skipped by the database's
own unique constraint. Killed in the middle, the transaction never commits and the database is as
before; run again, the file imports fully. After purchases or clients arrive, statuses refresh.

Idempotency of purchases: the receipt reference when the file has one (the 2nd, 3rd … line of the
same receipt for the same client get «#2», «#3»); otherwise a stable key of the row's values (client,
date and time, amount, location, category) and its occurrence count among identical rows of the
file, so the same file, or a later export overlapping it, adds nothing twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from romashka.core import pgcopy
from romashka.core.bulk import secondary_indexes_deferred
from romashka.core.choices import ChannelKind, PartyForm, PartyKind
from romashka.core.models import Channel, Department, Employee, Location, Organisation, Party, PartyRole
from romashka.ingest import values as v
from romashka.ingest.readers import IngestError
from romashka.ingest.tables import DEFAULT_MAX_BYTES, ParsedFile, read_table
from romashka.path.models import ImportBatch, Purchase

Progress = Callable[[str, int, int], None]
DEFAULT_SOURCE = "import"
FETCH_ROWS = 50_000
# From this many rows, a table that would more than double is loaded with its indexes and foreign keys
# dropped and rebuilt once (see core.bulk.secondary_indexes_deferred): a first load of a history.
BULK_REBUILD_MIN_ROWS = 100_000
PARTY_FIELDS = ["organisation", "form", "name", "external_id", "home_location", "birthday", "gender", "city",
                "acquisition_channel", "notes", "created_at"]


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class ImportOptions:
    kind: str | None = None
    mapping: dict[str, str] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    date_format: str | None = None
    source: str = DEFAULT_SOURCE


def reason_labels() -> dict[str, str]:
    """The reason categories of rejected rows in the user's language."""
    return {
        "wrong_column_count": _("wrong number of columns"),
        "totals_line": _("totals line (Итого), not a row"),
        "missing_id": _("no id"),
        "missing_value": _("required value missing"),
        "missing_date": _("no date"),
        "bad_date": _("not a date"),
        "missing_amount": _("no amount"),
        "bad_amount": _("not an amount"),
        "bad_phone": _("not a phone number"),
        "bad_email": _("not an e-mail"),
        "bad_value": _("not a yes/no value"),
        "too_long": _("value too long"),
        "left_before_hired": _("left before hired"),
        "unknown_location": _("unknown location"),
        "duplicate_id": _("id repeated in the file"),
        "unreadable": _("unreadable line"),
    }


def file_import(
    *,
    organisation: Organisation,
    path: str | Path,
    options: ImportOptions = ImportOptions(),  # noqa: B008 - frozen, never mutated
    dry_run: bool = False,
    rejected_out: str | Path | None = None,
    filename: str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    refresh: bool = True,
    progress: Progress | None = None,
) -> dict:
    """Reads, checks and (unless ``dry_run``) imports the file; returns the import's JSON object.

    ``{"rows", "accepted", "rejected", "customers", "amount_total", "rejected_by_reason"}`` (the
    figures depend on the kind), plus, when not a dry run, ``added`` and ``already_there`` (rows of
    the kind), what else was created (e.g. ``clients_added``) and ``batch``. IngestError when the
    file cannot be read at all; then nothing is written.
    """
    progress = progress or _no_progress
    progress("reading", 0, 1)
    parsed = read_table(
        path, kind=options.kind, mapping=options.mapping, encoding=options.encoding,
        delimiter=options.delimiter, date_format=options.date_format, time_zone=organisation.time_zone,
        max_bytes=max_bytes, threads=_duckdb_threads(),
    )
    with parsed:
        progress("checking", 1, 1)
        writer = WRITERS[parsed.kind](parsed=parsed, organisation=organisation, source=options.source,
                                      filename=filename or Path(path).name, progress=progress)
        writer.check()
        summary = dict(parsed.summary())
        summary["kind"] = parsed.kind
        if rejected_out is not None:
            parsed.write_rejected_csv(rejected_out, labels=reason_labels(),
                                      header=(_("row"), _("column"), _("value"), _("reason"), _("reason code")))
        if dry_run:
            return summary
        writer.prepare()
        with writer.write_context(), transaction.atomic():
            written = writer.write()
        summary.update(written)
    if refresh and parsed.kind in ("purchases", "clients") and written.get("changed", True):
        from romashka.path.refresh import status_refresh_logged
        from romashka.path.services import today_of

        progress("statuses", 0, 4)
        status_refresh_logged(organisation=organisation, as_of=today_of(organisation),
                              progress=lambda stage, done, total: progress("statuses", done, total))
    summary.pop("changed", None)
    progress("done", 1, 1)
    return summary


def _duckdb_threads() -> int | None:
    threads = os.environ.get("ROMASHKA_DUCKDB_THREADS")
    return int(threads) if threads else None


# --- moving rows from DuckDB into the database ------------------------------------------------------


def _quoted_table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _columns(model, fields) -> list[str]:
    return [model._meta.get_field(name).column for name in fields]


def _copy_into(parsed: ParsedFile, table: str, columns: list[str], select_sql: str, *, rows: int,
               progress: Progress, stage: str) -> None:
    """The rows of ``select_sql`` (DuckDB, values already as the database stores them) into ``table``."""
    if connection.vendor == "postgresql":
        _postgres_copy(parsed, table, columns, select_sql, rows=rows, progress=progress, stage=stage)
        return
    with connection.cursor() as cursor:
        # A larger page cache keeps the pages being written in memory while millions of rows go in.
        cursor.execute("PRAGMA cache_size = -262144")
    _sqlite_insert(connection.connection, table, columns, parsed.connection, select_sql, rows=rows,
                   progress=progress, stage=stage)


def _postgres_copy(parsed: ParsedFile, table: str, columns: list[str], select_sql: str, *, rows: int,
                   progress: Progress, stage: str) -> None:
    """COPY … FROM STDIN fed while DuckDB still computes: the two use both cores.

    A thread turns DuckDB's Arrow batches into COPY's binary format (core.pgcopy; CSV when a column's
    type has no binary encoding here) and queues a few of them; this thread sends them. Both release
    the GIL for most of their work. An error on either side stops both: the producer's is raised here,
    and a failed COPY makes the producer stop at its next batch.
    """
    import queue
    import threading

    import pyarrow as pa
    import pyarrow.csv as pacsv

    # DuckDB's temporary tables belong to its connection: the producer uses it while this thread only
    # sends, and is joined before anything else reads it.
    reader = parsed.connection.sql(select_sql).to_arrow_reader(FETCH_ROWS)
    try:
        binary = pgcopy.plan(reader.schema, _postgres_columns(table, columns))
    except BaseException:
        reader.close()
        raise
    if binary is not None:
        names, copy_format, encode = binary.names, "binary", binary.encode
    else:
        # NULL goes unquoted and every value quoted, so an empty text stays an empty text.
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")

        def encode(batch):
            sink = pa.BufferOutputStream()
            pacsv.write_csv(pa.Table.from_batches([batch]), sink, options)
            return sink.getvalue()

        names, copy_format = columns, "csv"
    quoted = ", ".join(connection.ops.quote_name(c) for c in names)
    blocks: queue.Queue = queue.Queue(maxsize=4)
    stop = threading.Event()
    failure: list[BaseException] = []

    def produce() -> None:
        try:
            for batch in reader:
                if stop.is_set():
                    return
                blocks.put((batch.num_rows, encode(batch)))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            failure.append(error)
        finally:
            blocks.put(None)

    producer = threading.Thread(target=produce, name="import-copy", daemon=True)
    with connection.cursor() as cursor:
        producer.start()
        sent = 0
        try:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT {copy_format})") as copy:
                if binary is not None:
                    copy.write(pgcopy.SIGNATURE)
                while (block := blocks.get()) is not None:
                    count, data = block
                    copy.write(data)
                    sent += count
                    progress(stage, sent, rows)
                if failure:
                    raise failure[0]
                if binary is not None:
                    copy.write(pgcopy.TRAILER)
        finally:
            stop.set()
            while producer.is_alive():  # unblock a producer waiting on a full queue
                with suppress(queue.Empty):
                    blocks.get(timeout=0.1)
            producer.join()
            reader.close()
    if failure:
        raise failure[0]


def _postgres_columns(table: str, columns: list[str]) -> list[pgcopy.Column]:
    """The target columns' types and NOT NULL, in the order given."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped", [table])
        found = {name: pgcopy.Column(name, pg_type, not_null) for name, pg_type, not_null in cursor.fetchall()}
    return [found[name] for name in columns]


def _sqlite_insert(target, table: str, columns: list[str], source, select_sql: str, *, rows: int,
                   progress: Progress, stage: str) -> None:
    """The rows of the DuckDB ``select_sql`` into a SQLite table through the raw sqlite3 connection.

    Arrow batches become Python tuples column-wise (``to_pylist``, far cheaper than DuckDB's row
    fetches) and go to one prepared statement by ``executemany``; the values are text and integers
    already (the selects cast them), so nothing is adapted row by row.
    """
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    placeholders = ", ".join(["?"] * len(columns))
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"  # noqa: S608 - names from model metadata
    reader = source.sql(select_sql).to_arrow_reader(FETCH_ROWS)
    done = 0
    cursor = target.cursor()
    try:
        for batch in reader:
            cursor.executemany(sql, zip(*(column.to_pylist() for column in batch.columns), strict=True))
            done += batch.num_rows
            progress(stage, done, rows)
    finally:
        cursor.close()


def _insert_new(parsed: ParsedFile, model, fields: list[str], select_sql: str, *, rows: int, progress: Progress,
                stage: str, table_is_empty: bool = False, references_checked: Callable[[], None] | None = None) -> int:
    """Inserts the rows, skipping those that break a unique constraint (already stored); returns the added count.

    An empty table takes the rows directly with its indexes rebuilt once afterwards (the first
    import of a history); otherwise they go through a staging table and ON CONFLICT DO NOTHING.
    """
    if rows == 0:
        return 0
    columns = _columns(model, fields)
    table = _quoted_table(model)
    if table_is_empty:
        if connection.vendor == "postgresql":
            # The indexes are rebuilt at the end. Sort runs of 64 MB (PostgreSQL's default) that fit the CPU's
            # caches, by the leader and a worker, then merged: one in-memory sort of 512 MB took 1.6–2.3 times
            # as long for 10M keys (measured 2026-12-02); whatever the server's own setting, this one.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '64MB'")
        with secondary_indexes_deferred(model, references_checked=references_checked):
            _copy_into(parsed, table, columns, select_sql, rows=rows, progress=progress, stage=stage)
        return rows
    stage_table = connection.ops.quote_name(f"import_stage_{model._meta.db_table}")
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage_table}")
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TEMP TABLE {stage_table} ON COMMIT DROP AS SELECT {quoted} FROM {table} WITH NO DATA")  # noqa: S608
        else:
            cursor.execute(f"CREATE TEMP TABLE {stage_table} AS SELECT {quoted} FROM {table} WHERE 0")  # noqa: S608
    _copy_into(parsed, stage_table, columns, select_sql, rows=rows, progress=progress, stage=stage)
    # PostgreSQL: the rows already stored left out by one anti-join first (a re-import of ten million
    # rows otherwise tries ten million speculative inserts into the unique index); ON CONFLICT stays for
    # anything the filter cannot see. SQLite's conflict check is the same index lookup, so it has none.
    key = _unique_key(model, fields) if connection.vendor == "postgresql" else None
    new_only = "true"
    with connection.cursor() as cursor:
        if key:
            match = " AND ".join(f"t.{connection.ops.quote_name(c)} = s.{connection.ops.quote_name(c)}" for c in key)
            new_only = f"NOT EXISTS (SELECT 1 FROM {table} t WHERE {match})"  # noqa: S608
            cursor.execute(f"ANALYZE {stage_table}")  # its size, so that the planner picks the join well
        cursor.execute(
            f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {stage_table} s WHERE {new_only} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        added = cursor.rowcount
        cursor.execute(f"DROP TABLE {stage_table}")
    return added


def _unique_key(model, fields: list[str]) -> list[str] | None:
    """The columns of the model's first unconditional unique constraint among ``fields`` (NOT NULL ones: a
    NULL never conflicts, and ``=`` never matches it either)."""
    from django.db.models import UniqueConstraint

    for constraint in model._meta.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.condition is None and constraint.fields and set(
                constraint.fields) <= set(fields):
            return _columns(model, constraint.fields)
    return None


def _utc_text_sql(column: str, zone: str) -> str:
    """A wall-clock TIMESTAMP in ``zone`` as the UTC text SQLite stores for an aware datetime."""
    return f"strftime(timezone('UTC', timezone({v.sql_text(zone)}, {column})), '%Y-%m-%d %H:%M:%S')"


def _now_text() -> str:
    now = timezone.now().replace(microsecond=0)
    return now.strftime("%Y-%m-%d %H:%M:%S") + ("+00" if connection.vendor == "postgresql" else "")


def _put(parsed: ParsedFile, name: str, columns: dict[str, list], types: dict[str, str]) -> None:
    """A small lookup table (from the database) into the file's DuckDB connection."""
    import pyarrow as pa

    arrow_types = {"text": pa.string(), "int": pa.int64()}
    table = pa.table({key: pa.array(values, arrow_types[types[key]]) for key, values in columns.items()})
    parsed.connection.register(f"{name}_arrow", table)
    parsed.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS FROM {name}_arrow")
    parsed.connection.unregister(f"{name}_arrow")


def _parties_by_external_id(organisation: Organisation, *, after_pk: int = 0) -> tuple[list[str], list[int]]:
    external_ids: list[str] = []
    party_ids: list[int] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT external_id, id FROM {_quoted_table(Party)} "  # noqa: S608 - the table name comes from model metadata
            "WHERE organisation_id = %s AND external_id IS NOT NULL AND id > %s",
            [organisation.pk, after_pk],
        )
        while batch := cursor.fetchmany(FETCH_ROWS):
            for external_id, party_id in batch:
                external_ids.append(external_id)
                party_ids.append(party_id)
    return external_ids, party_ids


def _location_key(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _locations(parsed: ParsedFile, organisation: Organisation) -> None:
    """``location_ids`` (the location as written in the file → id), by code or by name, case and spaces
    ignored, a code before a name; found for the file's few distinct values, not row by row."""
    by_key: dict[str, int] = {}
    rows = (list(Location.objects.filter(organisation=organisation).values_list("code", "name", "pk"))
            if organisation.pk else [])
    for index in (0, 1):
        for row in rows:
            by_key.setdefault(_location_key(row[index]), row[2])
    written = [row[0] for row in parsed.connection.execute(
        "SELECT DISTINCT location FROM accepted WHERE location IS NOT NULL").fetchall()]
    known = [(text, by_key[_location_key(text)]) for text in written if _location_key(text) in by_key]
    _put(parsed, "location_ids", {"written": [text for text, _id in known], "location_id": [pk for _t, pk in known]},
         {"written": "text", "location_id": "int"})


def _reject_unknown_locations(parsed: ParsedFile, organisation: Organisation) -> None:
    if "location" not in parsed.mapping:
        return
    _locations(parsed, organisation)
    parsed.reject_where(
        "location IS NOT NULL AND location NOT IN (SELECT written FROM location_ids)",
        reason="unknown_location", role="location",
    )


LOCATION_JOIN = "LEFT JOIN location_ids l ON l.written = accepted.location"


def _ensure_roles(party_ids_sql: str, parsed: ParsedFile, kind: str, organisation: Organisation) -> int:
    """Gives every party of the DuckDB query the kind (guest, supplier …) it lacks; returns how many got it."""
    having = list(
        PartyRole.objects.filter(kind=kind, party__organisation=organisation).values_list("party_id", flat=True)
    )
    _put(parsed, "having_role", {"party_id": having}, {"party_id": "int"})
    select = (
        f"SELECT DISTINCT party_id, {v.sql_text(kind)} FROM ({party_ids_sql}) "  # noqa: S608
        "WHERE party_id NOT IN (SELECT party_id FROM having_role)"
    )
    count = parsed.connection.execute(f"SELECT count(*) FROM ({select})").fetchall()[0][0]  # noqa: S608
    if count:
        _copy_into(parsed, _quoted_table(PartyRole), _columns(PartyRole, ["party", "kind"]), select, rows=count,
                   progress=_no_progress, stage="roles")
    return count


# --- the kinds ------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, *, parsed: ParsedFile, organisation: Organisation, source: str, filename: str,
                 progress: Progress) -> None:
        self.parsed = parsed
        self.organisation = organisation
        self.source = (source or DEFAULT_SOURCE).strip()[:100]
        self.filename = filename[:300]
        self.progress = progress

    def sql(self, query: str):
        return self.parsed.connection.execute(query)

    def check(self) -> None:
        """Checks against the database and the whole file; moves failing rows to the rejected ones."""
        _reject_unknown_locations(self.parsed, self.organisation)

    def prepare(self) -> None:
        """What can be computed before the write transaction (so that it is short)."""

    def write(self) -> dict:
        raise NotImplementedError

    def write_context(self):
        """Entered around the write transaction (outside it)."""
        return nullcontext()

    def batch(self) -> ImportBatch:
        summary = self.parsed.summary()
        return ImportBatch.objects.create(
            organisation=self.organisation, source=self.source, filename=self.filename,
            rows_accepted=summary["accepted"], rows_rejected=summary["rejected"],
        )

    def copy_parties(self, select: str, count: int) -> None:
        """The parties of the DuckDB ``select`` (PARTY_FIELDS) into the database; their new ids join ``party_ids``."""
        if not count:
            return
        before = Party.objects.aggregate(top=Max("pk"))["top"] or 0
        _copy_into(self.parsed, _quoted_table(Party), _columns(Party, PARTY_FIELDS), select, rows=count,
                   progress=self.progress, stage="clients")
        new_ids, new_party_ids = _parties_by_external_id(self.organisation, after_pk=before)
        _put(self.parsed, "new_party_ids", {"external_id": new_ids, "party_id": new_party_ids},
             {"external_id": "text", "party_id": "int"})
        self.sql("INSERT INTO party_ids SELECT * FROM new_party_ids")

    def new_guests(self, id_column: str, name_sql: str, *, extra: dict[str, str] | None = None,
                   joins: str = "") -> int:
        """Creates the clients the file names and the database does not know (matched by external id).

        Leaves ``party_ids`` (external_id → party id) in DuckDB for every id of ``accepted``.
        """
        org = self.organisation
        external_ids, party_ids = _parties_by_external_id(org)
        _put(self.parsed, "party_ids", {"external_id": external_ids, "party_id": party_ids},
             {"external_id": "text", "party_id": "int"})
        extra = extra or {}
        fields = {"home_location": "NULL", "birthday": "NULL", "city": "''", **extra}
        select = (
            f"SELECT {org.pk}, {v.sql_text(PartyForm.PERSON.value)}, left({name_sql}, 300), accepted.{id_column}, "  # noqa: S608
            f"{fields['home_location']}, {fields['birthday']}, '', {fields['city']}, '', '', {v.sql_text(_now_text())} "
            f"FROM accepted {joins} WHERE accepted.{id_column} NOT IN (SELECT external_id FROM party_ids) "
            f"QUALIFY row_number() OVER (PARTITION BY accepted.{id_column} ORDER BY accepted.row_number) = 1"
        )
        count = self.sql(f"SELECT count(*) FROM ({select})").fetchall()[0][0]  # noqa: S608
        self.copy_parties(select, count)
        return count


class PurchasesWriter(_Writer):
    """Purchases: everything is computed in DuckDB before the write transaction (:meth:`prepare`).

    The file's customers get an ordinal each (``customers``); the purchases carry it instead of the
    client's id, which new clients only have once inserted. PostgreSQL: in the transaction, new
    clients by COPY, their ids read back, the purchases by COPY with the ids joined in DuckDB.
    SQLite holds one write lock for the whole database, so the rows are first staged into TEMP
    tables (the connection's own temporary database: no lock on the main one) and the transaction
    is three ``INSERT … SELECT`` statements inside SQLite, without a row passing through Python.
    """

    FIELDS = ["organisation", "party", "location", "occurred_at", "purchased_on", "amount", "source", "receipt_ref",
              "category", "batch"]
    parties_checked = False

    def prepare(self) -> None:
        parsed, org = self.parsed, self.organisation
        has = parsed.mapping.__contains__
        external_ids, party_ids = _parties_by_external_id(org)
        _put(parsed, "party_ids", {"external_id": external_ids, "party_id": party_ids},
             {"external_id": "text", "party_id": "int"})
        # The first row's name (when the file names clients) and where the client buys most: its home
        # location (a location manager sees its own clients).
        name = "arg_min(customer_name, row_number)" if has("customer_name") else "NULL"
        home = ("mode(l.location_id)" if has("location") else "NULL")
        joins = LOCATION_JOIN if has("location") else ""
        self.sql(
            f"CREATE TEMP TABLE customers AS SELECT row_number() OVER (ORDER BY external_id) AS ordinal, * FROM ("  # noqa: S608
            f"SELECT customer_id AS external_id, {name} AS client_name, {home} AS home_location FROM accepted {joins} "
            "GROUP BY customer_id)"
        )
        self.sql(
            "CREATE TEMP TABLE new_clients AS SELECT ordinal, left(coalesce(client_name, external_id), 300) AS name, "
            "external_id, home_location FROM customers "
            "WHERE external_id NOT IN (SELECT external_id FROM party_ids) ORDER BY ordinal"
        )
        self.new_count = self.sql("SELECT count(*) FROM new_clients").fetchall()[0][0]
        self.sql(f"CREATE TEMP VIEW purchase_rows AS {self._rows_sql(typed=connection.vendor == 'postgresql')}")
        if connection.vendor == "sqlite":
            self._stage_sqlite()

    def write_context(self):
        """SQLite: the per-row foreign-key lookups off for the write (they cost two thirds of inserting ten
        million rows); :meth:`_sqlite_check_keys` checks the same references set-wise before the commit.

        SQLite ignores the switch inside a transaction: within a caller's transaction the lookups stay on.
        """
        if connection.vendor == "sqlite":
            return connection.constraint_checks_disabled()
        return nullcontext()

    def _rows_sql(self, *, typed: bool) -> str:
        """The purchases as the database stores them, with the customer's ordinal for the client.

        ``typed``: the moment as a TIMESTAMPTZ, the day as a DATE and the amount as a DECIMAL, for
        PostgreSQL's binary COPY; otherwise as the text SQLite stores.
        """
        has = self.parsed.mapping.__contains__
        accepted = self.parsed.summary()["accepted"]
        # The key that makes a re-import add nothing (see the module's docstring).
        values_key = (
            "md5(concat_ws('|', customer_id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%f'), CAST(amount AS VARCHAR), "
            + ("coalesce(location, '')" if has("location") else "''") + ", "
            + ("coalesce(category, '')" if has("category") else "''") + "))"
        )
        # Window functions run over every row: only those the file needs.
        numbers = []
        without_receipt = accepted
        repeated_receipts = 0
        if has("receipt_ref"):
            without_receipt = self.sql("SELECT count(*) FROM accepted WHERE receipt_ref IS NULL").fetchall()[0][0]
            # Usually each line is its own receipt: then no line needs a number (an aggregate is far cheaper
            # than numbering ten million rows in a window, and needs less memory).
            repeated_receipts = self.sql(
                "SELECT count(*) FROM (SELECT 1 FROM accepted WHERE receipt_ref IS NOT NULL "
                "GROUP BY customer_id, receipt_ref HAVING count(*) > 1)").fetchall()[0][0]
            if repeated_receipts:
                numbers.append(
                    "row_number() OVER (PARTITION BY customer_id, receipt_ref ORDER BY row_number) AS n_receipt")
        if without_receipt:
            numbers.append(
                "row_number() OVER (PARTITION BY customer_id, occurred_at, amount"
                + (", location" if has("location") else "") + (", category" if has("category") else "")
                + " ORDER BY row_number) AS n_same"
            )
        hashed = f"'h:' || {values_key} || ':' || n_same" if without_receipt else "NULL"
        if has("receipt_ref"):
            numbered_receipt = "WHEN n_receipt = 1 THEN receipt_ref ELSE receipt_ref || '#' || n_receipt" if (
                repeated_receipts) else "ELSE receipt_ref"
            receipt = f"CASE WHEN receipt_ref IS NULL THEN {hashed} {numbered_receipt} END"
        else:
            receipt = hashed
        location = "l.location_id" if has("location") else "NULL"
        location_join = LOCATION_JOIN if has("location") else ""
        category = "coalesce(category, '')" if has("category") else "''"
        if typed:
            moment = f"timezone({v.sql_text(self.organisation.time_zone)}, occurred_at)"
            day, amount = "CAST(occurred_at AS DATE)", "amount"
        else:
            moment = _utc_text_sql("occurred_at", self.organisation.time_zone)
            day, amount = "strftime(occurred_at, '%Y-%m-%d')", "CAST(amount AS VARCHAR)"
        numbered = f"(SELECT *, {', '.join(numbers)} FROM accepted) accepted" if numbers else "accepted"  # noqa: S608
        return (
            f"SELECT c.ordinal, {location} AS location_id, "  # noqa: S608
            f"{moment} AS occurred_at, {day} AS purchased_on, {amount} AS amount, "
            f"{receipt} AS receipt_ref, {category} AS category "
            f"FROM {numbered} JOIN customers c ON c.external_id = accepted.customer_id {location_join}"
        )

    def _stage_sqlite(self) -> None:
        accepted = self.parsed.summary()["accepted"]
        connection.ensure_connection()
        raw = connection.connection
        staged = {
            "import_new_clients": ("SELECT ordinal, name, external_id, home_location FROM new_clients",
                                   ["ordinal", "name", "external_id", "home_location"]),
            "import_customers": ("SELECT ordinal, external_id FROM customers ORDER BY ordinal",
                                 ["ordinal", "external_id"]),
            # In the order of the receipt constraint's index, which SQLite keeps while the rows go in.
            "import_purchases": ("SELECT * FROM purchase_rows ORDER BY receipt_ref",
                                 ["ordinal", "location_id", "occurred_at", "purchased_on", "amount", "receipt_ref",
                                  "category"]),
        }
        raw.execute("PRAGMA temp.cache_size = -262144")
        # One transaction of the temporary database (autocommit would commit every row); it takes no
        # lock on the main database, which is neither read nor written here.
        own = not raw.in_transaction
        if own:
            raw.execute("BEGIN")
        try:
            for name, (select, columns) in staged.items():
                raw.execute(f"DROP TABLE IF EXISTS temp.{name}")
                key = "ordinal INTEGER" if name == "import_purchases" else "ordinal INTEGER PRIMARY KEY"
                raw.execute(f"CREATE TEMP TABLE {name} ({key}, {', '.join(columns[1:])})")
                shown = name == "import_purchases"
                _sqlite_insert(raw, f"temp.{name}", columns, self.parsed.connection, select,
                               rows=accepted if shown else 0, progress=self.progress if shown else _no_progress,
                               stage="staging")
        except BaseException:
            if own:
                raw.execute("ROLLBACK")
            raise
        if own:
            raw.execute("COMMIT")

    def write(self) -> dict:
        parsed, org = self.parsed, self.organisation
        accepted = parsed.summary()["accepted"]
        self.progress("clients", 0, self.new_count)
        big = accepted >= BULK_REBUILD_MIN_ROWS
        party_rebuild = big and self.new_count > Party.objects.count()
        checked = partial(self._check_keys, parties=False)
        with secondary_indexes_deferred(Party, references_checked=checked) if party_rebuild else nullcontext():
            clients_added = self._sqlite_clients() if connection.vendor == "sqlite" else self._copy_clients()
        if connection.vendor == "sqlite":
            self._sqlite_party_map()  # with the clients' unique index back in place
        self.progress("purchases", 0, accepted)
        batch = self.batch()
        table_is_empty = not Purchase.objects.exists()
        fields = self.FIELDS
        if connection.vendor == "sqlite":
            self._check_keys(batch=batch)
            added = self._sqlite_purchases(batch, table_is_empty=table_is_empty)
        else:
            select = (
                f"SELECT {org.pk}, p.party_id, r.location_id, r.occurred_at, r.purchased_on, r.amount, "  # noqa: S608
                f"{v.sql_text(self.source)}, r.receipt_ref, r.category, {batch.pk} FROM purchase_rows r "
                "JOIN customer_parties p ON p.ordinal = r.ordinal"
            )
            added = _insert_new(parsed, Purchase, fields, select, rows=accepted, progress=self.progress,
                                stage="purchases", table_is_empty=table_is_empty,
                                references_checked=partial(self._check_keys, batch=batch))
        roles = self._guest_roles(rebuild=big and party_rebuild)
        ImportBatch.objects.filter(pk=batch.pk).update(rows_accepted=accepted)
        if table_is_empty and connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # fresh statistics for the planner after a first load
                cursor.execute(f"ANALYZE {_quoted_table(Purchase)}")
        return {"added": added, "already_there": accepted - added, "clients_added": clients_added,
                "batch": batch.pk, "changed": bool(added or clients_added or roles)}

    def _party_columns(self) -> str:
        return ", ".join(connection.ops.quote_name(c) for c in _columns(Party, PARTY_FIELDS))

    def _copy_clients(self) -> int:
        """PostgreSQL: the new clients by COPY, then every customer's party id (``customer_parties``) in DuckDB."""
        self.copy_parties(
            f"SELECT {self.organisation.pk}, {v.sql_text(PartyForm.PERSON.value)}, name, external_id, home_location, "  # noqa: S608
            f"NULL, '', '', '', '', {v.sql_text(_now_text())} FROM new_clients", self.new_count)
        self.sql(
            "CREATE OR REPLACE TEMP TABLE customer_parties AS SELECT c.ordinal, p.party_id FROM customers c "
            "JOIN party_ids p ON p.external_id = c.external_id"
        )
        return self.new_count

    def _sqlite_clients(self) -> int:
        org = self.organisation
        columns = self._party_columns()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {_quoted_table(Party)} ({columns}) SELECT %s, %s, name, external_id, home_location, "  # noqa: S608
                "NULL, '', '', '', '', %s FROM temp.import_new_clients ORDER BY ordinal",
                [org.pk, PartyForm.PERSON.value, _now_text()],
            )
        return self.new_count

    def _sqlite_party_map(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS temp.import_party_map")
            cursor.execute("CREATE TEMP TABLE import_party_map (ordinal INTEGER PRIMARY KEY, party_id INTEGER NOT NULL)")
            cursor.execute(
                f"INSERT INTO temp.import_party_map SELECT c.ordinal, p.id FROM temp.import_customers c "  # noqa: S608
                f"JOIN {_quoted_table(Party)} p ON p.organisation_id = %s AND p.external_id = c.external_id "
                "AND p.external_id IS NOT NULL",
                [self.organisation.pk],
            )

    def _check_keys(self, *, batch: ImportBatch | None = None, parties: bool = True) -> None:
        """Every reference the clients, purchases and guest roles will hold exists, where the database does
        not look row by row (see :meth:`write_context`; PostgreSQL: core.bulk.secondary_indexes_deferred).

        The rows take their client from the customers' map (``customer_parties``), their location from
        the file's few distinct locations, the organisation and the batch as constants: checking those is
        checking every row. The clients are checked once per import: the first check runs under locks that
        keep them until the commit.
        """
        missing_parties = 0
        if parties and not self.parties_checked:
            missing_parties = self._missing_parties()
            self.parties_checked = True
        locations = {row[0] for row in self.sql("SELECT location_id FROM location_ids").fetchall()} if (
            "location" in self.parsed.mapping) else set()
        known = set(Location.objects.filter(organisation=self.organisation, pk__in=locations).values_list("pk", flat=True))
        if missing_parties or known != locations or (batch is not None and not ImportBatch.objects.filter(
                pk=batch.pk).exists()) or not Organisation.objects.filter(pk=self.organisation.pk).exists():
            raise IntegrityError(
                f"import: {missing_parties} clients and {len(locations - known)} locations the rows refer to do not "
                "exist; nothing was written"
            )

    def _missing_parties(self) -> int:
        """How many of the customers' party ids are no client in the database."""
        party_table = _quoted_table(Party)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM temp.import_party_map m WHERE NOT EXISTS ("  # noqa: S608
                    f"SELECT 1 FROM {party_table} p WHERE p.id = m.party_id)"
                )
                return cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEMP TABLE import_check_parties (party_id bigint) ON COMMIT DROP")
            _copy_into(self.parsed, "import_check_parties", ["party_id"], "SELECT DISTINCT party_id FROM customer_parties",
                       rows=0, progress=_no_progress, stage="checking")  # no progress shown: no total needed
            cursor.execute(
                f"SELECT count(*) FROM import_check_parties c WHERE NOT EXISTS ("  # noqa: S608
                f"SELECT 1 FROM {party_table} p WHERE p.id = c.party_id)"
            )
            missing = cursor.fetchone()[0]
            cursor.execute("DROP TABLE import_check_parties")
        return missing

    def _sqlite_purchases(self, batch: ImportBatch, *, table_is_empty: bool) -> int:
        columns = ", ".join(connection.ops.quote_name(c) for c in _columns(Purchase, self.FIELDS))
        with secondary_indexes_deferred(Purchase) if table_is_empty else nullcontext(), connection.cursor() as cursor:
            # The receipt constraint's index takes the rows in no order: its pages must stay in memory.
            cursor.execute("PRAGMA main.cache_size = -262144")
            cursor.execute(
                f"INSERT INTO {_quoted_table(Purchase)} ({columns}) SELECT %s, m.party_id, s.location_id, "  # noqa: S608
                "s.occurred_at, s.purchased_on, s.amount, %s, s.receipt_ref, s.category, %s "
                "FROM temp.import_purchases s JOIN temp.import_party_map m ON m.ordinal = s.ordinal "
                "WHERE true ON CONFLICT DO NOTHING",
                [self.organisation.pk, self.source, batch.pk],
            )
            return cursor.rowcount

    def _guest_roles(self, *, rebuild: bool) -> int:
        """Every customer of the file is a guest: the role added where it is missing (one statement)."""
        table = _quoted_table(PartyRole)
        columns = ", ".join(connection.ops.quote_name(c) for c in _columns(PartyRole, ["party", "kind"]))
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) SELECT party_id, %s FROM temp.import_party_map "  # noqa: S608
                    "WHERE true ON CONFLICT DO NOTHING", [PartyKind.GUEST.value])
                added = cursor.rowcount
                for name in ("import_party_map", "import_purchases", "import_customers", "import_new_clients"):
                    cursor.execute(f"DROP TABLE IF EXISTS temp.{name}")
            return added
        with secondary_indexes_deferred(PartyRole, references_checked=self._check_keys) if rebuild else nullcontext():
            return _ensure_roles("SELECT party_id FROM customer_parties", self.parsed, PartyKind.GUEST.value,
                                 self.organisation)


class ClientsWriter(_Writer):
    def check(self) -> None:
        super().check()
        self.parsed.reject_where(
            "row_number IN (SELECT row_number FROM accepted "
            "QUALIFY row_number() OVER (PARTITION BY external_id ORDER BY row_number) > 1)",
            reason="duplicate_id", role="external_id",
        )

    def write(self) -> dict:
        parsed, org = self.parsed, self.organisation
        accepted = parsed.summary()["accepted"]
        has = parsed.mapping.__contains__
        extra, joins = {}, ""
        if has("location"):
            extra["home_location"] = "l.location_id"
            joins = LOCATION_JOIN
        if has("birthday"):
            extra["birthday"] = "strftime(birthday, '%Y-%m-%d')"
        if has("city"):
            extra["city"] = "coalesce(left(city, 100), '')"
        name = "coalesce(name, accepted.external_id)" if has("name") else "accepted.external_id"
        added = self.new_guests("external_id", name, extra=extra, joins=joins)
        self.batch()
        self.progress("channels", 0, accepted)
        channels = 0
        now = v.sql_text(_now_text())
        consent_source = v.sql_text(f"import: {self.filename}"[:100])
        consent_at = f"CASE WHEN consent THEN {now} END" if has("consent") else "NULL"
        consent_from = f"CASE WHEN consent THEN {consent_source} ELSE '' END" if has("consent") else "''"
        parts = []
        if has("phone"):
            parts.append(
                f"SELECT p.party_id, {v.sql_text(ChannelKind.PHONE.value)}, phone, phone_normalized, true, "  # noqa: S608
                f"{consent_at}, {consent_from}, NULL FROM accepted JOIN party_ids p ON p.external_id = accepted.external_id "
                "WHERE phone_normalized IS NOT NULL"
            )
        if has("email"):
            primary = "phone_normalized IS NULL" if has("phone") else "true"
            parts.append(
                f"SELECT p.party_id, {v.sql_text(ChannelKind.EMAIL.value)}, email, email, {primary}, "  # noqa: S608
                f"{consent_at}, {consent_from}, NULL FROM accepted JOIN party_ids p ON p.external_id = accepted.external_id "
                "WHERE email IS NOT NULL"
            )
        if parts:
            select = " UNION ALL ".join(parts)
            count = self.sql(f"SELECT count(*) FROM ({select})").fetchall()[0][0]  # noqa: S608
            channels = _insert_new(
                parsed, Channel,
                ["party", "kind", "value", "normalized", "is_primary", "consent_at", "consent_source",
                 "consent_withdrawn_at"],
                select, rows=count, progress=self.progress, stage="channels",
            )
        roles = _ensure_roles(
            "SELECT party_id FROM party_ids WHERE external_id IN (SELECT external_id FROM accepted)",
            parsed, PartyKind.GUEST.value, org,
        )
        return {"added": added, "already_there": accepted - added, "channels_added": channels,
                "changed": bool(added or roles or channels)}


class EmployeesWriter(_Writer):
    """Staff lists are hundreds of rows, so this one goes row by row through the ORM."""

    def write(self) -> dict:
        parsed, org = self.parsed, self.organisation
        has = parsed.mapping.__contains__
        locations = dict(self.sql("SELECT written, location_id FROM location_ids").fetchall()) if has("location") else {}
        departments = {d.name.casefold(): d for d in Department.objects.filter(organisation=org)}
        columns = [name for name in ("name", "external_id", "location", "department", "position", "hired_on", "left_on")
                   if has(name)]
        rows = self.sql(f"SELECT {', '.join(columns)} FROM accepted ORDER BY row_number").fetchall()  # noqa: S608
        employees = Employee.objects.filter(party__organisation=org).select_related("party")
        by_external = {e.party.external_id: e for e in employees if e.party.external_id}
        by_name_hired = {(e.party.name.casefold(), e.hired_on): e for e in employees}
        added = updated = 0
        for values in rows:
            row = dict(zip(columns, values, strict=True))
            existing = by_external.get(row.get("external_id")) or by_name_hired.get((row["name"].casefold(), row["hired_on"]))
            if existing is not None:
                if row.get("left_on") and existing.left_on != row["left_on"]:
                    existing.left_on = row["left_on"]
                    existing.save(update_fields=["left_on"])
                    updated += 1
                continue
            department_name = (row.get("department") or _("General")).strip()
            department = departments.get(department_name.casefold())
            if department is None:
                code = (slugify(department_name, allow_unicode=True) or "dept")[:24]
                code = f"{code}-{Department.objects.filter(organisation=org).count() + 1}"[:30]
                department = Department.objects.create(organisation=org, code=code, name=department_name[:200])
                departments[department_name.casefold()] = department
            party = None
            if row.get("external_id"):
                party = Party.objects.filter(organisation=org, external_id=row["external_id"]).first()
            if party is None:
                party = Party.objects.create(organisation=org, name=row["name"], external_id=row.get("external_id"))
            PartyRole.objects.get_or_create(party=party, kind=PartyKind.EMPLOYEE, defaults={"since": row["hired_on"]})
            employee = Employee.objects.create(
                party=party, location_id=locations.get(row.get("location")), department=department,
                position=(row.get("position") or "")[:100], hired_on=row["hired_on"], left_on=row.get("left_on"),
            )
            by_name_hired[(row["name"].casefold(), row["hired_on"])] = employee
            added += 1
        accepted = len(rows)
        return {"added": added, "already_there": accepted - added, "updated": updated}


class SupplierOrdersWriter(_Writer):
    def write(self) -> dict:
        from romashka.chamomile.models import SupplierOrder

        parsed, org = self.parsed, self.organisation
        has = parsed.mapping.__contains__
        locations = dict(self.sql("SELECT written, location_id FROM location_ids").fetchall()) if has("location") else {}
        suppliers = Party.objects.filter(organisation=org, roles__kind=PartyKind.SUPPLIER)
        by_external = {p.external_id: p for p in suppliers if p.external_id}
        by_name = {p.name.casefold(): p for p in suppliers}
        same = "row_number() OVER (PARTITION BY supplier, ordered_on, amount" + (", location" if has("location") else "") + " ORDER BY row_number)"
        key = (
            "'h:' || left(md5(concat_ws('|', supplier, CAST(ordered_on AS VARCHAR), CAST(amount AS VARCHAR)"
            + (", coalesce(location, '')" if has("location") else "") + f")), 20) || ':' || {same}"
        )
        reference = f"coalesce(reference, {key})" if has("reference") else key
        columns = ["supplier", "supplier_id" if has("supplier_id") else "NULL", "location" if has("location") else "NULL",
                   "ordered_on", "amount", reference]
        rows = self.sql(f"SELECT {', '.join(columns)} FROM accepted ORDER BY row_number").fetchall()  # noqa: S608
        stored = set(SupplierOrder.objects.filter(organisation=org).values_list("supplier_id", "reference"))
        new_orders = []
        suppliers_added = 0
        for name, supplier_external, location, ordered_on, amount, ref in rows:
            party = (by_external.get(supplier_external) if supplier_external else None) or by_name.get(name.casefold())
            if party is None:
                party = Party.objects.filter(organisation=org, external_id=supplier_external).first() if supplier_external else None
                if party is None:
                    party = Party.objects.create(organisation=org, name=name, external_id=supplier_external,
                                                 form=PartyForm.COMPANY)
                PartyRole.objects.get_or_create(party=party, kind=PartyKind.SUPPLIER)
                suppliers_added += 1
                by_name[name.casefold()] = party
                if supplier_external:
                    by_external[supplier_external] = party
            if (party.pk, ref) in stored:
                continue
            stored.add((party.pk, ref))
            new_orders.append(SupplierOrder(organisation=org, supplier=party, location_id=locations.get(location),
                                            ordered_on=ordered_on, amount=amount, reference=ref[:100]))
        SupplierOrder.objects.bulk_create(new_orders, batch_size=1000)
        return {"added": len(new_orders), "already_there": len(rows) - len(new_orders),
                "suppliers_added": suppliers_added}


WRITERS: dict[str, type[_Writer]] = {
    "purchases": PurchasesWriter,
    "clients": ClientsWriter,
    "employees": EmployeesWriter,
    "supplier-orders": SupplierOrdersWriter,
}

__all__ = ["ImportOptions", "IngestError", "file_import", "reason_labels"]


# --- the upload page's jobs and saved mappings ----------------------------------------------------

KIND_CAPABILITIES = {
    "purchases": ("create_purchases",),
    "clients": ("create_clients",),
    "employees": ("manage_settings",),
    "supplier-orders": ("create_purchases", "view_partners"),
}


def may_import(user, kind: str | None = None) -> bool:
    """Whether the user's role may import this kind (None: any kind) — the capabilities of the access layer."""
    from romashka.core.access import Capability, user_can

    kinds = [kind] if kind else list(KIND_CAPABILITIES)
    return any(all(user_can(user, Capability(name)) for name in KIND_CAPABILITIES[k]) for k in kinds)


def import_job_create(*, user, upload, kind: str, source: str):
    """Stores an uploaded file and its job (state uploaded); PermissionDenied when the role may not import."""
    import uuid

    from django.core.exceptions import PermissionDenied

    from romashka.core.access import organisation_of
    from romashka.imports.jobs import job_folder
    from romashka.imports.models import ImportJob

    if not may_import(user, kind or None):
        raise PermissionDenied("the role may not import this kind of data")
    name = Path(upload.name).name[:300] or "upload"
    folder = job_folder(f"upload-{uuid.uuid4().hex}")
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / name
    with stored.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    organisation = organisation_of(user)
    saved = saved_mapping_for(organisation=organisation, source=source, kind=kind)
    return ImportJob.objects.create(
        organisation=organisation, created_by=user, kind=kind, source=(source or DEFAULT_SOURCE).strip()[:100],
        filename=name, stored_path=str(stored), size_bytes=stored.stat().st_size,
        options=saved or {},
    )


def saved_mapping_for(*, organisation: Organisation, source: str, kind: str | None) -> dict | None:
    """The options saved for this source and kind ({"mapping": …, "encoding": …}), or None."""
    from romashka.imports.models import SavedMapping

    if not kind:
        return None
    saved = SavedMapping.objects.filter(organisation=organisation, source=(source or DEFAULT_SOURCE).strip(),
                                        kind=kind).first()
    return None if saved is None else {"mapping": saved.mapping, **(saved.options or {})}


def saved_mapping_save(*, user, source: str, kind: str, mapping: dict, options: dict) -> None:
    from django.core.exceptions import PermissionDenied

    from romashka.core.access import organisation_of
    from romashka.imports.models import SavedMapping

    if not may_import(user, kind):
        raise PermissionDenied("the role may not import this kind of data")
    SavedMapping.objects.update_or_create(
        organisation=organisation_of(user), source=source.strip()[:100], kind=kind,
        defaults={"mapping": mapping, "options": options},
    )
