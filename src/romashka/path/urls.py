"""Page URLs of the client's path, included from the web app's URL map under path/."""

from django.urls import path

from romashka.path import cycle_views, views

urlpatterns = [
    path("", views.overview, name="path"),
    # Before the status pattern, which would take "cycle" for a status.
    path("cycle/", cycle_views.cycle, name="path_cycle"),
    path("<str:status>/", views.status_clients, name="path_status"),
    path("<str:status>/export.csv", views.status_clients_csv, name="path_status_csv"),
    path("<str:status>/export.xlsx", views.status_clients_xlsx, name="path_status_xlsx"),
]
