"""The touch API through HTTP: standards CRUD (a change is a new version), tasks with filters and the
outcome, the uplift; scoping by role and location."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from romashka.core.access import scope_for
from romashka.core.services import api_token_create
from romashka.touches.choices import Group, TaskState
from romashka.touches.models import Standard, Task

pytestmark = pytest.mark.usefixtures("demo_network", "db")


class Api:
    def __init__(self, username: str):
        self.client = Client()
        user = get_user_model().objects.get(username=username)
        self.headers = {"Authorization": f"Bearer {api_token_create(user=user, name='tests')[1]}"}

    def call(self, method: str, path: str, body=None, **params):
        if method == "get":
            return self.client.get(f"/api{path}", params, headers=self.headers)
        return getattr(self.client, method)(f"/api{path}", json.dumps(body) if body is not None else None,
                                            content_type="application/json", headers=self.headers)


STANDARD = {
    "trigger": "fan", "name": "Поклонник: звонок управляющего", "control_share": "0.2", "conversion_days": 14,
    "steps": [{"channel": "call", "title": "Звонок", "template_ru": "Здравствуйте, {name}!", "delay_days": 3}],
}


def test_standards_create_read_change_and_switch_off():
    api = Api("crm")
    created = api.call("post", "/touch-standards", STANDARD)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["trigger"], body["version"], body["control_share"], body["steps"][0]["delay_days"]) == \
        ("fan", 1, "0.200", 3)
    standard_id = body["id"]
    assert any(s["id"] == standard_id for s in api.call("get", "/touch-standards").json())

    changed = api.call("put", f"/touch-standards/{standard_id}", {**STANDARD, "name": "Поклонник v2"})
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["name"] == "Поклонник v2"

    assert api.call("delete", f"/touch-standards/{standard_id}").status_code == 204
    off = api.call("get", f"/touch-standards/{standard_id}").json()
    assert (off["version"], off["is_active"]) == (3, False)


def test_a_standard_with_an_unknown_channel_or_placeholder_is_refused_by_field():
    api = Api("crm")
    bad = {**STANDARD, "steps": [{**STANDARD["steps"][0], "channel": "pigeon", "template_ru": "{имя}"}]}
    response = api.call("post", "/touch-standards", bad)
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert {"steps.0.channel", "steps.0.template_ru"} <= fields
    assert not Standard.objects.filter(versions__name=STANDARD["name"]).exists()


def test_only_the_crm_manager_and_the_owner_edit_standards_the_analyst_reads_the_uplift():
    api = Api("analyst")
    assert api.call("get", "/touch-standards").status_code == 403
    standard = Standard.objects.get(trigger="novice")
    uplift = api.call("get", f"/touch-standards/{standard.pk}/uplift", date_from="2026-05-01", window_days=21)
    assert uplift.status_code == 200, uplift.content
    body = uplift.json()
    assert body["window_days"] == 21 and body["treated"] + body["control"] > 0
    assert body["verdict"] in {"works", "harms", "no_evidence", "too_few"}


def test_tasks_are_listed_within_the_partners_locations_and_filtered():
    api = Api("partner")
    scope = scope_for(get_user_model().objects.get(username="partner"))
    response = api.call("get", "/tasks", limit=500)
    assert response.status_code == 200
    items = response.json()["items"]
    assert items and {t["location_id"] for t in items} <= set(scope.location_ids)
    done = api.call("get", "/tasks", state="done", limit=500).json()["items"]
    assert done and {t["state"] for t in done} == {"done"}


def test_the_outcome_is_recorded_once():
    task = Task.objects.filter(entry__group=Group.TREATED, step__asks_leaving_reason=False).first()
    Task.objects.filter(pk=task.pk).update(state=TaskState.OPEN, outcome="", cancel_reason="", cancelled_on=None,
                                           due_on=timezone.localdate())
    api = Api("crm")
    response = api.call("patch", f"/tasks/{task.pk}", {"outcome": "reached", "note": "придёт в субботу"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["outcome"]) == ("done", "reached")
    again = api.call("patch", f"/tasks/{task.pk}", {"outcome": "refused"})
    assert again.status_code == 409
    assert api.call("patch", f"/tasks/{task.pk}", {"outcome": "maybe"}).status_code in (409, 422)
