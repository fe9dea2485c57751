"""Profit where costs are known (category costs per network and location, coverage, the settings page and its
errors) on hand-built purchases with values worked out by hand; not-our clients are never prospects (targets)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from romashka.core.services import user_create
from romashka.discovery.models import CategoryCost, ClientFigures
from romashka.discovery.selectors import segment_table
from romashka.discovery.services import (
    ConditionSpec,
    SegmentSpec,
    category_cost_delete,
    category_cost_set,
    client_figures_refresh,
    not_ours_mark,
    segment_create,
)
from romashka.path.models import StatusSnapshot, TargetProfile
from romashka.path.services import status_refresh, today_of

from .builders import (
    AS_OF,
    guest_create,
    location_create,
    organisation_create,
    purchases_create,
    snapshot_create,
)

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 1)


@pytest.fixture
def shop():
    org = organisation_create()
    owner = user_create(organisation=org, username="o1", password="x-Passw0rd!", role="owner")
    centre, north = location_create(org, "C-1"), location_create(org, "N-1")
    anna = guest_create(org, "Анна", city="Москва", home_location=centre)
    vera = guest_create(org, "Вера", city="Москва", home_location=centre)
    boris = guest_create(org, "Борис", city="Казань", home_location=north)
    # Анна: pancakes 1000 and a refund of 200 at the centre, drinks 500 → revenue 1300.
    purchases_create(anna, [(DAY, "1000"), (DAY, "-200")], category="блины", location=centre)
    purchases_create(anna, [(DAY, "500")], category="напитки", location=centre)
    # Вера: pancakes 1000 at the north location, desserts 1000 (no cost) → revenue 2000.
    purchases_create(vera, [(DAY, "1000")], category="блины", location=north)
    purchases_create(vera, [(DAY, "1000")], category="десерты", location=centre)
    # Борис: desserts only, and a receipt without a category.
    purchases_create(boris, [(DAY, "300")], category="десерты", location=north)
    purchases_create(boris, [(DAY, "200")], location=north)
    for party, monetary in ((anna, "1300"), (vera, "2000"), (boris, "500")):
        snapshot_create(party, status="novice", purchase_days=1, monetary=monetary, last_purchase=DAY)
    moscow = segment_create(
        organisation=org, spec=SegmentSpec(name="Москва", conditions=[ConditionSpec("city", ["Москва"])])
    )
    kazan = segment_create(
        organisation=org, spec=SegmentSpec(name="Казань", conditions=[ConditionSpec("city", ["Казань"])])
    )
    return org, owner, {"centre": centre, "north": north}, moscow, kazan


def _by_name(owner):
    return {r.segment.name if r.segment else None: r for r in segment_table(user=owner)}


def test_without_costs_there_is_no_profit(shop):
    _org, owner, _locations, _moscow, _kazan = shop
    assert {name: (r.profit, r.profit_coverage) for name, r in _by_name(owner).items()} == {
        None: (None, None),
        "Москва": (None, None),
        "Казань": (None, None),
    }


def test_profit_counts_the_purchases_whose_category_has_a_cost(shop):
    _org, owner, locations, _moscow, _kazan = shop
    category_cost_set(user=owner, category="блины", location_id=None, cost_percent="30")
    category_cost_set(user=owner, category="блины", location_id=locations["north"].pk, cost_percent="40")
    category_cost_set(user=owner, category="напитки", location_id=None, cost_percent="20,5")
    rows = _by_name(owner)
    # Анна: (1000 − 200) × 30% = 240 and 500 × 20.5% = 102.50 → cost 342.50 on 1300, profit 957.50.
    # Вера: 1000 × 40% (the north's own share) = 400 on 1000; her desserts have no cost → profit 600.
    # Москва: profit 1557.50 on 2300 of 3300 ₽ of revenue.
    assert rows["Москва"].profit == Decimal("1557.50")
    assert rows["Москва"].profit_coverage == pytest.approx(2300 / 3300)
    # Борис bought nothing with a cost: no profit, not a profit of zero.
    assert (rows["Казань"].profit, rows["Казань"].profit_coverage) == (None, None)
    assert rows[None].profit == Decimal("1557.50")
    assert rows[None].profit_coverage == pytest.approx(2300 / 3800)
    # Every category with a cost: all of Москва's revenue is covered.
    category_cost_set(user=owner, category="десерты", location_id=None, cost_percent="25")
    rows = _by_name(owner)
    # Вера's desserts: 1000 × 25% = 250 → Москва's profit 1557.50 + 750 = 2307.50 on all 3300.
    assert (rows["Москва"].profit, rows["Москва"].profit_coverage) == (Decimal("2307.50"), 1.0)
    # Борис: 300 × 25% = 75 → profit 225 on 300 of his 500 (200 ₽ without a category).
    assert rows["Казань"].profit == Decimal("225.00")
    assert rows["Казань"].profit_coverage == pytest.approx(0.6)


def test_removing_a_cost_counts_profit_again(shop):
    org, owner, _locations, _moscow, _kazan = shop
    cost = category_cost_set(user=owner, category="десерты", location_id=None, cost_percent="25")
    assert _by_name(owner)["Казань"].profit == Decimal("225.00")
    category_cost_delete(user=owner, cost_id=cost.pk)
    assert _by_name(owner)["Казань"].profit is None
    assert not ClientFigures.objects.filter(organisation=org, costed_revenue__isnull=False).exists()


@pytest.mark.parametrize(
    ("category", "percent", "field"),
    [
        ("", "30", "category"),
        ("блины", "", "cost_percent"),
        ("блины", "тридцать", "cost_percent"),
        ("блины", "101", "cost_percent"),
        ("блины", "-1", "cost_percent"),
        ("блины", "30.125", "cost_percent"),
    ],
)
def test_wrong_costs_are_refused_with_the_field_named(shop, category, percent, field):
    org, owner, _locations, _moscow, _kazan = shop
    with pytest.raises(ValidationError) as error:
        category_cost_set(user=owner, category=category, location_id=None, cost_percent=percent)
    assert field in error.value.message_dict
    assert not CategoryCost.objects.filter(organisation=org).exists()


def test_another_organisations_location_is_refused(shop):
    _org, owner, _locations, _moscow, _kazan = shop
    elsewhere = location_create(organisation_create("Другая"), "X-1")
    with pytest.raises(ValidationError) as error:
        category_cost_set(user=owner, category="блины", location_id=elsewhere.pk, cost_percent="30")
    assert "location" in error.value.message_dict


def test_the_costs_page_sets_costs_and_shows_errors_in_russian(shop, client):
    org, owner, locations, _moscow, _kazan = shop
    client.force_login(owner)
    response = client.post(
        "/segments/costs/",
        {"category": "блины", "location": "", "cost_percent": "150"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    text = response.content.decode()
    assert response.status_code == 200 and 'data-testid="cost-error-cost_percent"' in text
    assert "от 0 до 100" in text
    response = client.post(
        "/segments/costs/",
        {"category": "блины", "location": str(locations["centre"].pk), "cost_percent": "30"},
    )
    assert response.status_code == 302
    assert CategoryCost.objects.get(organisation=org).location == locations["centre"]
    assert "C-1" in client.get("/segments/costs/").content.decode()
    table = client.get("/segments/").content.decode()
    assert 'data-testid="segment-profit"' in table


def test_only_who_manages_settings_sets_costs(shop, client):
    org, _owner, _locations, _moscow, _kazan = shop
    crm = user_create(organisation=org, username="crm1", password="x-Passw0rd!", role="crm_manager")
    client.force_login(crm)
    assert client.get("/segments/costs/").status_code == 403
    assert client.post("/segments/costs/", {"category": "блины", "cost_percent": "30"}).status_code == 403
    assert not CategoryCost.objects.filter(organisation=org).exists()


def test_retention_flags_follow_the_last_two_cycles(shop):
    org, owner, _locations, _moscow, _kazan = shop
    org.default_cycle_days = 30
    org.save()
    anna = StatusSnapshot.objects.get(party__name="Анна").party
    vera = StatusSnapshot.objects.get(party__name="Вера").party
    purchases_create(anna, [(date(2026, 5, 31), "100")], category="блины")  # the cycle before's last day
    purchases_create(vera, [(date(2026, 5, 10), "-50")], category="блины")  # a refund buys nothing
    purchases_create(vera, [(date(2026, 7, 1), "100")], category="блины")  # after the refresh's day
    client_figures_refresh(organisation_id=org.pk, as_of=AS_OF)
    # Cycles to 30 June: the last is (31 May, 30 June], the one before (1 May, 31 May]; 1 June is in the last.
    flags = {
        f.party.name: (f.bought_cycle_before, f.bought_last_cycle)
        for f in ClientFigures.objects.filter(organisation=org).select_related("party")
    }
    assert flags == {"Анна": (True, True), "Вера": (False, True), "Борис": (False, True)}
    assert _by_name(owner)[None].retention == 1.0


def test_not_our_clients_are_never_prospects(shop):
    org, owner, _locations, _moscow, _kazan = shop
    TargetProfile.objects.create(organisation=org, name="Сочи", cities="Сочи", is_active=True)
    wanted = guest_create(org, "Желанный", city="Сочи")
    marked = guest_create(org, "Конкурент", city="Сочи")
    by_segment = guest_create(org, "Оптовик", city="Сочи", acquisition_channel="опт")
    not_ours_mark(organisation=org, party=marked, reason="competitor", user=owner)
    wholesale = segment_create(
        organisation=org,
        spec=SegmentSpec(
            name="Опт",
            conditions=[ConditionSpec("acquisition_channel", ["опт"]), ConditionSpec("city", ["Сочи"])],
        ),
    )
    not_ours_mark(organisation=org, segment=wholesale, reason="unprofitable", user=owner)
    status_refresh(organisation=org, as_of=today_of(org))  # the guests are recorded today
    statuses = dict(
        StatusSnapshot.objects.filter(party__in=[wanted, marked, by_segment]).values_list(
            "party__name", "status"
        )
    )
    assert statuses == {"Желанный": "prospect", "Конкурент": "lead", "Оптовик": "lead"}


def test_the_api_gives_profit_and_its_coverage(shop, client):
    _org, owner, _locations, _moscow, _kazan = shop
    from romashka.core.services import api_token_create

    category_cost_set(user=owner, category="блины", location_id=None, cost_percent="30")
    headers = {"Authorization": f"Bearer {api_token_create(user=owner, name='tests')[1]}"}
    rows = {row["name"]: row for row in client.get("/api/segments/figures", headers=headers).json()}
    # Блины only: Анна 800 × 30% = 240, Вера 1000 × 30% = 300 → profit 1260 on 1800 of Москва's 3300.
    assert Decimal(str(rows["Москва"]["profit"])) == Decimal("1260.00")
    assert rows["Москва"]["profit_coverage"] == pytest.approx(1800 / 3300)
    assert rows["Казань"]["profit"] is None and rows["Казань"]["profit_coverage"] is None


def test_not_our_clients_are_no_fans_at_risk_to_win_back(shop):
    org, owner, _locations, _moscow, _kazan = shop
    from romashka.planning.models import ClvPrediction
    from romashka.planning.selectors import at_risk_clients

    anna, vera = (StatusSnapshot.objects.get(party__name=name) for name in ("Анна", "Вера"))
    StatusSnapshot.objects.filter(pk__in=[anna.pk, vera.pk]).update(status="fan")
    for snapshot in (anna, vera):
        ClvPrediction.objects.create(
            organisation=org,
            party=snapshot.party,
            as_of=AS_OF,
            p_alive=0.1,
            expected_purchases=0.5,
            expected_spend=Decimal("500"),
            clv=Decimal("250"),
        )
    assert {p.party.name for p in at_risk_clients(user=owner)} == {"Анна", "Вера"}
    not_ours_mark(organisation=org, party=vera.party, reason="asked", user=owner)
    assert {p.party.name for p in at_risk_clients(user=owner)} == {"Анна"}
