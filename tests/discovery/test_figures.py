"""Segment figures, RFM and Pareto through the app, and interview summaries, on hand-built clients with
values worked out by hand; an empty segment and a single client."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from romashka.core.services import user_create
from romashka.discovery.models import Interview
from romashka.discovery.selectors import (
    interview_summary,
    pareto,
    rfm_cell_clients,
    rfm_grid,
    segment_table,
)
from romashka.discovery.services import ConditionSpec, SegmentSpec, client_figures_refresh, segment_create

from .builders import guest_create, organisation_create, purchases_create, snapshot_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def network():
    org = organisation_create()
    org.default_cycle_days = 30
    org.save()
    owner = user_create(organisation=org, username="o1", password="x-Passw0rd!", role="owner")
    c = {
        "anna": guest_create(org, "Анна", city="Москва", gender="f"),
        "vera": guest_create(org, "Вера", city="Москва", gender="f"),
        "boris": guest_create(org, "Борис", city="Москва", gender="m"),
        "dina": guest_create(org, "Дина", city="Казань", gender="f"),
    }
    # The figures are as of 2026-06-30; the last cycle is (31 May, 30 June], the one before (1 May, 31 May].
    snapshot_create(c["anna"], status="fan", purchase_days=4, monetary="2000", last_purchase=date(2026, 6, 10))
    snapshot_create(c["vera"], status="novice", purchase_days=1, monetary="500", last_purchase=date(2026, 5, 20))
    snapshot_create(c["boris"], status="fan", purchase_days=3, monetary="1500", last_purchase=date(2026, 6, 15))
    snapshot_create(c["dina"], status="dormant", purchase_days=2, monetary="1000", last_purchase=date(2026, 4, 1))
    purchases_create(c["anna"], [(date(2026, 5, 10), "500"), (date(2026, 6, 10), "500")])
    purchases_create(c["vera"], [(date(2026, 5, 20), "500")])
    purchases_create(c["boris"], [(date(2026, 6, 15), "500")])
    purchases_create(c["dina"], [(date(2026, 4, 1), "500")])
    women = segment_create(organisation=org, spec=SegmentSpec(name="Москва, женщины", conditions=[
        ConditionSpec("city", ["Москва"]), ConditionSpec("gender", ["f"])]))
    sochi = segment_create(organisation=org, spec=SegmentSpec(name="Сочи", conditions=[
        ConditionSpec("city", ["Сочи"]), ConditionSpec("gender", ["f"])]))
    client_figures_refresh(organisation_id=org.pk, as_of=date(2026, 6, 30))  # as a status refresh does
    return org, owner, c, women, sochi


def test_segment_figures_by_hand(network):
    _org, owner, _c, women, sochi = network
    rows = {r.segment.name if r.segment else None: r for r in segment_table(user=owner)}
    every = rows[None]
    # All: 4 clients, 5000 ₽ over 10 purchase days; bought in the cycle before: Анна, Вера; again: Анна.
    assert (every.clients, every.revenue, every.revenue_share, every.average_ticket, every.frequency,
            every.retention, every.fan_share) == (4, Decimal("5000"), 1.0, Decimal("500.00"), 2.5, 0.5, 0.5)
    moscow_women = rows["Москва, женщины"]
    assert (moscow_women.clients, moscow_women.revenue, moscow_women.revenue_share, moscow_women.average_ticket,
            moscow_women.frequency, moscow_women.retention, moscow_women.fan_share) == (
        2, Decimal("2500"), 0.5, Decimal("500.00"), 2.5, 0.5, 0.5)
    empty = rows["Сочи"]
    assert (empty.clients, empty.revenue, empty.revenue_share, empty.average_ticket, empty.frequency,
            empty.retention, empty.fan_share, empty.profit) == (0, Decimal(0), 0.0, None, None, None, None, None)
    assert list(rows) == [None, "Москва, женщины", "Сочи"]


def test_rfm_and_pareto_through_the_app(network):
    _org, owner, c, women, _sochi = network
    grid = rfm_grid(user=owner)
    # Recency (days to 30 June): Анна 20, Борис 15, Вера 41, Дина 90 → worse counts 2, 3, 1, 0 → R 3, 4, 2, 1.
    # Frequency: Вера 1, Дина 2, Борис 3, Анна 4 → F 1, 2, 3, 4.
    assert grid.customers == 4 and grid.revenue == Decimal("5000")
    assert {pair: row["cell"] for pair, row in grid.cells.items()} == {
        (3, 4): "loyal", (4, 3): "potential_loyalists", (2, 1): "hibernating", (1, 2): "hibernating"}
    hibernating = rfm_cell_clients(user=owner, grid=grid, cell="hibernating")
    assert set(hibernating.values_list("name", flat=True)) == {"Вера", "Дина"}
    assert set(rfm_cell_clients(user=owner, grid=grid, r=4, f=3).values_list("name", flat=True)) == {"Борис"}
    assert not rfm_cell_clients(user=owner, grid=grid, cell="champions").exists()
    # Pareto: 2000 + 1500 = 3500 < 4000 = 80% of 5000; with 1000 → 4500: three of four clients.
    result = pareto(user=owner)
    assert (result.clients, result.top_clients, result.share) == (4, 3, 0.75)
    assert result.curve[0] == (0.0, 0.0) and result.curve[-1] == (1.0, 1.0)
    # One segment: Анна 2000 of 2500 = 80% → one client of two.
    assert (pareto(user=owner, segment=women).top_clients, pareto(user=owner, segment=women).clients) == (1, 2)
    single = rfm_grid(user=owner, segment=segment_create(organisation=_org, spec=SegmentSpec(
        name="one", conditions=[ConditionSpec("city", ["Казань"])])))
    assert single.customers == 1 and list(single.cells) == [(1, 1)]


def test_interview_summary_counts_items_whatever_their_case(network):
    org, owner, c, women, _sochi = network
    day = date(2026, 6, 1)
    for party, missing, channels, pays, amount in [
        (c["anna"], "Предзаказ, парковка", "Яндекс Карты", True, "100"),
        (c["vera"], "предзаказ ", "яндекс карты, соцсети", True, None),
        (c["anna"], "", "", False, None),
        (c["dina"], "детская комната", "2ГИС", None, None),
    ]:
        Interview.objects.create(organisation=org, party=party, interviewed_on=day, missing=missing,
                                 channels=channels, competitors="Теремок", job_text="Быстрый завтрак",
                                 pays_more=pays, pays_more_amount=Decimal(amount) if amount else None)
    from romashka.discovery.selectors import segment_parties

    inside = Interview.objects.filter(party__in=segment_parties(segment=women).values("pk"))
    summary = interview_summary(interviews=inside, segment=women)
    assert summary.interviews == 3
    assert summary.missing == [("Предзаказ", 2), ("парковка", 1)]
    assert summary.channels == [("Яндекс Карты", 2), ("соцсети", 1)]
    assert summary.jobs == [("Быстрый завтрак", 3)]
    assert (summary.answered_pay, summary.pays_more, summary.average_extra) == (3, 2, Decimal("100.00"))
    assert summary.pays_more_share == pytest.approx(2 / 3)
    nobody = interview_summary(interviews=Interview.objects.none())
    assert (nobody.interviews, nobody.jobs, nobody.pays_more_share, nobody.average_extra) == (0, [], None, None)
