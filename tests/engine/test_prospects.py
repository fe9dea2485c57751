"""Statuses before the first purchase (lead, prospect) against a plain-Python reference of the rules."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_lifecycle import AS_OF, purchases_table, reference_lifecycle

from romashka.engine import lifecycle_table
from romashka.engine.history import history_table
from romashka.engine.prospects import PARTY_COLUMNS, TargetProfile, pre_purchase_expr

BACKEND = ibis.duckdb.connect()
IDS = ["0001", "001", "+79161234567", "ООО Вектор", "card 42"]
START = AS_OF - timedelta(days=500)
D = Decimal


def party(customer_id, recorded_on, *, has_contact=False, form="", city="", gender="", birthday=None, channel=""):
    return dict(customer_id=customer_id, recorded_on=recorded_on, has_contact=has_contact, form=form, city=city,
                gender=gender, birthday=birthday, acquisition_channel=channel)


def parties_table(parties) -> pa.Table:
    types = dict(customer_id=pa.string(), recorded_on=pa.date32(), has_contact=pa.bool_(), form=pa.string(),
                 city=pa.string(), gender=pa.string(), birthday=pa.date32(), acquisition_channel=pa.string())
    return pa.table({name: pa.array([p[name] for p in parties], types[name]) for name in PARTY_COLUMNS})


# --- the reference ------------------------------------------------------------------------------


def reference_matches(p, profile: TargetProfile, day: date) -> bool:
    def fold(text):
        return (text or "").strip().lower()

    if profile.form and fold(p["form"]) != fold(profile.form):
        return False
    if profile.cities and fold(p["city"]) not in {fold(c) for c in profile.cities}:
        return False
    if profile.gender and fold(p["gender"]) != fold(profile.gender):
        return False
    if profile.age_min is not None or profile.age_max is not None:
        born = p["birthday"]
        if born is None:
            return False
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        if profile.age_min is not None and age < profile.age_min:
            return False
        if profile.age_max is not None and age > profile.age_max:
            return False
    return not profile.acquisition_channels or fold(p["acquisition_channel"]) in {
        fold(c) for c in profile.acquisition_channels
    }


def reference_pre_status(p, profiles, day) -> str:
    prospect = not p["has_contact"] and any(reference_matches(p, profile, day) for profile in profiles)
    return "prospect" if prospect else "lead"


def reference_with_parties(rows, parties, profiles, *, as_of, **parameters):
    """The lifecycle of the rows, plus every party with no row up to as_of recorded by then."""
    result = reference_lifecycle(rows, as_of=as_of, **parameters)
    seen = {row["customer_id"] for row in result}
    for p in parties:
        if p["customer_id"] in seen or (p["recorded_on"] is not None and p["recorded_on"] > as_of):
            continue
        result.append(dict(customer_id=p["customer_id"], status=reference_pre_status(p, profiles, as_of),
                           purchase_days=0, episode_purchase_days=0, first_purchase=None, last_purchase=None,
                           recency_days=None, monetary=D("0.00"), won_back=False))
    return sorted(result, key=lambda row: row["customer_id"])


def status_at(events: pa.Table, day: date) -> dict[str, tuple[str, bool]]:
    by_customer: dict[str, list] = defaultdict(list)
    for row in events.to_pylist():
        by_customer[row["customer_id"]].append((row["changed_on"], row["to_status"], row["won_back"]))
    result = {}
    for customer, changes in by_customer.items():
        changes.sort()
        index = bisect_right([c[0] for c in changes], day)
        if index:
            result[customer] = changes[index - 1][1:]
    return result


def engine(rows, parties, profiles, *, as_of=AS_OF, backend=BACKEND, **parameters):
    expr = pre_purchase_expr(ibis.memtable(parties_table(parties)), profiles=profiles, as_of=as_of)
    return lifecycle_table(purchases_table(rows), as_of=as_of, backend=backend, parties=expr, **parameters)


# --- random parties and histories -----------------------------------------------------------------

days_around = st.integers(0, 560).map(lambda offset: START + timedelta(days=offset))
row = st.tuples(
    st.sampled_from(IDS),
    days_around,
    st.sampled_from([D("100.00"), D("0.01"), D("-100.00"), D("0")]),
)
profile = st.builds(
    TargetProfile,
    form=st.sampled_from(["", "company", "person"]),
    cities=st.sampled_from([(), ("Москва",), (" москва ", "Казань")]),
    gender=st.sampled_from(["", "f"]),
    age_min=st.sampled_from([None, 18, 30]),
    age_max=st.sampled_from([None, 30, 45]),
    acquisition_channels=st.sampled_from([(), ("сайт",), ("Сайт", "2ГИС")]),
)
a_party = st.builds(
    party,
    st.sampled_from(IDS),
    st.one_of(st.none(), days_around),
    has_contact=st.booleans(),
    form=st.sampled_from(["", "company", "person"]),
    city=st.sampled_from(["", "Москва", "МОСКВА ", "Казань", "Тверь"]),
    gender=st.sampled_from(["", "f", "m"]),
    # Birthdays on and around the age boundaries as of AS_OF (30 years: 1994-06-30).
    birthday=st.one_of(st.none(), st.sampled_from([date(1994, 6, 30), date(1994, 7, 1), date(1979, 6, 30),
                                                   date(2006, 7, 1), date(2000, 2, 29)])),
    channel=st.sampled_from(["", "сайт", "2ГИС", "соцсети"]),
)
parties_strategy = st.lists(a_party, max_size=5, unique_by=lambda p: p["customer_id"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=25), parties=parties_strategy, profiles=st.lists(profile, max_size=2))
def test_lifecycle_with_parties_matches_the_reference(rows, parties, profiles):
    assert engine(rows, parties, profiles).to_pylist() == reference_with_parties(rows, parties, profiles, as_of=AS_OF)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(row, max_size=25),
    parties=parties_strategy,
    profiles=st.lists(profile, max_size=2),
    days=st.lists(st.integers(0, 500).map(lambda offset: START + timedelta(days=offset)), min_size=1, max_size=4),
)
def test_history_with_parties_gives_the_fresh_status_at_any_date(rows, parties, profiles, days):
    """Parties without a recorded date have no event; the others' status at any date is a fresh run's.

    Profiles without an age criterion: with one, a prospect can turn lead by growing older, which the
    history records at as_of's age only (documented in romashka.engine.prospects).
    """
    profiles = [p for p in profiles if p.age_min is None and p.age_max is None]
    dated = [p for p in parties if p["recorded_on"] is not None]
    expr = pre_purchase_expr(ibis.memtable(parties_table(dated)), profiles=profiles, as_of=AS_OF)
    events = history_table(purchases_table(rows), as_of=AS_OF, backend=BACKEND, parties=expr)
    for day in days:
        fresh = engine(rows, dated, profiles, as_of=day).to_pylist()
        assert status_at(events, day) == {r["customer_id"]: (r["status"], r["won_back"]) for r in fresh}, day


# --- the rules, spelled out -------------------------------------------------------------------------


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


OFFICES = TargetProfile(form="company", cities=("Москва", "Казань"), acquisition_channels=("список бизнес-центров",))


def test_a_party_without_contact_that_matches_a_profile_is_a_prospect_and_with_a_contact_a_lead():
    parties = [
        party("inn-1", ago(30), form="company", city=" москва", channel="Список бизнес-центров"),
        party("inn-2", ago(30), form="company", city="Москва", channel="список бизнес-центров", has_contact=True),
        party("inn-3", ago(30), form="company", city="Тверь", channel="список бизнес-центров"),
        party("inn-4", ago(30), form="person", city="Москва", channel="список бизнес-центров"),
        party("inn-5", AS_OF + timedelta(days=1), form="company", city="Москва", channel="список бизнес-центров"),
    ]
    statuses = {r["customer_id"]: r["status"] for r in engine([], parties, [OFFICES]).to_pylist()}
    assert statuses == {"inn-1": "prospect", "inn-2": "lead", "inn-3": "lead", "inn-4": "lead"}
    assert {r["status"] for r in engine([], parties, []).to_pylist()} == {"lead"}  # no profile, no prospect


@pytest.mark.parametrize(
    ("birthday", "age_min", "age_max", "prospect"),
    [
        (date(1994, 6, 30), 30, None, True),  # 30 on as_of itself
        (date(1994, 7, 1), 30, None, False),  # 30 tomorrow
        (date(1979, 6, 30), None, 45, True),  # 45 today
        (date(1978, 6, 30), None, 45, False),  # 46 today
        (None, 18, None, False),  # no birthday: an age criterion does not hold
    ],
)
def test_age_is_counted_in_full_years_on_as_of(birthday, age_min, age_max, prospect):
    profile_of_age = TargetProfile(age_min=age_min, age_max=age_max)
    result = engine([], [party("1", ago(3), birthday=birthday)], [profile_of_age]).to_pylist()
    assert result[0]["status"] == ("prospect" if prospect else "lead")


def test_a_prospect_who_buys_goes_prospect_then_novice_and_a_refund_first_makes_a_lead():
    parties = [
        party("a", ago(100), form="company", city="Москва", channel="список бизнес-центров"),
        party("b", ago(100), form="company", city="Москва", channel="список бизнес-центров"),
        party("c", ago(5), form="company", city="Москва", channel="список бизнес-центров"),  # recorded after buying
    ]
    rows = [("a", ago(40), D("500")), ("b", ago(60), D("-50")), ("b", ago(40), D("500")), ("c", ago(40), D("500"))]
    expr = pre_purchase_expr(ibis.memtable(parties_table(parties)), profiles=[OFFICES], as_of=AS_OF)
    events = history_table(purchases_table(rows), as_of=AS_OF, backend=BACKEND, parties=expr).to_pylist()
    steps = defaultdict(list)
    for event in events:
        steps[event["customer_id"]].append((event["changed_on"], event["from_status"], event["to_status"]))
    assert steps["a"] == [(ago(100), None, "prospect"), (ago(40), "prospect", "novice")]
    assert steps["b"] == [(ago(100), None, "lead"), (ago(40), "lead", "novice")]
    assert steps["c"] == [(ago(40), None, "novice")]


def test_a_party_recorded_on_its_first_purchase_day_has_no_lead_step():
    expr = pre_purchase_expr(ibis.memtable(parties_table([party("1", ago(10), has_contact=True)])), profiles=[],
                             as_of=AS_OF)
    events = history_table(purchases_table([("1", ago(10), D("5"))]), as_of=AS_OF, backend=BACKEND, parties=expr)
    assert [(e["from_status"], e["to_status"]) for e in events.to_pylist()] == [(None, "novice")]
