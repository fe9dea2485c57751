"""Bulk writes for large tables: PostgreSQL COPY, SQLite executemany in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, models


def bulk_insert(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence], *, chunk_size: int = 50_000) -> int:
    """Inserts rows of already-adapted values (str/int/None) into the model's table; returns the count.

    Values are given as the database stores them: dates 'YYYY-MM-DD', aware datetimes in UTC as
    'YYYY-MM-DD HH:MM:SS', decimals as strings. Call inside transaction.atomic() for all-or-nothing.
    """
    table = model._meta.db_table
    columns = [model._meta.get_field(name).column for name in fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        # A larger page cache keeps index pages in memory while millions of rows go in.
        cursor.execute("PRAGMA cache_size = -262144")
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) VALUES ({placeholders})"  # noqa: S608 - names come from model metadata, values are parameters
        batch: list[Sequence] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def utc_datetime_text(values) -> list[str]:
    """numpy datetime64[s] (UTC) → the text both backends accept for an aware datetime column."""
    import numpy as np

    text = np.datetime_as_string(values, unit="s")
    suffix = "+00" if connection.vendor == "postgresql" else ""
    return [t.replace("T", " ") + suffix for t in text.tolist()]


# Negative: KiB (see secondary_indexes_deferred); 4–16 MB measured alike, 256 MB 2.4 times slower.
SQLITE_SORT_CACHE_KIB = -8192


@contextmanager
def secondary_indexes_deferred(model: type[models.Model], *,
                               references_checked: Callable[[], None] | None = None) -> Iterator[None]:
    """On PostgreSQL, drops the table's secondary indexes, unique and foreign keys, and recreates them after.

    For loading millions of rows into an empty table: one index build and one foreign-key check per
    constraint are far cheaper than maintaining them row by row (and than PostgreSQL's deferred
    per-row checks at commit). The primary key goes too when no other table's foreign key needs it
    (a sorted build instead of ten million inserts into a B-tree: about a sixth of a COPY's time). Run inside transaction.atomic(): DDL is transactional there, so a
    failure restores everything. SQLite keeps its foreign keys (they are part of the table) and
    rebuilds only the indexes.

    ``references_checked``: for a loader that built every reference of its rows itself from a few
    sets (the clients it mapped, the file's locations, constants) and can check those sets instead
    of every row. PostgreSQL then takes the foreign keys back ``NOT VALID``, without re-reading the
    table (ten million rows: 10 s of a 100 s load), and calls it once they are added: adding them
    locks the referenced tables against deletes until the commit, so what it finds holds. It must
    raise IntegrityError when a reference is missing. The keys check every later write as before;
    the rows of the load were checked by the loader.
    """
    quote = connection.ops.quote_name
    table = model._meta.db_table
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                           [table])
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {quote(name)}")
        yield
        with connection.cursor() as cursor:
            # SQLite sorts an index's keys in runs the size of the page cache and merges them: runs of a few
            # megabytes stay in the CPU's caches and are sorted by two threads, where one run of 256 MB
            # took 2.4 times as long (10M keys: 30 s → 12 s). The connection's settings are restored.
            cursor.execute("PRAGMA cache_size")
            cache_size = cursor.fetchone()[0]
            cursor.execute("PRAGMA threads")
            threads = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {SQLITE_SORT_CACHE_KIB}")
            cursor.execute("PRAGMA threads = 2")
            try:
                for _name, definition in indexes:
                    cursor.execute(definition)
            finally:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
                cursor.execute(f"PRAGMA threads = {int(threads)}")
        return
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # Pending deferred checks of earlier inserts would forbid altering the tables they involve.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND (contype IN ('f', 'u') OR contype = 'p' AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint r WHERE r.confrelid = %s::regclass AND r.contype = 'f')) "
            "ORDER BY contype = 'p' DESC, contype DESC, conname",
            [table, table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY indexname",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _definition, _kind in constraints:
            cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition, kind in constraints:
            trusted = " NOT VALID" if kind == "f" and references_checked is not None else ""
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}{trusted}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    if references_checked is not None and any(kind == "f" for _name, _definition, kind in constraints):
        references_checked()
