"""API of the client's path: purchases (read within the caller's scope, written one by one or in bulk),
status counts at a date, transitions between dates, one client's status history, and the refresh."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import PlainSerializer

from romashka.api_common import ONE_ERRORS, READ_ERRORS, WRITE_ERRORS, Page
from romashka.core.access import Capability, organisation_of, require
from romashka.path import selectors, services
from romashka.path.choices import Status as PathStatus
from romashka.path.refresh import status_refresh_logged

router = Router()

BULK_ITEMS_MAX = 5000

# Money leaves as a string with kopecks ("1250.50"), so no client ever reads it as a float.
Money = Annotated[Decimal, PlainSerializer(lambda value: f"{value:.2f}", return_type=str)]


class PurchaseOut(Schema):
    id: int
    party_id: int
    location_id: int | None
    location_code: str | None
    occurred_at: datetime
    purchased_on: date = Field(
        description="The purchase day: the local date in the organisation's time zone."
    )
    amount: Money = Field(description='Refunds are negative; a string with kopecks, e.g. "1250.50".')
    source: str
    receipt_ref: str
    category: str
    batch_id: int | None

    @staticmethod
    def resolve_occurred_at(purchase) -> datetime:
        return purchase.occurred_at.astimezone(UTC)  # one spelling, whether just written or read back

    @staticmethod
    def resolve_location_code(purchase) -> str | None:
        return purchase.location.code if purchase.location_id else None


class PurchaseFilters(Schema):
    party_id: int | None = None
    location_id: int | None = None
    date_from: date | None = Field(None, description="First purchase day, included.")
    date_to: date | None = Field(None, description="Last purchase day, included.")


class PurchaseIn(Schema):
    """One purchase; the guest by `party_id` or `customer_external_id`, the location by `location_id` or `location_code`."""

    party_id: int | None = None
    customer_external_id: str | None = Field(
        None, min_length=1, max_length=100, description="Card number or the like."
    )
    occurred_at: datetime = Field(
        description="ISO 8601; without an offset it is read in the organisation's time zone (Europe/Moscow)."
    )
    amount: Decimal = Field(
        max_digits=14,
        decimal_places=2,
        allow_inf_nan=False,
        description='A string ("1250.50") or a number; refunds negative; at most two decimal places.',
    )
    location_id: int | None = None
    location_code: str | None = Field(None, min_length=1, max_length=30, description="e.g. MSK-01")
    receipt_ref: str = Field(min_length=1, max_length=100)
    source: str = Field(
        services.API_SOURCE,
        min_length=1,
        max_length=100,
        description="The system the receipt comes from; with receipt_ref and the guest it "
        "identifies the purchase.",
    )
    category: str = Field("", max_length=100)

    def row(self) -> services.PurchaseRow:
        return services.PurchaseRow(**self.dict())


class PurchasesBulkIn(Schema):
    items: list[PurchaseIn] = Field(min_length=1, max_length=BULK_ITEMS_MAX)


class BulkOut(Schema):
    created: int
    skipped: int = Field(
        description="Already stored (or repeated in this request) by source, receipt_ref and guest."
    )
    batch_id: int | None


@router.get("/purchases", response={200: list[PurchaseOut], **ONE_ERRORS}, tags=["purchases"])
@paginate(Page)
def purchase_list(request, filters: Query[PurchaseFilters]):
    """Purchases you may see, newest first."""
    return selectors.purchase_list(user=request.auth, **filters.dict())


@router.post("/purchases", response={200: PurchaseOut, 201: PurchaseOut, **WRITE_ERRORS}, tags=["purchases"])
def purchase_create(request, purchase: PurchaseIn):
    """Records one purchase: 201 when new, 200 with the stored one when the receipt is already there."""
    stored, created = services.purchase_create(user=request.auth, row=purchase.row())
    return Status(201 if created else 200, stored)


@router.post("/purchases/bulk", response={200: BulkOut, **WRITE_ERRORS}, tags=["purchases"])
def purchases_bulk_create(request, body: PurchasesBulkIn):
    """Records up to 5000 purchases, all or none.

    Any invalid item gives 422 and any guest or location that is not yours gives 404, each naming
    `items.<index>.<field>`; nothing is written then. Items already stored are skipped, so a retry is safe.
    """
    result = services.purchases_bulk_create(user=request.auth, rows=[item.row() for item in body.items])
    return result


# --- Statuses of the client's path ------------------------------------------------------------------

StatusName = Annotated[str, Field(description=f"One of: {', '.join(s.value for s in PathStatus)}.")]


class StatusCountOut(Schema):
    status: StatusName
    label: str = Field(description="The status's name in the request's language.")
    clients: int
    share: float = Field(description="Of all clients with a status on that date, 0…1.")


class StatusCountsOut(Schema):
    on: date
    total: int
    won_back: int = Field(description="Clients among them who came back after being lost.")
    statuses: list[StatusCountOut]


class StatusCountsQuery(Schema):
    on: date | None = Field(None, description="The date, YYYY-MM-DD; today when not given.")


class TransitionsQuery(Schema):
    date_from: date
    date_to: date


class TransitionOut(Schema):
    from_status: str | None = Field(description="Status on date_from; null for clients who had none yet.")
    to_status: StatusName
    clients: int
    share: float = Field(description="Of the clients with from_status on date_from, 0…1.")


class TransitionsOut(Schema):
    date_from: date
    date_to: date
    transitions: list[TransitionOut]


class StatusSnapshotOut(Schema):
    status: StatusName
    won_back: bool
    status_since: date | None
    purchase_days: int
    episode_purchase_days: int
    first_purchase: date | None
    last_purchase: date | None
    recency_days: int | None
    monetary: Money = Field(description='Revenue, refunds included; a string with kopecks, e.g. "1250.50".')
    as_of: date = Field(description="The date of the refresh that computed it.")
    rhythm_days: float | None = Field(
        description="Personal rhythm: the median of the client's gaps between purchase days (from two gaps on)."
    )
    overdue: bool = Field(description="The days since the last purchase exceed the rhythm times the overdue factor (1.5).")


class StatusEventOut(Schema):
    changed_on: date
    from_status: str | None
    to_status: StatusName
    won_back: bool


class ClientStatusOut(Schema):
    party_id: int
    current: StatusSnapshotOut | None = Field(description="null until statuses are first refreshed.")
    history: list[StatusEventOut] = Field(description="Every change, oldest first.")


class StatusListQuery(Schema):
    status: PathStatus | None = Field(None, description="Only clients with this status; all when not given.")
    location_id: int | None = Field(None, description="The clients' home location; 404 when it is not yours.")
    won_back: bool | None = Field(None, description="true: only clients who came back after being lost.")
    overdue: bool | None = Field(None, description="true: only clients past their own rhythm (see overdue).")
    segment_id: int | None = Field(
        None, description="Only the clients of this saved segment (GET /api/segments); 404 when it is not yours."
    )


class StatusListItemOut(StatusSnapshotOut):
    party_id: int
    name: str
    location_id: int | None = Field(description="The client's home location.")


class RefreshIn(Schema):
    as_of: date | None = Field(None, description="Date of the statuses; today in the organisation's time zone when not given.")


class RefreshOut(Schema):
    as_of: date
    cycle_days: int
    snapshots: int
    events: int
    won_back: int
    counts: dict[str, int] = Field(description="Clients per status at as_of.")
    seconds: float


@router.get("/statuses/counts", response={200: StatusCountsOut, **READ_ERRORS}, tags=["statuses"])
def status_counts(request, query: Query[StatusCountsQuery]):
    """How many of your clients had each status on a date (from the status events of the last refresh)."""
    on = query.on or services.today_of(organisation_of(request.auth))
    result = selectors.status_counts(user=request.auth, on=on)
    return {
        "on": result.on,
        "total": result.total,
        "won_back": result.won_back,
        "statuses": [
            {"status": status.value, "label": str(status.label), "clients": result.counts[status.value],
             "share": result.counts[status.value] / result.total if result.total else 0.0}
            for status in PathStatus
        ],
    }


@router.get("/statuses/transitions", response={200: TransitionsOut, **READ_ERRORS}, tags=["statuses"])
def status_transitions(request, query: Query[TransitionsQuery]):
    """Your clients by status on date_from and on date_to: "of last quarter's fans, how many fell asleep"."""
    return selectors.transition_matrix(user=request.auth, date_from=query.date_from, date_to=query.date_to)


@router.get("/statuses", response={200: list[StatusListItemOut], **ONE_ERRORS}, tags=["statuses"])
@paginate(Page)
def status_list(request, query: Query[StatusListQuery]):
    """Your clients with their status and figures at the last refresh, newest in their status first."""
    filters = query.dict()
    status = filters.pop("status")
    snapshots = selectors.status_list(user=request.auth, status=status.value if status else None, **filters)
    return snapshots.annotate(name=F("party__name"), location_id=F("party__home_location_id"))


@router.get("/parties/{party_id}/status", response={200: ClientStatusOut, **ONE_ERRORS}, tags=["statuses"])
def client_status(request, party_id: int):
    """One client's current status with its figures, and every status change."""
    history = selectors.client_status_history(user=request.auth, party_id=party_id)
    return {"party_id": history.party.pk, "current": history.snapshot, "history": history.events}


@router.post("/statuses/refresh", response={200: RefreshOut, **WRITE_ERRORS}, tags=["statuses"])
def status_refresh(request, body: RefreshIn):
    """Recomputes every client's status and status events (owner, CRM manager, analyst); running twice changes nothing."""
    require(request.auth, Capability.REFRESH_STATUSES)
    organisation = organisation_of(request.auth)
    today = services.today_of(organisation)
    as_of = body.as_of or today
    if as_of > today:
        raise DjangoValidationError({"as_of": f"{as_of} is in the future; statuses are computed up to today ({today})."})
    return status_refresh_logged(organisation=organisation, as_of=as_of)
