"""The purchase cycle: the suggestion from the data, the organisation's chosen value, and the rules
per client that overrides of a saved segment, a location or a product category give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from romashka.core.access import Capability, require
from romashka.core.models import Location, Organisation, Party
from romashka.path.models import CycleOverride, Purchase

CYCLE_MIN, CYCLE_MAX = 1, 3650


def _parse_cycle_days(value) -> int:
    """The value as whole days within 1..3650, or ValidationError with a message the user can act on."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(
            {"cycle_days": _("“%(value)s” is not a whole number of days.") % {"value": value}}
        ) from None
    if not CYCLE_MIN <= number <= CYCLE_MAX:
        raise ValidationError(
            {
                "cycle_days": _("The purchase cycle must be from %(min)d to %(max)d days; got %(value)d.")
                % {"min": CYCLE_MIN, "max": CYCLE_MAX, "value": number}
            }
        )
    return number


def organisation_cycle_set(
    *, organisation: Organisation, cycle_days, user, as_of: date | None = None
) -> dict:
    """Sets the organisation's default purchase cycle and refreshes the statuses with it.

    Only the owner and the CRM manager may; a bad value writes nothing.
    Returns what :func:`status_refresh` returns.
    """
    from romashka.path.services import status_refresh, today_of

    require(user, Capability.SET_PURCHASE_CYCLE)
    days = _parse_cycle_days(cycle_days)
    with transaction.atomic():
        Organisation.objects.filter(pk=organisation.pk).update(default_cycle_days=days)
        organisation.default_cycle_days = days
        return status_refresh(organisation=organisation, as_of=as_of or today_of(organisation))


@dataclass(frozen=True)
class ClientRules:
    """Per-customer rule parameters and overdue factors for the engine; None when nothing is overridden."""

    parameters: object | None  # pa.Table (customer_id, cycle_days, lost_after_days, fan_min_purchases)
    factors: object | None  # pa.Table (customer_id, overdue_factor)


def client_rules(*, organisation: Organisation) -> ClientRules:
    """Each client's override: a segment's it belongs to, else its home location's, else its most
    frequent category's.

    Precedence segment > location > category > organisation; of several segments, the one first by
    name (then by id). Segment membership is read as the segment defines it now, purchase figures
    from the last refresh. The most frequent category is the one with the most purchase rows (ties:
    the alphabetically first), counted in the database.
    """
    import pyarrow as pa

    from romashka.discovery.selectors import segment_parties

    overrides = list(CycleOverride.objects.filter(organisation=organisation).select_related("segment"))
    if not overrides:
        return ClientRules(None, None)
    by_location = {o.location_id: o for o in overrides if o.location_id is not None}
    by_category = {o.category: o for o in overrides if o.category}
    by_segment = sorted((o for o in overrides if o.segment_id is not None), key=lambda o: (o.segment.name, o.segment_id))
    chosen: dict[int, CycleOverride] = {}
    if by_category:
        for party_id, category in _most_frequent_categories(organisation.pk).items():
            if category in by_category:
                chosen[party_id] = by_category[category]
    if by_location:
        homes = Party.objects.filter(
            organisation=organisation, home_location_id__in=list(by_location)
        ).values_list("pk", "home_location_id")
        for party_id, location_id in homes.iterator(chunk_size=10_000):
            chosen[party_id] = by_location[location_id]
    # The last written wins: segments from the last by name to the first.
    for override in reversed(by_segment):
        members = segment_parties(segment=override.segment).values_list("pk", flat=True)
        for party_id in members.iterator(chunk_size=10_000):
            chosen[party_id] = override
    ids = list(chosen)
    parameters = pa.table(
        {
            "customer_id": pa.array([str(i) for i in ids], pa.string()),
            "cycle_days": pa.array([chosen[i].cycle_days for i in ids], pa.int64()),
            "lost_after_days": pa.array([chosen[i].lost_after_days for i in ids], pa.int64()),
            "fan_min_purchases": pa.array([chosen[i].fan_min_purchases for i in ids], pa.int64()),
        }
    )
    with_factor = [i for i in ids if chosen[i].overdue_factor is not None]
    factors = pa.table(
        {
            "customer_id": pa.array([str(i) for i in with_factor], pa.string()),
            "overdue_factor": pa.array([float(chosen[i].overdue_factor) for i in with_factor], pa.float64()),
        }
    )
    return ClientRules(parameters, factors)


