from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChamomileConfig(AppConfig):
    name = "romashka.chamomile"
    label = "chamomile"
    verbose_name = _("Chamomile")

    def ready(self) -> None:
        # The figures register themselves in chamomile.selectors; the registry is full before any app
        # (the feedback surveys, for NPS and eNPS) gives a figure its provider.
        from romashka.chamomile import selectors  # noqa: F401
