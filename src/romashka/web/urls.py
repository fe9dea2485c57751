from django.urls import path

from romashka.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
