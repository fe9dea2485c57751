"""The discovery API through HTTP, and scoping: a role without discovery gets 403 everywhere; a franchise
partner given discovery sees only its own locations' clients on pages, in the API and in exports;
another organisation's segment is a 404."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from romashka.core import access
from romashka.core.access import Capability, clients_visible
from romashka.core.choices import Role
from romashka.core.services import api_token_create
from romashka.discovery.models import Interview, Segment
from romashka.discovery.selectors import segment_parties
from romashka.discovery.services import ConditionSpec, SegmentSpec, segment_create

from .builders import organisation_create

pytestmark = pytest.mark.usefixtures("demo_network", "db")


class Api:
    def __init__(self, username: str):
        self.client = Client()
        self.user = get_user_model().objects.get(username=username)
        self.headers = {"Authorization": f"Bearer {api_token_create(user=self.user, name='tests')[1]}"}

    def get(self, path: str, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path: str, body):
        return self.client.post(f"/api{path}", json.dumps(body), content_type="application/json",
                                headers=self.headers)


def test_segments_created_listed_and_their_figures_and_clients():
    api = Api("crm")
    created = api.post("/segments", {"name": "Казань, женщины", "conditions": [
        {"field": "city", "values": ["Казань"]}, {"field": "gender", "values": ["f"]}]})
    assert created.status_code == 200, created.content
    segment_id = created.json()["id"]
    assert any(s["id"] == segment_id for s in api.get("/segments").json())
    figures = {row["segment_id"]: row for row in api.get("/segments/figures").json()}
    expected = segment_parties(segment=Segment.objects.get(pk=segment_id)).count()
    assert figures[segment_id]["clients"] == expected > 0
    assert figures[None]["revenue_share"] == 1.0
    clients = api.get(f"/segments/{segment_id}/clients", limit=500).json()
    assert clients["count"] == expected


def test_a_bad_segment_is_a_422_naming_the_condition():
    response = Api("crm").post("/segments", {"name": "x", "conditions": [
        {"field": "age", "min_value": "40", "max_value": "30"}]})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "conditions.0.max_value"


def test_rfm_grid_cell_clients_and_pareto():
    api = Api("analyst")
    grid = api.get("/rfm").json()
    assert grid["customers"] == sum(cell["customers"] for cell in grid["cells"]) > 0
    champions = next(n for n in grid["named"] if n["cell"] == "champions")
    listed = api.get("/rfm/clients", cell="champions", limit=500).json()
    assert listed["count"] == champions["customers"]
    assert api.get("/rfm/clients", cell="nobody").status_code == 404
    pareto = api.get("/pareto").json()
    assert 0 < pareto["share"] < 1 and pareto["curve"][0] == [0.0, 0.0]


def test_interviews_recorded_listed_and_summarised():
    api = Api("crm")
    party = clients_visible(api.user).order_by("pk").first()
    before = api.get("/interviews").json()["count"]
    created = api.post("/interviews", {"party_id": party.pk, "interviewed_on": "2026-11-20",
                                       "job_text": "Позавтракать", "missing": "кофе покрепче",
                                       "pays_more": True, "pays_more_amount": "50"})
    assert created.status_code == 200, created.content
    assert api.get("/interviews").json()["count"] == before + 1
    summaries = api.get("/interviews/summaries").json()
    assert summaries[0]["segment_id"] is None and summaries[0]["interviews"] == Interview.objects.count()
    assert api.post("/interviews", {"party_id": 10**9, "interviewed_on": "2026-11-20"}).status_code == 404


def test_a_partner_without_discovery_gets_403_from_the_api():
    api = Api("partner")  # a franchise partner uses the API, but discovery is not its role's
    for path in ("/segments", "/rfm", "/pareto", "/interviews", "/interviews/summaries", "/segments/figures"):
        assert api.get(path).status_code == 403, path


def test_another_organisations_segment_is_not_found(client, login):
    other = organisation_create("Чужая сеть")
    foreign = segment_create(organisation=other, spec=SegmentSpec(name="чужой", conditions=[
        ConditionSpec("city", ["Москва"])]))
    login(client, "crm")
    assert client.get(f"/segments/{foreign.pk}/").status_code == 404
    assert client.get(f"/segments/rfm/?segment={foreign.pk}").status_code == 404
    assert Api("crm").get(f"/segments/{foreign.pk}/clients").status_code == 404


def test_a_partner_given_discovery_sees_only_its_own_clients(client, login, monkeypatch):
    widened = access.ROLE_CAPABILITIES[Role.FRANCHISE_PARTNER] | {Capability.VIEW_DISCOVERY}
    monkeypatch.setitem(access.ROLE_CAPABILITIES, Role.FRANCHISE_PARTNER, widened)
    user = login(client, "partner")
    own = set(clients_visible(user).values_list("pk", flat=True))
    segment = Segment.objects.get(name="Москва: поклонники")
    everyone = set(segment_parties(segment=segment).values_list("pk", flat=True))
    assert everyone - own, "the demo segment must reach beyond the partner's locations"
    exported = b"".join(client.get(f"/segments/{segment.pk}/?format=csv").streaming_content).decode("utf-8-sig")
    ids = {int(line.split(";")[0]) for line in exported.strip().splitlines()[1:]}
    assert ids and ids <= own
    api = Api("partner")
    listed = api.get(f"/segments/{segment.pk}/clients", limit=500).json()
    assert {row["id"] for row in listed["items"]} <= own
    grid = api.get("/rfm").json()
    assert grid["customers"] <= len(own)
    from romashka.discovery.selectors import buyers_by_category

    assert set().union(*buyers_by_category(user=user).values()) <= own
    assert client.get("/segments/jobs/").status_code == 200
    page = client.get("/segments/rfm/cell/?cell=champions&format=csv")
    ids = {int(line.split(";")[0]) for line in b"".join(page.streaming_content).decode("utf-8-sig").strip()
           .splitlines()[1:]}
    assert ids <= own


def test_a_partner_given_discovery_sees_only_its_clients_interviews(client, login, monkeypatch):
    widened = access.ROLE_CAPABILITIES[Role.FRANCHISE_PARTNER] | {Capability.VIEW_DISCOVERY}
    monkeypatch.setitem(access.ROLE_CAPABILITIES, Role.FRANCHISE_PARTNER, widened)
    user = login(client, "partner")
    own = set(clients_visible(user).values_list("pk", flat=True))
    assert Interview.objects.exclude(party_id__in=own).exists()
    exported = b"".join(client.get("/segments/interviews/?format=csv&what=list").streaming_content)
    rows = exported.decode("utf-8-sig").strip().splitlines()[1:]
    assert len(rows) == Interview.objects.filter(party_id__in=own).count()
    assert {int(row.split(";")[1]) for row in rows} <= own
    summary = Api("partner").get("/interviews/summaries")
    assert summary.status_code == 200 and summary.json()[0]["interviews"] == len(rows)
    stranger = Interview.objects.exclude(party_id__in=own).first().party_id
    assert client.get(f"/segments/interviews/new/?party={stranger}").status_code == 404
    assert client.get(f"/segments/interviews/new/{stranger}/").status_code == 404
