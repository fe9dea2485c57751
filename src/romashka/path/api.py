"""API of the client's path: purchases, read within the caller's scope, written one by one or in bulk."""

# No `from __future__ import annotations`: ninja reads the handlers' annotations at import.
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import PlainSerializer

from romashka.api_common import ONE_ERRORS, WRITE_ERRORS, Page
from romashka.path import selectors, services

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
