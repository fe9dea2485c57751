"""URL map: pages, admin and the REST API."""

from django.contrib import admin
from django.urls import include, path

from romashka.api import api
from romashka.feedback.urls import public_urlpatterns as public_survey_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("data/import/", include("romashka.imports.urls")),
    path("data/export/", include("romashka.imports.export_urls")),
    path("planning/", include("romashka.planning.urls")),
    path("chamomile/", include("romashka.chamomile.urls")),
    path("segments/", include("romashka.discovery.urls")),
    path("feedback/", include("romashka.feedback.urls")),
    path("s/", include(public_survey_urls)),
    path("", include("romashka.touches.urls")),
    path("", include("romashka.web.urls")),
]
