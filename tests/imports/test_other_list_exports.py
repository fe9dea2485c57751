"""Exports of the tasks, supplier orders and survey answers: CSV and XLSX, the page's filters, the role's scope."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from romashka.chamomile.models import SupplierOrder
from romashka.core.access import scope_for
from romashka.feedback.models import Answer
from romashka.touches.models import Task

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else b"".join(response)


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    text = body(response).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Cyrillic
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def signed_in(login, username: str) -> tuple[Client, object]:
    client = Client()
    client.cookies["romashka_language"] = "en"
    user = login(client, username)
    return client, user


def test_team_tasks_export_follows_the_page_filters_and_the_managers_locations(login):
    client, _user = signed_in(login, "owner")
    open_tasks = Task.objects.filter(state="open").exclude(channel__in=["sms", "email", "messenger"])
    rows = csv_rows(client.get("/data/export/tasks/", {"sep": ";"}))
    assert rows[0][:3] == ["id", "due", "state"]
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(open_tasks.values_list("pk", flat=True))
    assert len(rows) > 1
    location = open_tasks.values_list("location_id", flat=True).first()
    rows = csv_rows(client.get("/data/export/tasks/", {"sep": ";", "location": location, "state": "all"}))
    assert {int(r[0]) for r in rows[1:]} == set(
        Task.objects.filter(location_id=location).exclude(channel__in=["sms", "email", "messenger"])
        .values_list("pk", flat=True))

    manager, user = signed_in(login, "manager")
    scope = scope_for(user)
    rows = csv_rows(manager.get("/data/export/tasks/", {"sep": ";", "state": "all"}))
    exported = {int(r[0]) for r in rows[1:]}
    assert exported and set(Task.objects.filter(pk__in=exported).values_list("location_id", flat=True)) <= set(
        scope.location_ids)
    # Another location's id in the filter gives nothing, not its tasks.
    other = Task.objects.exclude(location_id__in=scope.location_ids).values_list("location_id", flat=True).first()
    assert csv_rows(manager.get("/data/export/tasks/", {"sep": ";", "location": other, "state": "all"}))[1:] == []


def test_tasks_export_as_xlsx_and_refused_without_the_export_capability(login):
    client, _user = signed_in(login, "crm")
    response = client.get("/data/export/tasks/", {"format": "xlsx", "state": "done"})
    sheet = load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == Task.objects.filter(state="done").exclude(channel__in=["sms", "email", "messenger"]).count() > 0
    staff, _user = signed_in(login, "staff")  # an employee sees its tasks but exports nothing
    assert staff.get("/data/export/tasks/").status_code == 403


def test_supplier_orders_export_for_the_owner_and_only_the_partners_locations(login):
    client, _user = signed_in(login, "owner")
    order = SupplierOrder.objects.order_by("pk").first()
    rows = csv_rows(client.get("/data/export/supplier-orders/", {"sep": ";", "supplier": order.supplier_id}))
    assert rows[0] == ["date", "supplier", "Supplier's tax id (INN)", "location", "amount", "reference"]
    expected = SupplierOrder.objects.filter(supplier_id=order.supplier_id)
    assert len(rows) - 1 == expected.count()
    assert sum(Decimal(r[4]) for r in rows[1:]) == sum(o.amount for o in expected)
    month = order.ordered_on.replace(day=1).isoformat()
    rows = csv_rows(client.get("/data/export/supplier-orders/", {"sep": ";", "from": month, "to": month[:8] + "28"}))
    assert len(rows) - 1 == SupplierOrder.objects.filter(ordered_on__range=(month, month[:8] + "28")).count()

    partner, user = signed_in(login, "partner")
    own = set(scope_for(user).location_ids)
    rows = csv_rows(partner.get("/data/export/supplier-orders/", {"sep": ";"}))
    assert len(rows) - 1 == SupplierOrder.objects.filter(location_id__in=own).count()
    assert len(rows) - 1 < SupplierOrder.objects.count()
    hr, _user = signed_in(login, "hr")
    assert hr.get("/data/export/supplier-orders/").status_code == 403


def test_survey_answers_export_names_clients_and_keeps_staff_answers_anonymous(login):
    client, _user = signed_in(login, "owner")
    rows = csv_rows(client.get("/data/export/survey-answers/", {"sep": ";", "kind": "client"}))
    assert rows[0][:4] == ["answered", "month", "location", "respondent"]
    assert len(rows) - 1 == Answer.objects.filter(kind="client").count() > 0
    # Staff answers of one month: five at one location (exported), two at another (too few: left out).
    from datetime import date

    from romashka.core.models import Location
    from romashka.feedback.models import Survey, Wave

    first, second = Location.objects.order_by("code")[:2]
    survey = Survey.objects.create(organisation=first.organisation, kind="employee", name="Пульс")
    wave = Wave.objects.create(survey=survey, scheduled_on=date(2026, 3, 2), expires_on=date(2026, 3, 16))
    month = date(2026, 3, 1)
    for location, scores in ((first, [9, 10, 7, 3, 8]), (second, [5, 6])):
        for score in scores:
            Answer.objects.create(organisation=first.organisation, survey=survey, wave=wave, kind="employee",
                                  month=month, location=location, score=score, comment=f"c{score}")
    staff_rows = csv_rows(client.get("/data/export/survey-answers/",
                                     {"sep": ";", "kind": "employee", "survey": survey.pk, "as_of": "2026-11-30"}))
    assert staff_rows[0] == ["month", "location", "department", "score 0–10", "satisfaction 1–5", "why"]
    # Ordered by score within the group, so the order says nothing about who answered when.
    assert staff_rows[1:] == [["2026-03-01", first.name, "", str(score), "", f"c{score}"] for score in (3, 7, 8, 9, 10)]
    # Outside the twelve months the anonymous lists show, nothing.
    assert csv_rows(client.get("/data/export/survey-answers/", {"sep": ";", "kind": "employee", "survey": survey.pk,
                                                                "as_of": "2027-06-30"}))[1:] == []

    manager, user = signed_in(login, "manager")
    rows = csv_rows(manager.get("/data/export/survey-answers/", {"sep": ";", "kind": "client"}))
    assert len(rows) - 1 == Answer.objects.filter(kind="client", location_id__in=scope_for(user).location_ids).count()
    crm, _user = signed_in(login, "crm")  # sees client feedback, not the staff's
    assert crm.get("/data/export/survey-answers/", {"kind": "employee"}).status_code == 403


def test_the_team_page_and_the_supplier_report_link_their_exports(login):
    client, _user = signed_in(login, "owner")
    page = client.get("/tasks/team/").content.decode()
    assert 'href="/data/export/tasks/?overdue=1"' in page and "/data/export/tasks/?format=xlsx&amp;overdue=1" in page
    order = SupplierOrder.objects.order_by("pk").first()
    page = client.get(f"/chamomile/suppliers/{order.supplier_id}/").content.decode()
    assert f'href="/data/export/supplier-orders/?supplier={order.supplier_id}"' in page
