"""Vocabularies of the touch system: what starts a standard, channels, executor rules, outcomes, reasons."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    """The status entry a standard answers; won back is an entry of its own, not a novice one, and a fan at
    risk (planning's prediction) is one too, entered on the day the refresh first found it at risk."""

    LEAD = "lead", _("became a lead")
    NOVICE = "novice", _("became a novice")
    FAN = "fan", _("became a fan")
    DORMANT = "dormant", _("fell asleep")
    LOST = "lost", _("was lost")
    WON_BACK = "won_back", _("was won back")
    # Not a status: a fan whose probability alive (BG/NBD, planning) fell under the at-risk threshold.
    AT_RISK = "at_risk", _("fan at risk")
    # Not a status either: clients put on the standard by hand from a list (an RFM cell, the interview
    # suggestions of discovery); generation from status events never enters them.
    LIST = "list", _("chosen from a list")


class TouchChannel(models.TextChoices):
    CALL = "call", _("call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")
    MESSENGER = "messenger", _("messenger")
    IN_PERSON = "in_person", _("in person")


# Sent by the daily run itself; calls and meetings are tasks for a person.
SENT_CHANNELS = frozenset({TouchChannel.SMS, TouchChannel.EMAIL, TouchChannel.MESSENGER})
# The client's channel kind (core.ChannelKind) whose consent a touch needs; in person needs none.
CONSENT_KIND = {
    TouchChannel.CALL: "phone",
    TouchChannel.SMS: "phone",
    TouchChannel.EMAIL: "email",
    TouchChannel.MESSENGER: "messenger",
}


class DelayBasis(models.TextChoices):
    ENTRY = "entry", _("days after the status entry")
    CYCLE = "cycle", _("days after the client's purchase cycle runs out")


class ExecutorRule(models.TextChoices):
    LOCATION_MANAGER = "location_manager", _("the client's location manager")
    POSITION = "position", _("a position at the client's location")
    NAMED = "named", _("a named person")


class Group(models.TextChoices):
    TREATED = "treated", _("touched")
    CONTROL = "control", _("control group")


class TaskState(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class Outcome(models.TextChoices):
    REACHED = "reached", _("reached")
    NO_ANSWER = "no_answer", _("no answer")
    REFUSED = "refused", _("refused")
    WILL_COME = "will_come", _("will come")
    SENT = "sent", _("message sent")


# What an executor may choose by hand; "sent" is the daily run's.
EXECUTOR_OUTCOMES = [Outcome.REACHED, Outcome.NO_ANSWER, Outcome.REFUSED, Outcome.WILL_COME]


class CancelReason(models.TextChoices):
    CLIENT_BOUGHT = "client_bought", _("the client bought first")
    LEFT_STATUS = "left_status", _("the client left the status")
    NO_CONSENT = "no_consent", _("no consent for the channel")
    NO_ADDRESS = "no_address", _("no contact for the channel")
    STANDARD_OFF = "standard_off", _("the standard was switched off")


class LeavingReason(models.TextChoices):
    PRICE = "price", _("price")
    QUALITY = "quality", _("food or product quality")
    SERVICE = "service", _("service")
    MOVED = "moved", _("moved away")
    COMPETITOR = "competitor", _("went to a competitor")
    NO_NEED = "no_need", _("no longer needs it")
    OTHER = "other", _("other")


class MessageState(models.TextChoices):
    SENT = "sent", _("sent")
    OUTBOX = "outbox", _("in the outbox")
    SKIPPED = "skipped", _("not sent")
    FAILED = "failed", _("failed")
