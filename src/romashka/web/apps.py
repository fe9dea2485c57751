from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "romashka.web"
    label = "web"
    verbose_name = "Web"
