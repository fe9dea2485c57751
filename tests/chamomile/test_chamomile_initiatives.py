"""Community initiatives recorded on their own page by the owner and the CRM manager: add, edit, delete, a photo
checked by its bytes and size, the yearly summary following; other roles may only look."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from romashka.chamomile.models import CommunityInitiative
from romashka.core.choices import PartyKind
from romashka.core.models import Location, Party

pytestmark = pytest.mark.usefixtures("demo_network")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _fields(**changes):
    location = Location.objects.order_by("code").first()
    partner = Party.objects.filter(roles__kind=PartyKind.COMMUNITY).order_by("name").first()
    fields = {"title": "Блинный день в парке", "held_on": "2026-06-14", "kind": "city_event",
              "location": str(location.pk), "reach": "850", "cost": "42000.50", "partners": [str(partner.pk)],
              "link": "https://example.org/park", "description": "Бесплатные блины для всех."}
    fields.update(changes)
    return fields


@pytest.mark.parametrize("username", ["owner", "crm"])
def test_the_owner_and_the_crm_manager_add_edit_and_delete_an_initiative(client, login, username):
    login(client, username)
    page = client.get("/chamomile/community/").content.decode()
    assert 'data-testid="initiative-add"' in page
    held_2026 = CommunityInitiative.objects.filter(held_on__year=2026).count()
    response = client.post("/chamomile/community/initiatives/new/",
                           {**_fields(), "photo": SimpleUploadedFile("park.png", PNG, content_type="image/png")})
    assert response.status_code == 302
    initiative = CommunityInitiative.objects.get(title="Блинный день в парке")
    assert (initiative.held_on, initiative.reach, initiative.cost) == (date(2026, 6, 14), 850, Decimal("42000.50"))
    assert initiative.partners.count() == 1 and initiative.photo.name.endswith(".png")
    photo = client.get(f"/chamomile/community/initiatives/{initiative.pk}/photo")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == PNG
    page = client.get("/chamomile/community/").content.decode()
    assert "Блинный день в парке" in page
    years = page[page.index('data-testid="community-years"'):page.index('id="initiatives"')]
    assert f'<td>2026</td><td class="num">{held_2026 + 1}</td>' in years
    # Edited: a new title and reach; the photo is kept.
    response = client.post(f"/chamomile/community/initiatives/{initiative.pk}/",
                           _fields(title="Блинный день на набережной", reach="900"))
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert (initiative.title, initiative.reach) == ("Блинный день на набережной", 900) and initiative.photo
    stored = initiative.photo.path
    assert client.post(f"/chamomile/community/initiatives/{initiative.pk}/delete/").status_code == 302
    assert not CommunityInitiative.objects.filter(pk=initiative.pk).exists()
    import os

    assert not os.path.exists(stored)  # the photo's file goes with it


def test_bad_input_gets_a_clear_message_and_nothing_is_saved(client, login):
    login(client, "owner")
    before = CommunityInitiative.objects.count()
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not a picture", content_type="image/png")
    page = client.post("/chamomile/community/initiatives/new/", {**_fields(cost="-5", reach="много"), "photo": fake})
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="error-photo"' in text and 'data-testid="error-cost"' in text
    assert 'data-testid="error-reach"' in text
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024 + 1), content_type="image/jpeg")
    text = client.post("/chamomile/community/initiatives/new/", {**_fields(), "photo": big}).content.decode()
    assert 'data-testid="error-photo"' in text and "5" in text
    text = client.post("/chamomile/community/initiatives/new/", _fields(title="", held_on="")).content.decode()
    assert 'data-testid="error-title"' in text and 'data-testid="error-held_on"' in text
    assert CommunityInitiative.objects.count() == before


@pytest.mark.parametrize("username", ["analyst", "partner", "manager", "hr"])
def test_other_roles_cannot_record_initiatives(client, login, username):
    login(client, username)
    initiative = CommunityInitiative.objects.first()
    assert client.get("/chamomile/community/initiatives/new/").status_code == 403
    assert client.post("/chamomile/community/initiatives/new/", _fields()).status_code == 403
    assert client.post(f"/chamomile/community/initiatives/{initiative.pk}/", _fields()).status_code == 403
    assert client.post(f"/chamomile/community/initiatives/{initiative.pk}/delete/").status_code == 403
    assert CommunityInitiative.objects.filter(pk=initiative.pk, title=initiative.title).exists()
    page = client.get("/chamomile/community/")
    if page.status_code == 200:
        assert 'data-testid="initiative-add"' not in page.content.decode()


def test_a_partner_sees_only_photos_of_its_own_locations_initiatives(client, login):
    login(client, "owner")
    own = Location.objects.filter(partner__isnull=True).first()
    client.post("/chamomile/community/initiatives/new/",
                {**_fields(location=str(own.pk)), "photo": SimpleUploadedFile("a.png", PNG, content_type="image/png")})
    initiative = CommunityInitiative.objects.get(title="Блинный день в парке")
    login(client, "partner")
    assert client.get(f"/chamomile/community/initiatives/{initiative.pk}/photo").status_code == 404
    assert "Блинный день в парке" not in client.get("/chamomile/community/").content.decode()
