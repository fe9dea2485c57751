"""Purchases, the batches they arrived in, and the status snapshots and events of the client's path."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from romashka.core.choices import Gender, PartyForm
from romashka.core.fields import CodeField
from romashka.core.models import Location, Organisation, Party
from romashka.path.choices import Status


class ImportBatch(models.Model):
    """One arrival of purchases (a file, an API call, the demo generator)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="import_batches")
    source = models.CharField(_("source"), max_length=100)
    filename = models.CharField(_("file"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    rows_accepted = models.PositiveIntegerField(_("rows accepted"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source} {self.created_at:%Y-%m-%d %H:%M}"


class Purchase(models.Model):
    """One receipt line as the business recorded it; refunds have negative amounts."""

    # The composite indexes below lead with these columns, so single-column indexes would only slow imports.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="purchases", db_index=False
    )
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="purchases", db_index=False)
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="purchases",
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("date and time"))
    # The local calendar day in the organisation's time zone: the unit of the client's path.
    purchased_on = models.DateField(_("purchase day"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    source = CodeField(_("source"), max_length=100, default="manual")
    receipt_ref = CodeField(_("receipt"), max_length=100)
    category = models.CharField(_("product category"), max_length=100, blank=True)
    batch = models.ForeignKey(ImportBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="purchases")

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source", "receipt_ref", "party"], name="purchase_receipt_unique"
            )
        ]
        indexes = [
            models.Index(fields=["party", "purchased_on"]),
            models.Index(fields=["location", "purchased_on"]),
            models.Index(fields=["organisation", "purchased_on"]),
            # Lists show the newest receipts first; without this a page sorts a million rows.
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_ref} {self.amount}"


