"""Import pages under /data/import/."""

from django.urls import path

from romashka.imports import views

urlpatterns = [
    path("", views.import_upload, name="data_import"),
    path("<int:job_id>/", views.import_preview, name="data_import_preview"),
    path("<int:job_id>/job/", views.import_job, name="data_import_job"),
    path("<int:job_id>/progress/", views.import_job_progress, name="data_import_progress"),
    path("<int:job_id>/rejected.csv", views.import_rejected_csv, name="data_import_rejected"),
]
