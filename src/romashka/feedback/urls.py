from django.urls import path

from romashka.feedback import views

urlpatterns = [
    path("", views.overview, name="feedback"),
    path("staff/", views.staff, name="feedback_staff"),
    path("link/", views.link, name="feedback_link"),
    path("surveys/", views.surveys, name="feedback_surveys"),
    path("export/<str:what>/", views.export, name="feedback_export"),
]

public_urlpatterns = [
    path("<str:token>/", views.answer, name="survey_answer"),
]
