"""POST /api/imports: a whole file through the API, with the import's JSON answer; errors in the API's shape."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from romashka.core.models import Location
from romashka.core.services import api_token_create
from romashka.path.models import Purchase

pytestmark = pytest.mark.django_db


def post(username: str, content: bytes, name: str = "pos.csv", **fields):
    token = api_token_create(user=get_user_model().objects.get(username=username), name="tests")[1]
    return Client().post("/api/imports", {"file": SimpleUploadedFile(name, content), **fields},
                         HTTP_AUTHORIZATION=f"Bearer {token}")


def pos_file(code: str) -> bytes:
    return ("Номер карты;Дата чека;Сумма;Точка;Номер чека\r\n"
            f"0099000001;01.11.2026 10:30;1 234,50;{code};API-1\r\n"
            f"0099000002;02.11.2026;500;{code};API-2\r\n"
            f"0099000003;xx.11.2026;5;{code};API-3\r\n"
            "Итого;;1 739,50;;\r\n").encode("cp1251")


def test_a_file_through_the_api_dry_run_then_import_then_again_adds_nothing(demo_network):
    code = Location.objects.order_by("code").first().code
    before = Purchase.objects.count()
    dry = post("owner", pos_file(code), dry_run="true")
    assert dry.status_code == 200, dry.content
    body = dry.json()
    assert {k: body[k] for k in ("kind", "rows", "accepted", "rejected", "customers", "amount_total",
                                 "rejected_by_reason", "added")} == {
        "kind": "purchases", "rows": 4, "accepted": 2, "rejected": 2, "customers": 2, "amount_total": "1734.50",
        "rejected_by_reason": {"bad_date": 1, "totals_line": 1}, "added": None}
    assert [(r["row"], r["reason"], r["value"]) for r in body["rejected_rows"]] == [
        (4, "bad_date", "xx.11.2026"), (5, "totals_line", "Итого")]
    assert Purchase.objects.count() == before
    done = post("crm", pos_file(code), kind="purchases", source="pos-api").json()
    assert (done["added"], done["already_there"], done["clients_added"]) == (2, 0, 2)
    again = post("crm", pos_file(code), kind="purchases", source="pos-api").json()
    assert (again["added"], again["already_there"]) == (0, 2)
    assert Purchase.objects.count() == before + 2


def test_bad_files_and_roles_get_the_api_errors(demo_network):
    empty = post("owner", b"")
    assert empty.status_code == 422 and empty.json()["error"]["fields"][0]["field"] == "file"
    assert "empty" in empty.json()["error"]["fields"][0]["message"]
    garbage = post("owner", bytes(range(256)) * 40, name="x.csv")
    assert garbage.status_code == 422 and "binary" in garbage.content.decode()
    assert post("owner", b"a;b\n1;2\n", kind="invoices").status_code == 422
    assert post("owner", b"a;b\n1;2\n", mapping="[1]").status_code == 422
    assert post("staff", pos_file("X")).status_code == 403  # an employee does not use the API
    # A location manager may not import: neither a named kind nor one recognised from the headers.
    assert post("manager", pos_file("X"), kind="purchases").status_code == 403
    assert post("manager", pos_file("X")).status_code == 403


def test_the_size_limit_applies(demo_network, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = post("owner", pos_file("X") * 3)
    assert response.status_code == 413 and "limit" in response.json()["error"]["message"]
