"""What every API router shares: the error body, the error responses to document, pagination."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

PAGE_SIZE = 50
PAGE_SIZE_MAX = 500


class ErrorField(Schema):
    field: str = Field(description="Where the problem is: `limit`, `amount`, `items.3.location_code`.")
    where: str | None = Field(None, alias="in", description="body, query or path")
    message: str


class ErrorBody(Schema):
    code: str = Field(description="unauthorised, forbidden, not_found, conflict, invalid, bad_request, …")
    message: str
    fields: list[ErrorField] | None = None


class ErrorOut(Schema):
    error: ErrorBody


# Documented on every authenticated operation; the bodies come from the handlers in romashka.api.
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 422: ErrorOut}
ONE_ERRORS = {**READ_ERRORS, 404: ErrorOut}
WRITE_ERRORS = {**ONE_ERRORS, 400: ErrorOut, 409: ErrorOut}


class Page(LimitOffsetPagination):
    """`limit` (1…500, default 50) and `offset`; the answer is `{items, count}`."""

    class Input(Schema):
        limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX, description=f"At most {PAGE_SIZE_MAX}.")
        offset: int = Field(0, ge=0)

    def __init__(self, **kwargs):
        super().__init__(max_limit=PAGE_SIZE_MAX, **kwargs)
