"""`romashka daily` as cron runs it: the day's work once, a second run the same day does nothing more."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from romashka.cli import app
from romashka.touches.models import DailyRun, Entry, Message, Task

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("demo_network", "db")


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_daily_does_the_days_work_once():
    first = invoke("daily", "--date", "2026-11-26")
    assert first.exit_code == 0, first.output
    assert "new entries into standards" in first.output and "SMS and messenger messages to the outbox" in first.output
    # Three days of status events after the demo's end: entries (and so tasks or control) were made.
    assert Entry.objects.filter(entered_on__gt="2026-11-23").exists()
    counts = (Entry.objects.count(), Task.objects.count(), Message.objects.count())
    assert Message.objects.filter(task__due_on__lte="2026-11-26", task__due_on__gt="2026-11-23").exists()

    second = invoke("daily", "--date", "2026-11-26")
    assert second.exit_code == 0, second.output
    assert "already done" in second.output
    assert (Entry.objects.count(), Task.objects.count(), Message.objects.count()) == counts
    assert DailyRun.objects.filter(day="2026-11-26", finished_at__isnull=False).count() == 1


def test_daily_rejects_a_date_it_cannot_read():
    result = invoke("daily", "--date", "26.11.2026")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_the_background_schedule_runs_each_organisations_day_once(monkeypatch):
    from datetime import date

    from romashka.path import services as path_services
    from romashka.touches.services import daily_if_due

    monkeypatch.setattr(path_services, "today_of", lambda organisation: date(2026, 11, 25))
    first = daily_if_due()
    assert len(first) == 1 and first[0][1]["skipped"] is False
    assert DailyRun.objects.filter(day="2026-11-25", finished_at__isnull=False).exists()
    assert daily_if_due() == []
