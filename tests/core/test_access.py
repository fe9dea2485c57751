"""The one access layer: each role sees exactly its share of the network."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404

from romashka.core.access import (
    access_client,
    access_location,
    clients_visible,
    locations_visible,
    staff_visible,
)
from romashka.core.choices import PartyKind
from romashka.core.models import Employee, Location, Membership, Party


def user(username: str):
    # A fresh object each time: the scope is cached on the user instance.
    return get_user_model().objects.get(username=username)


@pytest.fixture
def partner_locations(demo_network, db) -> set[int]:
    membership = Membership.objects.get(user__username="partner")
    return set(Location.objects.filter(partner_id=membership.partner_id).values_list("pk", flat=True))


def test_a_franchise_partner_sees_only_its_own_locations(partner_locations):
    visible = set(locations_visible(user("partner")).values_list("pk", flat=True))
    assert visible == partner_locations
    assert 0 < len(visible) < Location.objects.count()


def test_a_franchise_partner_gets_404_for_another_partners_location(partner_locations):
    others_franchise = Location.objects.filter(partner__isnull=False).exclude(pk__in=partner_locations).first()
    own_network = Location.objects.filter(partner__isnull=True).first()
    for location in (others_franchise, own_network):
        with pytest.raises(Http404):
            access_location(user("partner"), location.pk)
    mine = next(iter(partner_locations))
    assert access_location(user("partner"), mine).pk == mine


def test_a_franchise_partner_sees_only_clients_of_its_locations(partner_locations):
    clients = clients_visible(user("partner"))
    assert clients.exists()
    assert set(clients.values_list("home_location_id", flat=True)) <= partner_locations
    stranger = Party.objects.filter(roles__kind=PartyKind.GUEST).exclude(home_location_id__in=partner_locations).first()
    with pytest.raises(Http404):
        access_client(user("partner"), stranger.pk)


def test_an_employee_sees_only_its_locations_clients(demo_network, db):
    location_id = Membership.objects.get(user__username="staff").location_id
    clients = clients_visible(user("staff"))
    all_guests = Party.objects.filter(roles__kind=PartyKind.GUEST)
    assert 0 < clients.count() < all_guests.count()
    assert set(clients.values_list("home_location_id", flat=True)) == {location_id}
    assert clients.count() == all_guests.filter(home_location_id=location_id).count()
    assert set(locations_visible(user("staff")).values_list("pk", flat=True)) == {location_id}


def test_the_owner_sees_every_client(demo_network, db):
    assert clients_visible(user("owner")).count() == Party.objects.filter(roles__kind=PartyKind.GUEST).count()


def test_hr_sees_staff_but_not_clients(demo_network, db):
    with pytest.raises(PermissionDenied):
        clients_visible(user("hr"))
    assert staff_visible(user("hr")).count() == Employee.objects.count()


def test_an_employee_does_not_see_staff(demo_network, db):
    with pytest.raises(PermissionDenied):
        staff_visible(user("staff"))


def test_a_user_without_a_role_sees_nothing(demo_network, db):
    stranger = get_user_model().objects.create_user(username="stranger", password="a-long-password-1")
    with pytest.raises(PermissionDenied):
        locations_visible(stranger)
