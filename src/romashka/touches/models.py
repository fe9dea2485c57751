"""Touch standards (versioned, with steps), the entries that started them (treated or control),
the tasks they made for named people, and the messages sent or skipped."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from romashka.core.models import Employee, Location, Organisation, Party
from romashka.discovery.choices import CommitteeRole
from romashka.path.choices import Status
from romashka.touches.choices import (
    CancelReason,
    DelayBasis,
    ExecutorRule,
    Group,
    LeavingReason,
    MessageState,
    Outcome,
    TaskState,
    TouchChannel,
    Trigger,
)


class Standard(models.Model):
    """What the business does when a client enters a status; its content lives in versions."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="touch_standards")
    trigger = models.CharField(_("status entry"), max_length=10, choices=Trigger.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("touch standard")
        verbose_name_plural = _("touch standards")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} #{self.pk}"


class StandardVersion(models.Model):
    """One version of a standard: a change makes a new version, so tasks made earlier keep their steps."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    control_share = models.DecimalField(
        _("control share"), max_digits=4, decimal_places=3, default=Decimal("0.10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.9"))],
        help_text=_("The share of entering clients who get no touch, to measure the uplift (0.10 = 10%)."),
    )
    conversion_days = models.PositiveIntegerField(
        _("conversion window, days"), default=30, validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text=_("A client converts when it buys within this many days of the entry."),
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("responsible"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="touch_standards",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Entries before this day are not touched by this version (a new standard does not reach into the past).
    valid_from = models.DateField(_("valid from"))
    # Only clients of this segment enter (discovery); none: every client entering the status.
    segment = models.ForeignKey(
        "discovery.Segment", verbose_name=_("segment"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="touch_versions",
    )

    class Meta:
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        ordering = ["standard", "-number"]
        constraints = [models.UniqueConstraint(fields=["standard", "number"], name="standard_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class Step(models.Model):
    version = models.ForeignKey(StandardVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(_("order"))
    delay_days = models.IntegerField(_("delay, days"), default=0, validators=[MinValueValidator(-365),
                                                                              MaxValueValidator(730)])
    delay_basis = models.CharField(_("counted from"), max_length=10, choices=DelayBasis.choices,
                                   default=DelayBasis.ENTRY)
    channel = models.CharField(_("channel"), max_length=10, choices=TouchChannel.choices)
    title = models.CharField(_("touch"), max_length=200)
    template_ru = models.TextField(_("message (Russian)"), help_text=_(
        "Placeholders: {name}, {last_purchase}, {location}, {offer}."))
    template_en = models.TextField(_("message (English)"), blank=True)
    offer = models.CharField(_("personal offer"), max_length=300, blank=True)
    aims_at_purchase = models.BooleanField(
        _("aims at a purchase"), default=True,
        help_text=_("Cancelled when the client buys before the touch."),
    )
    asks_leaving_reason = models.BooleanField(_("asks why the client left"), default=False)
    executor_rule = models.CharField(_("executor"), max_length=20, choices=ExecutorRule.choices,
                                     default=ExecutorRule.LOCATION_MANAGER)
    executor_position = models.CharField(_("position"), max_length=100, blank=True)
    executor_employee = models.ForeignKey(
        Employee, verbose_name=_("named person"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A business client's buying-committee role this step speaks to with its own message (discovery);
    # the step is planned only for companies with such a member, and sent to the member's channel.
    committee_role = models.CharField(_("committee role"), max_length=20, choices=CommitteeRole.choices, blank=True)

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="step_position_unique")]

    def __str__(self) -> str:
        return self.title


class Entry(models.Model):
    """A client's entry into a standard's status: treated or control, drawn once and kept.

    Keyed on (party, standard, entered_on), never on status event ids, which a refresh replaces.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="touch_entries")
    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="entries")
    version = models.ForeignKey(StandardVersion, on_delete=models.PROTECT, related_name="entries")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="touch_entries", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    entered_on = models.DateField(_("entered"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    group = models.CharField(_("group"), max_length=10, choices=Group.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("standard entry")
        verbose_name_plural = _("standard entries")
        constraints = [
            models.UniqueConstraint(fields=["party", "standard", "entered_on"], name="touch_entry_unique")
        ]
        indexes = [models.Index(fields=["standard", "entered_on"]), models.Index(fields=["organisation", "entered_on"])]

    def __str__(self) -> str:
        return f"{self.party_id} {self.standard_id} {self.entered_on} {self.group}"


class Task(models.Model):
    """One touch of one step for one treated entry; sent channels are done by the daily run."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="touch_tasks")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="tasks")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="touch_tasks", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    executor = models.ForeignKey(Employee, verbose_name=_("executor"), on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="touch_tasks")
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("responsible"),
                                    on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=TouchChannel.choices)
    due_on = models.DateField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=TaskState.choices, default=TaskState.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    leaving_reason = models.CharField(_("reason for leaving"), max_length=12, choices=LeavingReason.choices,
                                      blank=True)
    note = models.TextField(_("note"), blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    cancel_reason = models.CharField(_("cancellation reason"), max_length=14, choices=CancelReason.choices,
                                     blank=True)
    cancelled_on = models.DateField(_("cancelled"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=["entry", "step"], name="touch_task_unique"),
            models.CheckConstraint(
                condition=Q(state="open", outcome="", cancel_reason="")
                | Q(state="done", cancel_reason="") & ~Q(outcome="")
                | Q(state="cancelled", outcome="") & ~Q(cancel_reason=""),
                name="touch_task_state_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["executor", "state", "due_on"]),
            models.Index(fields=["organisation", "state", "due_on"]),
            models.Index(fields=["party", "state"]),
            models.Index(fields=["responsible", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.step_id} {self.party_id} {self.due_on}"


class Message(models.Model):
    """A message the daily run sent, wrote to the outbox or did not send (with the reason)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="touch_messages")
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="message")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.CharField(_("channel"), max_length=10, choices=TouchChannel.choices)
    address = models.CharField(_("recipient"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=10, choices=MessageState.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    sender = models.CharField(_("sent by"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.state}"


class DailyRun(models.Model):
    """One `romashka daily` per organisation and day: a second run on the same day finds it and does nothing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="touch_daily_runs")
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("daily run")
        verbose_name_plural = _("daily runs")
        constraints = [models.UniqueConstraint(fields=["organisation", "day"], name="touch_daily_run_unique")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day}"
