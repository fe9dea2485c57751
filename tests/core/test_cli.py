"""The `romashka` command as a user runs it: help texts, the demo loader's guards, createuser's errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from typer.testing import CliRunner

from romashka.cli import app
from romashka.core.choices import Role
from romashka.core.models import Membership, Organisation
from romashka.path.models import Purchase

COMMANDS = ["migrate", "demo", "logins", "createuser", "serve", "manage"]

runner = CliRunner()


def invoke(*args: str):
    # A wide terminal keeps Rich from wrapping messages mid-sentence.
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_console_script_help_lists_every_command(tmp_path: Path):
    script = Path(sys.executable).with_name("romashka")
    env = dict(os.environ, ROMASHKA_DATA_DIR=str(tmp_path), COLUMNS="200")
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env, check=False, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str):
    result = invoke(command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    assert command in result.output


def test_demo_help_names_its_options():
    result = invoke("demo", "--help")
    for option in ("--size", "--seed", "--until", "--if-empty"):
        assert option in result.output


@pytest.mark.django_db(transaction=True)
def test_demo_loads_into_an_empty_database_and_prints_counts():
    call_command("flush", "--noinput")  # the session's demo network may still be there
    result = invoke("demo", "--size", "small", "--until", "2026-11-23")
    assert result.exit_code == 0, result.output
    purchases = Purchase.objects.count()
    assert purchases > 1000
    assert "purchases" in result.output
    assert f"{purchases:,}" in result.output
    assert Organisation.objects.count() == 1
    assert "owner" in result.output  # the demo logins follow the counts


def test_demo_refuses_a_database_that_has_data(demo_network, db):
    before = Purchase.objects.count()
    result = invoke("demo", "--size", "small", "--until", "2026-11-23")
    assert result.exit_code != 0
    assert "already holds an organisation" in result.output
    assert Purchase.objects.count() == before
    assert Organisation.objects.count() == 1


def test_demo_if_empty_does_nothing_on_a_database_with_data(demo_network, db):
    before = Purchase.objects.count()
    result = invoke("demo", "--size", "small", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "already has data" in result.output
    assert Purchase.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_demo_rejects_a_malformed_end_date():
    call_command("flush", "--noinput")
    result = invoke("demo", "--size", "small", "--until", "23.11.2026")
    assert result.exit_code == 2
    assert "is not a date" in result.output
    assert "YYYY-MM-DD" in result.output
    assert not Organisation.objects.exists()


def test_createuser_with_an_unknown_role_fails_and_writes_nothing(demo_network, db):
    users_before = get_user_model().objects.count()
    result = invoke("createuser", "visitor", "--role", "wizard", "--password", "a-long-password-1")
    assert result.exit_code != 0
    # The message (Russian by default) names the wrong role and lists the ones that exist.
    assert "wizard" in result.output
    for role in Role.values:
        assert role in result.output
    assert not get_user_model().objects.filter(username="visitor").exists()
    assert get_user_model().objects.count() == users_before
    assert Membership.objects.count() == users_before


def test_createuser_with_a_location_role_and_no_location_fails(demo_network, db):
    result = invoke("createuser", "cashier", "--role", "employee", "--password", "a-long-password-1")
    assert result.exit_code != 0
    assert "employee" in result.output  # "the role employee needs a location", in the active language
    assert not get_user_model().objects.filter(username="cashier").exists()


def test_createuser_creates_a_user_who_can_log_in(demo_network, db, client):
    result = invoke("createuser", "cashier", "--role", "employee", "--location", "MSK-01",
                    "--password", "a-long-password-1")
    assert result.exit_code == 0, result.output
    membership = Membership.objects.select_related("location").get(user__username="cashier")
    assert membership.role == "employee"
    assert membership.location.code == "MSK-01"
    assert client.login(username="cashier", password="a-long-password-1")


def test_logins_lists_a_user_per_role(tmp_path: Path):
    # A fresh process, as `make run` calls it: nothing has set Django up before the command.
    script = Path(sys.executable).with_name("romashka")
    env = dict(os.environ, ROMASHKA_DATA_DIR=str(tmp_path), COLUMNS="200")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([str(script), "logins"], capture_output=True, text=True, env=env, check=False, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stderr
    for username in ("owner", "crm", "manager", "staff", "hr", "partner", "analyst"):
        assert username in result.stdout
    assert "romashka" in result.stdout
