"""Fixtures for the page tests: demo users signed in through the login page (the network is tests/conftest.py's)."""

import pytest
from django.test import Client

from romashka.core.demo import DEMO_PASSWORD


@pytest.fixture
def signed_in(demo_network, db):
    """A factory: a test client signed in through the login form as one of the demo users."""

    def sign_in(username: str) -> Client:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"demo user {username!r} could not sign in"
        return client

    return sign_in