def _most_frequent_categories(organisation_id: int) -> dict[int, str]:
    """Each party's category with the most purchase rows (ties: alphabetically first), non-empty only."""
    table = connection.ops.quote_name(Purchase._meta.db_table)
    query = (
        f"SELECT party_id, category, COUNT(*) FROM {table} "  # noqa: S608 - the table name comes from model metadata
        "WHERE organisation_id = %s AND category <> '' GROUP BY party_id, category"
    )
    best: dict[int, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, [organisation_id])
        for party_id, category, rows in cursor.fetchall():
            current = best.get(party_id)
            if current is None or (-rows, category) < (-current[0], current[1]):
                best[party_id] = (rows, category)
    return {party_id: category for party_id, (_rows, category) in best.items()}


def _optional_whole(value, field: str, low: int, high: int) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        raise ValidationError({field: _("“%(value)s” is not a whole number.") % {"value": text}}) from None
    if not low <= number <= high:
        raise ValidationError(
            {field: _("Expected a value from %(min)d to %(max)d; got %(value)d.") % {"min": low, "max": high,
                                                                                   "value": number}}
        )
    return number


def _optional_factor(value) -> Decimal | None:
    text = str(value or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        factor = Decimal(text)
    except InvalidOperation:
        raise ValidationError({"overdue_factor": _("“%(value)s” is not a number.") % {"value": text}}) from None
    if not Decimal("1") <= factor <= Decimal("10"):
        raise ValidationError({"overdue_factor": _("The overdue factor must be from 1 to 10; got %(value)s.")
                               % {"value": text}})
    return factor.quantize(Decimal("0.01"))


def cycle_override_save(
    *, user, subject: str, subject_value, cycle_days, lost_after_days="", fan_min_purchases="",
    overdue_factor="", as_of: date | None = None,
) -> dict:
    """Creates or replaces the override for one segment, location or product category, then refreshes.

    ``subject`` is "segment", "location" or "category"; ``subject_value`` the segment's or location's id
    or the category's name. Only the owner and the CRM manager may; a bad value writes nothing.
    Returns what :func:`status_refresh` returns.
    """
    from romashka.discovery.models import Segment
    from romashka.path.services import status_refresh, today_of

    scope = require(user, Capability.SET_PURCHASE_CYCLE)
    organisation = Organisation.objects.get(pk=scope.organisation_id)
    days = _parse_cycle_days(cycle_days)
    values = {
        "cycle_days": days,
        "lost_after_days": _optional_whole(lost_after_days, "lost_after_days", 1, 36500),
        "fan_min_purchases": _optional_whole(fan_min_purchases, "fan_min_purchases", 1, 1000),
        "overdue_factor": _optional_factor(overdue_factor),
    }
    raw = str(subject_value or "").strip()
    lookup: dict[str, object]
    if subject == "segment":
        segment = Segment.objects.filter(organisation=organisation, pk=int(raw) if raw.isdigit() else None).first()
        if segment is None:
            raise ValidationError({"subject_value": _("Choose one of your saved segments.")})
        lookup = {"segment": segment}
    elif subject == "location":
        location = Location.objects.filter(organisation=organisation, pk=int(raw) if raw.isdigit() else None).first()
        if location is None:
            raise ValidationError({"subject_value": _("Choose one of your locations.")})
        lookup = {"location": location}
    elif subject == "category":
        if not raw or len(raw) > 100:
            raise ValidationError({"subject_value": _("Give the product category as it appears in the purchases.")})
        lookup = {"category": raw}
    else:
        raise ValidationError({"subject": _("Choose a segment, a location or a product category.")})
    with transaction.atomic():
        CycleOverride.objects.update_or_create(organisation=organisation, **lookup, defaults=values)
        result = status_refresh(organisation=organisation, as_of=as_of or today_of(organisation))
    return result


def cycle_override_delete(*, user, override_id: int, as_of: date | None = None) -> dict:
    """Removes one override of the user's organisation (404 for another's) and refreshes the statuses."""
    from django.shortcuts import get_object_or_404

    from romashka.path.services import status_refresh, today_of

    scope = require(user, Capability.SET_PURCHASE_CYCLE)
    override = get_object_or_404(CycleOverride, pk=override_id, organisation_id=scope.organisation_id)
    organisation = override.organisation
    with transaction.atomic():
        override.delete()
        return status_refresh(organisation=organisation, as_of=as_of or today_of(organisation))
