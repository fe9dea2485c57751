"""Locations: the list is paginated and scoped; another's location is a 404, as on pages."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def test_the_owner_lists_every_location_page_by_page(api_as):
    api = api_as("owner")
    first = api.get("/locations", limit=5).json()
    assert first["count"] == 12
    assert len(first["items"]) == 5
    rest = (
        api.get("/locations", limit=5, offset=5).json()["items"]
        + api.get("/locations", limit=5, offset=10).json()["items"]
    )
    codes = [item["code"] for item in first["items"] + rest]
    assert len(codes) == len(set(codes)) == 12
    assert {"MSK-01", "SPB-03", "EKB-03"} <= set(codes)


def test_a_franchise_partner_sees_only_its_own_locations(api_as):
    body = api_as("partner").get("/locations").json()
    assert body["count"] == 2
    assert sorted(item["code"] for item in body["items"]) == ["MSK-03", "MSK-04"]
    assert {item["partner"]["name"] for item in body["items"]} == {"ООО «Блинный дом»"}


def test_one_location_with_its_partner(api_as, location_id):
    body = api_as("partner").get(f"/locations/{location_id('MSK-03')}").json()
    assert body["code"] == "MSK-03"
    assert body["ownership"] == "franchise"
    assert body["partner"]["name"] == "ООО «Блинный дом»"


def test_a_partner_gets_404_for_another_partners_and_the_own_networks_locations(
    api_as, location_id, assert_error
):
    api = api_as("partner")
    for code in ("SPB-03", "MSK-01"):
        assert_error(api.get(f"/locations/{location_id(code)}"), 404, "not_found")
    # The same answer as for an id that does not exist at all, so ids of others are not confirmed.
    assert_error(api.get("/locations/999999"), 404, "not_found")


def test_pagination_limits_are_enforced_with_the_field_named(api_as, assert_error):
    api = api_as("owner")
    assert_error(api.get("/locations", limit=501), 422, "invalid", fields={"limit"})
    assert_error(api.get("/locations", limit=0), 422, "invalid", fields={"limit"})
    assert_error(api.get("/locations", offset=-1), 422, "invalid", fields={"offset"})
    assert api.get("/locations", limit=500).status_code == 200


def test_a_path_id_that_is_not_a_number_is_a_422_naming_it(api_as, assert_error):
    assert_error(api_as("owner").get("/locations/abc"), 422, "invalid", fields={"location_id"})


def test_the_location_list_costs_the_same_queries_for_one_row_or_all(api_as, django_assert_max_num_queries):
    api = api_as("partner")
    api.get("/locations")  # the token's first use is stamped once; later requests do not write
    with CaptureQueriesContext(connection) as one:
        api.get("/locations", limit=1)
    with django_assert_max_num_queries(6), CaptureQueriesContext(connection) as many:
        api.get("/locations", limit=500)
    assert len(one) == len(many)
