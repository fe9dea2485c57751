"""Parties: guests by default, filtered and searched, scoped, with contacts masked for roles that may not see them."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from romashka.core.models import Channel, Party


def _phone_of(party: Party) -> Channel:
    return party.channels.get(kind="phone")


def _guest_with_phone_and_card(location_code: str) -> Party:
    return (
        Party.objects.filter(home_location__code=location_code, roles__kind="guest", channels__kind="phone")
        .exclude(external_id__startswith="+")
        .order_by("id")
        .first()
    )


def test_guests_are_listed_by_name_with_their_kinds_and_home(api_as):
    body = api_as("owner").get("/parties", limit=20).json()
    assert body["count"] == Party.objects.filter(roles__kind="guest").count()
    names = [item["name"] for item in body["items"]]
    assert names == sorted(names)
    assert all(item["kinds"] == ["guest"] for item in body["items"])
    assert all(item["home_location"]["code"] for item in body["items"])


def test_guests_filtered_by_home_location(api_as, location_id):
    body = api_as("owner").get("/parties", location_id=location_id("KZN-01"), limit=500).json()
    assert (
        body["count"] == Party.objects.filter(roles__kind="guest", home_location__code="KZN-01").count() > 0
    )
    assert {item["home_location"]["code"] for item in body["items"]} == {"KZN-01"}


def test_search_by_name_external_id_and_phone_in_any_spelling(api_as):
    api = api_as("crm")
    guest = _guest_with_phone_and_card("MSK-01")
    by_card = api.get("/parties", q=guest.external_id).json()
    assert [item["id"] for item in by_card["items"]] == [guest.pk]
    digits = _phone_of(guest).normalized[2:]  # +7XXXXXXXXXX → XXXXXXXXXX
    spelled = f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    assert [item["id"] for item in api.get("/parties", q=spelled).json()["items"]] == [guest.pk]
    by_name = api.get("/parties", q=guest.name, limit=500).json()
    assert guest.pk in {item["id"] for item in by_name["items"]}
    assert all(guest.name in item["name"] for item in by_name["items"])


def test_one_guest_with_channels_shown_in_full_to_a_crm_manager(api_as):
    guest = _guest_with_phone_and_card("MSK-01")
    body = api_as("crm").get(f"/parties/{guest.pk}").json()
    phone = next(channel for channel in body["channels"] if channel["kind"] == "phone")
    assert phone["value"] == _phone_of(guest).value
    assert phone["masked"] is False


def test_an_analyst_sees_phones_and_phone_like_external_ids_masked(api_as):
    api = api_as("analyst")
    guest = _guest_with_phone_and_card("MSK-01")
    normalized = _phone_of(guest).normalized
    body = api.get(f"/parties/{guest.pk}").json()
    phone = next(channel for channel in body["channels"] if channel["kind"] == "phone")
    assert phone["masked"] is True
    assert phone["value"] != normalized
    assert phone["value"].endswith(normalized[-2:])
    assert body["external_id"] == guest.external_id  # a card number is not a contact
    known_by_phone = Party.objects.filter(roles__kind="guest", external_id__startswith="+7").first()
    masked = api.get(f"/parties/{known_by_phone.pk}").json()["external_id"]
    assert masked != known_by_phone.external_id
    assert known_by_phone.external_id[2:-2] not in masked
    # Searching by the phone must not confirm whose number it is; the name still finds the client, masked.
    assert api.get("/parties", q=known_by_phone.external_id).json()["count"] == 0
    listed = api.get("/parties", q=known_by_phone.name, limit=500).json()["items"]
    assert masked in [item["external_id"] for item in listed]
    assert known_by_phone.external_id not in [item["external_id"] for item in listed]


def test_a_partner_sees_only_guests_of_its_locations(api_as):
    body = api_as("partner").get("/parties", limit=500).json()
    expected = Party.objects.filter(roles__kind="guest", home_location__code__in=["MSK-03", "MSK-04"]).count()
    assert body["count"] == expected > 0
    assert {item["home_location"]["code"] for item in body["items"]} <= {"MSK-03", "MSK-04"}


def test_a_partner_gets_404_for_a_client_outside_its_scope(api_as, guest_at, assert_error):
    api = api_as("partner")
    assert api.get(f"/parties/{guest_at('MSK-03').pk}").status_code == 200
    for code in ("MSK-01", "SPB-03"):
        assert_error(api.get(f"/parties/{guest_at(code).pk}"), 404, "not_found")
    assert_error(api.get("/parties", location_id=guest_at("MSK-01").home_location_id), 404, "not_found")


def test_other_kinds_follow_their_own_rules(api_as, assert_error):
    staff = api_as("partner").get("/parties", kind="employee", limit=500).json()
    assert staff["count"] > 0
    assert {item["home_location"]["code"] for item in staff["items"]} <= {"MSK-03", "MSK-04"}
    assert all("employee" in item["kinds"] for item in staff["items"])
    # Suppliers are the partners page's business, which a franchise partner's role does not include.
    assert_error(api_as("partner").get("/parties", kind="supplier"), 403, "forbidden")
    suppliers = api_as("crm").get("/parties", kind="supplier").json()
    assert suppliers["count"] > 0
    supplier = suppliers["items"][0]
    assert api_as("crm").get(f"/parties/{supplier['id']}", kind="supplier").json()["name"] == supplier["name"]
    assert_error(api_as("crm").get(f"/parties/{supplier['id']}"), 404, "not_found")  # not a guest
    assert_error(api_as("crm").get("/parties", kind="alien"), 422, "invalid", fields={"kind"})


def test_the_party_list_costs_the_same_queries_for_one_row_or_five_hundred(
    api_as, django_assert_max_num_queries
):
    api = api_as("partner")
    api.get("/parties")  # the token's first use is stamped once
    with CaptureQueriesContext(connection) as one:
        api.get("/parties", limit=1, q="ов")
    with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as many:
        response = api.get("/parties", limit=500, q="ов")
    assert len(response.json()["items"]) > 50
    assert len(one) == len(many)


def test_create_a_guest_with_phone_email_and_consent(api_as, location_id):
    api = api_as("crm")
    response = api.post(
        "/parties",
        {
            "name": "Тестова Мария",
            "external_id": "0099887766",
            "home_location_id": location_id("SPB-01"),
            "phone": "8 (921) 555-44-33",
            "email": "Maria@Example.RU",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kinds"] == ["guest"]
    assert body["home_location"]["code"] == "SPB-01"
    channels = {channel["kind"]: channel for channel in body["channels"]}
    assert channels["phone"]["value"] == "8 (921) 555-44-33" and channels["phone"]["has_consent"]
    assert channels["phone"]["is_primary"] and not channels["email"]["is_primary"]
    stored = Party.objects.get(pk=body["id"])
    assert set(stored.channels.values_list("normalized", flat=True)) == {"+79215554433", "maria@example.ru"}
    found = api.get("/parties", q="+7 921 555 44 33").json()["items"]
    assert [item["id"] for item in found] == [body["id"]]


def test_a_duplicate_external_id_is_a_409_and_writes_nothing(api_as, guest_at, location_id, assert_error):
    taken = guest_at("MSK-01").external_id
    before = Party.objects.count()
    response = api_as("crm").post(
        "/parties", {"name": "Двойник", "external_id": taken, "home_location_id": location_id("MSK-01")}
    )
    error = assert_error(response, 409, "conflict", fields={"external_id"})
    assert taken in error["message"]
    assert Party.objects.count() == before


def test_a_malformed_guest_is_a_422_naming_each_field(api_as, location_id, assert_error):
    api = api_as("crm")
    assert_error(
        api.post("/parties", {"external_id": "1"}), 422, "invalid", fields={"name", "home_location_id"}
    )
    assert_error(
        api.post("/parties", {"name": "Кто-то", "home_location_id": "здесь"}),
        422,
        "invalid",
        fields={"home_location_id"},
    )
    bad_contacts = {
        "name": "Кто-то",
        "home_location_id": location_id("MSK-01"),
        "phone": "12",
        "email": "nope",
    }
    assert_error(api.post("/parties", bad_contacts), 422, "invalid", fields={"phone", "email"})
    assert not Party.objects.filter(name="Кто-то").exists()


def test_a_malformed_json_body_is_a_422_naming_the_body(api_as, assert_error):
    error = assert_error(api_as("crm").post_raw("/parties", '{"name": "Незакрытая'), 422, "invalid", fields={"body"})
    assert "JSON" in error["message"]


def test_creating_guests_needs_the_right(api_as, location_id, assert_error):
    response = api_as("partner").post(
        "/parties", {"name": "Гость", "home_location_id": location_id("MSK-03")}
    )
    assert_error(response, 403, "forbidden")
