"""Reads of the core: locations and parties within the user's scope, with whether contacts may be shown."""

from __future__ import annotations

import re

from django.db.models import BooleanField, Exists, OuterRef, Prefetch, Q, QuerySet, Value

from romashka.core.access import (
    access_location,
    access_party,
    contacts_visible,
    locations_visible,
    parties_visible,
)
from romashka.core.choices import ChannelKind, PartyKind
from romashka.core.models import Channel, Location, Party
from romashka.ingest.values import normalize_phone

_PHONE_LIKE = re.compile(r"[\d\s()+\-]+")
# Fewer digits than this would match half the phone book.
_PHONE_DIGITS_MIN = 4


def location_list(*, user) -> QuerySet[Location]:
    return locations_visible(user).select_related("partner").order_by("city", "name", "id")


def location_get(*, user, location_id: int) -> Location:
    """The location when the user may see it; 404 otherwise."""
    return access_location(user, location_id)


def _search(query: str, *, contacts: bool) -> Q:
    """Name, external id, or phone (a full number in any spelling, or its last digits).

    Roles that may not see contacts find clients by name and card number only: a phone typed into
    the search must not confirm whose number it is.
    """
    condition = Q(name__icontains=query)
    if contacts or normalize_phone(query) is None:
        condition |= Q(external_id__icontains=query)
    if contacts and _PHONE_LIKE.fullmatch(query):
        phone = normalize_phone(query)
        digits = re.sub(r"\D", "", query)
        phones = Channel.objects.filter(party=OuterRef("pk"), kind=ChannelKind.PHONE)
        if phone is not None:
            condition |= Exists(phones.filter(normalized=phone))
        elif len(digits) >= _PHONE_DIGITS_MIN:
            condition |= Exists(phones.filter(normalized__contains=digits))
    return condition


def party_list(
    *, user, kind: str = PartyKind.GUEST, location_id: int | None = None, query: str = ""
) -> QuerySet[Party]:
    """Parties of a kind the user may see, by name; each carries `contacts_shown` for the edges to mask by."""
    parties = parties_visible(user, kind)
    if location_id is not None:
        parties = parties.filter(home_location=access_location(user, location_id))
    query = query.strip()
    if query:
        parties = parties.filter(_search(query, contacts=contacts_visible(user, kind)))
    return (
        parties.select_related("home_location")
        .prefetch_related("roles")
        .annotate(contacts_shown=Value(contacts_visible(user, kind), output_field=BooleanField()))
        .order_by("name", "id")
    )


def party_get(*, user, party_id: int, kind: str = PartyKind.GUEST) -> Party:
    """One party with its kinds and channels (primary first); 404 when the user may not see it as that kind."""
    access_party(user, party_id, kind)
    return (
        Party.objects.select_related("home_location")
        .prefetch_related(
            "roles", Prefetch("channels", queryset=Channel.objects.order_by("kind", "-is_primary", "id"))
        )
        .annotate(contacts_shown=Value(contacts_visible(user, kind), output_field=BooleanField()))
        .get(pk=party_id)
    )
