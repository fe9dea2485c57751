"""Parsing of single values as businesses write them: phones, e-mails."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str) -> str | None:
    """A Russian phone as +7XXXXXXXXXX; other international numbers as +digits; None if not a phone.

    8 916 123-45-67, +7 (916) 123 45 67 and 9161234567 all give +79161234567.
    """
    digits = _NON_DIGITS.sub("", raw or "")
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if 11 <= len(digits) <= 15 and raw.strip().startswith("+"):
        return "+" + digits
    return None


def normalize_email(raw: str) -> str | None:
    value = (raw or "").strip().lower()
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return value
    return None
