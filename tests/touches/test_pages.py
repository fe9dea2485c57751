"""The touch pages through HTTP as each role uses them: my tasks (scoped, one tap to mark done), the
team's and the responsible person's views, standards with uplift, the versioned editor, the outbox."""

from datetime import timedelta

import pytest
from django.utils import timezone

from romashka.core.models import Employee
from romashka.touches.choices import Group, Outcome, TaskState, TouchChannel
from romashka.touches.models import Message, Standard, StandardVersion, Step, Task

pytestmark = pytest.mark.django_db


def _give(employee: Employee, count: int, *, asks_reason: bool = False) -> list[Task]:
    """Open call tasks due today for the employee (taken over from treated entries)."""
    tasks = list(Task.objects.filter(entry__group=Group.TREATED, step__asks_leaving_reason=asks_reason)
                 .exclude(executor__user__isnull=False).order_by("pk")[:count])
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(
        executor=employee, state=TaskState.OPEN, outcome="", cancel_reason="", cancelled_on=None,
        due_on=timezone.localdate(), channel=TouchChannel.CALL, location=employee.location)
    return tasks


@pytest.fixture
def staff(demo_network):
    return Employee.objects.select_related("location").get(user__username="staff")


def test_an_employee_sees_only_its_own_tasks_in_a_bounded_number_of_queries(client, login, staff,
                                                                          django_assert_max_num_queries):
    mine = _give(staff, 30)
    other = Employee.objects.filter(location=staff.location, left_on__isnull=True).exclude(pk=staff.pk).first()
    theirs = _give(other, 3)
    login(client, "staff")
    with django_assert_max_num_queries(12):
        response = client.get("/tasks/")
    assert response.status_code == 200
    shown = {int(v) for v in response.content.decode().split('data-task="')[1:] for v in [v.split('"')[0]]}
    assert shown == {t.pk for t in mine}
    assert not shown & {t.pk for t in theirs}
    assert "Control" not in response.content.decode() and "контрольн" not in response.content.decode().lower()


