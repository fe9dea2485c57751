"""Segments, "not our client" marks, company profiles and buying committees, interviews, products and jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Organisation, Party
from romashka.discovery.choices import CompanySize, NotOursReason, SegmentField


class Segment(models.Model):
    """A saved group of clients defined by two or three characteristics, all of which must hold."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="segment_name_unique")]

    def __str__(self) -> str:
        return self.name


class SegmentCondition(models.Model):
    """One characteristic of a segment: a list of values (city in Москва, Казань) or a band (age 25–34)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="conditions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    field = models.CharField(_("characteristic"), max_length=30, choices=SegmentField.choices)
    values = models.CharField(
        _("values"), max_length=1000, blank=True, help_text=_("Comma-separated; compared without case.")
    )
    min_value = models.DecimalField(_("from"), max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(_("to"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("segment condition")
        verbose_name_plural = _("segment conditions")
        ordering = ["segment", "position"]

    def __str__(self) -> str:
        return f"{self.get_field_display()}"

    @property
    def value_list(self) -> list[str]:
        return [value.strip() for value in self.values.split(",") if value.strip()]


class NotOurClient(models.Model):
    """A party or a whole segment the business decided is not its client, and why; kept out of touches and targets."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="not_our_clients")
    party = models.ForeignKey(
        Party, verbose_name=_("party"), on_delete=models.CASCADE, null=True, blank=True, related_name="not_ours_marks"
    )
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, null=True, blank=True, related_name="not_ours_marks"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=NotOursReason.choices)
    note = models.TextField(_("note"), blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    marked_at = models.DateTimeField(_("marked"), auto_now_add=True)

    class Meta:
        verbose_name = _("not our client")
        verbose_name_plural = _("not our clients")
        ordering = ["-marked_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(party__isnull=False) & Q(segment__isnull=True))
                | (Q(party__isnull=True) & Q(segment__isnull=False)),
                name="not_ours_party_or_segment",
            ),
            models.UniqueConstraint(
                fields=["organisation", "party"], condition=Q(party__isnull=False), name="not_ours_party_unique"
            ),
            models.UniqueConstraint(
                fields=["organisation", "segment"], condition=Q(segment__isnull=False), name="not_ours_segment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party or self.segment}: {self.get_reason_display()}"


class CompanyProfile(models.Model):
    """What a business client is: its industry and size, for B2B segments."""

    party = models.OneToOneField(Party, on_delete=models.CASCADE, related_name="company_profile")
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=CompanySize.choices, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profiles")

    def __str__(self) -> str:
        return f"{self.party}: {self.industry}"
