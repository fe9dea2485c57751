"""API of the core: locations and parties (guests first) within the caller's scope."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import date, datetime

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from romashka.api_common import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS, Page
from romashka.core import selectors, services
from romashka.core.choices import PartyKind
from romashka.core.masking import mask_contact, mask_external_id

router = Router()


class PartnerRef(Schema):
    id: int
    name: str


class LocationOut(Schema):
    id: int
    code: str
    name: str
    city: str
    address: str
    ownership: str = Field(description="own or franchise")
    partner: PartnerRef | None = Field(description="The franchise partner of a franchise location.")
    opened_on: date | None
    closed_on: date | None


class LocationRef(Schema):
    id: int
    code: str
    name: str


class PartyOut(Schema):
    id: int
    form: str
    name: str
    external_id: str | None = Field(
        description="Card number, phone or the source system's id, as given; a phone is masked "
        "when your role may not see contacts."
    )
    kinds: list[str]
    home_location: LocationRef | None
    city: str
    created_at: datetime

    @staticmethod
    def resolve_external_id(party) -> str | None:
        value = party.external_id
        return value if party.contacts_shown or not value else mask_external_id(value)

    @staticmethod
    def resolve_kinds(party) -> list[str]:
        return sorted(role.kind for role in party.roles.all())


class ChannelOut(Schema):
    kind: str = Field(description="phone, email or messenger")
    value: str = Field(description="As given, or masked (+7***67) when your role may not see contacts.")
    masked: bool
    is_primary: bool
    has_consent: bool
    consent_at: datetime | None
    consent_withdrawn_at: datetime | None


class PartyDetailOut(PartyOut):
    channels: list[ChannelOut]

    @staticmethod
    def resolve_channels(party) -> list[dict]:
        shown = party.contacts_shown
        return [
            {
                "kind": channel.kind,
                "value": channel.value if shown else mask_contact(channel.normalized),
                "masked": not shown,
                "is_primary": channel.is_primary,
                "has_consent": channel.has_consent,
                "consent_at": channel.consent_at,
                "consent_withdrawn_at": channel.consent_withdrawn_at,
            }
            for channel in party.channels.all()
        ]


class PartyFilters(Schema):
    kind: PartyKind = Field(PartyKind.GUEST, description="Guests unless asked otherwise.")
    location_id: int | None = Field(None, description="Home location.")
    q: str | None = Field(None, max_length=100, description="Part of the name or external id, or a phone.")


class KindFilter(Schema):
    kind: PartyKind = PartyKind.GUEST


class GuestIn(Schema):
    name: str = Field(min_length=1, max_length=300)
    external_id: str | None = Field(
        None, min_length=1, max_length=100, description="Card number or the like."
    )
    home_location_id: int
    phone: str | None = Field(
        None, max_length=50, description="Any spelling: 8 916 123-45-67, +7 916 1234567."
    )
    email: str | None = Field(None, max_length=200)
    consent: bool = Field(False, description="The guest agreed to be contacted through the channels given.")


@router.get("/locations", response={200: list[LocationOut], **READ_ERRORS}, tags=["locations"])
@paginate(Page)
def location_list(request):
    """Locations you may see."""
    return selectors.location_list(user=request.auth)


@router.get("/locations/{location_id}", response={200: LocationOut, **ONE_ERRORS}, tags=["locations"])
def location_get(request, location_id: int):
    return selectors.location_get(user=request.auth, location_id=location_id)


@router.get("/parties", response={200: list[PartyOut], **ONE_ERRORS}, tags=["parties"])
@paginate(Page)
def party_list(request, filters: Query[PartyFilters]):
    """Parties of one kind you may see, by name; guests by default."""
    return selectors.party_list(
        user=request.auth, kind=filters.kind, location_id=filters.location_id, query=filters.q or ""
    )


@router.get("/parties/{party_id}", response={200: PartyDetailOut, **ONE_ERRORS}, tags=["parties"])
def party_get(request, party_id: int, filters: Query[KindFilter]):
    """One party with its channels; give `kind` for a non-guest."""
    return selectors.party_get(user=request.auth, party_id=party_id, kind=filters.kind)


@router.post("/parties", response={201: PartyDetailOut, **WRITE_ERRORS}, tags=["parties"])
def guest_create(request, guest: GuestIn):
    """A new guest; 409 when the external id is taken, 404 when the home location is not yours."""
    party = services.guest_create(user=request.auth, **guest.dict())
    return Status(201, selectors.party_get(user=request.auth, party_id=party.pk))
