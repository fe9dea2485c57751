"""Fitted buy-till-you-die models, each client's prediction, and revenue targets per month."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Location, Organisation, Party


class ClvFit(models.Model):
    """One fit of a model on the organisation's purchases up to `as_of`; kept as a history of fits."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="clv_fits")
    model = models.CharField(_("model"), max_length=20)
    as_of = models.DateField(_("data up to"))
    fitted_at = models.DateTimeField(_("fitted"), auto_now_add=True)
    time_unit = models.CharField(_("time unit"), max_length=10, default="week")
    params = models.JSONField(_("parameters"))
    standard_errors = models.JSONField(_("standard errors"))
    log_likelihood = models.FloatField(_("log-likelihood"))
    customers = models.PositiveIntegerField(_("customers"))
    converged = models.BooleanField(_("converged"), default=True)

    class Meta:
        verbose_name = _("CLV model fit")
        verbose_name_plural = _("CLV model fits")
        ordering = ["-fitted_at", "model"]
        indexes = [models.Index(fields=["organisation", "model", "-fitted_at"])]

    def __str__(self) -> str:
        return f"{self.model} {self.as_of}"


class ClvPrediction(models.Model):
    """A client's buy-till-you-die figures at the last refresh (BG/NBD for purchases, Gamma-Gamma for spend)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="clv_predictions")
    party = models.OneToOneField(Party, on_delete=models.CASCADE, related_name="clv_prediction")
    as_of = models.DateField(_("as of"))
    p_alive = models.FloatField(_("probability alive"))
    expected_purchases = models.FloatField(_("expected purchases"))
    expected_spend = models.DecimalField(_("expected spend per purchase"), max_digits=14, decimal_places=2)
    clv = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2)
    # The first refresh that found the client a fan under the at-risk threshold, kept while it stays one:
    # touch standards for clients at risk key their entries on it.
    at_risk_since = models.DateField(_("at risk since"), null=True, blank=True)

    class Meta:
        verbose_name = _("CLV prediction")
        verbose_name_plural = _("CLV predictions")
        indexes = [models.Index(fields=["organisation", "p_alive"]), models.Index(fields=["organisation", "clv"])]

    def __str__(self) -> str:
        return f"{self.party_id}: {self.p_alive:.2f}"


class RevenueTarget(models.Model):
    """The revenue the owner aims at in a month, for the network (no location) or one location."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="revenue_targets")
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="revenue_targets",
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount = models.DecimalField(_("revenue target"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("revenue target")
        verbose_name_plural = _("revenue targets")
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "location", "month"], name="revenue_target_unique"),
            models.UniqueConstraint(
                fields=["organisation", "month"], condition=models.Q(location__isnull=True),
                name="revenue_target_network_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.location or '—'} {self.month:%Y-%m}: {self.amount}"
