"""`romashka refresh` as a user runs it: the summary table per status, the same rows twice, a clear error."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from romashka.cli import app
from romashka.path.models import StatusEvent, StatusSnapshot

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("demo_network", "db")


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_refresh_prints_the_count_of_every_status_and_changes_nothing_on_a_second_run():
    events = sorted(StatusEvent.objects.values_list("party_id", "changed_on", "to_status"))
    result = invoke("refresh", "--as-of", "2026-11-23")
    assert result.exit_code == 0, result.output
    assert "statuses at 2026-11-23" in result.output
    for status in ("lead", "novice", "fan", "dormant", "lost"):
        count = StatusSnapshot.objects.filter(status=status).count()
        assert count > 0
        line = next(line for line in result.output.splitlines() if f" {status} " in line)
        assert f"{count:,}" in line, line
    assert f"{len(events):,}" in result.output
    assert sorted(StatusEvent.objects.values_list("party_id", "changed_on", "to_status")) == events


def test_refresh_at_a_past_date():
    result = invoke("refresh", "--as-of", "2025-12-31")
    assert result.exit_code == 0, result.output
    assert set(StatusSnapshot.objects.values_list("as_of", flat=True)) == {date(2025, 12, 31)}
    assert not StatusEvent.objects.filter(changed_on__gt="2025-12-31").exists()


def test_refresh_names_a_bad_date():
    result = invoke("refresh", "--as-of", "31.12.2025")
    assert result.exit_code == 2
    assert "is not a date" in result.output


def test_refresh_is_in_the_help():
    result = invoke("refresh", "--help")
    assert result.exit_code == 0 and "--as-of" in result.output


def test_refresh_if_due_does_nothing_when_the_statuses_are_current():
    first = invoke("refresh", "--as-of", "2026-11-23", "--if-due")
    assert first.exit_code == 0, first.output
    assert "up to date" in first.output  # the demo refreshed at its last day
    later = invoke("refresh", "--as-of", "2026-11-24", "--if-due")
    assert later.exit_code == 0, later.output
    assert "refreshed in" in later.output
