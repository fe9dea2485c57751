"""Template filters: money and numbers in the user's language, masked contacts, status chips."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils import translation
from django.utils.formats import number_format

from romashka.core.masking import mask_contact, mask_external_id

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "KZT": "₸"}


def _money(value, currency: str, digits: int) -> str:
    if value in (None, ""):
        return "—"
    amount = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    sign = CURRENCY_SIGNS.get(currency, currency)
    text = number_format(amount, digits, use_l10n=True, force_grouping=True)
    if translation.get_language() == "en":
        return f"-{sign}{text[1:]}" if text.startswith("-") else f"{sign}{text}"
    return f"{text}\u00a0{sign}"


@register.filter
def money(value, currency: str = "RUB") -> str:
    """1 234 567,89 ₽ in Russian, ₽1,234,567.89 in English."""
    return _money(value, currency, 2)


@register.filter
def money_whole(value, currency: str = "RUB") -> str:
    """Whole roubles for dashboards: 1 234 568 ₽."""
    return _money(value, currency, 0)


@register.filter
def num(value) -> str:
    if value in (None, ""):
        return "—"
    return number_format(value, 0, use_l10n=True, force_grouping=True)


@register.filter
def percent(value, digits: int = 1) -> str:
    if value in (None, ""):
        return "—"
    return number_format(Decimal(value) * 100, digits, use_l10n=True) + "\u00a0%"


@register.filter
def mask(value: str) -> str:
    return mask_contact(value)


@register.filter
def mask_id(value: str) -> str:
    return mask_external_id(value)


@register.filter
def get(mapping, key):
    """mapping[key] in a template (None when absent)."""
    return mapping.get(key) if hasattr(mapping, "get") else None
