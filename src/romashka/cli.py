"""The `romashka` command: serve, migrate, demo, users, refresh; file-level commands need no database."""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(
    help="Romashka: the client's path, touch standards and the chamomile of every counterparty.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
console = Console()
err = Console(stderr=True)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "romashka.settings")
    import django

    django.setup()


def _call(*args: str) -> None:
    _django()
    from django.core.management import call_command

    call_command(*args)


class DemoSizeName(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


class EngineName(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


@app.command()
def migrate() -> None:
    """Create or update the database tables (Django's migrate)."""
    _call("migrate", "--noinput")


@app.command()
def demo(
    size: Annotated[DemoSizeName, typer.Option(help="small for tests, medium ≈ 1 million purchases, large ≈ 5 million")] = DemoSizeName.medium,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed and end date give the same network")] = 7,
    until: Annotated[str | None, typer.Option(help="Last day of the history, YYYY-MM-DD (default: today)")] = None,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Do nothing when the database already has data")] = False,
) -> None:
    """Load the demo pancake-café franchise network into an empty database."""
    _django()
    from romashka.core.demo import DEMO_PASSWORD, DEMO_USERS, database_is_empty, demo_network_create

    if not database_is_empty():
        if if_empty:
            console.print("The database already has data; the demo is not loaded again.")
            return
        err.print("[red]The database already holds an organisation.[/red] The demo loads only into an empty database.")
        raise typer.Exit(1)
    end = None
    if until:
        try:
            end = date.fromisoformat(until)
        except ValueError:
            err.print(f"[red]--until {until!r} is not a date.[/red] Expected YYYY-MM-DD, e.g. 2026-11-23.")
            raise typer.Exit(2) from None
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("demo", total=1)

        def progress(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=max(total, 1))

        counts = demo_network_create(size=size.value, seed=seed, until=end, progress=progress)
    elapsed = time.perf_counter() - started
    table = Table(title=f"Demo network ({size.value}, seed {seed}) loaded in {elapsed:.1f} s")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key, value in counts.items():
        table.add_row(key, f"{value:,}")
    console.print(table)
    _print_logins(DEMO_USERS, DEMO_PASSWORD)


def _print_logins(users, password: str) -> None:
    table = Table(title="Demo logins (password for all: " + password + ")")
    table.add_column("user")
    table.add_column("role")
    for username, role, *_ in users:
        table.add_row(username, str(role.label))
    console.print(table)


@app.command()
def logins() -> None:
    """Show the demo logins."""
    _django()
    from romashka.core.demo import DEMO_PASSWORD, DEMO_USERS

    _print_logins(DEMO_USERS, DEMO_PASSWORD)


@app.command()
def createuser(
    username: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[str, typer.Option(help="owner, crm_manager, location_manager, employee, hr, franchise_partner or analyst")],
    location: Annotated[str | None, typer.Option(help="Location code, for location managers and employees")] = None,
    partner: Annotated[int | None, typer.Option(help="Party id of the franchise partner, for franchise partners")] = None,
    email: Annotated[str, typer.Option(help="E-mail")] = "",
    password: Annotated[str | None, typer.Option(help="Password (asked for when not given)")] = None,
) -> None:
    """Create a user with a role in the organisation."""
    _django()
    from django.core.exceptions import ValidationError

    from romashka.core.models import Location, Organisation, Party
    from romashka.core.services import user_create

    organisation = Organisation.objects.order_by("pk").first()
    if organisation is None:
        err.print("[red]No organisation yet.[/red] Load the demo (romashka demo) or import data first.")
        raise typer.Exit(1)
    location_obj = None
    if location:
        location_obj = Location.objects.filter(organisation=organisation, code=location).first()
        if location_obj is None:
            codes = ", ".join(Location.objects.filter(organisation=organisation).values_list("code", flat=True))
            err.print(f"[red]No location with code {location!r}.[/red] Known codes: {codes}")
            raise typer.Exit(2)
    partner_obj = Party.objects.filter(organisation=organisation, pk=partner).first() if partner else None
    if partner and partner_obj is None:
        err.print(f"[red]No party with id {partner}.[/red]")
        raise typer.Exit(2)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user_create(organisation=organisation, username=username, password=password, role=role,
                    email=email, location=location_obj, partner=partner_obj)
    except ValidationError as error:
        err.print(f"[red]{'; '.join(error.messages)}[/red]")
        raise typer.Exit(2) from None
    console.print(f"User [bold]{username}[/bold] created with the role {role}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    reload: Annotated[bool, typer.Option(help="Development server that reloads on code changes")] = False,
    threads: Annotated[int, typer.Option(help="Worker threads")] = 8,
    background_refresh: Annotated[bool, typer.Option(
        help="Refresh client statuses in the background each new day and after purchases change")] = True,
) -> None:
    """Serve the web application and the API (waitress; --reload for Django's development server)."""
    _django()
    if reload:
        from django.core.management import call_command

        call_command("runserver", f"{host}:{port}")
        return
    from django.core.management import call_command
    from waitress import serve as waitress_serve

    # Collect before the application loads, so WhiteNoise indexes the files; later runs copy only changes.
    call_command("collectstatic", "--noinput", verbosity=0)
    # The URLconf (every app's views and the API) now, not on the first visitor's request (about half a second).
    import romashka.urls  # noqa: F401
    from romashka.wsgi import application

    if background_refresh:
        from romashka.path.refresh import start_refresh_thread
        from romashka.touches.schedule import start_daily_thread

        start_refresh_thread()
        start_daily_thread()

    console.print(f"Romashka is at [bold]http://{host}:{port}/[/bold] (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="romashka")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run any Django management command, e.g. `romashka manage createsuperuser`."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["romashka manage", *ctx.args])


def _date_option(option: str, value: str | None, example: str) -> date | None:
    """The option's date, None when not given; exits 2 with what was expected when it is not a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        err.print(f"[red]{option} {value!r} is not a date.[/red] Expected YYYY-MM-DD, e.g. {example}.")
        raise typer.Exit(2) from None


def _organisations() -> list:
    """Every organisation (Django set up); exits 1 with what to do when there is none yet."""
    from romashka.core.models import Organisation

    organisations = list(Organisation.objects.order_by("pk"))
    if not organisations:
        err.print("[red]No organisation yet.[/red] Load the demo (romashka demo) or import data first.")
        raise typer.Exit(1)
    return organisations


@app.command()
def refresh(
    as_of: Annotated[str | None, typer.Option("--as-of", help="Date of the statuses, YYYY-MM-DD (default: today in the organisation's time zone)")] = None,
    if_due: Annotated[bool, typer.Option("--if-due", help="Only when statuses are older than today or than the data (for cron)")] = False,
) -> None:
    """Recompute every client's status snapshot and status events from the purchases (running twice changes nothing)."""
    as_of_date = _date_option("--as-of", as_of, "2026-11-23")
    _django()
    from romashka.path.choices import Status
    from romashka.path.refresh import refresh_is_due, status_refresh_logged
    from romashka.path.services import today_of

    for organisation in _organisations():
        day = as_of_date or today_of(organisation)
        if if_due and not refresh_is_due(organisation=organisation, today=day):
            console.print(f"{escape(organisation.name)}: statuses are up to date ({day.isoformat()}).")
            continue
        with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            task = bar.add_task("refresh", total=4)

            def progress(stage: str, done: int, total: int, task=task) -> None:
                bar.update(task, description=stage, completed=done, total=max(total, 1))

            result = status_refresh_logged(organisation=organisation, as_of=day, progress=progress)
        total = sum(result["counts"].values())
        console.print(f"{escape(organisation.name)}: statuses at {day.isoformat()} (purchase cycle "
                      f"{result['cycle_days']} days), refreshed in {result['seconds']:.1f} s", soft_wrap=True)
        table = Table()
        table.add_column("status")
        table.add_column("clients", justify="right")
        table.add_column("share", justify="right")
        for status in Status:
            count = result["counts"][status.value]
            table.add_row(status.value, f"{count:,}", f"{count / total if total else 0:.1%}")
        table.add_row("of them won back", f"{result['won_back']:,}", f"{result['won_back'] / total if total else 0:.1%}")
        table.add_row("status events", f"{result['events']:,}", "")
        console.print(table)


@app.command()
def daily(
    day: Annotated[str | None, typer.Option("--date", help="The day to run for, YYYY-MM-DD (default: today in the organisation's time zone)")] = None,
    refresh_statuses: Annotated[bool, typer.Option("--refresh/--no-refresh", help="Refresh statuses first when they are due")] = True,
) -> None:
    """The touch system's day: refresh statuses if due, cancel obsolete tasks, create due tasks, send due messages.

    Running it again on the same day does nothing more (for cron or a systemd timer).
    """
    day_date = _date_option("--date", day, "2026-12-01")
    _django()
    from romashka.path.services import today_of
    from romashka.touches.services import daily_run

    for organisation in _organisations():
        today = day_date or today_of(organisation)
        summary = daily_run(organisation=organisation, today=today, refresh=refresh_statuses)
        if summary["skipped"]:
            console.print(f"{escape(organisation.name)}: the daily run of {today.isoformat()} is already done.")
            continue
        table = Table(title=f"{escape(organisation.name)}: {today.isoformat()}")
        table.add_column("step")
        table.add_column("count", justify="right")
        labels = {
            "cancelled_bought": "tasks cancelled: the client bought first",
            "cancelled_left": "tasks cancelled: the client left the status",
            "entries": "new entries into standards", "control": "of them in the control group",
            "tasks": "tasks created", "tasks_without_executor": "of them without an executor",
            "no_consent": "calls not made: no consent",
            "messages_sent": "e-mails sent", "messages_outbox": "SMS and messenger messages to the outbox",
            "messages_skipped": "messages not sent (no consent or contact)", "messages_failed": "messages failed",
        }
        if "refresh_seconds" in summary:
            table.add_row("statuses refreshed, s", f"{summary['refresh_seconds']:.1f}")
        for key, label in labels.items():
            table.add_row(label, f"{summary.get(key, 0):,}")
        console.print(table)


class ImportKindName(StrEnum):
    purchases = "purchases"
    clients = "clients"
    employees = "employees"
    supplier_orders = "supplier-orders"


@app.command("import")
def import_file(
    file: Annotated[str, typer.Argument(help="CSV/TSV/TXT (UTF-8 or Windows-1251), XLSX or Parquet")],
    kind: Annotated[ImportKindName | None, typer.Option(help="What the file holds (default: recognised from the headers)")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help='A column by its header: role="Header", e.g. customer_id="Номер карты" (repeatable)')] = None,
    encoding: Annotated[str | None, typer.Option(help="utf-8, cp1251, utf-16 … (default: detected)")] = None,
    delimiter: Annotated[str | None, typer.Option(help="; , tab or | (default: detected)")] = None,
    date_format: Annotated[str | None, typer.Option(help="Dates in this strftime format first, e.g. %m/%d/%Y")] = None,
    source: Annotated[str, typer.Option(help="Name of the system the file comes from; re-imports from it add nothing twice")] = "import",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and check everything, write nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the figures")] = False,
    rejected_out: Annotated[str | None, typer.Option(help="Write the rejected rows (row, column, value, reason) to this CSV")] = None,
    refresh_statuses: Annotated[bool, typer.Option("--refresh/--no-refresh", help="Refresh the client's path after the import")] = True,
) -> None:
    """Import purchases, clients, employees or supplier orders from a file: all or nothing, re-import adds nothing."""
    import json

    mapping: dict[str, str] = {}
    for item in map_ or []:
        role, sep, header = item.partition("=")
        if not sep or not role.strip():
            err.print(f'[red]--map {escape(item)!r} is not role="Header".[/red] E.g. --map customer_id="Номер карты"')
            raise typer.Exit(2)
        mapping[role.strip()] = header.strip().strip('"')
    _django()
    from romashka.core.models import Organisation
    from romashka.imports.services import ImportOptions, file_import
    from romashka.ingest.readers import IngestError

    organisation = Organisation.objects.order_by("pk").first()
    if organisation is None and not dry_run:
        organisation = Organisation.objects.create(name="Romashka")
        err.print("No organisation yet: created «Romashka» (rename it in the settings).")
    elif organisation is None:
        organisation = Organisation(name="Romashka")
    options = ImportOptions(kind=kind.value if kind else None, mapping=mapping or None, encoding=encoding,
                            delimiter=delimiter, date_format=date_format, source=source)
    labels = {"reading": "reading the file", "checking": "checking", "clients": "clients", "channels": "contacts",
              "staging": "preparing purchases", "purchases": "purchases", "statuses": "refreshing statuses",
              "done": "done"}
    started = time.perf_counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                      TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("reading the file", total=1)

            def progress(stage: str, done: int, total: int) -> None:
                bar.update(task, description=labels.get(stage, stage), completed=done, total=max(total, 1))

            result = file_import(organisation=organisation, path=file, options=options, dry_run=dry_run,
                                 rejected_out=rejected_out, max_bytes=None, refresh=refresh_statuses,
                                 progress=progress)
    except IngestError as error:
        err.print(f"[red]{escape(str(error))}[/red] Nothing was imported.", soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as error:
        err.print(f"[red]{escape(str(error))}[/red] Nothing was imported.", soft_wrap=True)
        raise typer.Exit(1) from None
    kind_done = result.pop("kind")
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        return
    elapsed = time.perf_counter() - started
    title = f"{file}: {kind_done}, {'checked (dry run, nothing written)' if dry_run else 'imported'} in {elapsed:.1f} s"
    console.print(escape(title), soft_wrap=True)
    table = Table(show_header=False)
    table.add_column("")
    table.add_column("", justify="right")
    for key, value in result.items():
        if key == "rejected_by_reason":
            for reason, count in value.items():
                table.add_row(f"  rejected: {reason}", f"{count:,}")
        elif isinstance(value, int) and key != "batch":
            table.add_row(key.replace("_", " "), f"{value:,}")
        else:
            table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    if result["rejected"] and rejected_out:
        console.print(f"Rejected rows with their reasons: {escape(rejected_out)}")
    elif result["rejected"]:
        console.print("See the rejected rows with --rejected-out rejected.csv")


@app.command()
def lifecycle(
    purchases: Annotated[str, typer.Argument(help="Purchases file: CSV, XLSX or Parquet (customer, date, amount)")],
    as_of: Annotated[str, typer.Option("--as-of", help="The date of the statuses, YYYY-MM-DD; later rows are ignored")],
    cycle_days: Annotated[int, typer.Option(min=0, help="Purchase cycle: dormant after this many days without a purchase")] = 90,
    fan_min_purchases: Annotated[int, typer.Option(min=0, help="Purchase days in the current episode that make a fan")] = 3,
    lost_after_days: Annotated[int | None, typer.Option(min=0, help="Lost after this many days (default 3 × cycle days)")] = None,
    customer_column: Annotated[str | None, typer.Option(help="Header of the customer id column, if not recognised")] = None,
    date_column: Annotated[str | None, typer.Option(help="Header of the purchase date column, if not recognised")] = None,
    amount_column: Annotated[str | None, typer.Option(help="Header of the amount column, if not recognised")] = None,
    out: Annotated[str | None, typer.Option(help="Output file: .csv, or .parquet; without it, CSV goes to standard output")] = None,
    engine: Annotated[EngineName, typer.Option(help="Where the rules run: DuckDB in-process, or PySpark local (romashka[spark], Java 17)")] = EngineName.duckdb,
) -> None:
    """Status of every customer at a date from a purchases file, by the default rule set (no database)."""
    try:
        as_of_date = date.fromisoformat(as_of)
    except ValueError:
        err.print(f"[red]--as-of {as_of!r} is not a date.[/red] Expected YYYY-MM-DD, e.g. 2026-11-23.")
        raise typer.Exit(2) from None
    connection = purchases_connection(purchases, customer_column=customer_column, date_column=date_column,
                                      amount_column=amount_column)
    # ibis takes about two seconds to import: only once the file has been read.
    import ibis

    from romashka.engine import STATUSES, lifecycle_table
    from romashka.engine.lifecycle import DUCKDB_SETTINGS

    # Only now: the checks above number rows in file order.
    for name, value in DUCKDB_SETTINGS.items():
        connection.execute(f"SET {name} = {str(value).lower()}").fetchall()
    backend = ibis.duckdb.from_connection(connection)
    purchases_table = backend.table("purchases")
    if engine == EngineName.spark:  # the checked, typed purchases go to Spark as Arrow; the same expression runs there
        from romashka.engine.backends import connect, put_table

        try:
            backend = connect("pyspark")
        except RuntimeError as error:
            err.print(f"[red]{escape(str(error))}[/red]")
            raise typer.Exit(1) from None
        purchases_table = put_table(backend, connection.table("purchases").to_arrow_table())
    result = lifecycle_table(purchases_table, as_of=as_of_date, cycle_days=cycle_days,
                             fan_min_purchases=fan_min_purchases, lost_after_days=lost_after_days,
                             backend=backend)
    connection.close()
    try:
        _write_lifecycle(result, out)
    except OSError as error:
        err.print(f"[red]Cannot write {out}: {escape(error.strerror or str(error))}[/red]")
        raise typer.Exit(1) from None
    summary = Table(title=f"Statuses at {as_of_date.isoformat()} ({result.num_rows:,} customers)")
    summary.add_column("status")
    summary.add_column("customers", justify="right")
    summary.add_column("share", justify="right")
    summary.add_column("revenue", justify="right")
    counts = {status: (0, Decimal(0)) for status in STATUSES}
    for row in result.group_by("status").aggregate([("customer_id", "count"), ("monetary", "sum")]).to_pylist():
        counts[row["status"]] = (row["customer_id_count"], row["monetary_sum"])
    for status, (count, revenue) in counts.items():
        share = count / result.num_rows if result.num_rows else 0
        summary.add_row(status, f"{count:,}", f"{share:.1%}", f"{revenue:,.2f}")
    won_back = pc.sum(result.column("won_back")).as_py() or 0
    summary.add_row("of them won back", f"{won_back:,}", f"{won_back / result.num_rows if result.num_rows else 0:.1%}", "")
    (err if out is None else console).print(summary)


def purchases_connection(path: str, *, customer_column: str | None, date_column: str | None,
                         amount_column: str | None):
    """An in-process DuckDB holding the file's checked purchases as `purchases`; exits 1 with the reader's
    message when the file cannot be read as purchases.

    DuckDB reads the file itself and the engine runs on the same connection: no Arrow copy of the
    purchases in Python. ROMASHKA_DUCKDB_THREADS caps the threads (DuckDB's default: all cores).
    """
    import duckdb

    from romashka.ingest.readers import IngestError, load_purchases

    threads = os.environ.get("ROMASHKA_DUCKDB_THREADS")
    connection = duckdb.connect(config={"threads": int(threads)} if threads else {})
    try:
        load_purchases(path, connection, table_name="purchases", customer_column=customer_column,
                       date_column=date_column, amount_column=amount_column)
    except IngestError as error:
        err.print(f"[red]{escape(str(error))}[/red]", soft_wrap=True)
        connection.close()
        raise typer.Exit(1) from None
    return connection


def _write_lifecycle(result, out: str | None) -> None:
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    if out is not None and out.lower().endswith(".parquet"):
        pq.write_table(result, out)
        return
    try:  # plain values, as a person would write them; quotes only if an id holds a comma or quote
        buffer = _csv_bytes(result, pa_csv, "none")
    except pa.ArrowInvalid:
        buffer = _csv_bytes(result, pa_csv, "needed")
    if out is None:
        sys.stdout.buffer.write(buffer)
        sys.stdout.buffer.flush()
    else:
        with open(out, "wb") as handle:
            handle.write(buffer)


def _csv_bytes(result, pa_csv, quoting_style: str):
    sink = pa.BufferOutputStream()
    sink.write((",".join(result.column_names) + "\n").encode())
    options = pa_csv.WriteOptions(include_header=False, quoting_style=quoting_style)
    pa_csv.write_csv(result, sink, write_options=options)
    return memoryview(sink.getvalue())


def _command_groups() -> None:
    from romashka.cli_clv import app as clv_app

    app.add_typer(clv_app, name="clv")


_command_groups()


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
