"""The statuses API through HTTP: counts at a date, transitions, one client's history, refresh; errors and scoping."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from romashka.core.models import Membership
from romashka.core.services import api_token_create
from romashka.path import selectors
from romashka.path.models import StatusEvent, StatusSnapshot

pytestmark = pytest.mark.usefixtures("demo_network", "db")
STATUSES = ["prospect", "lead", "novice", "fan", "dormant", "lost"]


class Api:
    def __init__(self, username: str | None):
        self.client = Client()
        self.headers = {}
        if username:
            user = get_user_model().objects.get(username=username)
            self.headers = {"Authorization": f"Bearer {api_token_create(user=user, name='tests')[1]}"}

    def get(self, path: str, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path: str, body):
        return self.client.post(f"/api{path}", json.dumps(body), content_type="application/json", headers=self.headers)


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"], body
    return body["error"]


def _other_partners_client() -> int:
    membership = Membership.objects.get(user__username="partner")
    return (
        StatusSnapshot.objects.exclude(party__home_location__partner_id=membership.partner_id)
        .order_by("party_id")
        .values_list("party_id", flat=True)
        .first()
    )


def test_counts_at_a_date_list_every_status_with_shares():
    body = Api("owner").get("/statuses/counts", on="2026-03-31").json()
    assert body["on"] == "2026-03-31"
    assert [item["status"] for item in body["statuses"]] == STATUSES
    assert sum(item["clients"] for item in body["statuses"]) == body["total"] > 0
    assert sum(item["share"] for item in body["statuses"]) == pytest.approx(1.0)
    expected = selectors.status_counts(user=get_user_model().objects.get(username="owner"), on=date(2026, 3, 31))
    assert {item["status"]: item["clients"] for item in body["statuses"]} == expected.counts
    assert body["won_back"] == expected.won_back


def test_counts_without_a_date_are_today_and_a_bad_date_is_named():
    api = Api("crm")
    assert api.get("/statuses/counts").json()["total"] > 0
    error = error_of(api.get("/statuses/counts", on="31.03.2026"), 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["on"]


def test_a_franchise_partner_counts_fewer_clients_than_the_owner():
    owner = Api("owner").get("/statuses/counts", on="2026-06-30").json()
    partner = Api("partner").get("/statuses/counts", on="2026-06-30").json()
    assert 0 < partner["total"] < owner["total"]


def test_transitions_between_two_dates_with_shares():
    body = Api("analyst").get("/statuses/transitions", date_from="2026-05-31", date_to="2026-08-31").json()
    assert body["date_from"] == "2026-05-31" and body["date_to"] == "2026-08-31"
    cells = {(t["from_status"], t["to_status"]): t for t in body["transitions"]}
    assert 0 < cells[("fan", "dormant")]["share"] < 1
    for start in {t["from_status"] for t in body["transitions"]}:
        assert sum(t["share"] for t in body["transitions"] if t["from_status"] == start) == pytest.approx(1.0)
    assert (None, "novice") in cells  # newcomers between the dates


def test_transitions_need_both_dates_in_order():
    api = Api("owner")
    error = error_of(api.get("/statuses/transitions", date_from="2026-05-31"), 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["date_to"]
    error = error_of(api.get("/statuses/transitions", date_from="2026-05-31", date_to="2026-01-01"), 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["date_to"]


def test_one_clients_status_and_history():
    snapshot = StatusSnapshot.objects.filter(won_back=True).order_by("party_id").first()
    body = Api("owner").get(f"/parties/{snapshot.party_id}/status").json()
    assert body["party_id"] == snapshot.party_id
    current = body["current"]
    assert current["status"] == snapshot.status and current["won_back"] is True
    assert current["monetary"] == f"{snapshot.monetary:.2f}"
    history = body["history"]
    assert len(history) == StatusEvent.objects.filter(party_id=snapshot.party_id).count()
    assert history[0]["from_status"] is None
    assert [h["changed_on"] for h in history] == sorted(h["changed_on"] for h in history)
    assert history[-1]["to_status"] == current["status"]
    assert current["status_since"] == history[-1]["changed_on"]


def test_another_partners_client_is_not_found_and_an_unknown_one_reads_the_same():
    api = Api("partner")
    error_of(api.get(f"/parties/{_other_partners_client()}/status"), 404, "not_found")
    error_of(api.get("/parties/999999999/status"), 404, "not_found")


def test_status_endpoints_need_a_token():
    error_of(Api(None).get("/statuses/counts"), 401, "unauthorised")
    error_of(Api(None).post("/statuses/refresh", {}), 401, "unauthorised")


@pytest.mark.parametrize("username", ["owner", "crm", "analyst"])
def test_refresh_by_the_roles_that_may_and_it_changes_nothing(username):
    before = sorted(StatusEvent.objects.values_list("party_id", "changed_on", "to_status", "won_back"))
    response = Api(username).post("/statuses/refresh", {"as_of": "2026-11-23"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["as_of"] == "2026-11-23" and body["events"] == len(before)
    assert sum(body["counts"].values()) == body["snapshots"] == StatusSnapshot.objects.count()
    assert sorted(StatusEvent.objects.values_list("party_id", "changed_on", "to_status", "won_back")) == before


def test_refresh_is_forbidden_to_a_franchise_partner():
    error_of(Api("partner").post("/statuses/refresh", {}), 403, "forbidden")


def test_refresh_refuses_a_future_date_and_a_bad_one():
    api = Api("owner")
    future = (date.today() + timedelta(days=400)).isoformat()
    error = error_of(api.post("/statuses/refresh", {"as_of": future}), 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["as_of"]
    error = error_of(api.post("/statuses/refresh", {"as_of": "tomorrow"}), 422, "invalid")
    assert [f["field"] for f in error["fields"]] == ["as_of"]


def test_the_statuses_are_in_the_openapi_document():
    paths = Api("owner").get("/openapi.json").json()["paths"]
    for path in ("/api/statuses/counts", "/api/statuses/transitions", "/api/parties/{party_id}/status",
                 "/api/statuses/refresh"):
        assert path in paths


def test_the_status_list_is_paginated_and_filtered_like_the_page():
    api = Api("owner")
    fans = StatusSnapshot.objects.filter(status="fan")
    body = api.get("/statuses", status="fan", limit=5, offset=0).json()
    assert body["count"] == fans.count() > 5 and len(body["items"]) == 5
    first = body["items"][0]
    assert {"party_id", "name", "location_id", "status", "status_since", "monetary", "overdue", "rhythm_days"} <= set(first)
    assert {item["status"] for item in body["items"]} == {"fan"}
    assert isinstance(first["monetary"], str)
    second = api.get("/statuses", status="fan", limit=5, offset=5).json()
    assert not {i["party_id"] for i in body["items"]} & {i["party_id"] for i in second["items"]}
    # Newest in the status first, as on the page.
    since = [item["status_since"] for item in body["items"] + second["items"]]
    assert since == sorted(since, reverse=True)

    overdue = api.get("/statuses", overdue="true", limit=500).json()
    assert overdue["count"] == StatusSnapshot.objects.filter(overdue=True).count() > 0
    assert all(item["overdue"] for item in overdue["items"])
    location_id = first["location_id"]
    at_location = api.get("/statuses", status="fan", location_id=location_id, limit=500).json()
    assert at_location["count"] == fans.filter(party__home_location_id=location_id).count()
    assert {item["location_id"] for item in at_location["items"]} == {location_id}
    everyone = api.get("/statuses", limit=1).json()
    assert everyone["count"] == StatusSnapshot.objects.count()


def test_the_status_list_refuses_an_unknown_status_and_keeps_a_partner_to_its_own_clients():
    error = error_of(Api("owner").get("/statuses", status="sleeping"), 422, "invalid")
    assert error["fields"][0]["field"] == "status"
    membership = Membership.objects.get(user__username="partner")
    partner = Api("partner")
    body = partner.get("/statuses", limit=500).json()
    own = StatusSnapshot.objects.filter(party__home_location__partner_id=membership.partner_id)
    assert body["count"] == own.count() > 0
    assert {item["party_id"] for item in body["items"]} <= set(own.values_list("party_id", flat=True))
    foreign = StatusSnapshot.objects.exclude(party__home_location__partner_id=membership.partner_id).exclude(
        party__home_location=None).values_list("party__home_location_id", flat=True).first()
    error_of(partner.get("/statuses", location_id=foreign), 404, "not_found")
    error_of(Api(None).get("/statuses"), 401, "unauthorised")
