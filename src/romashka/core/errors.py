"""Errors a user can cause in a service, shown the same way by every edge (API, pages, CLI)."""

from __future__ import annotations

from django.http import Http404


class NotFoundInScope(Http404):
    """References (a location, a client) that do not exist or lie outside the user's scope.

    Both cases read the same, so the ids of others are not confirmed; `fields` names where each was given.
    """

    def __init__(self, message: str, fields: dict[str, str]):
        super().__init__(message)
        self.fields = fields


class Conflict(Exception):
    """The data clashes with what is already stored (a duplicate external id)."""

    def __init__(self, message: str, fields: dict[str, str]):
        super().__init__(message)
        self.fields = fields
