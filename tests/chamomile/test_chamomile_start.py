"""The demo opens on the chamomile for the owner and for each franchise partner, each partner with its own login
seeing only its own chamomile through the start page, the chamomile, the cabinet, the API and the exports."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from typer.testing import CliRunner

from romashka.chamomile import selectors
from romashka.chamomile.figures import Petal
from romashka.core.choices import Role
from romashka.core.demo import DEMO_PARTNER_LOGINS, DEMO_USERS, PARTNERS
from romashka.core.models import Location, Membership
from romashka.core.services import api_token_create

pytestmark = pytest.mark.usefixtures("demo_network", "db")
PARTNER_LOGINS = [username for username, role, *_ in DEMO_USERS if role == Role.FRANCHISE_PARTNER]


def test_every_demo_franchise_partner_has_a_login_and_the_logins_are_printed():
    from romashka.cli import app

    assert PARTNER_LOGINS == ["partner", "partner2", "partner3"]
    partners = {Membership.objects.get(user__username=u).partner.name for u in PARTNER_LOGINS}
    assert partners == set(PARTNERS)
    printed = CliRunner().invoke(app, ["logins"]).output
    assert all(username in printed for username in PARTNER_LOGINS)


def test_the_owners_start_page_opens_on_the_chamomile(client, login):
    login(client, "owner")
    page = client.get("/").content.decode()
    start = page[page.index('data-testid="start-chamomile"'):]
    for petal in Petal:
        assert f'data-petal="{petal.value}"' in start
        assert f'href="/chamomile/{petal.value}/' in start  # every petal drills down from the start page
    assert page.index('data-testid="start-chamomile"') < page.index('data-testid="kpis"')  # the flower first
    assert 'data-testid="start-behind"' in page


@pytest.mark.parametrize("username", ["crm", "manager", "staff", "hr", "analyst"])
def test_the_other_roles_start_pages_keep_their_own_first_screen(client, login, username):
    login(client, username)
    assert 'data-testid="start-chamomile"' not in client.get("/").content.decode()


@pytest.mark.parametrize("username", PARTNER_LOGINS)
def test_each_partner_opens_on_its_own_chamomile_and_never_sees_another_partners_name(client, login, username):
    login(client, username)
    own = PARTNERS[DEMO_PARTNER_LOGINS[username]]
    others = [name for name in PARTNERS if name != own]
    own_locations = set(Location.objects.filter(partner__name=own).values_list("name", flat=True))
    other_locations = set(Location.objects.exclude(partner__name=own).values_list("name", flat=True))
    start = client.get("/").content.decode()
    assert 'data-testid="start-chamomile"' in start
    for url in ["/", "/chamomile/", "/chamomile/partner/", "/chamomile/guests/", "/chamomile/employees/",
                "/chamomile/suppliers/", "/chamomile/community/", "/chamomile/summary/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert not any(name in text for name in others), url
    flower = client.get("/chamomile/").content.decode()
    centre = flower[flower.index('data-testid="chamomile-centre"'):]
    assert centre.startswith(f'data-testid="chamomile-centre"><title>{own}</title>')  # the partner in the centre
    assert 'data-petal="investors"' not in flower and 'data-petal="franchise"' in flower
    staff = b"".join(client.get("/chamomile/employees/export.csv").streaming_content).decode("utf-8-sig")
    rows = {line.split(";")[0] for line in staff.strip().splitlines()[1:]}
    assert rows and rows <= own_locations and not rows & other_locations
    user = get_user_model().objects.get(username=username)
    api = Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})
    cabinet = api.get("/api/franchise/cabinet").json()
    assert cabinet["name"] == own and not any(name in str(cabinet) for name in others)
    assert api.get("/api/franchise/partners").status_code == 403
    body = str(api.get("/api/chamomile", {"month": "2026-11"}).json())
    assert not any(name in body for name in others)


def test_the_partners_figures_differ_by_partner():
    """Each login's chamomile is its own: the franchise revenue of each equals its locations' alone."""
    from romashka.chamomile.figures import FigureContext
    from romashka.core.access import scope_for

    day = date(2026, 11, 23)
    revenues = {}
    for username in PARTNER_LOGINS:
        scope = scope_for(get_user_model().objects.get(username=username))
        revenues[username] = selectors.franchise_revenue(FigureContext(scope, day))
    owner = scope_for(get_user_model().objects.get(username="owner"))
    total = selectors.franchise_revenue(FigureContext(owner, day))
    assert len(set(revenues.values())) == 3 and sum(revenues.values()) == total


def test_the_cabinet_shows_the_surveys_own_figure_beside_the_networks_median():
    """A provider that counts the scope's locations ×10: partner and partner2 have two, partner3 one."""
    from romashka.chamomile.figures import FIGURES, figure_provider_set

    own = FIGURES["enps"].compute
    try:
        figure_provider_set("enps", lambda ctx: Decimal(10 * len(ctx.scope.location_ids)))
        for username, expected in [("partner", 20), ("partner2", 20), ("partner3", 10)]:
            user = get_user_model().objects.get(username=username)
            api = Client(headers={"Authorization": f"Bearer {api_token_create(user=user, name='t')[1]}"})
            surveys = api.get("/api/franchise/cabinet").json()["surveys"]
            assert Decimal(surveys["enps"]["own"]) == expected and Decimal(surveys["enps"]["median"]) == 20
            page = Client()
            page.force_login(user)
            row = page.get("/chamomile/partner/").content.decode()
            row = row[row.index('data-testid="partner-enps"'):]
            assert row.index(f">{expected},0<") < row.index("</tr>")
    finally:
        figure_provider_set("enps", own)


def test_the_demo_partners_pay_royalties_some_late_and_each_sees_its_own_share(client, login):
    from romashka.chamomile.models import RoyaltyPayment

    shares = selectors.royalties_on_time_by_partner(organisation_id=Membership.objects.first().organisation_id,
                                                    as_of=date(2026, 11, 23))
    assert len(shares) == 3 and len(set(shares.values())) == 3 and all(0 < s < 100 for s in shares.values())
    assert RoyaltyPayment.objects.filter(paid_on__isnull=True).exists()  # the last month's is not paid yet
    for username in PARTNER_LOGINS:
        login(client, username)
        own = Membership.objects.get(user__username=username).partner_id
        page = client.get("/chamomile/partner/").content.decode()
        row = page[page.index('data-testid="partner-royalties"'):]
        row = row[:row.index("</tr>")]
        from romashka.chamomile.templatetags.chamomile_tags import format_figure

        now = selectors.royalties_on_time_by_partner(organisation_id=Membership.objects.first().organisation_id,
                                                     as_of=date.today())
        assert format_figure(now[own], "percent") in row
