"""Writes of discovery: segments, "not our client" marks, company profiles, committees, interviews, products."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from romashka.core.access import Capability, require
from romashka.core.choices import ChannelKind, PartyForm
from romashka.core.models import Channel, Organisation, Party
from romashka.discovery.choices import (
    MAX_CONDITIONS,
    RANGE_FIELDS,
    WHOLE_NUMBER_FIELDS,
    CommitteeRole,
    NotOursReason,
    SegmentField,
)
from romashka.discovery.models import (
    CommitteeMember,
    Interview,
    NotOurClient,
    RfmBounds,
    Segment,
    SegmentCondition,
)

# The name the interview invitations' touch standard starts with (the demo's and the one made on first use).
INTERVIEW_STANDARD_PREFIX = "Приглашение на интервью"


@dataclass
class ConditionSpec:
    field: str
    values: list[str] = field(default_factory=list)
    min_value: Decimal | None = None
    max_value: Decimal | None = None


@dataclass
class SegmentSpec:
    name: str
    conditions: list[ConditionSpec]
    description: str = ""


def decimal_or_none(text: str | None) -> Decimal | None:
    """A number typed by a user ("1 500,50" or "1500.5"); ValueError when it is not one."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return Decimal(str(text).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(str(text)) from exc


def _check_segment(spec: SegmentSpec, organisation: Organisation, segment: Segment | None) -> None:
    problems: dict[str, str] = {}
    if not spec.name.strip():
        problems["name"] = _("Give the segment a name.")
    elif (
        Segment.objects.filter(organisation=organisation, name=spec.name.strip())
        .exclude(pk=getattr(segment, "pk", None))
        .exists()
    ):
        problems["name"] = _("A segment with this name already exists.")
    if not 1 <= len(spec.conditions) <= MAX_CONDITIONS:
        problems["conditions"] = _("A segment has one to three characteristics (two or three describe it best).")
    seen: set[str] = set()
    for index, condition in enumerate(spec.conditions):
        where = f"conditions.{index}"
        if condition.field not in SegmentField.values:
            problems[f"{where}.field"] = _("Unknown characteristic %(field)s.") % {"field": condition.field}
            continue
        if condition.field in seen:
            problems[f"{where}.field"] = _("Each characteristic once; list several values in one condition.")
        seen.add(condition.field)
        if condition.field in RANGE_FIELDS:
            low, high = condition.min_value, condition.max_value
            if low is None and high is None:
                problems[f"{where}.min_value"] = _("Give a band: from, to or both.")
            elif any(v is not None and v < 0 for v in (low, high)):
                problems[f"{where}.min_value"] = _("A band cannot be negative.")
            elif low is not None and high is not None and low > high:
                problems[f"{where}.max_value"] = _("The band ends before it starts.")
            elif condition.field in WHOLE_NUMBER_FIELDS and any(
                v is not None and v != v.to_integral_value() for v in (low, high)
            ):
                problems[f"{where}.min_value"] = _("Ages and purchase days are whole numbers.")
        elif not [v for v in condition.values if v.strip()]:
            problems[f"{where}.values"] = _("Choose at least one value.")
    if problems:
        raise ValidationError(problems)


def _conditions_write(segment: Segment, conditions: list[ConditionSpec]) -> None:
    segment.conditions.all().delete()
    SegmentCondition.objects.bulk_create([
        SegmentCondition(
            segment=segment,
            position=index,
            field=c.field,
            values="" if c.field in RANGE_FIELDS else ", ".join(v.strip() for v in c.values if v.strip()),
            min_value=c.min_value if c.field in RANGE_FIELDS else None,
            max_value=c.max_value if c.field in RANGE_FIELDS else None,
        )
        for index, c in enumerate(conditions)
    ])


