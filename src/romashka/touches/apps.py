from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TouchesConfig(AppConfig):
    name = "romashka.touches"
    label = "touches"
    verbose_name = _("Touch standards")
