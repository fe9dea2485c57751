"""Statuses refresh themselves: due on a new day and after purchases change, not otherwise."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from romashka.core.models import Organisation, Party
from romashka.path import refresh
from romashka.path.models import Purchase, StatusRefresh, StatusSnapshot

DEMO_UNTIL = date(2026, 11, 23)

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def _organisation() -> Organisation:
    return Organisation.objects.get()


def test_the_demo_leaves_a_refresh_that_is_not_due_the_same_day():
    organisation = _organisation()
    assert StatusRefresh.objects.filter(organisation=organisation, as_of=DEMO_UNTIL).exists()
    assert not refresh.refresh_is_due(organisation=organisation, today=DEMO_UNTIL)


def test_a_new_day_makes_it_due():
    assert refresh.refresh_is_due(organisation=_organisation(), today=DEMO_UNTIL + timedelta(days=1))


def test_a_new_purchase_makes_it_due_and_the_round_refreshes_that_client(monkeypatch):
    organisation = _organisation()
    lead = Party.objects.filter(roles__kind="guest", purchases__isnull=True).first()
    assert StatusSnapshot.objects.get(party=lead).status == "lead"
    Purchase.objects.create(
        organisation=organisation, party=lead, occurred_at=datetime(2026, 11, 23, 9, tzinfo=UTC),
        purchased_on=DEMO_UNTIL, amount=Decimal("450.00"), source="test", receipt_ref="T-1",
    )
    assert refresh.refresh_is_due(organisation=organisation, today=DEMO_UNTIL)
    monkeypatch.setattr("romashka.path.services.today_of", lambda _organisation: DEMO_UNTIL)
    done = refresh.refresh_if_due()
    assert [org.pk for org, _result in done] == [organisation.pk]
    assert StatusSnapshot.objects.get(party=lead).status == "novice"
    assert not refresh.refresh_is_due(organisation=organisation, today=DEMO_UNTIL)
    assert refresh.refresh_if_due() == []


def test_the_background_loop_survives_a_failing_round(monkeypatch):
    calls = []
    stop = threading.Event()

    def failing_round():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        stop.set()
        return []

    monkeypatch.setattr(refresh, "refresh_if_due", failing_round)
    refresh.refresh_loop(interval_seconds=0, stop=stop)
    assert len(calls) == 2
