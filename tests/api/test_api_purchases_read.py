"""Reading purchases: newest first, filtered, paginated, scoped to the caller's locations."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from romashka.path.models import Purchase


def test_the_owner_sees_every_purchase_newest_first(api_as):
    body = api_as("owner").get("/purchases", limit=200).json()
    assert body["count"] == Purchase.objects.count() > 1000
    moments = [item["occurred_at"] for item in body["items"]]
    assert moments == sorted(moments, reverse=True)
    newest = Purchase.objects.order_by("-occurred_at", "-id").first()
    assert body["items"][0]["id"] == newest.pk


def test_amounts_are_decimal_strings_with_kopecks(api_as):
    items = api_as("owner").get("/purchases", limit=500).json()["items"]
    stored = dict(Purchase.objects.filter(pk__in=[item["id"] for item in items]).values_list("pk", "amount"))
    for item in items:
        assert isinstance(item["amount"], str)
        assert item["amount"] == f"{stored[item['id']]:.2f}"
        assert Decimal(item["amount"]) == stored[item["id"]]


def test_pages_do_not_overlap(api_as):
    api = api_as("owner")
    first = [item["id"] for item in api.get("/purchases", limit=100).json()["items"]]
    second = [item["id"] for item in api.get("/purchases", limit=100, offset=100).json()["items"]]
    both = [item["id"] for item in api.get("/purchases", limit=200).json()["items"]]
    assert first + second == both


def test_filters_by_party_location_and_purchase_days(api_as, guest_at, location_id):
    api = api_as("crm")
    guest = guest_at("KZN-01")
    mine = api.get("/purchases", party_id=guest.pk, limit=500).json()
    assert mine["count"] == Purchase.objects.filter(party=guest).count() > 0
    assert {item["party_id"] for item in mine["items"]} == {guest.pk}

    at = api.get("/purchases", location_id=location_id("SPB-02"), limit=500).json()
    assert at["count"] == Purchase.objects.filter(location__code="SPB-02").count()
    assert {item["location_code"] for item in at["items"]} == {"SPB-02"}

    days = api.get("/purchases", date_from="2026-11-01", date_to="2026-11-07", limit=500).json()
    assert (
        days["count"]
        == Purchase.objects.filter(
            purchased_on__gte=date(2026, 11, 1), purchased_on__lte=date(2026, 11, 7)
        ).count()
        > 0
    )
    assert all("2026-11-01" <= item["purchased_on"] <= "2026-11-07" for item in days["items"])


def test_a_date_that_is_not_a_date_is_a_422_naming_it(api_as, assert_error):
    assert_error(api_as("crm").get("/purchases", date_from="1 ноября"), 422, "invalid", fields={"date_from"})


def test_a_partner_sees_purchases_of_its_own_locations_only(api_as):
    body = api_as("partner").get("/purchases", limit=500).json()
    assert body["count"] == Purchase.objects.filter(location__code__in=["MSK-03", "MSK-04"]).count() > 0
    assert {item["location_code"] for item in body["items"]} == {"MSK-03", "MSK-04"}


def test_a_partner_filtering_by_anothers_location_or_client_gets_404(
    api_as, guest_at, location_id, assert_error
):
    api = api_as("partner")
    assert_error(api.get("/purchases", location_id=location_id("MSK-01")), 404, "not_found")
    assert_error(api.get("/purchases", party_id=guest_at("SPB-03").pk), 404, "not_found")
    own = api.get("/purchases", location_id=location_id("MSK-04"), limit=500).json()
    assert {item["location_code"] for item in own["items"]} == {"MSK-04"}


def test_the_purchase_list_costs_the_same_queries_for_one_row_or_five_hundred(
    api_as, location_id, django_assert_max_num_queries
):
    api = api_as("partner")
    api.get("/purchases")  # the token's first use is stamped once
    params = {"location_id": location_id("MSK-03"), "date_from": "2025-01-01"}
    with CaptureQueriesContext(connection) as one:
        api.get("/purchases", limit=1, **params)
    with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as many:
        response = api.get("/purchases", limit=500, **params)
    assert len(response.json()["items"]) == 500
    assert len(one) == len(many)
