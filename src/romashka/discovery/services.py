"""Writes of discovery: segments, "not our client" marks, company profiles, committees, interviews, products."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from romashka.core.models import Organisation, Party
from romashka.discovery.choices import (
    MAX_CONDITIONS,
    RANGE_FIELDS,
    WHOLE_NUMBER_FIELDS,
    NotOursReason,
    SegmentField,
)
from romashka.discovery.models import NotOurClient, Segment, SegmentCondition


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
