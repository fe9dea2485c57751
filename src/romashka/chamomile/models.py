"""What the network exchanges with its other petals: supplier orders, investments, payouts, initiatives."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Location, Organisation, Party


class SupplierOrder(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="supplier_orders")
    supplier = models.ForeignKey(Party, verbose_name=_("supplier"), on_delete=models.PROTECT, related_name="supplier_orders")
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, null=True, blank=True, related_name="supplier_orders"
    )
    ordered_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("supplier order")
        verbose_name_plural = _("supplier orders")
        ordering = ["-ordered_on"]
        indexes = [models.Index(fields=["supplier", "ordered_on"]), models.Index(fields=["location", "ordered_on"])]

    def __str__(self) -> str:
        return f"{self.supplier} {self.ordered_on} {self.amount}"


class Investment(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="investments")
    investor = models.ForeignKey(Party, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="investments")
    invested_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("investment")
        verbose_name_plural = _("investments")
        ordering = ["-invested_on"]

    def __str__(self) -> str:
        return f"{self.investor} {self.invested_on} {self.amount}"


class Payout(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="payouts")
    investor = models.ForeignKey(Party, verbose_name=_("investor"), on_delete=models.PROTECT, related_name="payouts")
    paid_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-paid_on"]

    def __str__(self) -> str:
        return f"{self.investor} {self.paid_on} {self.amount}"


class InitiativeKind(models.TextChoices):
    FORUM = "forum", _("forum")
    CITY_EVENT = "city_event", _("city event")
    FOUNDATION = "foundation", _("foundation programme")
    EDUCATION = "education", _("education")
    OTHER = "other", _("other")


class CommunityInitiative(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="community_initiatives")
    title = models.CharField(_("title"), max_length=300)
    held_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=InitiativeKind.choices, default=InitiativeKind.OTHER)
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.SET_NULL, null=True, blank=True, related_name="initiatives"
    )
    reach = models.PositiveIntegerField(_("reach, people"), default=0)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, default=0)
    partners = models.ManyToManyField(Party, verbose_name=_("partners"), blank=True, related_name="initiatives")
    link = models.URLField(_("link"), blank=True)
    description = models.TextField(_("description"), blank=True)
    # JPEG, PNG or WebP up to 5 MB (chamomile.forms checks the bytes); served only through the chamomile's view.
    photo = models.FileField(_("photo"), upload_to="initiatives/%Y/", blank=True)

    class Meta:
        verbose_name = _("community initiative")
        verbose_name_plural = _("community initiatives")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return self.title


class PetalTarget(models.Model):
    """The owner's target for one health figure from a month on (it holds until a later month's target)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="petal_targets")
    figure = models.CharField(_("figure"), max_length=40)
    month = models.DateField(_("from month"), help_text=_("The first day of the month the target starts in."))
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=2)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("set by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("petal target")
        verbose_name_plural = _("petal targets")
        ordering = ["figure", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "figure", "month"], name="petal_target_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.figure} {self.month:%Y-%m}: {self.value}"


# ─── facts: the aggregates the chamomile reads instead of a million purchases and events ─────────────

class FactsBuild(models.Model):
    """When the organisation's facts were built and from which data (chamomile.facts).

    The status events up to `event_watermark` and the purchases up to `purchase_watermark` (their ids) are in
    the facts; purchases after it are added when read, newer events make the guests' figures read the events.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="chamomile_facts")
    refreshed_on = models.DateField(_("statuses at"))
    event_watermark = models.BigIntegerField(default=0)
    purchase_watermark = models.BigIntegerField(default=0)
    built_at = models.DateTimeField(_("built"), auto_now=True)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        verbose_name = _("chamomile facts build")
        verbose_name_plural = _("chamomile facts builds")

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.refreshed_on}"


class GuestStatusFact(models.Model):
    """How many guests of a home location had a status on a day: every month end and the refresh day."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10)
    clients = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.location_id} {self.status}: {self.clients}"


class LocationDayRevenue(models.Model):
    """The purchases of one location and day summed (refunds included)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    day = models.DateField()
    revenue = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["organisation", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.location_id}: {self.revenue}"


class RoyaltyPayment(models.Model):
    """A franchise partner's royalty for a month: what was due by when, and when it was paid."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="royalty_payments")
    partner = models.ForeignKey(Party, verbose_name=_("franchise partner"), on_delete=models.PROTECT,
                                related_name="royalty_payments")
    month = models.DateField(_("for month"), help_text=_("The first day of the month the royalty is for."))
    due_on = models.DateField(_("due"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("royalty payment")
        verbose_name_plural = _("royalty payments")
        ordering = ["-month", "partner"]
        constraints = [models.UniqueConstraint(fields=["partner", "month"], name="royalty_payment_unique")]
        indexes = [models.Index(fields=["organisation", "due_on"])]

    def __str__(self) -> str:
        return f"{self.partner} {self.month:%Y-%m}: {self.amount}"
