"""Every petal's health figures on a hand-built network: values a person can check with a pencil, and the edges."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from romashka.chamomile import selectors
from romashka.chamomile.figures import FIGURES, FigureContext, Petal
from romashka.chamomile.models import CommunityInitiative, Investment, Payout, PetalTarget, SupplierOrder
from romashka.core.access import ROLE_CAPABILITIES, Scope
from romashka.core.choices import Ownership, PartyKind, Role
from romashka.core.models import Department, Employee, Location, Organisation, Party, PartyRole
from romashka.path.models import Purchase, StatusEvent

AS_OF = date(2026, 11, 30)


def _party(org, name, kind, home=None):
    party = Party.objects.create(organisation=org, name=name, home_location=home)
    PartyRole.objects.create(party=party, kind=kind)
    return party


def _buy(org, party, location, day, amount):
    Purchase.objects.create(
        organisation=org, party=party, location=location, purchased_on=day, amount=Decimal(amount),
        occurred_at=timezone.make_aware(datetime(day.year, day.month, day.day, 12)),
        receipt_ref=f"{party.pk}-{day}-{amount}",
    )


@pytest.fixture
def net(db):
    """Two partners (one with a location, one without), an own location, staff, guests, orders, investors."""
    org = Organisation.objects.create(name="Ручная сеть")
    own = Location.objects.create(organisation=org, code="OWN", name="Своя", city="Москва")
    alpha = _party(org, "Альфа", PartyKind.FRANCHISE_PARTNER)
    _party(org, "Бета без точек", PartyKind.FRANCHISE_PARTNER)
    franchise = Location.objects.create(organisation=org, code="FR", name="Альфа-1", city="Тверь",
                                        ownership=Ownership.FRANCHISE, partner=alpha)
    # Guests: on AS_OF two fans and one novice at the own location, one dormant; one fan at the franchise.
    statuses = [("fan", own), ("fan", own), ("novice", own), ("dormant", own), ("fan", franchise)]
    for index, (status, home) in enumerate(statuses):
        guest = _party(org, f"Гость {index}", PartyKind.GUEST, home)
        StatusEvent.objects.create(organisation=org, party=guest, changed_on=date(2026, 1, 10), to_status="novice")
        if status != "novice":
            StatusEvent.objects.create(organisation=org, party=guest, changed_on=date(2026, 11, 5),
                                       from_status="novice", to_status=status)
    # Franchise revenue: 1 000 in the year before, 1 500 in the twelve months to AS_OF; own location not counted.
    guest = Party.objects.filter(organisation=org, name="Гость 4").get()
    _buy(org, guest, franchise, date(2025, 3, 1), "1000.00")
    _buy(org, guest, franchise, date(2026, 2, 1), "900.00")
    _buy(org, guest, franchise, date(2026, 11, 30), "600.00")
    _buy(org, guest, own, date(2026, 6, 1), "5000.00")
    # Staff: four at the own location on Dec 1 2025 (year start), one left in the year, one hired.
    hall = Department.objects.create(organisation=org, code="hall", name="Зал")
    for index, (hired, left) in enumerate([
        (date(2020, 12, 1), None), (date(2023, 12, 1), None), (date(2025, 6, 1), date(2026, 3, 1)),
        (date(2024, 12, 1), None), (date(2026, 5, 31), None), (date(2019, 1, 1), date(2025, 1, 1)),
    ]):
        employee = _party(org, f"Сотрудник {index}", PartyKind.EMPLOYEE)
        Employee.objects.create(party=employee, location=own, department=hall, position="официант",
                                hired_on=hired, left_on=left)
    # Suppliers: one with orders both years, one new this year only.
    old = _party(org, "Старый поставщик", PartyKind.SUPPLIER)
    new = _party(org, "Новый поставщик", PartyKind.SUPPLIER)
    for supplier, day, amount in [(old, date(2025, 5, 1), "2000"), (old, date(2026, 5, 1), "3000"),
                                  (new, date(2026, 10, 1), "1000")]:
        SupplierOrder.objects.create(organisation=org, supplier=supplier, location=own, ordered_on=day,
                                     amount=Decimal(amount))
    SupplierOrder.objects.create(organisation=org, supplier=old, location=franchise, ordered_on=date(2026, 7, 1),
                                 amount=Decimal("500"))
    investor = _party(org, "Инвестор", PartyKind.INVESTOR)
    Investment.objects.create(organisation=org, investor=investor, invested_on=date(2024, 11, 30), amount=Decimal("100"))
    Payout.objects.create(organisation=org, investor=investor, paid_on=date(2026, 11, 30), amount=Decimal("200"))
    CommunityInitiative.objects.create(organisation=org, title="Форум", held_on=date(2026, 3, 3), kind="forum",
                                       location=own, reach=120, cost=Decimal("15000"))
    CommunityInitiative.objects.create(organisation=org, title="Субботник", held_on=date(2026, 9, 3),
                                       kind="city_event", location=franchise, reach=30, cost=Decimal("2000"))
    CommunityInitiative.objects.create(organisation=org, title="Давнее", held_on=date(2024, 9, 3), kind="other",
                                       reach=1000, cost=Decimal("1"))
    return {"org": org, "own": own, "franchise": franchise, "alpha": alpha, "old": old, "new": new}


def owner_scope(org):
    return Scope(org.pk, Role.OWNER, None, ROLE_CAPABILITIES[Role.OWNER])


def partner_scope(org, location):
    return Scope(org.pk, Role.FRANCHISE_PARTNER, frozenset({location.pk}), ROLE_CAPABILITIES[Role.FRANCHISE_PARTNER])


def value(key, scope, as_of=AS_OF):
    return FIGURES[key].compute(FigureContext(scope, as_of))


def test_guest_figures_come_from_the_status_on_the_day(net):
    scope = owner_scope(net["org"])
    assert value("active_clients", scope) == 4  # 3 fans + 1 novice; the dormant one is not active
    assert value("fan_share", scope) == Decimal("75.00")
    # Before the November changes everyone was a novice: 5 active, no fans.
    assert value("active_clients", scope, date(2026, 10, 31)) == 5
    assert value("fan_share", scope, date(2026, 10, 31)) == Decimal("0.00")
    # An empty period: before anyone had a status.
    assert value("active_clients", scope, date(2025, 12, 31)) == 0
    assert value("fan_share", scope, date(2025, 12, 31)) is None


def test_a_partners_guest_figures_are_its_own_locations_only(net):
    scope = partner_scope(net["org"], net["franchise"])
    assert value("active_clients", scope) == 1
    assert value("fan_share", scope) == Decimal("100.00")


def test_staff_turnover_and_median_tenure(net):
    scope = owner_scope(net["org"])
    # Year from 2025-12-01: headcount on 2025-11-30 is 4 (hired 2020, 2023, 2025-06, 2024-12), on AS_OF 4.
    # One exit (2026-03-01) in the window; the 2025-01-01 exit is outside it.
    assert value("staff_turnover", scope) == Decimal("25.00")
    # Employed on AS_OF: hired 2020-12-01, 2023-12-01, 2024-12-01, 2026-05-31 → median of 2190, 1095, 729, 183 days.
    assert value("staff_tenure", scope) == (Decimal(912) / Decimal("30.4375")).quantize(Decimal("0.1"))
    assert value("staff_tenure", scope, date(2018, 1, 1)) is None  # nobody employed yet
    assert value("staff_turnover", scope, date(2018, 1, 1)) is None


def test_franchise_revenue_and_growth_year_on_year(net):
    scope = owner_scope(net["org"])
    assert value("franchise_revenue", scope) == Decimal("1500.00")
    assert value("franchise_growth", scope) == Decimal("50.00")
    # An empty period: nothing the year before gives no growth rather than infinity.
    assert value("franchise_growth", scope, date(2025, 11, 30)) is None


def test_every_partner_is_listed_also_one_without_locations(net):
    rows = {row.name: row for row in selectors.partner_revenues(organisation_id=net["org"].pk, as_of=AS_OF)}
    assert rows["Альфа"].revenue == Decimal("1500.00") and rows["Альфа"].growth == Decimal("50.00")
    assert rows["Альфа"].locations == 1
    assert rows["Бета без точек"].locations == 0
    assert rows["Бета без точек"].revenue == 0 and rows["Бета без точек"].growth is None
    assert selectors.median_or_none([r.revenue for r in rows.values()]) == Decimal("750.00")


def test_supplier_volume_growth_and_a_supplier_with_orders_only_this_year(net):
    scope = owner_scope(net["org"])
    assert value("supplier_volume", scope) == Decimal("4500")
    assert value("supplier_growth", scope) == Decimal("125.00")  # 4 500 against 2 000
    assert value("supplier_top3_share", scope) == Decimal("100.00")
    rows = {row.name: row for row in selectors.supplier_turnovers(scope=scope, as_of=AS_OF)}
    assert rows["Новый поставщик"].volume == 1000 and rows["Новый поставщик"].growth is None
    assert rows["Старый поставщик"].growth == Decimal("75.00")  # 3 500 against 2 000
    assert rows["Старый поставщик"].share == Decimal("77.78")
    partner = {row.name: row for row in selectors.supplier_turnovers(scope=partner_scope(net["org"], net["franchise"]), as_of=AS_OF)}
    assert partner["Старый поставщик"].volume == 500 and partner["Новый поставщик"].volume == 0


def test_supplier_by_month_and_year(net):
    report = selectors.supplier_monthly(scope=owner_scope(net["org"]), supplier_id=net["old"].pk, as_of=AS_OF)
    assert report.years == [2025, 2026]
    assert report.volume[2026] == {5: Decimal("3000"), 7: Decimal("500")}
    assert report.yearly_growth[2026] == Decimal("75.00") and report.yearly_growth[2025] is None
    assert [(name, current) for name, current, _before, _growth in report.by_location] == [
        ("Альфа-1", Decimal("500")), ("Своя", Decimal("3000"))]


def test_investor_roi_and_irr(net):
    scope = owner_scope(net["org"])
    assert value("invested", scope) == 100 and value("paid_out", scope) == 200
    assert value("investors_roi", scope) == Decimal("100.00")
    # Doubled over 730 days: (2 ** (365/730) − 1) = 41.42 % a year.
    assert value("investors_irr", scope) == Decimal("41.42")
    rows, overall = selectors.investor_returns(organisation_id=net["org"].pk, as_of=date(2026, 1, 1))
    assert rows[0].paid_out == 0 and rows[0].irr is None and rows[0].roi == Decimal("-100.00")


def test_community_figures_over_the_year_and_by_year(net):
    scope = owner_scope(net["org"])
    assert value("initiatives_held", scope) == 2
    assert value("community_reach", scope) == 150
    assert value("community_cost", scope) == Decimal("17000")
    assert value("initiatives_held", partner_scope(net["org"], net["franchise"])) == 1
    years = selectors.community_yearly(scope=scope)
    assert [(y.year, y.held, y.reach) for y in years] == [(2026, 2, 150), (2024, 1, 1000)]
    assert years[0].by_kind == {"forum": 1, "city_event": 1}


def test_surveys_and_royalties_say_no_data_yet(net):
    petals = {p.petal: p for p in selectors.chamomile(scope=owner_scope(net["org"]), month=date(2026, 11, 1),
                                                      today=AS_OF)}
    by_key = {f.figure.key: f for p in petals.values() for f in p.figures}
    for key in ("client_nps", "enps", "partner_satisfaction", "royalties_on_time", "delivery_quality"):
        assert by_key[key].value is None and by_key[key].health == selectors.NO_DATA


def test_health_against_targets_and_the_trend(net):
    org = net["org"]
    PetalTarget.objects.create(organisation=org, figure="active_clients", month=date(2026, 9, 1), value=Decimal(5))
    PetalTarget.objects.create(organisation=org, figure="staff_turnover", month=date(2026, 11, 1), value=Decimal(30))
    petals = {p.petal: p for p in selectors.chamomile(scope=owner_scope(org), month=date(2026, 11, 1), today=AS_OF)}
    active = next(f for f in petals[Petal.GUESTS].figures if f.figure.key == "active_clients")
    assert active.target == 5 and active.health == selectors.BEHIND  # 4 < 5, the September target holds
    assert active.previous == 5 and active.trend == -1 and active.trend_is_good is False
    assert petals[Petal.GUESTS].health == selectors.BEHIND
    turnover = next(f for f in petals[Petal.EMPLOYEES].figures if f.figure.key == "staff_turnover")
    assert turnover.health == selectors.AHEAD  # 25 % ≤ 30 %: lower is better
    assert petals[Petal.EMPLOYEES].health == selectors.AHEAD
    assert petals[Petal.COMMUNITY].health == selectors.NO_TARGET
    # In October the November turnover target was not set yet.
    october = {p.petal: p for p in selectors.chamomile(scope=owner_scope(org), month=date(2026, 10, 1), today=AS_OF)}
    assert october[Petal.EMPLOYEES].health == selectors.NO_TARGET
    assert october[Petal.GUESTS].health == selectors.AHEAD  # 5 active on Oct 31


def test_a_partner_sees_no_investors_petal(net):
    petals = [p.petal for p in selectors.chamomile(scope=partner_scope(net["org"], net["franchise"]),
                                                   month=date(2026, 11, 1), today=AS_OF)]
    assert Petal.INVESTORS not in petals and Petal.GUESTS in petals and Petal.FRANCHISE in petals


def test_a_figure_appears_once_its_provider_is_registered(net):
    from romashka.chamomile.figures import figure_provider_set

    scope = owner_scope(net["org"])
    own = FIGURES["client_nps"].compute  # the feedback app's, when it is installed
    try:
        figure_provider_set("client_nps", lambda ctx: Decimal("42.0"))
        petals = {p.petal: p for p in selectors.chamomile(scope=scope, month=date(2026, 11, 1), today=AS_OF)}
        nps = next(f for f in petals[Petal.GUESTS].figures if f.figure.key == "client_nps")
        assert nps.value == Decimal("42.0") and nps.health == selectors.NO_TARGET
        assert "client_nps" in selectors.figure_keys_with_provider()
    finally:
        figure_provider_set("client_nps", own)


def test_the_facts_give_the_figures_of_the_events_and_follow_new_purchases_and_events(net):
    from romashka.chamomile.facts import facts_refresh, facts_state

    org, franchise = net["org"], net["franchise"]
    scope = owner_scope(org)
    month = date(2026, 11, 1)

    def figures():
        petals = selectors.chamomile(scope=scope, month=month, today=AS_OF)
        return {f.figure.key: (f.value, f.previous) for p in petals for f in p.figures}

    from_events = figures()  # no facts yet: everything read from the purchases and the events
    assert from_events["franchise_revenue"][0] == Decimal("1500.00") and from_events["active_clients"] == (4, 5)
    facts_refresh(organisation_id=org.pk, as_of=AS_OF)
    assert facts_state(org.pk).events_fresh
    assert figures() == from_events
    # A purchase after the facts were built is added to them; a new status event sends the guests to the events.
    guest = Party.objects.get(organisation=org, name="Гость 0")
    _buy(org, guest, franchise, date(2026, 11, 29), "250.00")
    StatusEvent.objects.create(organisation=org, party=guest, changed_on=date(2026, 11, 20), from_status="fan",
                               to_status="dormant")
    assert not facts_state(org.pk).events_fresh and facts_state(org.pk).purchases_newer
    after = figures()
    assert after["franchise_revenue"][0] == Decimal("1750.00")
    assert after["active_clients"] == (3, 5)
    # The next build holds both, and the day inside a month before the build is read from the events.
    facts_refresh(organisation_id=org.pk, as_of=AS_OF)
    state = facts_state(org.pk)
    assert state.events_fresh and not state.purchases_newer
    assert figures() == after
    assert state.status_day(date(2026, 11, 10)) is None and state.status_day(date(2026, 10, 31)) == date(2026, 10, 31)
    # 10 November: after the moves of 5 November, before guest 0 went dormant on the 20th.
    assert FIGURES["active_clients"].compute(FigureContext(scope, date(2026, 11, 10))) == 4


def test_the_facts_hold_every_month_end_and_an_empty_month_before_the_first_event(net):
    from romashka.chamomile.facts import facts_refresh, facts_state
    from romashka.chamomile.models import GuestStatusFact

    org = net["org"]
    facts_refresh(organisation_id=org.pk, as_of=AS_OF)
    days = sorted(set(GuestStatusFact.objects.filter(organisation=org).values_list("day", flat=True)))
    assert days[0] == date(2026, 1, 31) and days[-1] == AS_OF and len(days) == 11
    state = facts_state(org.pk)
    counts = selectors.guest_status_counts(owner_scope(org), date(2025, 12, 31), state)
    assert sum(counts.values()) == 0
    # Before 5 November: five novices; on the day: two fans and a novice at the own location, a dormant one,
    # the franchise's fan.
    assert selectors.guest_status_counts(owner_scope(org), date(2026, 10, 31), state)["novice"] == 5
    assert selectors.guest_status_counts(partner_scope(org, net["franchise"]), AS_OF, state) == {
        "prospect": 0, "lead": 0, "novice": 0, "fan": 1, "dormant": 0, "lost": 0}


def test_a_change_that_rounds_to_zero_has_no_sign():
    from romashka.chamomile.templatetags.chamomile_tags import signed_figure

    assert signed_figure(Decimal("-0.004"), "percent").startswith("±")
    assert signed_figure(Decimal("-0.4"), "percent").startswith("−")
    assert signed_figure(Decimal("61"), "clients") == "+61" and signed_figure(None, "clients") == "—"
    from romashka.chamomile.templatetags.chamomile_tags import trend_class

    def health(trend):  # a figure whose value moved by `trend` since the previous month
        return selectors.FigureHealth(FIGURES["fan_share"], Decimal(50) + trend, Decimal(50), None, selectors.NO_TARGET)

    assert trend_class(health(Decimal("-0.01"))) == "" and trend_class(health(Decimal("-0.4"))) == "bad"
    assert trend_class(health(Decimal("2"))) == "good"


def test_royalties_paid_on_time_over_the_twelve_months(net):
    from romashka.chamomile.models import RoyaltyPayment

    org, alpha = net["org"], net["alpha"]
    beta = Party.objects.get(organisation=org, name="Бета без точек")
    for month, due, paid in [
        (date(2025, 10, 1), date(2025, 11, 10), date(2025, 11, 20)),  # due before the twelve months: not counted
        (date(2025, 12, 1), date(2026, 1, 10), date(2026, 1, 10)),  # on the due day: on time
        (date(2026, 5, 1), date(2026, 6, 10), date(2026, 6, 12)),  # two days late
        (date(2026, 10, 1), date(2026, 11, 10), None),  # not paid yet
        (date(2026, 11, 1), date(2026, 12, 10), None),  # not due yet on AS_OF: not counted
    ]:
        RoyaltyPayment.objects.create(organisation=org, partner=alpha, month=month, due_on=due, paid_on=paid,
                                      amount=Decimal("100"))
    RoyaltyPayment.objects.create(organisation=org, partner=beta, month=date(2026, 3, 1), due_on=date(2026, 4, 10),
                                  paid_on=date(2026, 4, 1), amount=Decimal("50"))
    assert value("royalties_on_time", owner_scope(org)) == Decimal("50.00")  # 2 of 4 (alpha's 3 and beta's 1)
    assert value("royalties_on_time", partner_scope(org, net["franchise"])) == Decimal("33.33")  # alpha: 1 of 3
    assert value("royalties_on_time", partner_scope(org, net["own"])) is None  # the own location has no partner
    by_partner = selectors.royalties_on_time_by_partner(organisation_id=org.pk, as_of=AS_OF)
    assert by_partner == {alpha.pk: Decimal("33.33"), beta.pk: Decimal("100.00")}
    revenues = {r.partner_id: r.royalties_on_time for r in selectors.partner_revenues(organisation_id=org.pk,
                                                                                      as_of=AS_OF)}
    assert revenues == by_partner
