"""Where the engine's ibis expressions run: DuckDB in-process, PostgreSQL, or PySpark in local mode.

The same :func:`~romashka.engine.lifecycle.lifecycle_expr` runs on each; :func:`put_table` puts an
Arrow table of purchases on a backend (a temporary table or view) so that the expression has
something to read there.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import ibis
import pyarrow as pa

ENGINES = ("duckdb", "postgres", "pyspark")
# `--engine spark` on the command line; the ibis backend is called pyspark.
ALIASES = {"spark": "pyspark", "postgresql": "postgres"}


def connect(engine: str = "duckdb", **options) -> ibis.BaseBackend:
    """An ibis backend for ``engine``.

    * ``duckdb``: in-process, set up like :func:`~romashka.engine.lifecycle.duckdb_backend`;
      ``threads`` caps its threads.
    * ``postgres``: ``url`` (as DATABASE_URL spells it: ``postgres://user@host:port/name``; the
      environment's DATABASE_URL when not given); other options go to ``ibis.postgres.connect``.
    * ``pyspark`` (or ``spark``): a local SparkSession (``master``, default ``local[2]``; small
      shuffle partitions, no UI, errors-only logging); other options are Spark settings.
      Needs the ``romashka[spark]`` extra and Java 17.
    """
    engine = ALIASES.get(engine, engine)
    if engine == "duckdb":
        from romashka.engine.lifecycle import duckdb_backend

        return duckdb_backend(**options)
    if engine == "postgres":
        return _postgres(**options)
    if engine == "pyspark":
        return _pyspark(**options)
    raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")


def _postgres(*, url: str | None = None, **options) -> ibis.BaseBackend:
    url = url or os.environ.get("DATABASE_URL")
    if not url:
        raise ValueError("the postgres engine needs a url (or DATABASE_URL), e.g. postgres://user@host:5432/name")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL url: {url!r}")
    # ibis knows the scheme as postgres; Django and libpq also accept postgresql.
    backend = ibis.connect(urlunsplit(("postgres", *parts[1:])), **options)
    backend.compiler = _postgres_compiler()
    return backend


def _postgres_compiler():
    """ibis 12's PostgreSQL compiler with boolean → integer casts that PostgreSQL accepts.

    ibis writes ``CAST(flag AS BIGINT)``, which PostgreSQL refuses ("cannot cast type boolean to
    bigint"): only boolean → INTEGER exists. The engine counts flags that way
    (``is_purchase.cast(int64).sum()``), so the cast goes through INTEGER. Only backends made by
    :func:`connect` get this compiler; ibis's own stays as it is.
    """
    import ibis.backends.sql.compilers as compilers
    import ibis.expr.datatypes as dt

    base = type(compilers.postgres.compiler)

    class PostgresCompiler(base):
        def visit_Cast(self, op, *, arg, to):
            if op.arg.dtype.is_boolean() and to.is_integer() and not to.is_int32():
                return self.cast(self.cast(arg, dt.int32), to)
            return super().visit_Cast(op, arg=arg, to=to)

        visit_TryCast = visit_Cast

    return PostgresCompiler()


def _pyspark(*, master: str = "local[2]", **settings) -> ibis.BaseBackend:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RuntimeError("the spark engine needs PySpark: pip install 'romashka[spark]' (and Java 17)") from None
    builder = (
        SparkSession.builder.master(master)
        .appName("romashka")
        # A few thousand customers per query: Spark's default of 200 shuffle partitions is pure overhead.
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        # One machine: no lookup of the host's name (slow, and a warning when it resolves to loopback).
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    for key, value in settings.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def put_table(backend: ibis.BaseBackend, table: pa.Table, *, name: str | None = None) -> ibis.Table:
    """The Arrow ``table`` as a temporary table (a temporary view on Spark) on ``backend``.

    The table lives as long as the connection (the session on Spark); ``name`` defaults to a fresh one.
    """
    name = name or f"romashka_{uuid.uuid4().hex[:12]}"
    if backend.name == "pyspark":
        session = backend._session
        # Arrow → Spark directly: Spark keeps date32 as DATE and decimal128(p, s) as DECIMAL(p, s).
        session.createDataFrame(table).createOrReplaceTempView(name)
        return backend.table(name)
    return backend.create_table(name, obj=table, temp=True, overwrite=True)
