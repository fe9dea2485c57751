"""The admin: every model is there for the owner, lists stay within a fixed number of queries."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from romashka.core.models import Party
from romashka.path.models import Purchase

# Session, user, membership-free admin checks, the page, the count, filters' choices: never per row.
MAX_LIST_QUERIES = 12

LIST_PAGES = [
    "/admin/core/party/",
    "/admin/core/party/?roles__kind__exact=guest",
    "/admin/core/party/?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2",  # Иванов
    "/admin/path/purchase/",
    "/admin/path/purchase/?purchased_on__year=2026",
    "/admin/path/purchase/?purchased_on__year=2026&purchased_on__month=3",
    "/admin/path/purchase/?refund=yes",
    "/admin/core/employee/",
    "/admin/core/channel/",
    "/admin/chamomile/supplierorder/",
    "/admin/auth/user/",
]


@pytest.mark.parametrize("url", LIST_PAGES)
def test_change_lists_answer_with_bounded_queries(url, login, client, django_assert_max_num_queries):
    login(client, "owner")
    with django_assert_max_num_queries(MAX_LIST_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


def test_every_model_of_romashka_is_in_the_admin(login, client):
    login(client, "owner")
    models = [m for m in admin.site._registry if m._meta.app_label in ("core", "path", "chamomile")]
    from django.apps import apps

    ours = [m for app in ("core", "path", "chamomile") for m in apps.get_app_config(app).get_models()]
    assert set(ours) <= set(models)
    for model in ours:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_purchase_dates_drill_down_from_years_to_days(login, client):
    login(client, "owner")
    years = client.get("/admin/path/purchase/").content.decode()
    assert "purchased_on__year=2025" in years and "purchased_on__year=2026" in years
    months = client.get("/admin/path/purchase/?purchased_on__year=2025").content.decode()
    assert len(set(re.findall(r"purchased_on__month=(\d+)", months))) == 12
    days = client.get("/admin/path/purchase/?purchased_on__year=2025&purchased_on__month=2")
    assert len(set(re.findall(r"purchased_on__day=(\d+)", days.content.decode()))) == 28
    shown = days.context["cl"].result_list
    assert shown and all(p.purchased_on.year == 2025 and p.purchased_on.month == 2 for p in shown)


def test_purchases_are_found_by_receipt_and_by_card_number(login, client):
    login(client, "owner")
    purchase = Purchase.objects.filter(party__external_id__startswith="0").order_by("pk").first()
    by_receipt = client.get("/admin/path/purchase/", {"q": purchase.receipt_ref})
    assert [p.pk for p in by_receipt.context["cl"].result_list] == [purchase.pk]
    card = purchase.party.external_id
    by_card = client.get("/admin/path/purchase/", {"q": card})
    found = by_card.context["cl"].result_list
    assert found and {p.party_id for p in found} == {purchase.party_id}


def test_a_party_page_shows_its_kinds_and_channels(login, client):
    login(client, "owner")
    party = Party.objects.filter(channels__isnull=False, roles__kind="guest").order_by("pk").first()
    response = client.get(reverse("admin:core_party_change", args=[party.pk]))
    assert response.status_code == 200
    content = response.content.decode()
    assert party.channels.first().value in content
    assert 'name="roles-0-kind"' in content


def test_the_user_page_shows_the_role(login, client):
    login(client, "owner")
    from django.contrib.auth import get_user_model

    partner = get_user_model().objects.get(username="partner")
    response = client.get(reverse("admin:auth_user_change", args=[partner.pk]))
    assert response.status_code == 200
    assert 'name="membership-0-role"' in response.content.decode()


@pytest.mark.parametrize("username", ["crm", "partner", "hr"])
def test_other_roles_are_sent_to_the_admin_login(username, login, client):
    login(client, username)
    response = client.get("/admin/path/purchase/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
