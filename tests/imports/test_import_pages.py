"""The upload page through HTTP: upload, preview with the recognised mapping, a changed mapping, the job, its result."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from romashka.imports.models import ImportJob, SavedMapping
from romashka.path.models import Purchase

pytestmark = pytest.mark.django_db

FILE = (
    "Карта;Гость;Дата;Сумма;Скидка\r\n"
    "8800000001;Анна;20.11.2026 12:00;1 500,00;100\r\n"
    "8800000002;Борис;21.11.2026;700;0\r\n"
    "8800000003;Вера;завтра;100;0\r\n"
).encode("cp1251")


@pytest.fixture
def english(login):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["romashka_language"] = "en"
    return client


@pytest.fixture(autouse=True)
def inline_jobs(settings):
    settings.IMPORT_RUN_INLINE = True


def upload(client, content=FILE, name="pos.csv", kind="", source="iiko"):
    return client.post(reverse("data_import"), {"file": SimpleUploadedFile(name, content), "kind": kind,
                                                "source": source})


def test_upload_preview_change_mapping_import_and_download_rejected(english, login):
    login(english, "crm")
    response = upload(english)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("data_import_preview", args=[job.pk])
    page = english.get(response.url).content.decode()
    assert job.__class__.objects.get().kind == "purchases"
    assert 'name="map_customer_id"' in page and '<option value="Карта" selected>' in page
    assert "8800000001" in page and "Rows: 3; would be accepted: 2; rejected: 1." in page

    # The amount comes from «Скидка» instead: the preview follows the change.
    mapping = {"map_customer_id": "Карта", "map_occurred_at": "Дата", "map_amount": "Скидка", "map_customer_name": "Гость"}
    page = english.post(response.url, {"kind": "purchases", "action": "preview", **mapping}).content.decode()
    assert '<option value="Скидка" selected>' in page

    before = Purchase.objects.count()
    mapping["map_amount"] = "Сумма"
    response = english.post(reverse("data_import_preview", args=[job.pk]),
                            {"kind": "purchases", "action": "run", "save_mapping": "1", **mapping})
    assert response.url == reverse("data_import_job", args=[job.pk])
    job.refresh_from_db()
    assert job.state == "done", job.error
    assert (job.result["added"], job.result["rejected"]) == (2, 1)
    assert Purchase.objects.count() == before + 2
    page = english.get(response.url).content.decode()
    assert 'data-testid="result-added">2<' in page and "not a date" in page
    download = english.get(reverse("data_import_rejected", args=[job.pk]))
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[1] == "4;Дата;завтра;not a date;bad_date"
    assert SavedMapping.objects.get(source="iiko", kind="purchases").mapping["amount"] == "Сумма"


def test_a_saved_mapping_is_used_for_the_next_file_from_the_source(english, login):
    user = login(english, "crm")
    SavedMapping.objects.create(organisation=user.membership.organisation, source="iiko", kind="purchases",
                                mapping={"customer_id": "Карта", "occurred_at": "Дата", "amount": "Скидка"})
    upload(english, kind="purchases")
    job = ImportJob.objects.get()
    page = english.get(reverse("data_import_preview", args=[job.pk])).content.decode()
    assert '<option value="Скидка" selected>' in page


def test_bad_files_show_what_is_wrong_and_write_nothing(english, login, settings):
    login(english, "owner")
    upload(english, content=b"\x00\x01\x02garbage" * 100, name="photo.csv")
    job = ImportJob.objects.get()
    page = english.get(reverse("data_import_preview", args=[job.pk])).content.decode()
    assert "binary file" in page
    settings.IMPORT_MAX_BYTES = 10
    page = english.post(reverse("data_import"), {"file": SimpleUploadedFile("big.csv", FILE)}, follow=True).content.decode()
    assert "the limit is 0 MB" in page
    assert ImportJob.objects.count() == 1


def test_who_may_import(login):
    for username, allowed in (("owner", True), ("crm", True), ("analyst", True), ("manager", False),
                              ("staff", False), ("hr", False), ("partner", False)):
        client = Client()
        login(client, username)
        assert client.get(reverse("data_import")).status_code == (200 if allowed else 403), username


def test_another_organisations_job_is_not_found(english, login):
    login(english, "crm")
    upload(english)
    job = ImportJob.objects.get()
    from romashka.core.models import Organisation

    job.organisation = Organisation.objects.create(name="Другая")
    job.save()
    assert english.get(reverse("data_import_job", args=[job.pk])).status_code == 404


def test_import_jobs_and_saved_mappings_are_in_the_admin(login):
    client = Client()
    login(client, "owner")
    for model in ("importjob", "savedmapping"):
        assert client.get(reverse(f"admin:imports_{model}_changelist")).status_code == 200
