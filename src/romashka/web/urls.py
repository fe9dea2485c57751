"""Page URLs."""

from django.urls import include, path

from romashka.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("clients/", views.clients, name="clients"),
    path("clients/export.csv", views.clients_export, name="clients_export"),
    path("clients/<int:party_id>/", views.client_card, name="clients_card"),
    path("path/", include("romashka.path.urls")),
    path("purchases/", views.purchases, name="purchases"),
    path("purchases/export.csv", views.purchases_export, name="purchases_export"),
    path("locations/", views.locations, name="locations"),
    path("locations/<int:location_id>/", views.location_detail, name="locations_detail"),
    path("staff/", views.staff, name="staff"),
    path("partners/", views.partners, name="partners"),
    path("data/", views.data, name="data"),
    path("settings/", views.settings_page, name="settings"),
]
