"""Fixtures of the API tests: JSON clients with demo users' tokens, and the standard error body's checks.

The network is tests/conftest.py's `demo_network` (loaded once per session); each test runs inside
pytest-django's rolled-back transaction, so tokens and purchases it creates never reach the next test.
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from romashka.core.models import Location, Party
from romashka.core.services import api_token_create


class Api:
    """The Django test client speaking JSON to /api/ with a bearer token (or none)."""

    def __init__(self, token: str | None = None, client: Client | None = None):
        self.client = client or Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api{path}", params, headers=self.headers)

    def post(self, path: str, body):
        return self.post_raw(path, json.dumps(body))

    def post_raw(self, path: str, raw: bytes | str):
        return self.client.post(f"/api{path}", raw, content_type="application/json", headers=self.headers)


@pytest.fixture(autouse=True)
def _demo(demo_network, db):
    """Every API test sees the demo network and rolls its own writes back."""


@pytest.fixture
def token_of():
    """token_of("owner") → a fresh raw API token of that demo user."""

    def create(username: str) -> str:
        user = get_user_model().objects.get(username=username)
        return api_token_create(user=user, name="tests")[1]

    return create


@pytest.fixture
def api_with():
    """api_with("rmk_…") → an Api sending that raw token; api_with(None) → no token; client= for a special one."""
    return lambda token, client=None: Api(token, client)


@pytest.fixture
def api_as(token_of):
    """api_as("owner") → an Api with that demo user's token; api_as(None) → no token at all."""
    return lambda username: Api(token_of(username) if username else None)


@pytest.fixture
def location_id():
    """location_id("MSK-03") → its id in the demo network."""
    return lambda code: Location.objects.get(code=code).pk


@pytest.fixture
def guest_at(location_id):
    """guest_at("MSK-03") → a guest with an external id whose home is that location."""

    def find(code: str, skip: int = 0) -> Party:
        guests = Party.objects.filter(
            home_location_id=location_id(code), roles__kind="guest", external_id__isnull=False
        ).order_by("id")
        return guests[skip]

    return find


@pytest.fixture
def assert_error():
    """assert_error(response, 404, "not_found", fields={"items.2.location_code"}) → the error object.

    Checks the status and the one error shape of the API: {"error": {"code", "message", "fields"?}}.
    """

    def check(response, status: int, code: str, *, fields: set[str] | None = None) -> dict:
        assert response.status_code == status, response.content
        body = response.json()
        assert set(body) == {"error"}, body
        error = body["error"]
        assert error["code"] == code, error
        assert error["message"], error
        if fields is not None:
            assert {item["field"] for item in error.get("fields") or []} == fields, error
        return error

    return check
