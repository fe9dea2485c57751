"""Vocabularies of the surveys: what a survey asks and of whom, the scales, the default journey stages."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    CLIENT = "client", _("client NPS and journey stages")
    EMPLOYEE = "employee", _("employee eNPS and satisfaction pulse")
    INTERNAL = "internal", _("internal service between departments")
    PARTNER = "partner", _("franchise partner satisfaction")
    DELIVERY = "delivery", _("delivery quality: locations rate their suppliers")


# Answers of these kinds are never linked to the person: no party, no day, only the group keys.
ANONYMOUS_KINDS = frozenset({SurveyKind.EMPLOYEE, SurveyKind.INTERNAL})
# Results of an anonymous group with fewer answers than this are not shown.
MIN_GROUP_ANSWERS = 5

SCORE_MIN, SCORE_MAX = 0, 10  # NPS and eNPS: "how likely … recommend", 0–10
RATING_MIN, RATING_MAX = 1, 5  # satisfaction, journey stages, internal service

# The customer journey's stages a new organisation starts with (code, Russian, English); configurable.
DEFAULT_STAGES = [
    ("positioning", "Позиционирование и реклама", "Positioning and advertising"),
    ("website", "Сайт", "Website"),
    ("product", "Продукт", "Product"),
    ("support", "Поддержка", "Support"),
    ("logistics", "Логистика и доставка", "Logistics and delivery"),
]


class DeliveryAspect(models.TextChoices):
    ON_TIME = "on_time", _("on time")
    COMPLETE = "complete", _("complete")
    QUALITY = "quality", _("quality of the goods")


class ServiceAspect(models.TextChoices):
    QUALITY = "quality", _("quality")
    SPEED = "speed", _("speed")
    COURTESY = "courtesy", _("courtesy")