class StatusSnapshot(models.Model):
    """A party's status on the client's path and its figures at the last refresh (`as_of`)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="status_snapshots")
    party = models.OneToOneField(Party, on_delete=models.CASCADE, related_name="status_snapshot")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    won_back = models.BooleanField(_("won back"), default=False)
    purchase_days = models.PositiveIntegerField(_("purchase days"), default=0)
    episode_purchase_days = models.PositiveIntegerField(_("purchase days in the current episode"), default=0)
    first_purchase = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("days since the last purchase"), null=True, blank=True)
    monetary = models.DecimalField(_("revenue"), max_digits=16, decimal_places=2, default=0)
    as_of = models.DateField(_("as of"))
    status_since = models.DateField(_("status since"), null=True, blank=True)
    # Beside the status, never instead of it: the client's own typical gap and whether it is overdue.
    rhythm_days = models.DecimalField(
        _("personal rhythm, days"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    overdue = models.BooleanField(_("overdue"), default=False)

    class Meta:
        verbose_name = _("status snapshot")
        verbose_name_plural = _("status snapshots")
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.party_id}: {self.status}"


class StatusEvent(models.Model):
    """One change of a party's status on a date; the status at any date is the last change on or before it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="status_events")
    # The unique constraint below leads with the party, so a separate index would only slow refreshes.
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="status_events", db_index=False)
    changed_on = models.DateField(_("date"))
    from_status = models.CharField(_("from"), max_length=10, choices=Status.choices, null=True, blank=True)
    to_status = models.CharField(_("to"), max_length=10, choices=Status.choices)
    won_back = models.BooleanField(_("won back"), default=False)

    class Meta:
        verbose_name = _("status event")
        verbose_name_plural = _("status events")
        constraints = [
            # Also the index of "the status of this party at a date": (party, changed_on ≤ date) newest first.
            models.UniqueConstraint(fields=["party", "changed_on", "to_status"], name="status_event_unique")
        ]
        indexes = [
            # "Transitions between dates": the organisation's changes within a date range.
            models.Index(fields=["organisation", "changed_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.party_id} {self.changed_on}: {self.from_status} → {self.to_status}"


class StatusRefresh(models.Model):
    """One run of the status refresh: the date it computed and the data it saw, so the next run knows if it is due."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="status_refreshes")
    as_of = models.DateField(_("statuses at"))
    data_version = models.CharField(max_length=100)
    finished_at = models.DateTimeField(_("finished"), auto_now_add=True)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("status refresh")
        verbose_name_plural = _("status refreshes")
        ordering = ["-finished_at"]
        indexes = [models.Index(fields=["organisation", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.finished_at:%Y-%m-%d %H:%M})"


class CycleOverride(models.Model):
    """The business's own purchase cycle for one saved segment, one location or one product category.

    Precedence, per client: the override of a segment it belongs to (of several, the segment first by
    name), else the override of its home location, else that of its most frequent product category,
    else the organisation's default cycle. Empty fields fall back to the organisation (lost after
    3 cycles, fan from 3 purchase days, overdue at 1.5 × the rhythm).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="cycle_overrides")
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cycle_overrides",
    )
    category = models.CharField(_("product category"), max_length=100, blank=True)
    segment = models.ForeignKey(
        "discovery.Segment",
        verbose_name=_("segment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="cycle_overrides",
    )
    cycle_days = models.PositiveIntegerField(
        _("purchase cycle, days"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    lost_after_days = models.PositiveIntegerField(
        _("lost after, days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(36500)]
    )
    fan_min_purchases = models.PositiveIntegerField(
        _("fan from purchase days"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    overdue_factor = models.DecimalField(
        _("overdue factor"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("A client is overdue when the days since its last purchase exceed its rhythm times this."),
    )

    class Meta:
        verbose_name = _("purchase cycle override")
        verbose_name_plural = _("purchase cycle overrides")
        constraints = [
            # Exactly one of segment, location and category names what the override is for.
            models.CheckConstraint(
                condition=(Q(segment__isnull=False) & Q(location__isnull=True) & Q(category=""))
                | (Q(segment__isnull=True) & Q(location__isnull=False) & Q(category=""))
                | (Q(segment__isnull=True) & Q(location__isnull=True) & ~Q(category="")),
                name="cycle_override_one_subject",
            ),
            models.UniqueConstraint(
                fields=["organisation", "location"],
                condition=Q(location__isnull=False),
                name="cycle_override_location_unique",
            ),
            models.UniqueConstraint(
                fields=["organisation", "category"],
                condition=~Q(category=""),
                name="cycle_override_category_unique",
            ),
            models.UniqueConstraint(
                fields=["segment"],
                condition=Q(segment__isnull=False),
                name="cycle_override_segment_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment or self.location or self.category}: {self.cycle_days}"

    def clean(self) -> None:
        super().clean()
        subjects = sum((self.segment_id is not None, self.location_id is not None, bool(self.category)))
        if subjects != 1:
            raise ValidationError(_("Choose exactly one of a segment, a location or a product category."))
        if self.segment_id is not None and self.segment.organisation_id != self.organisation_id:
            raise ValidationError({"segment": _("The segment belongs to another organisation.")})


class TargetProfile(models.Model):
    """Whom the business wants as a client: a party with no purchase and no contact that matches an
    active profile is a *prospect* (PRODUCT.md, the client's path); with a contact it is a lead.

    Every criterion that is set must hold (empty ones match anyone); a party matching any active
    profile is a prospect. Lists are comma-separated and compared without case and outer spaces.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="target_profiles")
    name = models.CharField(_("name"), max_length=200)
    form = models.CharField(_("form"), max_length=10, choices=PartyForm.choices, blank=True)
    cities = models.CharField(_("cities"), max_length=500, blank=True, help_text=_("Comma-separated; empty: any."))
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    age_min = models.PositiveSmallIntegerField(_("age from"), null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(_("age to"), null=True, blank=True)
    acquisition_channels = models.CharField(
        _("acquisition channels"), max_length=500, blank=True, help_text=_("Comma-separated; empty: any.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("target profile")
        verbose_name_plural = _("target profiles")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_min__isnull=True) | Q(age_max__isnull=True) | Q(age_min__lte=models.F("age_max")),
                name="target_profile_age_range",
            )
        ]

    def __str__(self) -> str:
        return self.name
