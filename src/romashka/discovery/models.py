"""Segments, "not our client" marks, company profiles and buying committees, interviews, products and jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from romashka.core.models import Organisation, Party
from romashka.discovery.choices import CommitteeRole, CompanySize, NotOursReason, SegmentField


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
    min_value = models.DecimalField(pgettext_lazy("band", "from"), max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(pgettext_lazy("band", "to"), max_digits=14, decimal_places=2, null=True, blank=True)

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


class CommitteeMember(models.Model):
    """A person of a business client's buying committee and the role they play in its decisions."""

    company = models.ForeignKey(Party, verbose_name=_("company"), on_delete=models.CASCADE, related_name="committee")
    person = models.ForeignKey(Party, verbose_name=_("person"), on_delete=models.CASCADE, related_name="committees")
    role = models.CharField(_("role"), max_length=20, choices=CommitteeRole.choices)
    position = models.CharField(_("position"), max_length=200, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["company", "role", "person__name"]
        constraints = [models.UniqueConstraint(fields=["company", "person", "role"], name="committee_member_unique")]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}"


class Job(models.Model):
    """A job to be done a client hires the business for ("a quick breakfast on the way to work")."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="jobs")
    name = models.CharField(_("job to be done"), max_length=300)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("job to be done")
        verbose_name_plural = _("jobs to be done")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="job_name_unique")]

    def __str__(self) -> str:
        return self.name


class ClientCategory(models.Model):
    """A kind of client that hires products for jobs ("office workers nearby"); a segment may describe it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="client_categories")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.SET_NULL, null=True, blank=True, related_name="categories"
    )

    class Meta:
        verbose_name = _("client category")
        verbose_name_plural = _("client categories")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="client_category_name_unique")]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A product described by its characteristics; sold under a purchase category, which matches clients to it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("name"), max_length=200)
    purchase_category = models.CharField(
        _("product category in purchases"), max_length=100, blank=True,
        help_text=_("The category its receipts carry; clients who bought it are matched to its client categories."),
    )
    characteristics = models.JSONField(_("characteristics"), default=dict, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="product_name_unique")]

    def __str__(self) -> str:
        return self.name


class ProductJob(models.Model):
    """A product solves a job, for a client category that hires it for that job (or for anyone)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="job_links")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="product_links")
    category = models.ForeignKey(
        ClientCategory, verbose_name=_("client category"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="product_links",
    )

    class Meta:
        verbose_name = _("product for a job")
        verbose_name_plural = _("products for jobs")
        constraints = [models.UniqueConstraint(fields=["product", "job", "category"], name="product_job_unique")]

    def __str__(self) -> str:
        return f"{self.product} → {self.job}"


class Interview(models.Model):
    """One customer-development / jobs-to-be-done interview with a client."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="interviews")
    party = models.ForeignKey(Party, verbose_name=_("client"), on_delete=models.CASCADE, related_name="interviews")
    interviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("interviewer"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )
    interviewed_on = models.DateField(_("date"))
    situation = models.TextField(_("situation"), blank=True)
    job = models.ForeignKey(Job, verbose_name=_("job to be done"), on_delete=models.SET_NULL, null=True, blank=True,
                            related_name="interviews")
    job_text = models.TextField(_("job to be done, in the client's words"), blank=True)
    expected_result = models.TextField(_("expected result"), blank=True)
    missing = models.CharField(_("what is missing"), max_length=1000, blank=True,
                               help_text=_("Comma-separated; each item is counted in the summaries."))
    channels = models.CharField(_("where they look for such offers"), max_length=500, blank=True,
                                help_text=_("Comma-separated."))
    competitors = models.CharField(_("competitors considered"), max_length=500, blank=True,
                                   help_text=_("Comma-separated."))
    pays_more = models.BooleanField(_("would pay more"), null=True, blank=True)
    pays_more_amount = models.DecimalField(_("how much more, ₽"), max_digits=12, decimal_places=2, null=True,
                                           blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["-interviewed_on", "-pk"]
        indexes = [models.Index(fields=["organisation", "interviewed_on"]), models.Index(fields=["party",
                                                                                                 "interviewed_on"])]

    def __str__(self) -> str:
        return f"{self.party} {self.interviewed_on}"


class RfmBounds(models.Model):
    """The business's own RFM bounds (four ascending numbers per figure); without them scores are quintiles."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="rfm_bounds")
    recency_days = models.CharField(
        _("recency bounds, days"), max_length=100, blank=True,
        help_text=_("Four ascending numbers, e.g. 7, 30, 90, 180: up to 7 days since the last purchase scores 5."))
    frequency = models.CharField(
        _("frequency bounds, purchase days"), max_length=100, blank=True,
        help_text=_("Four ascending numbers, e.g. 2, 3, 5, 10: from 10 purchase days scores 5."))
    monetary = models.CharField(
        _("money bounds, ₽"), max_length=100, blank=True,
        help_text=_("Four ascending numbers, e.g. 1000, 3000, 10000, 30000: from 30000 ₽ scores 5."))

    class Meta:
        verbose_name = _("RFM bounds")
        verbose_name_plural = _("RFM bounds")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.recency_days} / {self.frequency} / {self.monetary}"


class CategoryCost(models.Model):
    """What the goods of a product category cost the business, as a share of their price (a café's food cost);
    a location may have its own share where it buys or prices differently. Profit is counted from these."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="category_costs")
    category = models.CharField(_("product category"), max_length=100)
    location = models.ForeignKey(
        "core.Location", verbose_name=_("location"), on_delete=models.CASCADE, null=True, blank=True,
        related_name="category_costs", help_text=_("Empty: every location without a share of its own."),
    )
    cost_percent = models.DecimalField(_("cost, per cent of the price"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("cost of a product category")
        verbose_name_plural = _("costs of product categories")
        ordering = ["category", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "category", "location"], condition=Q(location__isnull=False),
                                    name="category_cost_location_unique"),
            models.UniqueConstraint(fields=["organisation", "category"], condition=Q(location__isnull=True),
                                    name="category_cost_network_unique"),
            models.CheckConstraint(condition=Q(cost_percent__gte=0) & Q(cost_percent__lte=100),
                                   name="category_cost_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.location or ''}: {self.cost_percent}%"

    @property
    def margin_percent(self):
        return 100 - self.cost_percent


class ClientFigures(models.Model):
    """A client's figures of discovery at the last status refresh that its snapshot does not hold: whether it
    bought in the last purchase cycle and in the one before (the segment table's retention), and its revenue
    whose cost is known with that cost (profit). Rebuilt by services.client_figures_refresh after every status
    refresh and whenever the costs change, so the segment table reads one row per client, not the purchases."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    party = models.OneToOneField(Party, on_delete=models.CASCADE, related_name="discovery_figures")
    as_of = models.DateField(_("as of"))
    bought_last_cycle = models.BooleanField(_("bought in the last purchase cycle"), default=False)
    bought_cycle_before = models.BooleanField(_("bought in the cycle before"), default=False)
    costed_revenue = models.DecimalField(_("revenue with a known cost"), max_digits=16, decimal_places=2, null=True)
    cost = models.DecimalField(_("cost"), max_digits=16, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("client's discovery figures")
        verbose_name_plural = _("clients' discovery figures")

    def __str__(self) -> str:
        return f"{self.party_id} {self.as_of}"
