"""The touch system in a real browser: an employee marks today's touches done on a phone-sized screen,
a lost client's reason for leaving included; the CRM manager sees the uplift charts."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from romashka.core.models import Employee
from romashka.touches.choices import Group, Outcome, TaskState, TouchChannel
from romashka.touches.models import Task

pytestmark = pytest.mark.browser




def _give_staff(count: int, *, asks_reason: bool) -> list[int]:
    staff = Employee.objects.get(user__username="staff")
    ids = list(Task.objects.filter(entry__group=Group.TREATED, step__asks_leaving_reason=asks_reason,
                                   executor__user__isnull=True).order_by("pk").values_list("pk", flat=True)[:count])
    Task.objects.filter(pk__in=ids).update(executor=staff, state=TaskState.OPEN, outcome="", cancel_reason="",
                                           cancelled_on=None, due_on=timezone.localdate(), channel=TouchChannel.CALL)
    return ids


def test_an_employee_marks_touches_done_on_a_phone(sign_in, demo_network_live, live_server, page, test_output):
    plain = _give_staff(3, asks_reason=False)
    lost = _give_staff(1, asks_reason=True)
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in("staff")
    page.goto(f"{live_server.url}/tasks/")
    expect(page.get_by_role("heading", name="Мои задачи на сегодня")).to_be_visible()
    cards = page.locator("[data-testid=task-card]")
    expect(cards).to_have_count(4)
    assert page.evaluate("document.documentElement.scrollWidth") <= 362  # no sideways scrolling at 360 px
    page.screenshot(path=str(test_output / "my-tasks-phone.png"), full_page=True)

    card = page.locator(f"#task-{plain[0]}")
    card.locator("button[data-outcome=will_come]").click()
    expect(page.locator(f"#task-{plain[0]} [data-testid=task-outcome]")).to_contain_text("придёт")
    task = Task.objects.get(pk=plain[0])
    assert (task.state, task.outcome) == (TaskState.DONE, Outcome.WILL_COME)

    card = page.locator(f"#task-{lost[0]}")
    card.locator("[data-testid=leaving-reason]").select_option("competitor")
    card.locator("textarea").fill("Открылась кофейня рядом с домом")
    card.locator("button[data-outcome=reached]").click()
    expect(page.locator(f"#task-{lost[0]} [data-testid=task-outcome]")).to_contain_text("ушёл к конкуренту")
    task = Task.objects.get(pk=lost[0])
    assert (task.outcome, task.leaving_reason, task.note) == (Outcome.REACHED, "competitor",
                                                              "Открылась кофейня рядом с домом")

    page.reload()
    expect(page.locator("[data-testid=task-card]")).to_have_count(2)


def test_the_crm_manager_sees_uplift_and_reasons_for_leaving(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("crm")
    page.click("nav.sidebar >> text=Стандарты касаний")
    expect(page.get_by_role("heading", name="Стандарты касаний", exact=True)).to_be_visible()
    for chart_id in ("uplift-chart", "reasons-chart"):
        expect(page.locator(f"[data-testid={chart_id}]")).to_have_attribute("data-rendered", "1")
    expect(page.locator("[data-testid=verdict]").first).to_be_visible()

    page.locator("[data-testid=standards-table] a", has_text="подробнее").first.click()
    expect(page.get_by_role("heading", name="Прирост", exact=False)).to_be_visible()
    chart = page.locator("[data-testid=uplift-month-chart]")
    expect(chart).to_have_attribute("data-rendered", "1")
    box = chart.locator("canvas").first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    expect(page.locator("[data-testid=uplift-table] tbody tr").first).to_be_visible()
    page.screenshot(path=str(test_output / "touch-uplift.png"), full_page=True)
