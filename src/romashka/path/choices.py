"""The one status vocabulary of the client's path, used by engine, UI, API and exports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    PROSPECT = "prospect", _("prospect")
    LEAD = "lead", _("lead")
    NOVICE = "novice", _("novice")
    FAN = "fan", _("fan")
    DORMANT = "dormant", _("dormant")
    LOST = "lost", _("lost")


# One colour per status everywhere (chips, charts); the won-back flag is violet.
STATUS_COLOURS = {
    Status.PROSPECT: "#9e9e9e",
    Status.LEAD: "#78909c",
    Status.NOVICE: "#9ccc65",
    Status.FAN: "#2e7d32",
    Status.DORMANT: "#ffb300",
    Status.LOST: "#e53935",
}
WON_BACK_COLOUR = "#8e24aa"
