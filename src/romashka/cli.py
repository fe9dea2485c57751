"""The `romashka` command: serve, migrate, demo, users; file-level commands need no database."""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
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
    from romashka.core.demo import DEMO_PASSWORD, DEMO_USERS

    _django()
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
) -> None:
    """Serve the web application and the API (waitress; --reload for Django's development server)."""
    _django()
    if reload:
        from django.core.management import call_command

        call_command("runserver", f"{host}:{port}")
        return
    from waitress import serve as waitress_serve

    from romashka.wsgi import application

    console.print(f"Romashka is at [bold]http://{host}:{port}/[/bold] (Ctrl+C to stop)")
    waitress_serve(application, host=host, port=port, threads=threads, ident="romashka")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run any Django management command, e.g. `romashka manage createsuperuser`."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["romashka manage", *ctx.args])


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
