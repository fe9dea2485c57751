"""Reading a submitted survey form: every scale checked, a clear message per field, nothing half-read."""

from __future__ import annotations

from django.utils.translation import gettext as _

from romashka.feedback.choices import (
    RATING_MAX,
    RATING_MIN,
    SCORE_MAX,
    SCORE_MIN,
    DeliveryAspect,
    ServiceAspect,
    SurveyKind,
)
from romashka.feedback.services import ParsedAnswer

COMMENT_MAX = 2000


def _number(data, name: str, low: int, high: int, errors: dict, *, required: bool) -> int | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors[name] = _("%(value)s is not on the scale: choose from %(low)s to %(high)s.") % {
            "value": raw[:20], "low": low, "high": high}
        return None
    return value


def _text(data, name: str, errors: dict) -> str:
    text = (data.get(name) or "").strip()
    if len(text) > COMMENT_MAX:
        errors[name] = _("At most %(count)s characters.") % {"count": COMMENT_MAX}
    return text


def _rated(data, prefix: str, subjects, aspects: list[str], errors: dict) -> dict[int, tuple[int, int, int, str]]:
    """Three 1–5 aspects and a comment per subject (a department, a supplier); a subject left blank is skipped."""
    rated = {}
    for subject in subjects:
        names = [f"{prefix}_{subject.pk}_{aspect}" for aspect in aspects]
        comment = _text(data, f"{prefix}_{subject.pk}_comment", errors)
        if not any((data.get(name) or "").strip() for name in names):
            continue  # "did not work with them"
        values = [_number(data, name, RATING_MIN, RATING_MAX, errors, required=True) for name in names]
        if all(value is not None for value in values):
            first, second, third = values
            rated[subject.pk] = (first, second, third, comment)
    return rated


def answer_parse(kind: str, data, questions: dict) -> tuple[ParsedAnswer, dict[str, str]]:
    """The answer and the problems by field name (empty when the answer can be recorded)."""
    errors: dict[str, str] = {}
    parsed = ParsedAnswer(comment=_text(data, "comment", errors))
    if kind in (SurveyKind.CLIENT, SurveyKind.EMPLOYEE, SurveyKind.PARTNER):
        parsed.score = _number(data, "score", SCORE_MIN, SCORE_MAX, errors, required=True)
    if kind in (SurveyKind.EMPLOYEE, SurveyKind.PARTNER):
        parsed.satisfaction = _number(data, "satisfaction", RATING_MIN, RATING_MAX, errors, required=True)
    if kind == SurveyKind.CLIENT:
        parsed.stages = {}
        for stage in questions.get("stages", []):
            rating = _number(data, f"stage_{stage.pk}", RATING_MIN, RATING_MAX, errors, required=False)
            if rating is not None:
                parsed.stages[stage.pk] = rating
    if kind == SurveyKind.INTERNAL:
        parsed.services = _rated(data, "service", questions.get("providers", []), ServiceAspect.values, errors)
        if not parsed.services and not errors:
            errors["services"] = _("Rate at least one department that serves yours.")
    if kind == SurveyKind.DELIVERY:
        parsed.deliveries = _rated(data, "delivery", questions.get("suppliers", []), DeliveryAspect.values, errors)
        if not parsed.deliveries and not errors:
            errors["deliveries"] = _("Rate at least one supplier.")
    return parsed, errors