@transaction.atomic
def segment_create(*, organisation: Organisation, spec: SegmentSpec, user=None) -> Segment:
    _check_segment(spec, organisation, None)
    segment = Segment.objects.create(
        organisation=organisation, name=spec.name.strip(), description=spec.description.strip(), created_by=user
    )
    _conditions_write(segment, spec.conditions)
    return segment


@transaction.atomic
def segment_update(*, segment: Segment, spec: SegmentSpec) -> Segment:
    _check_segment(spec, segment.organisation, segment)
    segment.name = spec.name.strip()
    segment.description = spec.description.strip()
    segment.save(update_fields=["name", "description"])
    _conditions_write(segment, spec.conditions)
    return segment


def segment_delete(*, segment: Segment) -> None:
    segment.delete()


def not_ours_mark(
    *, organisation: Organisation, reason: str, party: Party | None = None, segment: Segment | None = None,
    note: str = "", user=None,
) -> NotOurClient:
    """Marks a party or a segment as not our client (again: the reason and note are replaced)."""
    if (party is None) == (segment is None):
        raise ValidationError({"party": _("Mark either a party or a segment.")})
    if reason not in NotOursReason.values:
        raise ValidationError({"reason": _("Choose a reason.")})
    for owned in (party, segment):
        if owned is not None and owned.organisation_id != organisation.pk:
            raise ValidationError({"party": _("Not a party of this organisation.")})
    mark, _created = NotOurClient.objects.update_or_create(
        organisation=organisation, party=party, segment=segment,
        defaults={"reason": reason, "note": note.strip(), "marked_by": user},
    )
    return mark


def not_ours_unmark(*, mark: NotOurClient) -> None:
    mark.delete()


def segment_create_by(*, user, spec: SegmentSpec) -> Segment:
    scope = require(user, Capability.VIEW_DISCOVERY)
    return segment_create(organisation=Organisation.objects.get(pk=scope.organisation_id), spec=spec, user=user)


def segment_delete_checked(*, segment: Segment) -> None:
    """Deletes a segment unless a touch standard is limited to it (say which, so the user can change it)."""
    used = list(segment.touch_versions.values_list("name", flat=True).distinct())
    if used:
        raise ValidationError({"segment": _("Touch standards are limited to this segment: %(names)s.")
                               % {"names": ", ".join(used)}})
    segment.delete()


@transaction.atomic
def interview_record(*, organisation: Organisation, party: Party, interviewer, fields: dict) -> Interview:
    """A new interview; the job named in the client's words is kept, and linked to the job list when chosen."""
    if party.organisation_id != organisation.pk:
        raise ValidationError({"party": _("Not a client of this organisation.")})
    amount = fields.get("pays_more_amount")
    if amount is not None and amount < 0:
        raise ValidationError({"pays_more_amount": _("The amount cannot be negative.")})
    if fields.get("pays_more") is False and amount:
        raise ValidationError({"pays_more_amount": _("An amount only when the client would pay more.")})
    return Interview.objects.create(organisation=organisation, party=party, interviewer=interviewer, **fields)


@transaction.atomic
def committee_member_add(*, company: Party, name: str, role: str, position: str = "", email: str = "") -> CommitteeMember:
    """A person of a business client's buying committee, with an e-mail (consent from the contract) if given."""
    if company.form != PartyForm.COMPANY:
        raise ValidationError({"company": _("Buying committees are for business clients.")})
    if role not in CommitteeRole.values:
        raise ValidationError({"role": _("Choose a role.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the person's name.")})
    person = Party.objects.create(organisation_id=company.organisation_id, name=name.strip(), city=company.city)
    if email.strip():
        address = email.strip().lower()
        Channel.objects.create(party=person, kind=ChannelKind.EMAIL, value=email.strip(), normalized=address,
                               is_primary=True, consent_at=timezone.now(), consent_source=_("contract"))
    return CommitteeMember.objects.create(company=company, person=person, role=role, position=position.strip())