def test_one_tap_marks_a_task_done_with_an_outcome(client, login, staff):
    task = _give(staff, 1)[0]
    login(client, "staff")
    response = client.post(f"/tasks/{task.pk}/done/", {"outcome": "will_come"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-testid="task-outcome"' in response.content.decode()
    task.refresh_from_db()
    assert (task.state, task.outcome, task.done_by.username) == (TaskState.DONE, Outcome.WILL_COME, "staff")
    again = client.post(f"/tasks/{task.pk}/done/", {"outcome": "refused"}, HTTP_HX_REQUEST="true")
    assert "already" in again.content.decode()
    task.refresh_from_db()
    assert task.outcome == Outcome.WILL_COME


def test_a_reached_lost_client_needs_a_reason_for_leaving(client, login, staff):
    task = _give(staff, 1, asks_reason=True)[0]
    login(client, "staff")
    client.post(f"/tasks/{task.pk}/done/", {"outcome": "reached"})
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    client.post(f"/tasks/{task.pk}/done/", {"outcome": "reached", "leaving_reason": "price", "note": "дорого"})
    task.refresh_from_db()
    assert (task.state, task.leaving_reason, task.note) == (TaskState.DONE, "price", "дорого")


def test_an_employee_cannot_close_someone_elses_task(client, login, staff):
    other = Employee.objects.filter(location=staff.location, left_on__isnull=True).exclude(pk=staff.pk).first()
    task = _give(other, 1)[0]
    login(client, "staff")
    assert client.post(f"/tasks/{task.pk}/done/", {"outcome": "reached"}).status_code == 404
    task.refresh_from_db()
    assert task.state == TaskState.OPEN


def test_the_manager_sees_its_locations_tasks_by_executor(client, login, staff, django_assert_max_num_queries):
    _give(staff, 5)
    Task.objects.filter(pk__in=[t.pk for t in _give(staff, 2)]).update(due_on=timezone.localdate() - timedelta(days=3))
    login(client, "manager")
    with django_assert_max_num_queries(14):
        response = client.get("/tasks/team/")
    assert response.status_code == 200
    text = response.content.decode()
    assert staff.party.name in text
    other_locations = set(Task.objects.exclude(location=staff.location).exclude(location=None)
                          .values_list("location__name", flat=True))
    assert not any(f"<td>{name}</td>" in text for name in other_locations)
    login(client, "staff")
    assert client.get("/tasks/team/").status_code == 403


def test_the_responsible_person_sees_its_standards(client, login):
    login(client, "crm")
    response = client.get("/tasks/responsible/")
    assert response.status_code == 200
    assert 'data-testid="responsible-table"' in response.content.decode()


def test_standards_with_uplift_for_the_crm_manager_and_the_analyst_not_the_employee(client, login,
                                                                                    django_assert_max_num_queries):
    login(client, "crm")
    # The uplift of each standard costs a few queries of its own (discovery and feedback add standards).
    with django_assert_max_num_queries(14 + 4 * Standard.objects.count()):
        response = client.get("/touches/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-testid="verdict"') == Standard.objects.count()
    assert 'data-testid="reasons-table"' in text
    login(client, "analyst")
    assert client.get("/touches/").status_code == 200
    assert client.get("/touches/new/").status_code == 403
    login(client, "staff")
    assert client.get("/touches/").status_code == 403


def test_the_uplift_page_of_a_standard(client, login):
    standard = Standard.objects.get(trigger="novice")
    login(client, "crm")
    response = client.get(f"/touches/{standard.pk}/uplift/?months=6&window=14")
    assert response.status_code == 200
    assert 'data-testid="uplift-table"' in response.content.decode()


def _post_data(version: StandardVersion, **changes) -> dict:
    data = {"name": version.name, "is_active": "on", "control_percent": "20", "conversion_days": "21",
            "responsible": "", "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000"}
    step = version.steps.first()
    data.update({"form-0-title": "Новый шаг", "form-0-channel": "call", "form-0-delay_days": "2",
                 "form-0-delay_basis": "entry", "form-0-template_ru": "Здравствуйте, {name}!",
                 "form-0-executor_rule": "location_manager", "form-0-aims_at_purchase": "on"})
    assert step is not None
    data.update(changes)
    return data


def test_editing_a_standard_makes_a_new_version_and_old_tasks_keep_their_steps(client, login):
    standard = Standard.objects.get(trigger="novice")
    version = standard.versions.get()
    old_steps = set(Task.objects.filter(entry__standard=standard).values_list("step_id", flat=True))
    login(client, "crm")
    response = client.post(f"/touches/{standard.pk}/", _post_data(version))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(standard.versions.values_list("number", flat=True)) == [2, 1]
    new = standard.versions.get(number=2)
    assert (new.control_share * 100, new.conversion_days, new.steps.get().title) == (20, 21, "Новый шаг")
    assert set(Task.objects.filter(entry__standard=standard).values_list("step_id", flat=True)) == old_steps
    assert Step.objects.filter(version=version).count() == 2


def test_the_editor_reports_an_unknown_placeholder(client, login):
    standard = Standard.objects.get(trigger="novice")
    login(client, "crm")
    response = client.post(f"/touches/{standard.pk}/", _post_data(standard.versions.get(),
                                                                  **{"form-0-template_ru": "Привет, {имя}!"}))
    assert response.status_code == 200
    assert "{имя}" in response.content.decode() or "имя" in response.content.decode()
    assert standard.versions.count() == 1


def test_the_outbox_for_the_crm_manager(client, login):
    login(client, "crm")
    assert client.get("/touches/outbox/").status_code == 200
    login(client, "manager")
    assert client.get("/touches/outbox/").status_code == 403


def test_messages_the_daily_run_sends_are_not_on_anyones_task_list(client, login, staff):
    call, sms = _give(staff, 2)
    Task.objects.filter(pk=sms.pk).update(channel=TouchChannel.SMS)
    login(client, "staff")
    text = client.get("/tasks/").content.decode()
    assert f'data-task="{call.pk}"' in text and f'data-task="{sms.pk}"' not in text


def test_marking_done_without_htmx_returns_to_the_list_and_never_leaves_the_site(client, login, staff):
    first, second = _give(staff, 2)
    login(client, "staff")
    response = client.post(f"/tasks/{first.pk}/done/", {"outcome": "reached", "next": "/tasks/?page=1"})
    assert (response.status_code, response["Location"]) == (302, "/tasks/?page=1")
    response = client.post(f"/tasks/{second.pk}/done/", {"outcome": "reached", "next": "https://evil.example/"})
    assert response["Location"] == "/tasks/"


def test_the_editors_untouched_spare_step_is_not_a_step(client, login):
    standard = Standard.objects.get(trigger="novice")
    data = _post_data(standard.versions.get(), **{
        "form-TOTAL_FORMS": "2", "form-1-channel": "call", "form-1-delay_days": "0", "form-1-delay_basis": "entry",
        "form-1-executor_rule": "location_manager", "form-1-aims_at_purchase": "on",
        "form-1-title": "", "form-1-template_ru": "",
    })
    login(client, "crm")
    response = client.get(f"/touches/{standard.pk}/")
    assert response.status_code == 200 and response.content.decode().count('data-testid="step"') == 3  # two + spare
    response = client.post(f"/touches/{standard.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert standard.versions.get(number=2).steps.count() == 1


def test_task_ids_are_not_written_with_thousand_separators(client, login, staff):
    """In Russian 12345 is shown as "12 345": an id in an attribute must not be (HTMX targets the card by it)."""
    task = _give(staff, 1)[0]
    Message.objects.filter(task=task).delete()
    Task.objects.filter(pk=task.pk).update(id=12345)
    login(client, "staff")
    text = client.get("/tasks/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'id="task-12345"' in text and 'hx-target="#task-12345"' in text


def test_the_touch_tables_are_in_the_admin(client, login):
    login(client, "owner")
    for name in ("standard", "standardversion", "entry", "task", "message", "dailyrun"):
        assert client.get(f"/admin/touches/{name}/").status_code == 200, name
