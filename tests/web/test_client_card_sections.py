"""The client card shows the client's segments, interviews and survey answers to the roles that see them."""

from __future__ import annotations

import pytest

from romashka.discovery.models import Interview, Segment
from romashka.discovery.selectors import segment_party_ids
from romashka.feedback.models import Answer

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def _interviewed_client_with_answer() -> int:
    answered = set(Answer.objects.filter(kind="client", party__isnull=False).values_list("party_id", flat=True))
    interviewed = set(Interview.objects.values_list("party_id", flat=True))
    both = sorted(answered & interviewed) or sorted(interviewed)
    assert both, "the small demo has interviews"
    return both[0]


def test_the_owner_sees_exactly_the_segments_the_client_is_in_its_interviews_and_answers(english_client, login):
    login(english_client, "owner")
    party_id = _interviewed_client_with_answer()
    page = english_client.get(f"/clients/{party_id}/")
    assert page.status_code == 200
    member_of = [s for s in Segment.objects.order_by("name", "pk") if party_id in segment_party_ids(segment=s)]
    assert [s.pk for s in page.context["segments"]] == [s.pk for s in member_of]
    assert [i.pk for i in page.context["interviews"]] == list(
        Interview.objects.filter(party_id=party_id).values_list("pk", flat=True))
    expected_answers = list(Answer.objects.filter(party_id=party_id, kind__in=["client", "partner"])
                            .order_by("-answered_on", "-pk").values_list("pk", flat=True))
    assert [a.pk for a in page.context["answers"]] == expected_answers[:20]
    html = page.content.decode()
    assert 'data-testid="client-segments"' in html and 'data-testid="client-answers"' in html


def test_the_segments_query_does_not_grow_with_the_number_of_segments(english_client, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from romashka.core.models import Organisation
    from romashka.discovery.selectors import party_segments
    from romashka.discovery.services import ConditionSpec, SegmentSpec, segment_create

    owner = login(english_client, "owner")
    party_id = _interviewed_client_with_answer()

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            party_segments(user=owner, party_id=party_id)
        return len(captured.captured_queries)

    queries()  # the first call also reads the user's membership once
    before = queries()
    for number in range(3):
        segment_create(organisation=Organisation.objects.get(), spec=SegmentSpec(
            name=f"more {number}", conditions=[ConditionSpec(field="gender", values=["f"])]))
    assert queries() == before <= 4


def test_a_location_manager_sees_answers_but_no_segments_and_staff_neither(english_client, login):
    login(english_client, "manager")
    from django.contrib.auth import get_user_model

    from romashka.core.access import clients_visible

    manager = get_user_model().objects.get(username="manager")
    party_id = clients_visible(manager).values_list("pk", flat=True).first()
    html = english_client.get(f"/clients/{party_id}/").content.decode()
    assert 'data-testid="client-segments"' not in html
    assert 'data-testid="client-answers"' in html
