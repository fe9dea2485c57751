from django.urls import path

from romashka.planning import views

urlpatterns = [
    path("", views.overview, name="planning"),
    path("at-risk/", views.at_risk, name="planning_at_risk"),
    path("at-risk/export.csv", views.at_risk_csv, name="planning_at_risk_csv"),
]
