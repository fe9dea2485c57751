"""Page URLs of the touch system: tasks/ for the people who touch, touches/ for the standards."""

from django.urls import path

from romashka.touches import views

urlpatterns = [
    path("tasks/", views.my_tasks, name="tasks"),
    path("tasks/team/", views.team, name="tasks_team"),
    path("tasks/responsible/", views.responsible, name="tasks_responsible"),
    path("tasks/<int:task_id>/done/", views.task_done, name="tasks_done"),
    path("touches/", views.standards, name="touches"),
    path("touches/new/", views.standard_new, name="touches_new"),
    path("touches/outbox/", views.outbox, name="touches_outbox"),
    path("touches/<int:standard_id>/", views.standard_edit, name="touches_edit"),
    path("touches/<int:standard_id>/uplift/", views.standard_uplift, name="touches_uplift"),
]
