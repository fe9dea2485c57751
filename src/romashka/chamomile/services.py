"""Writes of the chamomile: the owner's petal targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from romashka.chamomile.figures import FIGURES
from romashka.chamomile.models import PetalTarget
from romashka.core.access import Capability, require


@transaction.atomic
def petal_targets_set(*, user, month: date, values: dict[str, Decimal | None]) -> int:
    """Sets (or, with None, removes) the month's target of each figure given; returns how many changed.

    Only roles that manage settings (the owner) set targets; a figure without data cannot get one.
    """
    scope = require(user, Capability.MANAGE_SETTINGS)
    month = month.replace(day=1)
    unknown = [key for key in values if key not in FIGURES or not FIGURES[key].has_provider]
    if unknown:
        raise ValidationError({key: "no such figure with data" for key in unknown})
    changed = 0
    for key, value in values.items():
        if value is None:
            changed += PetalTarget.objects.filter(organisation_id=scope.organisation_id, figure=key, month=month).delete()[0]
            continue
        PetalTarget.objects.update_or_create(
            organisation_id=scope.organisation_id, figure=key, month=month,
            defaults={"value": value, "set_by": user},
        )
        changed += 1
    return changed
