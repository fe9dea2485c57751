"""The purchase-cycle page and service, overrides per location and category, personal rhythm in snapshots."""

from __future__ import annotations

from collections import Counter
from statistics import median

import pyarrow as pa
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from romashka.core.models import Organisation, Party
from romashka.core.services import api_token_create
from romashka.engine import lifecycle_table
from romashka.path.cycle_services import client_rules
from romashka.path.models import CycleOverride, Purchase, StatusSnapshot
from romashka.path.services import status_refresh

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def _organisation() -> Organisation:
    return Organisation.objects.get()


def _fresh(party_ids, *, as_of, cycle_days, lost_after_days=None) -> dict[int, str]:
    rows = list(
        Purchase.objects.filter(party_id__in=party_ids).values_list("party_id", "purchased_on", "amount")
    )
    table = pa.table(
        {
            "customer_id": pa.array([str(r[0]) for r in rows], pa.string()),
            "purchased_at": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.decimal128(14, 2)),
        }
    )
    result = lifecycle_table(
        table, as_of=as_of, cycle_days=cycle_days, lost_after_days=lost_after_days or 3 * cycle_days
    )
    return {int(r["customer_id"]): r["status"] for r in result.to_pylist()}


def _snapshot_state():
    return sorted(StatusSnapshot.objects.values_list("party_id", "status", "as_of", "rhythm_days", "overdue"))


@pytest.mark.parametrize("username", ["owner", "crm"])
def test_the_page_shows_the_suggestion_to_owner_and_crm_manager(english_client, login, username):
    login(english_client, username)
    response = english_client.get("/path/cycle/")
    assert response.status_code == 200
    page = response.content.decode()
    suggestion = response.context["suggestion"]
    assert suggestion.overall.gaps > 0
    assert suggestion.overall.suggested_cycle_days % 7 == 0
    assert suggestion.overall.suggested_cycle_days >= suggestion.overall.percentile_days
    assert f"80% of returns happen within {suggestion.overall.percentile_days} days" in page
    assert 'id="cycle-chart"' in page and "csrfmiddlewaretoken" in page
    assert response.context["by_location"] and suggestion.by_category


@pytest.mark.parametrize("username", ["manager", "staff", "hr", "partner", "analyst"])
def test_other_roles_get_403(english_client, login, username):
    login(english_client, username)
    cycle_days = _organisation().default_cycle_days
    assert english_client.get("/path/cycle/").status_code == 403
    assert english_client.post("/path/cycle/", {"cycle_days": "30"}).status_code == 403
    assert _organisation().default_cycle_days == cycle_days


def test_accepting_a_value_changes_the_cycle_and_the_statuses(english_client, login):
    login(english_client, "owner")
    before = Counter(StatusSnapshot.objects.values_list("status", flat=True))
    response = english_client.post("/path/cycle/", {"cycle_days": "21"}, follow=True)
    assert response.status_code == 200
    assert "The purchase cycle is now 21 days" in response.content.decode()
    assert _organisation().default_cycle_days == 21
    as_of = StatusSnapshot.objects.values_list("as_of", flat=True).first()
    stored = dict(StatusSnapshot.objects.exclude(status__in=["lead", "prospect"]).values_list("party_id", "status"))
    assert stored == {
        p: s for p, s in _fresh(list(stored), as_of=as_of, cycle_days=21).items() if s != "lead"
    }
    assert Counter(StatusSnapshot.objects.values_list("status", flat=True)) != before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "The purchase cycle must be from 1 to 3650 days; got 0."),
        ("5000", "The purchase cycle must be from 1 to 3650 days; got 5000."),
        ("abc", "“abc” is not a whole number of days."),
        ("", "“” is not a whole number of days."),
    ],
)
def test_bad_input_gives_a_clear_message_and_writes_nothing(english_client, login, value, message):
    login(english_client, "crm")
    cycle_days = _organisation().default_cycle_days
    before = _snapshot_state()
    response = english_client.post("/path/cycle/", {"cycle_days": value})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _organisation().default_cycle_days == cycle_days
    assert _snapshot_state() == before


def _buyers_with_home_location():
    parties = (
        Party.objects.filter(home_location__isnull=False, purchases__isnull=False)
        .values_list("pk", "home_location_id")
        .distinct()
    )
    return dict(parties)


def test_a_client_under_a_location_override_gets_the_overrides_status():
    organisation = _organisation()
    homes = _buyers_with_home_location()
    location_id = Counter(homes.values()).most_common(1)[0][0]
    CycleOverride.objects.create(
        organisation=organisation, location_id=location_id, cycle_days=7, lost_after_days=30
    )
    as_of = StatusSnapshot.objects.values_list("as_of", flat=True).first()
    status_refresh(organisation=organisation, as_of=as_of)
    under = [p for p, loc in homes.items() if loc == location_id]
    others = [p for p, loc in homes.items() if loc != location_id]
    stored = dict(StatusSnapshot.objects.values_list("party_id", "status"))
    assert {p: stored[p] for p in under} == _fresh(under, as_of=as_of, cycle_days=7, lost_after_days=30)
    assert {p: stored[p] for p in others} == _fresh(
        others, as_of=as_of, cycle_days=organisation.default_cycle_days
    )
    assert {stored[p] for p in under} != {stored[p] for p in others}


