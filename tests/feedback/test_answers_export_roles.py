"""Who may download which survey answers: named client answers need the right to see clients."""

from __future__ import annotations

import pytest
from django.test import Client

from romashka.core.access import Capability, scope_for

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def test_hr_downloads_the_anonymous_staff_answers_but_never_the_clients_named_ones(login):
    client = Client()
    hr = login(client, "hr")
    scope = scope_for(hr)
    assert scope.can(Capability.VIEW_FEEDBACK) and not scope.can(Capability.VIEW_CLIENTS)
    assert client.get("/data/export/survey-answers/", {"kind": "employee"}).status_code == 200
    assert client.get("/data/export/survey-answers/", {"kind": "client"}).status_code == 403


def test_the_crm_manager_still_downloads_the_client_answers(login):
    client = Client()
    login(client, "crm")
    response = client.get("/data/export/survey-answers/", {"kind": "client"})
    assert response.status_code == 200
