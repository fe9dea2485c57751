"""Status snapshots and events in the database: refresh, status at past dates, transitions, scoping."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import date
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.http import Http404

from romashka.core.models import Location, Membership, Organisation, Party
from romashka.engine import lifecycle_table
from romashka.path import selectors
from romashka.path.choices import Status
from romashka.path.models import Purchase, StatusEvent, StatusSnapshot, TargetProfile
from romashka.path.services import status_refresh

DEMO_UNTIL = date(2026, 11, 23)  # tests/conftest.py: the demo network's last day
PAST_DATES = [date(2025, 2, 14), date(2025, 9, 1), date(2026, 3, 31), date(2026, 10, 1)]

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def user(username: str):
    return get_user_model().objects.get(username=username)


def _organisation() -> Organisation:
    return Organisation.objects.get()


def _snapshot_rows():
    return sorted(
        StatusSnapshot.objects.values_list(
            "party_id", "status", "won_back", "purchase_days", "episode_purchase_days", "first_purchase",
            "last_purchase", "recency_days", "monetary", "as_of", "status_since",
        )
    )


def _event_rows():
    return sorted(
        StatusEvent.objects.values_list("party_id", "changed_on", "from_status", "to_status", "won_back")
    )


def _fresh(day: date) -> dict[int, tuple[str, bool]]:
    """Party → (status, won_back) by a fresh lifecycle run over the purchases up to the day."""
    rows = list(Purchase.objects.values_list("party_id", "purchased_on", "amount"))
    table = pa.table(
        {
            "customer_id": pa.array([str(r[0]) for r in rows], pa.string()),
            "purchased_at": pa.array([r[1] for r in rows], pa.date32()),
            "amount": pa.array([r[2] for r in rows], pa.decimal128(14, 2)),
        }
    )
    cycle_days = _organisation().default_cycle_days
    result = lifecycle_table(table, as_of=day, cycle_days=cycle_days, lost_after_days=3 * cycle_days)
    return {int(r["customer_id"]): (r["status"], r["won_back"]) for r in result.to_pylist()}


def _matches(party: Party, profile: TargetProfile, day: date) -> bool:
    """The target-profile rule read literally, independent of the engine."""

    def listed(text: str) -> set[str]:
        return {part.strip().lower() for part in text.split(",") if part.strip()}

    if profile.form and party.form != profile.form:
        return False
    if profile.cities and party.city.strip().lower() not in listed(profile.cities):
        return False
    if profile.gender and party.gender != profile.gender:
        return False
    if profile.age_min is not None or profile.age_max is not None:
        if party.birthday is None:
            return False
        age = day.year - party.birthday.year - ((day.month, day.day) < (party.birthday.month, party.birthday.day))
        if (profile.age_min is not None and age < profile.age_min) or (
            profile.age_max is not None and age > profile.age_max
        ):
            return False
    return not profile.acquisition_channels or party.acquisition_channel.strip().lower() in listed(
        profile.acquisition_channels
    )


def _expected(day: date) -> dict[int, tuple[str, bool]]:
    """The fresh computation, plus guests with no purchase row yet, from the day they were recorded:
    prospects when they have no contact and match an active target profile, leads otherwise."""
    expected = _fresh(day)
    zone = ZoneInfo(_organisation().time_zone)
    profiles = list(TargetProfile.objects.filter(is_active=True))
    for party in Party.objects.filter(roles__kind="guest").annotate(contacts=Count("channels")):
        if party.pk in expected or party.created_at.astimezone(zone).date() > day:
            continue
        prospect = not party.contacts and any(_matches(party, profile, day) for profile in profiles)
        expected[party.pk] = ("prospect" if prospect else "lead", False)
    return expected


def _from_events(day: date) -> dict[int, tuple[str, bool]]:
    changes: dict[int, list] = defaultdict(list)
    for party_id, changed_on, _from, to_status, won_back in _event_rows():
        changes[party_id].append((changed_on, to_status, won_back))
    result = {}
    for party_id, rows in changes.items():
        index = bisect_right([r[0] for r in rows], day)
        if index:
            result[party_id] = rows[index - 1][1:]
    return result


def test_the_demo_leaves_a_snapshot_for_every_guest_and_events_for_every_buyer():
    guests = Party.objects.filter(roles__kind="guest").count()
    assert StatusSnapshot.objects.count() == guests
    buyers = Purchase.objects.values("party_id").distinct().count()
    assert StatusEvent.objects.values("party_id").distinct().count() >= buyers
    statuses = set(StatusSnapshot.objects.values_list("status", flat=True))
    assert {"prospect", "lead", "novice", "fan", "dormant", "lost"} <= statuses
    assert StatusSnapshot.objects.filter(won_back=True).exists()
    never_bought = StatusSnapshot.objects.exclude(party__purchases__isnull=False)
    assert set(never_bought.values_list("status", flat=True)) == {"lead", "prospect"}
    # The demo's prospects: companies from a business-centre list, with no contact yet.
    prospects = Party.objects.filter(status_snapshot__status="prospect")
    assert prospects.exists() and not prospects.filter(channels__isnull=False).exists()
    assert set(prospects.values_list("form", flat=True)) == {"company"}


def test_guests_recorded_before_their_first_purchase_were_leads_until_it():
    zone = ZoneInfo(_organisation().time_zone)
    first = StatusEvent.objects.filter(from_status="lead", to_status="novice").select_related("party")
    assert first.exists()
    for event in first[:50]:
        lead = StatusEvent.objects.get(party_id=event.party_id, to_status="lead")
        assert lead.changed_on == event.party.created_at.astimezone(zone).date() < event.changed_on
        # The first purchase day by the rules: the first day whose receipts sum to more than zero.
        days = Purchase.objects.filter(party_id=event.party_id).values("purchased_on").annotate(total=Sum("amount"))
        first_day = min(d["purchased_on"] for d in days if d["total"] > 0)
        assert event.changed_on == first_day


def test_refreshing_twice_gives_the_same_rows():
    before = (_snapshot_rows(), _event_rows())
    first = status_refresh(organisation=_organisation(), as_of=DEMO_UNTIL)
    after_first = (_snapshot_rows(), _event_rows())
    second = status_refresh(organisation=_organisation(), as_of=DEMO_UNTIL)
    assert after_first == before  # the demo ran the same refresh
    assert (_snapshot_rows(), _event_rows()) == after_first
    assert first["counts"] == second["counts"] and first["events"] == second["events"] == len(before[1])


def test_the_snapshot_equals_a_fresh_computation_with_its_figures():
    fresh = _fresh(DEMO_UNTIL)
    snapshots = {s.party_id: s for s in StatusSnapshot.objects.all()}
    for party_id, (status, won_back) in fresh.items():
        assert (snapshots[party_id].status, snapshots[party_id].won_back) == (status, won_back)
    some = StatusSnapshot.objects.filter(purchase_days__gt=3).order_by("party_id").first()
    kopecks = sum(Purchase.objects.filter(party_id=some.party_id).values_list("amount", flat=True))
    assert some.monetary == kopecks
    assert some.recency_days == (DEMO_UNTIL - some.last_purchase).days
    last_event = StatusEvent.objects.filter(party_id=some.party_id).order_by("-changed_on").first()
    assert (some.status_since, some.status) == (last_event.changed_on, last_event.to_status)


@pytest.mark.parametrize("day", PAST_DATES)
def test_the_status_at_a_past_date_equals_a_fresh_computation_at_that_date(day):
    fresh = _expected(day)
    assert _from_events(day) == fresh
    counts = selectors.status_counts(user=user("owner"), on=day)
    assert counts.counts == {s.value: 0 for s in Status} | dict(Counter(s for s, _ in fresh.values()))
    assert counts.won_back == sum(1 for _, won_back in fresh.values() if won_back)


def test_a_refresh_at_a_past_date_writes_no_event_after_it():
    day = PAST_DATES[1]
    status_refresh(organisation=_organisation(), as_of=day)
    assert not StatusEvent.objects.filter(changed_on__gt=day).exists()
    assert set(StatusSnapshot.objects.values_list("as_of", flat=True)) == {day}
    fresh = _fresh(day)
    assert {s.party_id: (s.status, s.won_back) for s in StatusSnapshot.objects.filter(party_id__in=fresh)} == fresh


def test_transition_matrix_rows_add_up_to_the_counts_at_both_dates():
    owner = user("owner")
    date_from, date_to = date(2026, 5, 31), date(2026, 8, 31)
    matrix = selectors.transition_matrix(user=owner, date_from=date_from, date_to=date_to)
    before = selectors.status_counts(user=owner, on=date_from)
    after = selectors.status_counts(user=owner, on=date_to)
    into: Counter = Counter()
    out_of: Counter = Counter()
    shares: defaultdict = defaultdict(float)
    for cell in matrix.transitions:
        into[cell.to_status] += cell.clients
        out_of[cell.from_status] += cell.clients
        shares[cell.from_status] += cell.share
    assert dict(into) == {s: n for s, n in after.counts.items() if n}
    assert {s: n for s, n in out_of.items() if s is not None} == {s: n for s, n in before.counts.items() if n}
    assert out_of[None] == after.total - before.total  # newcomers: no status yet on date_from
    assert all(share == pytest.approx(1.0) for share in shares.values())
    fell_asleep = next(c for c in matrix.transitions if (c.from_status, c.to_status) == ("fan", "dormant"))
    assert 0 < fell_asleep.share < 1


def test_transition_matrix_refuses_dates_in_the_wrong_order():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        selectors.transition_matrix(user=user("owner"), date_from=date(2026, 5, 1), date_to=date(2026, 4, 1))


def test_a_franchise_partner_counts_only_its_locations_clients():
    membership = Membership.objects.get(user__username="partner")
    own = Location.objects.filter(partner_id=membership.partner_id)
    day = PAST_DATES[2]
    fresh = _expected(day)
    theirs = set(Party.objects.filter(home_location__in=own, roles__kind="guest").values_list("pk", flat=True))
    expected = Counter(status for party_id, (status, _) in fresh.items() if party_id in theirs)
    partner_counts = selectors.status_counts(user=user("partner"), on=day)
    assert partner_counts.counts == {s.value: 0 for s in Status} | dict(expected)
    assert 0 < partner_counts.total < selectors.status_counts(user=user("owner"), on=day).total
    matrix = selectors.transition_matrix(user=user("partner"), date_from=PAST_DATES[1], date_to=day)
    assert sum(c.clients for c in matrix.transitions) == partner_counts.total


def test_one_clients_history_and_another_partners_client_is_not_found():
    membership = Membership.objects.get(user__username="partner")
    other = (
        StatusSnapshot.objects.exclude(party__home_location__partner_id=membership.partner_id)
        .filter(won_back=True)
        .order_by("party_id")
        .first()
    )
    history = selectors.client_status_history(user=user("owner"), party_id=other.party_id)
    assert history.snapshot.status == history.events[-1].to_status
    assert [e.from_status for e in history.events[1:]] == [e.to_status for e in history.events[:-1]]
    assert any(e.from_status == "lost" and e.won_back for e in history.events)
    with pytest.raises(Http404):
        selectors.client_status_history(user=user("partner"), party_id=other.party_id)


def test_selectors_use_a_fixed_number_of_queries(django_assert_max_num_queries):
    owner = user("owner")
    selectors.status_counts(user=owner, on=PAST_DATES[0])  # the scope is cached on the user
    with django_assert_max_num_queries(1):
        selectors.status_counts(user=owner, on=PAST_DATES[2])
    with django_assert_max_num_queries(1):
        selectors.transition_matrix(user=owner, date_from=PAST_DATES[1], date_to=PAST_DATES[3])
    party_id = StatusSnapshot.objects.order_by("party_id").values_list("party_id", flat=True).first()
    with django_assert_max_num_queries(3):
        selectors.client_status_history(user=owner, party_id=party_id)