def interview_invitations_create(*, user, party_ids: list[int], on) -> dict[str, int]:
    """Interview tasks through the touch system: the chosen clients enter the standard "chosen from a list"
    named for interviews (made on first use: a call by the client's location manager)."""
    from romashka.touches import services as touches
    from romashka.touches.choices import ExecutorRule, TouchChannel, Trigger
    from romashka.touches.models import Standard

    scope = require(user, Capability.MANAGE_TOUCHES)
    organisation = Organisation.objects.get(pk=scope.organisation_id)
    standard = (Standard.objects.filter(organisation=organisation, trigger=Trigger.LIST,
                                        versions__name__startswith=INTERVIEW_STANDARD_PREFIX)
                .order_by("pk").first())
    if standard is None:
        standard = touches.standard_create(
            organisation=organisation, trigger=Trigger.LIST, valid_from=on, user=user,
            spec=touches.StandardSpec(name=INTERVIEW_STANDARD_PREFIX, control_share=Decimal(0), steps=[
                touches.StepSpec(channel=TouchChannel.CALL, title=_("Invite to an interview"),
                                 aims_at_purchase=False, executor_rule=ExecutorRule.LOCATION_MANAGER,
                                 template_ru="Здравствуйте, {name}! Можно задать вам несколько вопросов о том, "
                                             "зачем вы к нам приходите?",
                                 template_en="Hello {name}, may we ask you a few questions about why you come to us?")]))
    return touches.entries_from_list(standard=standard, party_ids=party_ids, on=on)


def list_standard_enter(*, user, standard_id: int, party_ids: list[int], on) -> dict[str, int]:
    """Puts chosen clients (an RFM cell) on a touch standard "chosen from a list" of the user's organisation."""
    from romashka.touches import services as touches
    from romashka.touches.choices import Trigger
    from romashka.touches.models import Standard

    scope = require(user, Capability.MANAGE_TOUCHES)
    standard = Standard.objects.filter(pk=standard_id, organisation_id=scope.organisation_id,
                                       trigger=Trigger.LIST).first()
    if standard is None:
        raise ValidationError({"standard": _("Choose a touch standard chosen from a list.")})
    return touches.entries_from_list(standard=standard, party_ids=party_ids, on=on)


def bounds_parse(text: str) -> tuple[Decimal, Decimal, Decimal, Decimal] | None:
    """"7, 30, 90, 180" → four ascending numbers; empty → None; ValueError with a message otherwise."""
    if not text.strip():
        return None
    parts = [part for part in text.replace(";", " ").replace(",", " ").split() if part]
    try:
        numbers = [Decimal(part) for part in parts]
    except InvalidOperation:
        raise ValueError(_("Only numbers, separated by commas or spaces.")) from None
    if len(numbers) != 4:
        raise ValueError(_("Four numbers: the bounds between scores 1–2, 2–3, 3–4 and 4–5."))
    if any(n < 0 for n in numbers) or numbers != sorted(numbers) or len(set(numbers)) != 4:
        raise ValueError(_("The four numbers go up, none negative."))
    return numbers[0], numbers[1], numbers[2], numbers[3]


def rfm_bounds_set(*, user, recency_days: str, frequency: str, monetary: str) -> RfmBounds:
    """The organisation's RFM bounds; an empty figure stays on quintiles."""
    scope = require(user, Capability.MANAGE_TOUCHES)
    problems: dict[str, str] = {}
    texts = {"recency_days": recency_days, "frequency": frequency, "monetary": monetary}
    for name, text in texts.items():
        try:
            parsed = bounds_parse(text)
        except ValueError as error:
            problems[name] = str(error)
        else:
            texts[name] = ", ".join(format(n.normalize(), "f") for n in parsed) if parsed else ""
    if problems:
        raise ValidationError(problems)
    bounds, _created = RfmBounds.objects.update_or_create(organisation_id=scope.organisation_id, defaults=texts)
    return bounds
