"""List exports under /data/export/ (tasks, supplier orders, survey answers; see list_exports)."""

from django.urls import path

from romashka.imports import list_exports

urlpatterns = [
    path("tasks/", list_exports.tasks_export, name="data_export_tasks"),
    path("supplier-orders/", list_exports.supplier_orders_export, name="data_export_supplier_orders"),
    path("survey-answers/", list_exports.survey_answers_export, name="data_export_survey_answers"),
]
