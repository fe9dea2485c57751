from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PathConfig(AppConfig):
    name = "romashka.path"
    label = "path"
    verbose_name = _("Client's path")
