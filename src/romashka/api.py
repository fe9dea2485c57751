"""The REST API under /api/: one NinjaAPI, per-user tokens, one error format, routers per app."""

from __future__ import annotations

import json
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from romashka.core.access import Capability, require
from romashka.core.errors import Conflict
from romashka.core.services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; a live token of a role without API use gives 403, not 401."""

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        require(user, Capability.USE_API)
        return user


class BrowserSessionAuth(APIKeyCookie):
    """The signed-in browser session, so the docs page can try requests; unsafe methods need the CSRF token."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest):
        # A request that brings a token is decided by that token alone, never by a cookie riding along.
        user = getattr(request, "user", None)
        if "Authorization" in request.headers or user is None or not user.is_authenticated:
            return None
        return super().__call__(request)  # checks CSRF for POST and the like

    def authenticate(self, request: HttpRequest, key):
        require(request.user, Capability.USE_API)
        return request.user


class DecimalJSONParser(Parser):
    """JSON numbers with a fraction become Decimal, so an amount of 1234.10 never passes through float."""

    def parse_body(self, request: HttpRequest):
        return json.loads(request.body, parse_float=Decimal)


api = NinjaAPI(
    title="Romashka API",
    version="1",
    description=(
        "Parties, locations and purchases of your organisation, scoped to your role. "
        "Authenticate with `Authorization: Bearer <token>`; create tokens on the page Data → API tokens. "
        "Lists take `limit` (at most 500) and `offset` and answer `{items, count}`. "
        'Every error has one shape: `{"error": {"code", "message", "fields"?}}`.'
    ),
    auth=[TokenAuth(), BrowserSessionAuth()],
    parser=DecimalJSONParser(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "throttled",
}


def _error(request, code: str, message: str, status: int, fields: list | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields is not None:
        body["error"]["fields"] = fields
    return api.create_response(request, body, status=status)


def _named_fields(problems: dict[str, str | list[str]], where: str = "body") -> list[dict]:
    return [
        {
            "field": field,
            "in": where,
            "message": "; ".join(messages) if isinstance(messages, list) else messages,
        }
        for field, messages in problems.items()
    ]


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return _error(
        request, "unauthorised", "A valid API token is required: Authorization: Bearer <token>.", 401
    )


def _field_name(location: list) -> str:
    """("body", "payload", "items", 3, "amount") → "items.3.amount"; ("query", "limit") → "limit"."""
    parts = [str(part) for part in location[1:]]
    # A body read as one schema carries the handler's parameter name first; the client never wrote it.
    if location and location[0] == "body" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or ".".join(str(part) for part in location)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    fields = []
    for item in exc.errors:
        location = list(item.get("loc", []))
        message = str(item.get("msg", ""))
        if item.get("type") == "missing":
            message = "This field is required."
        fields.append(
            {"field": _field_name(location), "in": str(location[0]) if location else "", "message": message}
        )
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    return _error(request, "invalid", f"The request is not valid: {names}.", 422, fields)


@api.exception_handler(DjangoValidationError)
def _invalid_data(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        problems = exc.message_dict
        names = ", ".join(problems)
        return _error(request, "invalid", f"The request is not valid: {names}.", 422, _named_fields(problems))
    return _error(request, "invalid", " ".join(exc.messages), 422)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    detail = f" ({exc})" if str(exc) else ""
    return _error(request, "forbidden", f"Your role does not allow this{detail}.", 403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    fields = getattr(exc, "fields", None)
    return _error(
        request, "not_found", str(exc) or "Not found.", 404, _named_fields(fields) if fields else None
    )


@api.exception_handler(Conflict)
def _conflict(request, exc: Conflict):
    return _error(request, "conflict", str(exc), 409, _named_fields(exc.fields))


@api.exception_handler(RequestDataTooBig)
def _too_large(request, exc):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _error(
        request, "too_large", f"The body is larger than {limit} bytes; send fewer items per request.", 413
    )


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ValueError):  # the body is not JSON (json.JSONDecodeError, bad UTF-8)
        message = f"The body is not valid JSON: {exc.__cause__}."
        return _error(request, "invalid", message, 422, _named_fields({"body": message}))
    return _error(request, ERROR_CODES.get(exc.status_code, "error"), str(exc), exc.status_code)


from romashka.core.api import router as core_router  # noqa: E402
from romashka.path.api import router as path_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/", path_router)
from romashka.touches.api import router as touches_router  # noqa: E402

api.add_router("/", touches_router)
from romashka.planning.api import router as planning_router  # noqa: E402

api.add_router("/", planning_router)
from romashka.chamomile.api import router as chamomile_router  # noqa: E402

api.add_router("/", chamomile_router)
from romashka.discovery.api import router as discovery_router  # noqa: E402

api.add_router("/", discovery_router)
from romashka.feedback.api import router as feedback_router  # noqa: E402

api.add_router("/", feedback_router)
from romashka.imports.api import router as imports_router  # noqa: E402

api.add_router("/", imports_router)
