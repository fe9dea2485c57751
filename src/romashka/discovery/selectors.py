"""Reads of discovery: who is in a segment, who is not our client, and the figures behind the pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from romashka.core.choices import PartyKind
from romashka.core.models import Party
from romashka.discovery.choices import SegmentField
from romashka.discovery.models import CommitteeMember, NotOurClient, Segment, SegmentCondition


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _band_q(column: str, condition: SegmentCondition, *, whole: bool) -> Q:
    """from ≤ value ≤ to for whole numbers, from ≤ value < to for money; an open end is no bound."""
    q = Q()
    if condition.min_value is not None:
        q &= Q(**{f"{column}__gte": condition.min_value})
    if condition.max_value is not None:
        q &= Q(**{f"{column}__{'lte' if whole else 'lt'}": condition.max_value})
    return q


def _condition_q(condition: SegmentCondition, as_of: date) -> Q:
    from romashka.path.models import Purchase

    values = condition.value_list
    field = condition.field
    if field == SegmentField.CITY:
        return Q(city__in=values)
    if field == SegmentField.LOCATION:
        return Q(home_location__code__in=values)
    if field == SegmentField.GENDER:
        return Q(gender__in=values)
    if field == SegmentField.ACQUISITION_CHANNEL:
        return Q(acquisition_channel__in=values)
    if field == SegmentField.FORM:
        return Q(form__in=values)
    if field == SegmentField.STATUS:
        return Q(status_snapshot__status__in=values)
    if field == SegmentField.INDUSTRY:
        return Q(company_profile__industry__in=values)
    if field == SegmentField.COMPANY_SIZE:
        return Q(company_profile__size__in=values)
    if field == SegmentField.CATEGORY:
        bought = Purchase.objects.filter(party_id=OuterRef("pk"), category__in=values, amount__gt=0)
        return Q(Exists(bought))
    if field == SegmentField.AGE:
        # Age a ≥ from ⇔ born on or before as_of − from years; a ≤ to ⇔ born after as_of − (to + 1) years.
        q = Q(birthday__isnull=False)
        if condition.min_value is not None:
            q &= Q(birthday__lte=years_before(as_of, int(condition.min_value)))
        if condition.max_value is not None:
            q &= Q(birthday__gt=years_before(as_of, int(condition.max_value) + 1))
        return q
    if field == SegmentField.PURCHASE_DAYS:
        return _band_q("status_snapshot__purchase_days", condition, whole=True)
    if field == SegmentField.REVENUE:
        return Q(status_snapshot__isnull=False) & _band_q("status_snapshot__monetary", condition, whole=False)
    if field == SegmentField.AVERAGE_TICKET:
        # Revenue per purchase day within [from, to), written without a division: from × days ≤ revenue < to × days.
        days = F("status_snapshot__purchase_days")
        q = Q(status_snapshot__purchase_days__gt=0)
        if condition.min_value is not None:
            q &= Q(status_snapshot__monetary__gte=days * Value(Decimal(condition.min_value)))
        if condition.max_value is not None:
            q &= Q(status_snapshot__monetary__lt=days * Value(Decimal(condition.max_value)))
        return q
    raise ValueError(f"unknown segment field {field!r}")


def segment_q(*, segment: Segment, as_of: date | None = None) -> Q:
    """The Q over Party that holds for the segment's clients: every condition at once."""
    as_of = as_of or timezone.localdate()
    q = Q()
    for condition in segment.conditions.all():
        q &= _condition_q(condition, as_of)
    return q


def guests_of(organisation_id: int) -> QuerySet[Party]:
    return Party.objects.filter(organisation_id=organisation_id, roles__kind=PartyKind.GUEST)


def segment_parties(*, segment: Segment, as_of: date | None = None) -> QuerySet[Party]:
    """The organisation's clients (guests) in the segment, unscoped: the caller narrows it to what a user sees.

    Party attributes are read as they are now, purchase figures (status, revenue, purchase days, ticket)
    from the last status refresh, ages on `as_of` (today by default). Usable as a subquery:
    `Party.objects.filter(pk__in=segment_parties(segment=s).values("pk"))`.
    """
    return guests_of(segment.organisation_id).filter(segment_q(segment=segment, as_of=as_of))


def segment_party_ids(*, segment: Segment, as_of: date | None = None) -> set[int]:
    return set(segment_parties(segment=segment, as_of=as_of).values_list("pk", flat=True))


def not_ours_q(*, organisation_id: int, as_of: date | None = None) -> Q:
    """The Q over Party for those marked not ours, one by one or through a marked segment; Q(pk__in=[]) if none."""
    marks = NotOurClient.objects.filter(organisation_id=organisation_id)
    q = Q(pk__in=marks.filter(party__isnull=False).values("party_id"))
    segments = Segment.objects.filter(pk__in=marks.filter(segment__isnull=False).values("segment_id"))
    for segment in segments.prefetch_related("conditions"):
        q |= Q(organisation_id=organisation_id) & segment_q(segment=segment, as_of=as_of)
    return q


def not_ours_parties(*, organisation_id: int, as_of: date | None = None) -> QuerySet[Party]:
    """Every party of the organisation that is not our client; usable as a subquery (`.values("pk")`)."""
    return Party.objects.filter(organisation_id=organisation_id).filter(
        not_ours_q(organisation_id=organisation_id, as_of=as_of)
    )


def not_ours_party_ids(*, organisation_id: int, as_of: date | None = None) -> set[int]:
    return set(not_ours_parties(organisation_id=organisation_id, as_of=as_of).values_list("pk", flat=True))


def committee_roles_of(*, company_ids: set[int]) -> dict[int, set[str]]:
    """The committee roles each company has a member in."""
    roles: dict[int, set[str]] = {}
    ids = sorted(company_ids)
    for start in range(0, len(ids), 900):
        for company_id, role in CommitteeMember.objects.filter(company_id__in=ids[start:start + 900]).values_list(
                "company_id", "role"):
            roles.setdefault(company_id, set()).add(role)
    return roles


def committee_recipients(*, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(company, role) → the member a message for that role goes to (the first by name when several)."""
    if not pairs:
        return {}
    recipients: dict[tuple[int, str], int] = {}
    members = CommitteeMember.objects.filter(company_id__in={c for c, _r in pairs}, role__in={r for _c, r in pairs})
    for company_id, role, person_id in members.order_by("person__name", "pk").values_list(
            "company_id", "role", "person_id"):
        if (company_id, role) in pairs:
            recipients.setdefault((company_id, role), person_id)
    return recipients
