"""Shared helpers of the feedback tests: a wave with fresh personal links on the small demo network."""

from datetime import date

import pytest
from django.core.cache import cache

from romashka.core.access import ROLE_CAPABILITIES, Scope
from romashka.core.choices import Role

DEMO_UNTIL = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _cold_cache():
    """The rate limit and the chamomile's figures live in the cache; every test starts without them."""
    cache.clear()
    yield
    cache.clear()


def owner_scope(organisation_id: int) -> Scope:
    return Scope(organisation_id, Role.OWNER, None, ROLE_CAPABILITIES[Role.OWNER])


@pytest.fixture
def issue(demo_network, db):
    """`issue(kind, location=None, department=None, day=None)` → (wave, [IssuedLink…]) with real tokens."""
    from romashka.core.models import Organisation
    from romashka.feedback.models import Survey
    from romashka.feedback.services import wave_create, wave_links_issue

    def make(kind: str, location=None, department=None, day: date | None = None, limit: int = 50):
        organisation = Organisation.objects.get()
        survey = Survey.objects.filter(organisation=organisation, kind=kind).first()
        wave = wave_create(scope=owner_scope(organisation.pk), survey_id=survey.pk, scheduled_on=day or DEMO_UNTIL,
                           location_id=location.pk if location else None,
                           department_id=department.pk if department else None)
        return wave, wave_links_issue(wave=wave, limit=limit)

    return make
