"""The REST API under /api/: one NinjaAPI, per-user tokens, one error format, routers per app."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from romashka.core.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Romashka API",
    version="1",
    description=(
        "Parties, locations and purchases of your organisation, scoped to your role. "
        "Authenticate with `Authorization: Bearer <token>`; create tokens on the page Data → API tokens."
    ),
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, code: str, message: str, status: int, fields: list | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields is not None:
        body["error"]["fields"] = fields
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def _unauthorised(request, exc):
    return _error(request, "unauthorised", "A valid API token is required: Authorization: Bearer <token>.", 401)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    fields = []
    for item in exc.errors:
        location = [str(part) for part in item.get("loc", [])]
        fields.append({"field": ".".join(location[1:]) or ".".join(location), "in": location[0] if location else "",
                       "message": item.get("msg", "")})
    names = ", ".join(f["field"] for f in fields)
    return _error(request, "invalid", f"The request is not valid: {names}.", 422, fields)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, "forbidden", "Your role does not allow this.", 403)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, "not_found", str(exc) or "Not found.", 404)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, "error", str(exc), exc.status_code)


from romashka.core.api import router as core_router  # noqa: E402
from romashka.path.api import router as path_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/", path_router)
