"""The chamomile page's queries are bounded: a fixed number of its own and a fixed number per figure another app
provides, whatever the data's size; the facts the page reads agree with the purchases and the status events."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from romashka.chamomile import facts, selectors
from romashka.chamomile.figures import FIGURES, PROVIDER_QUERIES_PER_MONTH, FigureContext, figure_provider_set
from romashka.core.access import scope_for
from romashka.core.models import Organisation

pytestmark = pytest.mark.usefixtures("demo_network", "db")
MONTH = "2026-11"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def every_figure_provided():
    """Every figure the chamomile does not compute itself gets a provider spending its whole budget."""
    def spends_the_budget(ctx: FigureContext) -> Decimal:
        for _ in range(PROVIDER_QUERIES_PER_MONTH):
            Organisation.objects.filter(pk=ctx.organisation_id).count()
        return Decimal(7)

    others = {key: figure.compute for key, figure in FIGURES.items() if figure.compute is None or figure.provided}
    for key in others:
        figure_provider_set(key, spends_the_budget)
    yield sorted(others)
    for key, compute in others.items():
        figure_provider_set(key, compute)


@pytest.mark.parametrize("username", ["owner", "partner"])
def test_the_page_stays_within_its_bound_with_every_figure_provided(client, login, username, every_figure_provided):
    assert every_figure_provided == ["client_nps", "delivery_quality", "enps", "partner_satisfaction"]
    bound = selectors.page_query_bound()
    assert bound == selectors.PAGE_QUERIES + 4 * 2 * PROVIDER_QUERIES_PER_MONTH
    login(client, username)
    assert _queries(client, f"/chamomile/?month={MONTH}") <= bound


def test_the_page_stays_within_its_own_bound_without_providers(owner_client):
    others = {key: figure.compute for key, figure in FIGURES.items() if figure.provided}
    try:
        for key in others:
            figure_provider_set(key, None)
        assert selectors.page_query_bound() == selectors.PAGE_QUERIES
        assert _queries(owner_client, f"/chamomile/?month={MONTH}") <= selectors.PAGE_QUERIES
    finally:
        for key, compute in others.items():
            figure_provider_set(key, compute)


@pytest.fixture
def owner_client(client, login):
    login(client, "owner")
    return client


def test_the_query_count_does_not_grow_with_the_data(owner_client):
    """Twice the purchases of the last year, once added after the facts and once refreshed into them."""
    from romashka.path.models import Purchase
    from romashka.path.refresh import status_refresh_logged

    url = f"/chamomile/?month={MONTH}"
    before = _queries(owner_client, url)
    copies = [Purchase(organisation_id=p.organisation_id, party_id=p.party_id, location_id=p.location_id,
                       occurred_at=p.occurred_at + timedelta(minutes=1), purchased_on=p.purchased_on,
                       amount=p.amount, receipt_ref=f"{p.receipt_ref}-copy")
              for p in Purchase.objects.filter(purchased_on__gt=date(2025, 11, 30))]
    Purchase.objects.bulk_create(copies)
    # Purchases after the facts: read on top of them, one query more at most.
    assert _queries(owner_client, url) <= before + 2
    status_refresh_logged(organisation=Organisation.objects.get(), as_of=date(2026, 11, 23))
    assert _queries(owner_client, url) == before


@pytest.mark.parametrize("username", ["owner", "partner"])
def test_the_facts_agree_with_the_events_and_the_purchases_on_the_demo(username):
    scope = scope_for(get_user_model().objects.get(username=username))
    state = facts.facts_state(scope.organisation_id)
    assert state.build is not None and state.events_fresh  # the demo's refresh built them
    for day in (date(2025, 6, 30), date(2025, 12, 31), date(2026, 10, 31), date(2026, 11, 23), date(2026, 11, 30)):
        assert state.status_day(day) is not None, day
        assert selectors.guest_status_counts(scope, day, state) == selectors.guest_status_counts_from_events(
            scope, day), day
        with_facts = FIGURES["franchise_revenue"].compute(FigureContext(scope, day))
        without = facts.revenue_two_years(
            facts.FactsState(scope.organisation_id, None, events_fresh=False, purchases_newer=True),
            location_ids=selectors._franchise_locations(FigureContext(scope, day)), windows=selectors.two_windows(day))
        assert with_facts == without[0], day
    assert with_facts > 0
