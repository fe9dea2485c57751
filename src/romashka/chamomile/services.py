"""Writes of the chamomile: the owner's petal targets, the community initiatives."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404

from romashka.chamomile.figures import FIGURES, can_manage_initiatives
from romashka.chamomile.models import CommunityInitiative, PetalTarget
from romashka.core.access import Capability, Scope, require, scope_for


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


def _initiatives_manager(user) -> Scope:
    scope = scope_for(user)
    if not can_manage_initiatives(scope):
        raise PermissionDenied("only the owner and the CRM manager record initiatives")
    return scope


@transaction.atomic
def initiative_save(*, user, form) -> CommunityInitiative:
    """Saves a valid InitiativeForm (new or an existing initiative of the user's organisation)."""
    scope = _initiatives_manager(user)
    initiative = form.save(commit=False)
    if initiative.pk is not None and initiative.organisation_id != scope.organisation_id:
        raise PermissionDenied("another organisation's initiative")
    initiative.organisation_id = scope.organisation_id
    previous = CommunityInitiative.objects.filter(pk=initiative.pk).values_list("photo", flat=True).first()
    initiative.save()
    form.save_m2m()
    if previous and previous != initiative.photo.name:  # replaced or cleared: the old file goes
        initiative.photo.storage.delete(previous)
    return initiative


@transaction.atomic
def initiative_delete(*, user, initiative_id: int) -> None:
    scope = _initiatives_manager(user)
    initiative = CommunityInitiative.objects.filter(organisation_id=scope.organisation_id, pk=initiative_id).first()
    if initiative is None:
        raise Http404("initiative not found")
    if initiative.photo:
        initiative.photo.delete(save=False)
    initiative.delete()
