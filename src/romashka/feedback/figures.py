"""The chamomile's figures that come from the surveys: client NPS, eNPS and franchise partner satisfaction."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Q

from romashka.engine.satisfaction import DETRACTOR_MAX, PROMOTER_MIN, nps_interval
from romashka.feedback.choices import ANONYMOUS_KINDS, MIN_GROUP_ANSWERS, SurveyKind
from romashka.feedback.models import Answer


def _month_nps(scope, kind: str, as_of: date) -> Decimal | None:
    """NPS of the month of as_of (the previous month while this one has no answers yet), in points; one query."""
    from romashka.feedback.selectors import answers_visible

    this_month = as_of.replace(day=1)
    previous = (this_month - timedelta(days=1)).replace(day=1)
    rows = {row["month"]: row for row in answers_visible(scope, kind).filter(
        score__isnull=False, month__in=[previous, this_month]).order_by().values("month").annotate(
        promoters=Count("pk", filter=Q(score__gte=PROMOTER_MIN)),
        detractors=Count("pk", filter=Q(score__lte=DETRACTOR_MAX)), n=Count("pk"))}
    for month in (this_month, previous):
        counts = rows.get(month)
        if counts and (kind not in ANONYMOUS_KINDS or counts["n"] >= MIN_GROUP_ANSWERS):
            estimate = nps_interval(counts["promoters"], counts["n"] - counts["promoters"] - counts["detractors"],
                                    counts["detractors"])
            return Decimal(estimate.nps or 0).quantize(Decimal("0.1"))
    return None


def client_nps(ctx) -> Decimal | None:
    return _month_nps(ctx.scope, SurveyKind.CLIENT, ctx.as_of)


def enps(ctx) -> Decimal | None:
    return _month_nps(ctx.scope, SurveyKind.EMPLOYEE, ctx.as_of)


def partner_satisfaction(ctx) -> Decimal | None:
    """Mean 1–5 satisfaction of the franchise partners' answers in the twelve months; a partner sees its own."""
    scope = ctx.scope
    answers = Answer.objects.filter(organisation_id=scope.organisation_id, kind=SurveyKind.PARTNER,
                                    answered_on__gt=ctx.as_of - timedelta(days=365), answered_on__lte=ctx.as_of)
    if scope.location_ids is not None:
        answers = answers.filter(party__partner_locations__in=scope.location_ids).distinct()
    mean = answers.aggregate(mean=Avg("satisfaction"))["mean"]
    return None if mean is None else Decimal(mean).quantize(Decimal("0.01"))


def delivery_quality(ctx) -> Decimal | None:
    """The mean 1–5 rating (on time, complete, quality) the visible locations gave deliveries in the twelve months."""
    from romashka.feedback.models import DeliveryRating
    from romashka.feedback.selectors import answers_visible

    answers = answers_visible(ctx.scope, SurveyKind.DELIVERY).filter(
        month__gt=(ctx.as_of - timedelta(days=365)).replace(day=1), month__lte=ctx.as_of)
    means = DeliveryRating.objects.filter(answer__in=answers).aggregate(
        on_time=Avg("on_time"), complete=Avg("complete"), quality=Avg("quality"))
    if means["on_time"] is None:
        return None
    return (Decimal(means["on_time"] + means["complete"] + means["quality"]) / 3).quantize(Decimal("0.01"))


def figure_providers_register() -> None:
    from romashka.chamomile.figures import FIGURES, figure_provider_set

    for key, compute in (("client_nps", client_nps), ("enps", enps), ("partner_satisfaction", partner_satisfaction),
                         ("delivery_quality", delivery_quality)):
        if key in FIGURES:
            figure_provider_set(key, compute)
