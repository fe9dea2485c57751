"""Whom to interview: fans and NPS promoters (latest client NPS answer 9–10), not interviewed recently."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model

from romashka.discovery.models import Interview
from romashka.discovery.selectors import RECENT_INTERVIEW_DAYS, interview_suggestions, not_ours_party_ids
from romashka.feedback.models import Answer, Survey, Wave
from romashka.path.models import StatusSnapshot

pytestmark = pytest.mark.usefixtures("demo_network", "db")


def _answer(party_id: int, score: int, day: date) -> None:
    survey = Survey.objects.filter(kind="client").first()
    wave = Wave.objects.filter(survey=survey).first()
    Answer.objects.create(organisation_id=survey.organisation_id, survey=survey, wave=wave, kind="client",
                          month=day.replace(day=1), party_id=party_id, answered_on=day, score=score)


def test_a_promoter_who_is_not_a_fan_is_suggested_and_a_former_promoter_is_not():
    crm = get_user_model().objects.get(username="crm")
    others = list(StatusSnapshot.objects.filter(status="novice").exclude(
        party__interviews__isnull=False).values_list("party_id", flat=True)[:2])
    promoter, former = others
    Answer.objects.filter(party_id__in=others).delete()
    _answer(promoter, 10, date(2026, 10, 1))
    _answer(former, 10, date(2026, 9, 1))
    _answer(former, 3, date(2026, 10, 1))  # the latest answer counts
    suggested = set(interview_suggestions(user=crm, limit=100_000).values_list("pk", flat=True))
    assert promoter in suggested
    assert former not in suggested
    # Every fan not interviewed within the half year and not marked "not ours" is suggested too.
    today = date.today()
    fans = set(StatusSnapshot.objects.filter(status="fan").values_list("party_id", flat=True))
    recent = set(Interview.objects.filter(interviewed_on__gt=today - timedelta(days=RECENT_INTERVIEW_DAYS))
                 .values_list("party_id", flat=True))
    not_ours = not_ours_party_ids(organisation_id=crm.membership.organisation_id)
    assert fans - recent - not_ours <= suggested
    assert not suggested & (recent | not_ours)
