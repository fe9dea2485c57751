"""Writing purchases: one or in bulk, all-or-nothing, idempotent, in the organisation's time zone, in scope."""

from decimal import Decimal

import pytest
from django.test import Client

from romashka.core import access
from romashka.core.access import Capability
from romashka.core.choices import Role
from romashka.path.models import ImportBatch, Purchase


def _item(guest, location_code: str, receipt_ref: str, **extra) -> dict:
    return {
        "customer_external_id": guest.external_id,
        "location_code": location_code,
        "receipt_ref": receipt_ref,
        "occurred_at": "2026-11-20T13:05:00+03:00",
        "amount": "1250.50",
        "source": "pos-test",
        "category": "блины",
        **extra,
    }


@pytest.fixture
def partner_may_write(monkeypatch):
    """A franchise partner's role that may also record purchases and guests: a writer limited to two locations."""
    widened = access.ROLE_CAPABILITIES[Role.FRANCHISE_PARTNER] | {
        Capability.CREATE_PURCHASES,
        Capability.CREATE_CLIENTS,
    }
    monkeypatch.setitem(access.ROLE_CAPABILITIES, Role.FRANCHISE_PARTNER, widened)


def test_one_purchase_is_recorded_on_its_local_day_and_a_repeat_returns_it(api_as, guest_at):
    api = api_as("crm")
    guest = guest_at("MSK-01")
    # 22:30 UTC is already the next day in Moscow.
    item = _item(guest, "MSK-01", "T-1", occurred_at="2026-11-20T22:30:00Z", amount=1250.1)
    response = api.post("/purchases", item)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["purchased_on"] == "2026-11-21"
    assert body["amount"] == "1250.10"
    assert body["party_id"] == guest.pk and body["location_code"] == "MSK-01"
    stored = Purchase.objects.get(pk=body["id"])
    assert stored.amount == Decimal("1250.10") and stored.batch is None

    again = api.post("/purchases", item)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert Purchase.objects.filter(receipt_ref="T-1").count() == 1


def test_a_naive_time_is_read_in_the_organisations_time_zone(api_as, guest_at):
    item = _item(guest_at("MSK-01"), "MSK-01", "T-naive", occurred_at="2026-11-20T23:30:00")
    body = api_as("crm").post("/purchases", item).json()
    assert body["purchased_on"] == "2026-11-20"
    assert body["occurred_at"] == "2026-11-20T20:30:00Z"


def test_amounts_keep_every_kopeck_as_numbers_and_strings(api_as, guest_at):
    api = api_as("crm")
    guest = guest_at("MSK-01")
    big = api.post("/purchases", _item(guest, "MSK-01", "T-big", amount=123456789012.34)).json()
    assert big["amount"] == "123456789012.34"
    refund = api.post("/purchases", _item(guest, "MSK-01", "T-refund", amount="-99.90")).json()
    assert Purchase.objects.get(pk=refund["id"]).amount == Decimal("-99.90")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "1.234"}, "amount"),
        ({"amount": "сто"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"occurred_at": "20.11.2026"}, "occurred_at"),
        ({"receipt_ref": ""}, "receipt_ref"),
        ({"party_id": 1}, "party_id"),  # both a party id and an external id
        ({"customer_external_id": None}, "party_id"),  # neither
        ({"location_id": 1}, "location_id"),
    ],
)
def test_one_malformed_purchase_is_a_422_naming_the_field(api_as, guest_at, assert_error, change, field):
    response = api_as("crm").post("/purchases", {**_item(guest_at("MSK-01"), "MSK-01", "T-bad"), **change})
    assert_error(response, 422, "invalid", fields={field})
    assert not Purchase.objects.filter(receipt_ref="T-bad").exists()


def test_bulk_creates_then_skips_the_same_items(api_as, guest_at, location_id):
    api = api_as("analyst")
    msk, spb = guest_at("MSK-01"), guest_at("SPB-01")
    items = [
        _item(msk, "MSK-01", "B-1"),
        _item(msk, "MSK-02", "B-2", amount=480),
        {
            **_item(spb, "SPB-01", "B-3"),
            "customer_external_id": None,
            "party_id": spb.pk,
            "location_code": None,
            "location_id": location_id("SPB-01"),
        },
    ]
    before = Purchase.objects.count()
    first = api.post("/purchases/bulk", {"items": items})
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 3 and first.json()["skipped"] == 0
    assert Purchase.objects.count() == before + 3
    batch = ImportBatch.objects.get(pk=first.json()["batch_id"])
    assert batch.rows_accepted == 3
    assert set(batch.purchases.values_list("receipt_ref", "amount")) == {
        ("B-1", Decimal("1250.50")),
        ("B-2", Decimal("480.00")),
        ("B-3", Decimal("1250.50")),
    }

    batches = ImportBatch.objects.count()
    second = api.post("/purchases/bulk", {"items": items})
    assert second.json() == {"created": 0, "skipped": 3, "batch_id": None}
    assert Purchase.objects.count() == before + 3
    assert ImportBatch.objects.count() == batches

    listed = api.get("/purchases", party_id=msk.pk, limit=2).json()["items"]
    assert [item["receipt_ref"] for item in listed] == ["B-2", "B-1"]  # the same moment: the later id first


