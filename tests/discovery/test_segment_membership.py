"""Who is in a segment: each characteristic and their combination on hand-built clients, and "not ours"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from romashka.core.models import Party
from romashka.discovery.models import CompanyProfile
from romashka.discovery.selectors import not_ours_party_ids, segment_parties, segment_party_ids
from romashka.discovery.services import (
    ConditionSpec,
    SegmentSpec,
    not_ours_mark,
    segment_create,
    segment_update,
)

from .builders import (
    AS_OF,
    company_create,
    guest_create,
    location_create,
    organisation_create,
    purchases_create,
    snapshot_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients():
    org = organisation_create()
    msk = location_create(org, "MSK-01", "Москва")
    kzn = location_create(org, "KZN-01", "Казань")
    c = {
        # Turns 25 on AS_OF itself: 25 years old that day.
        "anna": guest_create(org, "Анна", city="Москва", gender="f", birthday=date(2001, 6, 30), home_location=msk),
        # Turns 25 the day after AS_OF: still 24.
        "boris": guest_create(org, "Борис", city="Москва", gender="m", birthday=date(2001, 7, 1), home_location=msk),
        # 34 until 2026-07-15: inside 25–34.
        "vera": guest_create(org, "Вера", city="Москва", gender="f", birthday=date(1991, 7, 15), home_location=msk),
        # 35 since 2026-06-30: outside 25–34.
        "gleb": guest_create(org, "Глеб", city="Москва", gender="m", birthday=date(1991, 6, 30), home_location=msk),
        "dina": guest_create(org, "Дина", city="Казань", gender="f", birthday=date(1995, 1, 1), home_location=kzn),
        "egor": guest_create(org, "Егор", city="Москва", gender="m", home_location=msk),  # no birthday
        "office": company_create(org, "ООО «Вектор»", city="Казань", home_location=kzn),
    }
    # Average ticket = revenue / purchase days: anna 500, boris 1000, vera 999.99, gleb 1500, dina 800.
    snapshot_create(c["anna"], status="fan", purchase_days=4, monetary="2000")
    snapshot_create(c["boris"], status="novice", purchase_days=1, monetary="1000")
    snapshot_create(c["vera"], status="fan", purchase_days=3, monetary="2999.97")
    snapshot_create(c["gleb"], status="dormant", purchase_days=2, monetary="3000")
    snapshot_create(c["dina"], status="lost", purchase_days=5, monetary="4000")
    purchases_create(c["anna"], [(date(2026, 5, 1), "300")], category="десерты")
    purchases_create(c["dina"], [(date(2026, 5, 2), "-200")], category="десерты")  # a refund is not a purchase
    purchases_create(c["boris"], [(date(2026, 5, 3), "1000")], category="блины")
    CompanyProfile.objects.create(party=c["office"], industry="ИТ", size="small", employees=40)
    return org, c


def _segment(org, *conditions: ConditionSpec, name: str = "s"):
    return segment_create(organisation=org, spec=SegmentSpec(name=name, conditions=list(conditions)))


def _names(party_ids) -> set[str]:
    return set(Party.objects.filter(pk__in=party_ids).values_list("name", flat=True))


def test_city_and_age_band_on_the_day(clients):
    org, c = clients
    segment = _segment(org, ConditionSpec("city", ["Москва"]),
                       ConditionSpec("age", min_value=Decimal(25), max_value=Decimal(34)))
    assert _names(segment_party_ids(segment=segment, as_of=AS_OF)) == {"Анна", "Вера"}
    # A day later Boris turns 25; Vera is still 34.
    assert _names(segment_party_ids(segment=segment, as_of=date(2026, 7, 1))) == {"Анна", "Борис", "Вера"}


def test_average_ticket_band_includes_its_start_not_its_end(clients):
    org, _c = clients
    segment = _segment(org, ConditionSpec("average_ticket", min_value=Decimal(500), max_value=Decimal(1000)),
                       ConditionSpec("gender", ["f"]))
    assert _names(segment_party_ids(segment=segment)) == {"Анна", "Вера", "Дина"}


def test_category_bought_ignores_refunds_and_combines_with_status(clients):
    org, _c = clients
    dessert = _segment(org, ConditionSpec("category", ["десерты"]), ConditionSpec("status", ["fan", "lost"]))
    assert _names(segment_party_ids(segment=dessert)) == {"Анна"}


def test_purchase_days_and_revenue_bands(clients):
    org, _c = clients
    segment = _segment(org, ConditionSpec("purchase_days", min_value=Decimal(2), max_value=Decimal(4)),
                       ConditionSpec("revenue", min_value=Decimal(2000), max_value=Decimal(3000)))
    # Days 2–4 inclusive: anna 4, vera 3, gleb 2; revenue [2000, 3000): anna 2000, vera 2999.97.
    assert _names(segment_party_ids(segment=segment)) == {"Анна", "Вера"}


def test_b2b_industry_and_size(clients):
    org, _c = clients
    segment = _segment(org, ConditionSpec("industry", ["ИТ"]), ConditionSpec("company_size", ["small", "micro"]))
    assert _names(segment_party_ids(segment=segment)) == {"ООО «Вектор»"}


def test_an_empty_segment_and_a_single_client(clients):
    org, _c = clients
    nobody = _segment(org, ConditionSpec("city", ["Казань"]), ConditionSpec("gender", ["m"]), name="nobody")
    assert segment_party_ids(segment=nobody) == set()
    one = _segment(org, ConditionSpec("location", ["KZN-01"]), ConditionSpec("form", ["person"]), name="one")
    assert _names(segment_party_ids(segment=one)) == {"Дина"}


def test_segment_parties_is_a_subquery_and_other_organisations_stay_out(clients):
    org, c = clients
    other = organisation_create("Другая")
    guest_create(other, "Чужая", city="Москва", gender="f")
    segment = _segment(org, ConditionSpec("city", ["Москва"]), ConditionSpec("gender", ["f"]))
    inside = Party.objects.filter(pk__in=segment_parties(segment=segment).values("pk"))
    assert set(inside.values_list("name", flat=True)) == {"Анна", "Вера"}


def test_editing_a_segment_changes_its_members(clients):
    org, _c = clients
    segment = _segment(org, ConditionSpec("city", ["Москва"]), ConditionSpec("gender", ["f"]))
    segment_update(segment=segment, spec=SegmentSpec(
        name="s", conditions=[ConditionSpec("city", ["Казань"]), ConditionSpec("gender", ["f"])]))
    assert _names(segment_party_ids(segment=segment)) == {"Дина"}


@pytest.mark.parametrize(("conditions", "field"), [
    ([], "conditions"),
    ([ConditionSpec("city", ["a"]), ConditionSpec("gender", ["f"]), ConditionSpec("form", ["person"]),
      ConditionSpec("status", ["fan"])], "conditions"),
    ([ConditionSpec("city", ["a"]), ConditionSpec("city", ["b"])], "conditions.1.field"),
    ([ConditionSpec("age", min_value=Decimal(40), max_value=Decimal(30))], "conditions.0.max_value"),
    ([ConditionSpec("age")], "conditions.0.min_value"),
    ([ConditionSpec("city", [" "])], "conditions.0.values"),
    ([ConditionSpec("shoe_size", ["42"])], "conditions.0.field"),
])
def test_bad_segments_are_refused_with_the_field_named(clients, conditions, field):
    org, _c = clients
    with pytest.raises(ValidationError) as refused:
        _segment(org, *conditions)
    assert field in refused.value.message_dict


def test_not_ours_by_party_and_by_segment(clients):
    org, c = clients
    assert not_ours_party_ids(organisation_id=org.pk) == set()
    not_ours_mark(organisation=org, party=c["egor"], reason="conflict", note="скандалил")
    kazan = _segment(org, ConditionSpec("city", ["Казань"]), ConditionSpec("form", ["company"]), name="kazan b2b")
    not_ours_mark(organisation=org, segment=kazan, reason="wrong_profile")
    assert _names(not_ours_party_ids(organisation_id=org.pk)) == {"Егор", "ООО «Вектор»"}
    other = organisation_create("Другая")
    assert not_ours_party_ids(organisation_id=other.pk) == set()
