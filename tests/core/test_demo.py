"""The demo network: deterministic for a seed, and shaped like the franchise chain the product promises."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Sum

from romashka.core.choices import Ownership, PartyKind, Role
from romashka.core.demo import DEMO_USERS, demo_network_create
from romashka.core.models import Employee, Location, Membership, Party
from romashka.path.models import Purchase

UNTIL = date(2026, 11, 23)


def _fingerprint() -> tuple:
    """What a user would notice if the network changed: purchase count, revenue, the first receipts."""
    totals = Purchase.objects.aggregate(count=Count("pk"), revenue=Sum("amount"))
    first_refs = list(Purchase.objects.order_by("occurred_at", "receipt_ref").values_list("receipt_ref", flat=True)[:5])
    guests = Party.objects.filter(roles__kind=PartyKind.GUEST).count()
    return totals["count"], totals["revenue"], first_refs, guests


def _rebuild(seed: int) -> tuple:
    call_command("flush", "--noinput")
    demo_network_create(size="small", seed=seed, until=UNTIL)
    return _fingerprint()


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_and_end_date_give_the_same_network():
    first = _rebuild(seed=7)
    again = _rebuild(seed=7)
    other_seed = _rebuild(seed=8)
    assert first == again
    assert first[0] > 1000 and len(first[2]) == 5
    assert other_seed[1] != first[1]  # a different seed is a different network: the comparison can fail


def test_card_numbers_keep_their_leading_zeros(demo_network, db):
    guests = Party.objects.filter(roles__kind=PartyKind.GUEST)
    cards = guests.exclude(external_id__startswith="+")
    assert cards.exists()
    assert cards.filter(external_id__startswith="0").exists()
    assert all(len(card) == 10 and card.isdigit() for card in cards.values_list("external_id", flat=True))
    # Looked up by the exact string, zeros included.
    card = cards.filter(external_id__startswith="0").values_list("external_id", flat=True).first()
    assert guests.get(external_id=card).external_id == card
    assert not guests.filter(external_id=card.lstrip("0")).exists()


def test_there_are_refunds_of_earlier_sales(demo_network, db):
    refunds = Purchase.objects.filter(amount__lt=0)
    assert refunds.exists()
    assert refunds.count() < Purchase.objects.filter(amount__gt=0).count() / 20
    refund = refunds.order_by("pk").first()
    assert Purchase.objects.filter(party_id=refund.party_id, amount__gt=0, purchased_on__lte=refund.purchased_on).exists()


def test_three_franchise_partners_own_five_of_twelve_locations(demo_network, db):
    assert Location.objects.count() == 12
    assert Location.objects.values("city").distinct().count() == 4
    franchised = Location.objects.filter(ownership=Ownership.FRANCHISE)
    assert franchised.count() == 5
    assert franchised.values("partner").distinct().count() == 3
    assert not Location.objects.filter(ownership=Ownership.OWN, partner__isnull=False).exists()
    partners = Party.objects.filter(roles__kind=PartyKind.FRANCHISE_PARTNER)
    assert set(partners.values_list("pk", flat=True)) == set(franchised.values_list("partner", flat=True))


def test_every_role_has_a_demo_user_who_can_log_in(demo_network, db, client):
    memberships = dict(Membership.objects.values_list("user__username", "role"))
    assert {role for _username, role, *_ in DEMO_USERS} == set(Role.values)
    for username, role, *_ in DEMO_USERS:
        assert memberships[username] == role
        assert client.login(username=username, password="romashka"), username
        client.logout()
    assert get_user_model().objects.get(username="owner").is_superuser


def test_the_manager_and_the_employee_are_staff_of_their_location(demo_network, db):
    for username in ("manager", "staff"):
        membership = Membership.objects.get(user__username=username)
        employee = Employee.objects.get(user__username=username)
        assert employee.location_id == membership.location_id
        assert employee.left_on is None


def test_staff_have_hires_and_exits(demo_network, db):
    assert Employee.objects.filter(left_on__isnull=False).exists()
    assert Employee.objects.filter(left_on__isnull=True).count() >= 12
