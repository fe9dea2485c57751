from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "romashka.core"
    label = "core"
    verbose_name = _("Organisation and people")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from romashka.core.sqlite import install_unicode_like

        connection_created.connect(install_unicode_like, dispatch_uid="romashka_unicode_like")
