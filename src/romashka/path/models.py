"""Purchases and the batches they arrived in."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Location, Organisation, Party


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
    source = models.CharField(_("source"), max_length=100, default="manual")
    receipt_ref = models.CharField(_("receipt"), max_length=100)
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
