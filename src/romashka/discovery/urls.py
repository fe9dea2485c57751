from django.urls import path

from romashka.discovery import views

urlpatterns = [
    path("", views.segments, name="segments"),
    path("new/", views.segment_edit, name="segments_new"),
    path("costs/", views.costs, name="segments_costs"),
    path("<int:segment_id>/", views.segment_clients, name="segments_clients"),
    path("<int:segment_id>/edit/", views.segment_edit, name="segments_edit"),
    path("<int:segment_id>/delete/", views.segment_delete, name="segments_delete"),
    path("pareto/", views.pareto, name="segments_pareto"),
    path("rfm/", views.rfm, name="segments_rfm"),
    path("rfm/cell/", views.rfm_cell, name="segments_rfm_cell"),
    path("not-ours/", views.not_ours, name="segments_not_ours"),
    path("interviews/", views.interviews, name="segments_interviews"),
    path("interviews/new/", views.interview_start, name="segments_interview_start"),
    path("interviews/new/<int:party_id>/", views.interview_new, name="segments_interview_new"),
    path("jobs/", views.jobs, name="segments_jobs"),
    path("business/", views.business, name="segments_business"),
    path("business/<int:party_id>/", views.business_company, name="segments_business_company"),
]
