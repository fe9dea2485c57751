"""Imports of files: one job per uploaded file (its options, progress and outcome) and mappings saved per source."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Organisation


class ImportKind(models.TextChoices):
    PURCHASES = "purchases", _("purchases")
    CLIENTS = "clients", _("clients")
    EMPLOYEES = "employees", _("employees")
    SUPPLIER_ORDERS = "supplier-orders", _("supplier orders")


class ImportJob(models.Model):
    """One file on its way in: uploaded, previewed, queued, running, done or failed."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded")
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="import_jobs"
    )
    kind = models.CharField(_("kind of data"), max_length=20, choices=ImportKind.choices, blank=True)
    source = models.CharField(_("source"), max_length=100, default="import")
    filename = models.CharField(_("file"), max_length=300)
    stored_path = models.CharField(max_length=500)
    size_bytes = models.BigIntegerField(_("size, bytes"), default=0)
    # mapping (role → header), encoding, delimiter, date_format as chosen on the preview.
    options = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UPLOADED)
    stage = models.CharField(_("stage"), max_length=30, blank=True)
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    rejected_path = models.CharField(max_length=500, blank=True)
    batch = models.ForeignKey(
        "path.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="import_jobs"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} ({self.state})"


class SavedMapping(models.Model):
    """The columns of one source's files (a POS, 1C, a CRM export), reused on the next upload from it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="saved_mappings")
    source = models.CharField(_("source"), max_length=100)
    kind = models.CharField(_("kind of data"), max_length=20, choices=ImportKind.choices)
    mapping = models.JSONField(default=dict)
    options = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "source", "kind"], name="saved_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.kind}"