def test_bulk_adds_only_what_is_new_and_counts_repeats_within_a_call(api_as, guest_at):
    api = api_as("crm")
    guest = guest_at("MSK-01")
    api.post("/purchases/bulk", {"items": [_item(guest, "MSK-01", "N-1")]})
    items = [
        _item(guest, "MSK-01", "N-1"),
        _item(guest, "MSK-01", "N-2"),
        _item(guest, "MSK-01", "N-2"),
        _item(guest, "MSK-01", "N-1", source="another-pos"),
    ]
    assert api.post("/purchases/bulk", {"items": items}).json()["created"] == 2
    assert Purchase.objects.filter(receipt_ref__startswith="N-").count() == 3


def test_bulk_is_all_or_nothing_on_a_malformed_item(api_as, guest_at, assert_error):
    guest = guest_at("MSK-01")
    items = [_item(guest, "MSK-01", f"A-{i}") for i in range(4)]
    items[2]["amount"] = "12,50"
    items[3]["occurred_at"] = "yesterday"
    before = (Purchase.objects.count(), ImportBatch.objects.count())
    response = api_as("crm").post("/purchases/bulk", {"items": items})
    error = assert_error(response, 422, "invalid", fields={"items.2.amount", "items.3.occurred_at"})
    assert "items.2.amount" in error["message"]
    assert (Purchase.objects.count(), ImportBatch.objects.count()) == before


def test_bulk_is_all_or_nothing_on_an_item_naming_two_guests(api_as, guest_at, assert_error):
    guest = guest_at("MSK-01")
    items = [_item(guest, "MSK-01", "C-0"), {**_item(guest, "MSK-01", "C-1"), "party_id": guest.pk}]
    assert_error(
        api_as("crm").post("/purchases/bulk", {"items": items}), 422, "invalid", fields={"items.1.party_id"}
    )
    assert not Purchase.objects.filter(receipt_ref__startswith="C-").exists()


def test_bulk_with_an_unknown_location_or_guest_is_a_404_naming_them_and_writes_nothing(
    api_as, guest_at, assert_error
):
    guest = guest_at("MSK-01")
    items = [
        _item(guest, "MSK-01", "U-0"),
        _item(guest, "MSK-99", "U-1"),
        {**_item(guest, "MSK-01", "U-2"), "customer_external_id": "no-such-card"},
    ]
    response = api_as("crm").post("/purchases/bulk", {"items": items})
    assert_error(response, 404, "not_found", fields={"items.1.location_code", "items.2.customer_external_id"})
    assert not Purchase.objects.filter(receipt_ref__startswith="U-").exists()


def test_bulk_needs_at_least_one_item_and_a_list(api_as, assert_error):
    api = api_as("crm")
    assert_error(api.post("/purchases/bulk", {"items": []}), 422, "invalid", fields={"items"})
    assert_error(api.post("/purchases/bulk", {}), 422, "invalid", fields={"items"})
    assert_error(api.post_raw("/purchases/bulk", b'{"items": [}'), 422, "invalid", fields={"body"})


def test_a_role_that_may_not_record_purchases_gets_403_and_nothing_is_written(api_as, guest_at, assert_error):
    guest = guest_at("MSK-03")
    response = api_as("partner").post("/purchases/bulk", {"items": [_item(guest, "MSK-03", "P-1")]})
    assert_error(response, 403, "forbidden")
    assert_error(api_as("partner").post("/purchases", _item(guest, "MSK-03", "P-1")), 403, "forbidden")
    assert not Purchase.objects.filter(receipt_ref="P-1").exists()


def test_a_scoped_writer_cannot_record_at_or_for_others_locations(
    partner_may_write, api_as, guest_at, location_id, assert_error
):
    api = api_as("partner")
    own, others = guest_at("MSK-03"), guest_at("MSK-01")
    assert_error(
        api.post("/purchases/bulk", {"items": [_item(own, "MSK-01", "S-1")]}),
        404,
        "not_found",
        fields={"items.0.location_code"},
    )
    assert_error(
        api.post("/purchases/bulk", {"items": [_item(others, "MSK-03", "S-2")]}),
        404,
        "not_found",
        fields={"items.0.customer_external_id"},
    )
    assert_error(
        api.post(
            "/purchases",
            {**_item(own, "MSK-03", "S-3"), "location_code": None, "location_id": location_id("SPB-03")},
        ),
        404,
        "not_found",
        fields={"location_id"},
    )
    assert_error(
        api.post("/parties", {"name": "Чужой", "home_location_id": location_id("MSK-01")}),
        404,
        "not_found",
        fields={"home_location_id"},
    )
    assert not Purchase.objects.filter(receipt_ref__startswith="S-").exists()

    done = api.post("/purchases/bulk", {"items": [_item(own, "MSK-03", "S-4"), _item(own, "MSK-04", "S-5")]})
    assert done.json()["created"] == 2
    assert (
        api.post("/parties", {"name": "Свой", "home_location_id": location_id("MSK-04")}).status_code == 201
    )


def test_a_token_needs_no_csrf_token_to_write(token_of, api_with, guest_at):
    api = api_with(token_of("crm"), client=Client(enforce_csrf_checks=True))
    response = api.post("/purchases/bulk", {"items": [_item(guest_at("MSK-01"), "MSK-01", "X-1")]})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 1


def test_a_body_over_the_upload_limit_is_a_413_in_the_standard_shape(
    api_as, guest_at, assert_error, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    items = [_item(guest_at("MSK-01"), "MSK-01", f"L-{i}") for i in range(20)]
    error = assert_error(api_as("crm").post("/purchases/bulk", {"items": items}), 413, "too_large")
    assert "fewer items" in error["message"]
    assert not Purchase.objects.filter(receipt_ref__startswith="L-").exists()
