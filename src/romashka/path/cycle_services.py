"""The purchase cycle: the suggestion from the data, the organisation's chosen value, and the rules
per client that overrides of a location or a product category give.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from romashka.core.access import Capability, require
from romashka.core.models import Organisation, Party
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
    """Each client's override: its home location's if there is one, else its most frequent category's.

    Precedence location > category > organisation. The most frequent category is the one with the
    most purchase rows (ties: the alphabetically first), counted in the database.
    """
    import pyarrow as pa

    overrides = list(CycleOverride.objects.filter(organisation=organisation))
    if not overrides:
        return ClientRules(None, None)
    by_location = {o.location_id: o for o in overrides if o.location_id is not None}
    by_category = {o.category: o for o in overrides if o.location_id is None}
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
