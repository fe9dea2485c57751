"""Reads for the purchase-cycle page: the gap distribution of the organisation's purchases."""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection

from romashka.core.access import Capability, organisation_of, require
from romashka.core.models import Location
from romashka.discovery.models import Segment
from romashka.path.cycle_services import CYCLE_MAX, CYCLE_MIN
from romashka.path.models import CycleOverride, Purchase
from romashka.path.refresh import data_version

CACHE_SECONDS = 24 * 3600


def _purchase_day_columns(organisation_id: int):
    """(customer_id, purchased_at, amount, location, category) summed per party, day, location and
    category in the database: the engine's day sums stay exact and fewer rows leave the database."""
    import pyarrow as pa

    table = connection.ops.quote_name(Purchase._meta.db_table)
    query = (
        f"SELECT party_id, CAST(purchased_on AS TEXT), SUM(CAST(ROUND(amount * 100) AS BIGINT)), "  # noqa: S608 - the table name comes from model metadata
        f"location_id, category FROM {table} WHERE organisation_id = %s "
        "GROUP BY party_id, purchased_on, location_id, category"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [organisation_id])
        rows = cursor.fetchall()
    party_ids, days, kopecks, locations, categories = zip(*rows, strict=True) if rows else ((),) * 5
    return pa.table(
        {
            "customer_id": pa.array([str(p) for p in party_ids], pa.string()),
            "purchased_at": pa.array(days, pa.string()).cast(pa.date32()),
            "amount": pa.array(kopecks, pa.int64()),
            "location": pa.array([None if loc is None else str(loc) for loc in locations], pa.string()),
            "category": pa.array(categories, pa.string()),
        }
    )


def purchase_cycle_overview(*, user) -> dict:
    """The suggestion (80th percentile of gaps, in weeks), its histogram, per-location and per-category
    figures with location names, the organisation's current cycle and its overrides."""
    from romashka.engine.cycle import PERCENTILE, cycle_suggestion

    require(user, Capability.SET_PURCHASE_CYCLE)
    organisation = organisation_of(user)
    # Reading every purchase takes seconds on a million of them; the gaps only change with new data.
    key = f"purchase-cycle:{organisation.pk}:{data_version(organisation=organisation)}"
    suggestion = cache.get(key)
    if suggestion is None:
        suggestion = cycle_suggestion(_purchase_day_columns(organisation.pk))
        cache.set(key, suggestion, CACHE_SECONDS)
    names = {
        str(pk): name
        for pk, name in Location.objects.filter(organisation=organisation).values_list("pk", "name")
    }
    return {
        "organisation": organisation,
        "suggestion": suggestion,
        "percent": round(PERCENTILE * 100),
        "by_location": [(names.get(s.key, s.key), s) for s in suggestion.by_location],
        "overrides": list(
            CycleOverride.objects.filter(organisation=organisation)
            .select_related("location", "segment")
            .order_by("segment__name", "location__name", "category")
        ),
        "override_locations": list(Location.objects.filter(organisation=organisation).order_by("name")),
        "override_segments": list(Segment.objects.filter(organisation=organisation).order_by("name")),
        "limits": (CYCLE_MIN, CYCLE_MAX),
    }
