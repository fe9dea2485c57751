"""The shared streamed exports: CSV (BOM, `;` or `,`) and XLSX of the lists, with the page's filters."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from openpyxl import load_workbook

from romashka.core.models import Location
from romashka.path.models import Purchase
from romashka.web.exports import csv_response, export_response, xlsx_response

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_is_streamed_lazily_with_a_bom_and_the_chosen_delimiter():
    produced = []

    def rows():
        for number in range(100_000):
            produced.append(number)
            yield [number, date(2026, 11, 1), Decimal("1.50"), None]

    response = csv_response("x.csv", ["n", "день", "сумма", "пусто"], rows(), delimiter=";")
    assert isinstance(response, StreamingHttpResponse) and produced == []  # nothing built before it is sent
    stream = iter(response.streaming_content)
    first = next(stream)
    assert first.startswith("\ufeffn;день".encode()) and len(produced) == 0
    rest = b"".join(stream).decode()
    assert rest.splitlines()[0] == "0;2026-11-01;1.50;" and len(produced) == 100_000


def test_xlsx_has_a_bold_header_real_dates_and_numbers():
    response = xlsx_response("x.xlsx", ["n", "when"], ([n, datetime(2026, 11, 1, 10, 30)] for n in range(3)),
                             sheet_title="Клиенты: поклонники")
    sheet = load_workbook(io.BytesIO(body(response))).active
    assert sheet.title == "Клиенты поклонники"
    assert sheet.cell(row=1, column=1).font.bold
    assert [row for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        (n, datetime(2026, 11, 1, 10, 30)) for n in range(3)]


def test_export_response_follows_format_and_sep():
    factory = RequestFactory()
    as_csv = export_response(factory.get("/x", {"sep": ","}), basename="list", header=["a", "b"], rows=[[1, 2]])
    assert body(as_csv).decode("utf-8-sig").splitlines() == ["a,b", "1,2"]
    assert 'filename="list.csv"' in as_csv["Content-Disposition"]
    as_xlsx = export_response(factory.get("/x", {"format": "xlsx"}), basename="list", header=["a"], rows=[[1]])
    assert as_xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="list.xlsx"' in as_xlsx["Content-Disposition"]


def test_the_purchases_list_exports_as_xlsx_with_the_page_filters(login):
    from django.test import Client

    client = Client()
    login(client, "owner")
    location = Location.objects.order_by("code").first()
    response = client.get("/purchases/export.csv", {"format": "xlsx", "location": location.pk,
                                                     "from": "2026-11-01", "to": "2026-11-23"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(body(response))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    expected = Purchase.objects.filter(location=location, purchased_on__range=(date(2026, 11, 1), date(2026, 11, 23)))
    assert len(rows) == expected.count() > 0
    assert {row[5] for row in rows} == {location.code}


def test_the_clients_list_exports_as_semicolon_csv_on_request(login):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["romashka_language"] = "en"
    login(client, "owner")
    text = body(client.get("/clients/export.csv", {"sep": ";"})).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["id", "external id", "name"] and len(rows) > 10
