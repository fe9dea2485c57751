"""Masking of contacts for roles that may not see them: one rule for pages, exports and the API."""

from __future__ import annotations

from romashka.ingest.values import normalize_phone


def mask_contact(value: str | None) -> str:
    """+7***67, a***@example.ru: enough to recognise, not enough to call or write."""
    if not value:
        return ""
    if "@" in value:
        name, _, domain = value.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{value[:2]}***{value[-2:]}" if len(value) > 4 else "***"


def mask_external_id(value: str | None) -> str:
    """An external id is masked only when it is a contact (a phone or an e-mail); card numbers stay as given."""
    if not value:
        return ""
    if "@" in value or normalize_phone(value) is not None:
        return mask_contact(value)
    return value
