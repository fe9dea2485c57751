"""The chamomile API through HTTP with tokens: figures and health, targets, supplier turnover, investors, community,
the partner's cabinet; scoping (a partner never gets another partner's named figures)."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from romashka.chamomile import selectors
from romashka.chamomile.models import SupplierOrder
from romashka.core.access import scope_for
from romashka.core.choices import PartyKind
from romashka.core.models import Membership, Party
from romashka.core.services import api_token_create

pytestmark = pytest.mark.usefixtures("demo_network", "db")


class Api:
    def __init__(self, username: str):
        self.client = Client()
        user = get_user_model().objects.get(username=username)
        self.headers = {"Authorization": f"Bearer {api_token_create(user=user, name='tests')[1]}"}

    def get(self, path: str, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def put(self, path: str, body):
        return self.client.put(f"/api{path}", json.dumps(body), content_type="application/json", headers=self.headers)


def test_the_chamomile_gives_every_petal_with_definitions_and_honest_gaps(delivery_quality_without_data):
    body = Api("owner").get("/chamomile", month="2026-11").json()
    assert body["month"] == "2026-11"
    petals = {p["petal"]: p for p in body["petals"]}
    assert set(petals) == {"guests", "employees", "franchise", "suppliers", "investors", "community"}
    figures = {f["key"]: f for p in body["petals"] for f in p["figures"]}
    assert figures["delivery_quality"]["has_data"] is False and figures["delivery_quality"]["value"] is None
    assert figures["delivery_quality"]["health"] == "no_data"
    assert figures["royalties_on_time"]["has_data"] is True and Decimal(figures["royalties_on_time"]["value"]) > 0
    assert Decimal(figures["active_clients"]["value"]) > 0 and figures["active_clients"]["definition"]


def test_the_api_figures_equal_the_selectors():
    owner = get_user_model().objects.get(username="owner")
    body = Api("owner").get("/chamomile", month="2026-11").json()
    figures = {f["key"]: f for p in body["petals"] for f in p["figures"]}
    expected = selectors.supplier_volume(selectors.FigureContext(scope_for(owner), date(2026, 11, 30)))
    assert Decimal(figures["supplier_volume"]["value"]) == expected
    total = sum(o.amount for o in SupplierOrder.objects.filter(ordered_on__gt=date(2025, 11, 30),
                                                              ordered_on__lte=date(2026, 11, 30)))
    assert expected == total


def test_the_owner_sets_targets_and_the_health_follows(delivery_quality_without_data):
    api = Api("owner")
    response = api.put("/chamomile/targets", {"month": "2026-11", "values": {"active_clients": "1000000"}})
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["targets"]["active_clients"]) == Decimal(1000000)
    petals = {p["petal"]: p for p in api.get("/chamomile", month="2026-11").json()["petals"]}
    assert petals["guests"]["health"] == "behind"
    assert "active_clients" in api.get("/chamomile/summary", month="2026-11", months=1).json()[0]["behind"]
    bad = api.put("/chamomile/targets", {"month": "2026-11", "values": {"delivery_quality": "50"}})
    assert bad.status_code == 422  # no data yet: no target


def test_a_partner_cannot_set_targets_nor_see_investors_nor_every_partner():
    api = Api("partner")
    assert api.put("/chamomile/targets", {"month": "2026-11", "values": {"active_clients": "1"}}).status_code == 403
    assert api.get("/investors/returns").status_code == 403
    assert api.get("/franchise/partners").status_code == 403


def test_the_partners_cabinet_is_its_own_with_network_medians_only():
    membership = Membership.objects.get(user__username="partner")
    others = Party.objects.filter(roles__kind=PartyKind.FRANCHISE_PARTNER).exclude(pk=membership.partner_id)
    api = Api("partner")
    response = api.get("/franchise/cabinet")
    assert response.status_code == 200
    body = response.json()
    assert body["partner_id"] == membership.partner_id and body["partners_in_network"] == others.count() + 1
    text = response.content.decode()
    for other in others:
        assert other.name not in text
        assert api.get("/franchise/cabinet", partner_id=other.pk).status_code == 404
    chamomile = api.get("/chamomile").content.decode()
    assert "investors" not in json.loads(chamomile)["petals"].__repr__()
    for other in others:
        assert other.name not in chamomile


def test_the_partners_supplier_turnover_is_its_locations_orders():
    membership = Membership.objects.get(user__username="partner")
    body = Api("partner").get("/suppliers/turnover").json()
    start, end = selectors.year_window(timezone.localdate())
    window = SupplierOrder.objects.filter(ordered_on__gte=start, ordered_on__lte=end)
    own_total = sum(o.amount for o in window.filter(location__partner_id=membership.partner_id))
    api_total = sum(Decimal(s["volume"]) for s in body)
    assert 0 < api_total == own_total < sum(o.amount for o in window)


def test_supplier_report_investors_and_community():
    api = Api("owner")
    supplier = Party.objects.filter(roles__kind=PartyKind.SUPPLIER).first()
    report = api.get(f"/suppliers/{supplier.pk}/turnover").json()
    year_2025 = next(y for y in report["years"] if y["year"] == 2025)
    expected = sum(o.amount for o in SupplierOrder.objects.filter(supplier=supplier, ordered_on__year=2025))
    assert Decimal(year_2025["total"]) == expected
    assert sum(Decimal(v) for v in year_2025["months"].values()) == expected
    assert api.get("/suppliers/999999/turnover").status_code == 404
    returns = api.get("/investors/returns").json()
    assert len(returns["investors"]) == 3 and returns["overall"]["investor_id"] is None
    assert Decimal(returns["overall"]["invested"]) == sum(Decimal(r["invested"]) for r in returns["investors"])
    initiatives = api.get("/community/initiatives", limit=5).json()
    assert initiatives["count"] == 15 and len(initiatives["items"]) == 5
    yearly = api.get("/community/yearly").json()
    assert sum(y["held"] for y in yearly) == 15
    assert len(api.get("/chamomile/figures").json()) == 21


@pytest.mark.parametrize("username", ["owner", "partner"])
def test_both_ways_of_counting_statuses_agree_on_the_demo(username):
    scope = scope_for(get_user_model().objects.get(username=username))
    for day in (date(2024, 6, 30), date(2025, 12, 31), date(2026, 10, 31), date(2026, 11, 30)):
        by_moves = selectors.guest_status_counts_by_moves(scope, day)
        assert by_moves == selectors.guest_status_counts_by_last_event(scope, day), day
    assert sum(by_moves.values()) > 0


@pytest.mark.parametrize("petal", ["guests", "employees", "franchise", "suppliers", "investors", "community"])
def test_every_petals_table_through_the_api_equals_its_export(petal, client, login):
    body = Api("owner").get(f"/chamomile/{petal}/table", month="2026-11").json()
    assert body["petal"] == petal and body["rows"]
    login(client, "owner")
    export = b"".join(client.get(f"/chamomile/{petal}/export.csv?month=2026-11").streaming_content)
    lines = export.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(body["rows"]) and lines[0].split(";")[0] == body["columns"][0]


def test_a_partners_tables_through_the_api_are_its_own():
    from romashka.core.models import Location

    api = Api("partner")
    assert api.get("/chamomile/franchise/table").status_code == 403
    assert api.get("/chamomile/investors/table").status_code == 403
    assert api.get("/chamomile/nonsense/table").status_code == 404
    own = Membership.objects.get(user__username="partner").partner
    rows = api.get("/chamomile/employees/table").json()["rows"]
    assert {row[0] for row in rows} <= set(Location.objects.filter(partner=own).values_list("name", flat=True))
    statuses = dict(api.get("/chamomile/guests/table", month="2026-11").json()["rows"])
    scope = scope_for(get_user_model().objects.get(username="partner"))
    assert statuses == selectors.guest_status_counts(scope, date(2026, 11, 30))
