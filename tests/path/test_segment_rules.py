"""Saved segments in the client's path: per-segment purchase cycles and the segment filter of lists."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from romashka.core.models import Location, Organisation, Party
from romashka.core.services import api_token_create
from romashka.discovery.models import Segment
from romashka.discovery.selectors import segment_party_ids
from romashka.discovery.services import ConditionSpec, SegmentSpec, segment_create
from romashka.path.cycle_services import client_rules
from romashka.path.models import CycleOverride, StatusSnapshot
from romashka.path.services import status_refresh

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def _organisation() -> Organisation:
    return Organisation.objects.get()


def _city_segment(name: str = "test: one city") -> Segment:
    """The clients of the city with most guests: a segment whose members are countable by hand."""
    organisation = _organisation()
    cities = Party.objects.filter(organisation=organisation, roles__kind="guest").exclude(city="")
    city = max(set(cities.values_list("city", flat=True)), key=lambda c: cities.filter(city=c).count())
    return segment_create(
        organisation=organisation,
        spec=SegmentSpec(name=name, conditions=[ConditionSpec(field="city", values=[city])]),
    )


def _as_of():
    return StatusSnapshot.objects.values_list("as_of", flat=True).first()


def test_a_segment_override_wins_over_the_location_and_reaches_exactly_its_members():
    organisation = _organisation()
    segment = _city_segment()
    members = segment_party_ids(segment=segment)
    assert members
    location = Location.objects.filter(organisation=organisation).first()
    CycleOverride.objects.create(organisation=organisation, location=location, cycle_days=10)
    CycleOverride.objects.create(organisation=organisation, segment=segment, cycle_days=5, lost_after_days=20)
    cycle_of = {int(r["customer_id"]): r["cycle_days"] for r in client_rules(organisation=organisation).parameters.to_pylist()}
    assert {p for p, days in cycle_of.items() if days == 5} == members
    at_location = set(Party.objects.filter(home_location=location).values_list("pk", flat=True))
    assert {p for p, days in cycle_of.items() if days == 10} == at_location - members


def test_of_two_segments_the_first_by_name_decides():
    organisation = _organisation()
    first = _city_segment("A first")
    second = _city_segment("B second")  # the same members
    CycleOverride.objects.create(organisation=organisation, segment=second, cycle_days=50)
    CycleOverride.objects.create(organisation=organisation, segment=first, cycle_days=7)
    cycle_of = {int(r["customer_id"]): r["cycle_days"] for r in client_rules(organisation=organisation).parameters.to_pylist()}
    assert set(cycle_of.values()) == {7}
    assert set(cycle_of) == segment_party_ids(segment=first)


def test_the_page_saves_a_segment_override_and_the_members_statuses_follow_it(english_client, login):
    login(english_client, "owner")
    segment = _city_segment()
    members = segment_party_ids(segment=segment)
    response = english_client.post("/path/cycle/", {
        "action": "override", "subject": "segment", "subject_value": str(segment.pk),
        "override_cycle_days": "1", "lost_after_days": "2",
    })
    assert response.status_code == 302
    override = CycleOverride.objects.get(segment=segment)
    assert (override.cycle_days, override.lost_after_days) == (1, 2)
    # With a one-day cycle and lost after two days, a member who bought more than two days ago is lost.
    stored = dict(StatusSnapshot.objects.filter(party_id__in=members).values_list("party_id", "recency_days"))
    statuses = dict(StatusSnapshot.objects.filter(party_id__in=members).values_list("party_id", "status"))
    for party_id, recency in stored.items():
        if recency is not None and recency > 2:
            assert statuses[party_id] == "lost", party_id
    page = english_client.get("/path/cycle/")
    assert f"«{segment.name}»" in page.content.decode()
    # Removing it puts the members back on the organisation's cycle.
    response = english_client.post("/path/cycle/", {"action": "override_delete", "override": str(override.pk)})
    assert response.status_code == 302 and not CycleOverride.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": "segment", "subject_value": "999999", "override_cycle_days": "30"}, "Choose one of your saved segments."),
        ({"subject": "location", "subject_value": "abc", "override_cycle_days": "30"}, "Choose one of your locations."),
        ({"subject": "category", "subject_value": "кофе", "override_cycle_days": "0"}, "The purchase cycle must be from 1 to 3650 days; got 0."),
        ({"subject": "category", "subject_value": "кофе", "override_cycle_days": "30", "overdue_factor": "0,5"},
         "The overdue factor must be from 1 to 10; got 0.5."),
        ({"subject": "category", "subject_value": "кофе", "override_cycle_days": "30", "lost_after_days": "много"},
         "“много” is not a whole number."),
    ],
)
def test_a_bad_override_gives_a_clear_message_and_writes_nothing(english_client, login, fields, message):
    login(english_client, "owner")
    before = sorted(StatusSnapshot.objects.values_list("party_id", "status"))
    response = english_client.post("/path/cycle/", {"action": "override", **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CycleOverride.objects.exists()
    assert sorted(StatusSnapshot.objects.values_list("party_id", "status")) == before


def test_a_role_that_may_not_set_the_cycle_cannot_save_an_override(english_client, login):
    login(english_client, "analyst")
    segment = _city_segment()
    response = english_client.post("/path/cycle/", {"action": "override", "subject": "segment",
                                            "subject_value": str(segment.pk), "override_cycle_days": "5"})
    assert response.status_code == 403
    assert not CycleOverride.objects.exists()


def test_the_status_list_page_and_its_export_filter_by_segment(english_client, login):
    login(english_client, "owner")
    status_refresh(organisation=_organisation(), as_of=_as_of())
    segment = _city_segment()
    members = segment_party_ids(segment=segment)
    expected = set(StatusSnapshot.objects.filter(status="fan", party_id__in=members).values_list("party_id", flat=True))
    assert expected and expected != set(StatusSnapshot.objects.filter(status="fan").values_list("party_id", flat=True))
    page = english_client.get(f"/path/fan/?segment={segment.pk}")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == len(expected)
    assert f'<option value="{segment.pk}" selected>' in page.content.decode()
    export = english_client.get(f"/path/fan/export.csv?segment={segment.pk}")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))[1:]
    assert {int(row[0]) for row in rows} == expected


def test_the_client_list_filters_by_segment(english_client, login):
    login(english_client, "owner")
    segment = _city_segment()
    page = english_client.get(f"/clients/?segment={segment.pk}")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == len(segment_party_ids(segment=segment))


def test_the_api_status_list_filters_by_segment_and_refuses_another_organisations(english_client):
    status_refresh(organisation=_organisation(), as_of=_as_of())
    segment = _city_segment()
    owner = get_user_model().objects.get(username="owner")
    headers = {"Authorization": f"Bearer {api_token_create(user=owner, name='tests')[1]}"}
    members = segment_party_ids(segment=segment)
    response = english_client.get(f"/api/statuses?segment_id={segment.pk}&page_size=1000", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == StatusSnapshot.objects.filter(party_id__in=members).count()
    assert {item["party_id"] for item in body["items"]} <= members
    other = Organisation.objects.create(name="Другая сеть")
    foreign = Segment.objects.create(organisation=other, name="чужой")
    assert english_client.get(f"/api/statuses?segment_id={foreign.pk}", headers=headers).status_code == 404


def test_a_location_manager_without_segments_sees_no_segment_filter_and_gets_403_for_one(english_client, login):
    login(english_client, "manager")
    segment = _city_segment()
    page = english_client.get("/path/fan/")
    assert page.status_code == 200 and 'data-testid="segment-filter"' not in page.content.decode()
    assert english_client.get(f"/path/fan/?segment={segment.pk}").status_code == 403