def test_precedence_location_before_category_before_organisation():
    organisation = _organisation()
    categories = Counter(Purchase.objects.exclude(category="").values_list("category", flat=True))
    assert categories, "the demo has product categories"
    category = categories.most_common(1)[0][0]
    homes = _buyers_with_home_location()
    location_id = Counter(homes.values()).most_common(1)[0][0]
    CycleOverride.objects.create(organisation=organisation, location_id=location_id, cycle_days=10)
    CycleOverride.objects.create(
        organisation=organisation, category=category, cycle_days=20, overdue_factor="3"
    )
    parameters = client_rules(organisation=organisation).parameters.to_pylist()
    cycle_of = {int(row["customer_id"]): row["cycle_days"] for row in parameters}
    for party_id, home in homes.items():
        if home == location_id:
            assert cycle_of[party_id] == 10
    by_category = [p for p, days in cycle_of.items() if days == 20]
    assert by_category and not any(homes.get(p) == location_id for p in by_category)
    for party_id in by_category[:20]:
        counts = Counter(
            Purchase.objects.filter(party_id=party_id).exclude(category="").values_list("category", flat=True)
        )
        top = max(counts.values())
        assert category == min(c for c, n in counts.items() if n == top)
    assert len(cycle_of) < Party.objects.count()  # everyone else stays on the organisation's cycle


def test_rhythm_and_overdue_are_stored_beside_the_status():
    organisation = _organisation()
    as_of = StatusSnapshot.objects.values_list("as_of", flat=True).first()
    status_refresh(organisation=organisation, as_of=as_of)
    checked = 0
    for snapshot in StatusSnapshot.objects.filter(purchase_days__gte=2).order_by("party_id")[:50]:
        days = Counter()
        for day, amount in Purchase.objects.filter(
            party_id=snapshot.party_id, purchased_on__lte=as_of
        ).values_list("purchased_on", "amount"):
            days[day] += amount
        purchase_days = sorted(day for day, total in days.items() if total > 0)
        gaps = [(b - a).days for a, b in zip(purchase_days, purchase_days[1:], strict=False)]
        if len(gaps) < 2:
            assert snapshot.rhythm_days is None and not snapshot.overdue
            continue
        rhythm = median(gaps)
        assert float(snapshot.rhythm_days) == rhythm
        assert snapshot.overdue == ((as_of - purchase_days[-1]).days > rhythm * 1.5)
        checked += 1
    assert checked > 10
    assert StatusSnapshot.objects.filter(overdue=True).exists()
    assert not StatusSnapshot.objects.filter(status="lead", overdue=True).exists()


def test_the_api_shows_rhythm_and_overdue_beside_the_status(english_client):
    owner = get_user_model().objects.get(username="owner")
    headers = {"Authorization": f"Bearer {api_token_create(user=owner, name='tests')[1]}"}
    snapshot = StatusSnapshot.objects.filter(rhythm_days__isnull=False).first()
    response = english_client.get(f"/api/parties/{snapshot.party_id}/status", headers=headers)
    assert response.status_code == 200, response.content
    current = response.json()["current"]
    assert current["status"] == snapshot.status
    assert current["rhythm_days"] == float(snapshot.rhythm_days)
    assert current["overdue"] == snapshot.overdue


def test_the_error_reads_in_russian_by_default(login):
    russian = Client()
    login(russian, "owner")
    response = russian.post("/path/cycle/", {"cycle_days": "5000"})
    assert response.status_code == 400
    assert "Цикл покупок должен быть от 1 до 3650 дней; получено 5000." in response.content.decode()


def test_the_gap_distribution_is_read_once_until_purchases_change(english_client, login, monkeypatch):
    from romashka.path import cycle_selectors

    cache.clear()  # other tests may have cached this very data
    reads = []
    real = cycle_selectors._purchase_day_columns
    monkeypatch.setattr(cycle_selectors, "_purchase_day_columns", lambda org_id: reads.append(org_id) or real(org_id))
    login(english_client, "owner")
    first, second = english_client.get("/path/cycle/"), english_client.get("/path/cycle/")
    assert first.status_code == second.status_code == 200
    assert first.context["suggestion"] == second.context["suggestion"]
    assert len(reads) == 1
    party = Purchase.objects.order_by("pk").first().party
    Purchase.objects.create(organisation=party.organisation, party=party, occurred_at=timezone.now(),
                            purchased_on=timezone.localdate(), amount="150.00", receipt_ref="cache-test")
    assert english_client.get("/path/cycle/").status_code == 200
    assert len(reads) == 2
