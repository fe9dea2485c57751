from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChamomileConfig(AppConfig):
    name = "romashka.chamomile"
    label = "chamomile"
    verbose_name = _("Chamomile")
