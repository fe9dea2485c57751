"""Reads of the client's path: purchases within the user's scope."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from romashka.core.access import access_client, access_location, purchases_visible
from romashka.path.models import Purchase


def purchase_list(
    *,
    user,
    party_id: int | None = None,
    location_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Purchase]:
    """Purchases the user may see, newest first; a party or location outside the scope is a 404, as on pages.

    Dates are purchase days (local dates in the organisation's time zone), both ends included.
    """
    purchases = purchases_visible(user).select_related("location")
    if location_id is not None:
        purchases = purchases.filter(location=access_location(user, location_id))
    if party_id is not None:
        purchases = purchases.filter(party=access_client(user, party_id))
    if date_from is not None:
        purchases = purchases.filter(purchased_on__gte=date_from)
    if date_to is not None:
        purchases = purchases.filter(purchased_on__lte=date_to)
    return purchases.order_by("-occurred_at", "-id")
