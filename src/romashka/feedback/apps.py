from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "romashka.feedback"
    label = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        # The chamomile's NPS, eNPS and partner satisfaction figures get their numbers from the answers here.
        from romashka.feedback.figures import figure_providers_register

        figure_providers_register()
