"""Surveys, their waves and personal links, and the answers: client NPS with journey-stage ratings,
employee eNPS pulses, the internal service survey between departments, franchise partner satisfaction.

Anonymity is structural: an answer of an employee or internal-service survey has no party, no day and
no key to its link; it keeps only the group (location, department, month) its results are counted in.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Department, Location, Organisation, Party
from romashka.feedback.choices import RATING_MAX, RATING_MIN, SCORE_MAX, SCORE_MIN, SurveyKind


def _rating(label):
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)])


class JourneyStage(models.Model):
    """A stage of the customer journey that client surveys ask a 1–5 rating for; stages are per business."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="journey_stages")
    code = models.CharField(_("code"), max_length=30)
    name_ru = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("asked"), default=True)

    class Meta:
        verbose_name = _("journey stage")
        verbose_name_plural = _("journey stages")
        ordering = ["organisation", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="journey_stage_code_unique")]

    def __str__(self) -> str:
        return self.name_ru

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_ru


class InternalService(models.Model):
    """`provider` serves `customer`: in the internal service survey the customer's staff rate the provider."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="internal_services")
    customer = models.ForeignKey(Department, verbose_name=_("internal client"), on_delete=models.CASCADE,
                                 related_name="served_by")
    provider = models.ForeignKey(Department, verbose_name=_("serving department"), on_delete=models.CASCADE,
                                 related_name="serves")

    class Meta:
        verbose_name = _("internal service")
        verbose_name_plural = _("internal services")
        constraints = [
            models.UniqueConstraint(fields=["customer", "provider"], name="internal_service_unique"),
            models.CheckConstraint(condition=~Q(customer=models.F("provider")), name="internal_service_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} → {self.customer}"


class Survey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(_("kind"), max_length=10, choices=SurveyKind.choices)
    name = models.CharField(_("name"), max_length=200)
    intro_ru = models.TextField(_("introduction (Russian)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    link_days = models.PositiveSmallIntegerField(
        _("links valid, days"), default=14, validators=[MinValueValidator(1), MaxValueValidator(365)])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        return self.name

    def intro(self, language: str) -> str:
        return self.intro_en if language == "en" and self.intro_en else self.intro_ru


class Wave(models.Model):
    """One sending of a survey, to a location or a department (or all), on a day; its links expire."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="+")
    scheduled_on = models.DateField(_("send on"))
    expires_on = models.DateField(_("links valid until"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    links = models.PositiveIntegerField(_("links"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("survey wave")
        verbose_name_plural = _("survey waves")
        ordering = ["-scheduled_on", "-pk"]
        indexes = [models.Index(fields=["scheduled_on", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.survey} {self.scheduled_on}"


class SurveyLink(models.Model):
    """A personal link: only the SHA-256 of its token is kept; used once. Nothing points from an answer here."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="survey_links")
    token_hash = models.CharField(max_length=64, unique=True)
    # The recipient, to send the link; an anonymous survey's answer never refers back to it.
    party = models.ForeignKey(Party, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    language = models.CharField(_("language"), max_length=5, default="ru")
    expires_on = models.DateField(_("valid until"))
    used = models.BooleanField(_("answered"), default=False)  # a flag, not a time: no join to the answer by time

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")

    def __str__(self) -> str:
        return f"{self.wave_id}: {self.token_hash[:8]}…"


class Answer(models.Model):
    """One submitted survey. `party` and `answered_on` only for client and partner surveys."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="survey_answers")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(_("kind"), max_length=10, choices=SurveyKind.choices)
    month = models.DateField(_("month"))  # the first day of the month answered in
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    party = models.ForeignKey(Party, verbose_name=_("respondent"), on_delete=models.CASCADE, null=True, blank=True,
                              related_name="survey_answers")
    answered_on = models.DateField(_("answered"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score 0–10"), null=True, blank=True,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)])
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction 1–5"), null=True, blank=True,
        validators=[MinValueValidator(RATING_MIN), MaxValueValidator(RATING_MAX)])
    comment = models.TextField(_("why"), blank=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        indexes = [
            models.Index(fields=["organisation", "kind", "month"]),
            models.Index(fields=["party", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["employee", "internal"]) | Q(party__isnull=True, answered_on__isnull=True),
                name="survey_answer_anonymous_kinds_have_no_person",
            ),
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__lte=SCORE_MAX),
                                   name="survey_answer_score_range"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=RATING_MIN, satisfaction__lte=RATING_MAX),
                name="survey_answer_satisfaction_range"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.month:%Y-%m} {self.score}"


class StageRating(models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="stage_ratings")
    stage = models.ForeignKey(JourneyStage, on_delete=models.CASCADE, related_name="ratings")
    rating = _rating(_("rating 1–5"))

    class Meta:
        verbose_name = _("journey stage rating")
        verbose_name_plural = _("journey stage ratings")
        constraints = [models.UniqueConstraint(fields=["answer", "stage"], name="stage_rating_unique")]

    def __str__(self) -> str:
        return f"{self.stage_id}: {self.rating}"


class ServiceRating(models.Model):
    """One department's rating of a department serving it; the rater is the answer's department."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="service_ratings")
    provider = models.ForeignKey(Department, verbose_name=_("serving department"), on_delete=models.CASCADE,
                                 related_name="+")
    quality = _rating(_("quality"))
    speed = _rating(_("speed"))
    courtesy = _rating(_("courtesy"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("internal service rating")
        verbose_name_plural = _("internal service ratings")
        constraints = [models.UniqueConstraint(fields=["answer", "provider"], name="service_rating_unique")]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.quality}/{self.speed}/{self.courtesy}"


class DeliveryRating(models.Model):
    """A location's rating of one supplier's deliveries; the rater is the answer's location."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="delivery_ratings")
    supplier = models.ForeignKey(Party, verbose_name=_("supplier"), on_delete=models.CASCADE, related_name="+")
    on_time = _rating(_("on time"))
    complete = _rating(_("complete"))
    quality = _rating(_("quality of the goods"))
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("delivery rating")
        verbose_name_plural = _("delivery ratings")
        constraints = [models.UniqueConstraint(fields=["answer", "supplier"], name="delivery_rating_unique")]

    def __str__(self) -> str:
        return f"{self.supplier_id}: {self.on_time}/{self.complete}/{self.quality}"


class DetractorStandard(models.Model):
    """The touch standard (put on from a list) that holds the organisation's follow-ups of detractors."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="detractor_standard")
    standard = models.ForeignKey("touches.Standard", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("detractors' follow-up standard")
        verbose_name_plural = _("detractors' follow-up standards")

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.standard_id}"
