"""Who gets in: bearer tokens, the browser session for the docs page, and roles without API use."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from romashka.core.models import ApiToken
from romashka.core.services import api_token_revoke


@pytest.mark.parametrize("path", ["/locations", "/parties", "/purchases"])
def test_without_a_token_every_endpoint_answers_401_in_the_standard_shape(api_as, assert_error, path):
    error = assert_error(api_as(None).get(path), 401, "unauthorised")
    assert "Bearer" in error["message"]


def test_an_unknown_token_gets_401(api_with, assert_error):
    for token in ("rmk_not-a-real-token", "something-else"):
        assert_error(api_with(token).get("/locations"), 401, "unauthorised")


def test_a_revoked_token_gets_401_and_a_live_one_200(api_with, token_of, assert_error):
    raw = token_of("owner")
    assert api_with(raw).get("/locations").status_code == 200
    token = ApiToken.objects.get(prefix=raw[:10])
    api_token_revoke(user=token.user, token_id=token.pk)
    assert_error(api_with(raw).get("/locations"), 401, "unauthorised")


def test_a_token_of_a_deactivated_user_gets_401(api_with, token_of, assert_error):
    raw = token_of("crm")
    get_user_model().objects.filter(username="crm").update(is_active=False)
    assert_error(api_with(raw).get("/locations"), 401, "unauthorised")


def test_a_post_with_an_unknown_token_is_401_not_a_csrf_403(api_with, assert_error):
    api = api_with("rmk_unknown", client=Client(enforce_csrf_checks=True))
    assert_error(api.post("/purchases/bulk", {"items": []}), 401, "unauthorised")


@pytest.mark.parametrize("username", ["hr", "manager", "staff"])
def test_roles_without_api_use_get_403_with_their_token(api_as, assert_error, username):
    assert_error(api_as(username).get("/purchases"), 403, "forbidden")


def test_hr_gets_403_on_purchases_both_reading_and_writing(api_as, assert_error):
    api = api_as("hr")
    assert_error(api.get("/purchases"), 403, "forbidden")
    assert_error(api.post("/purchases/bulk", {"items": []}), 403, "forbidden")


def _sign_in(client: Client, username: str) -> Client:
    client.force_login(get_user_model().objects.get(username=username))  # no password hashing: fast
    return client


def test_a_signed_in_browser_may_read_with_its_session(client):
    _sign_in(client, "owner")
    response = client.get("/api/locations")
    assert response.status_code == 200
    assert response.json()["count"] == 12


def test_a_signed_in_browser_cannot_write_without_the_csrf_token(assert_error):
    browser = _sign_in(Client(enforce_csrf_checks=True), "owner")
    response = browser.post("/api/purchases/bulk", {"items": []}, content_type="application/json")
    assert_error(response, 403, "forbidden")


def test_a_wrong_token_is_not_rescued_by_a_signed_in_session(client, assert_error):
    _sign_in(client, "owner")
    response = client.get("/api/locations", headers={"Authorization": "Bearer rmk_wrong"})
    assert_error(response, 401, "unauthorised")


def test_a_signed_in_hr_manager_gets_403_too(client, assert_error):
    assert_error(_sign_in(client, "hr").get("/api/purchases"), 403, "forbidden")
