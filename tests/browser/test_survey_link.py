"""A survey link in a real browser: HR creates an eNPS wave and downloads its personal links; an employee
opens one on a phone without signing in, answers, and sees "already answered" on the second try."""

import csv
import io
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from romashka.feedback.models import Answer

pytestmark = pytest.mark.browser


def test_a_survey_link_is_answered_once(sign_in, demo_network_live, live_server, page, chromium, test_output):
    sign_in("hr")
    page.goto(f"{live_server.url}/feedback/surveys/")
    form = page.locator("[data-testid=wave-form]")
    form.locator("select[name=survey]").select_option(label="Ежемесячный пульс сотрудников")
    form.locator("select[name=location]").select_option(label="Блинная на Тверской")
    form.locator("select[name=delivery]").select_option("download")
    with page.expect_download() as download:
        form.locator("button[type=submit]").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][4] == "Ссылка" and len(rows) > 2
    url = rows[1][4]
    assert url.startswith(live_server.url + "/s/")

    phone = chromium.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    respondent = phone.new_page()
    try:
        respondent.goto(url)
        expect(respondent.get_by_role("heading", name="Ежемесячный пульс сотрудников")).to_be_visible()
        expect(respondent.get_by_text("Ответ анонимный")).to_be_visible()
        assert respondent.evaluate("document.documentElement.scrollWidth") <= 362
        assert respondent.evaluate("document.scripts.length") == 0
        before = Answer.objects.filter(kind="employee").count()
        respondent.get_by_role("button", name="Отправить ответ").click()
        expect(respondent.get_by_test_id("form-errors")).to_be_visible()  # nothing chosen yet
        respondent.locator("label:has(input[name=score][value='9'])").click()
        respondent.locator("label:has(input[name=satisfaction][value='4'])").click()
        respondent.fill("textarea[name=comment]", "Больше поваров в выходные")
        respondent.screenshot(path=str(test_output / "survey-form-phone.png"), full_page=True)
        respondent.get_by_role("button", name="Отправить ответ").click()
        expect(respondent.get_by_test_id("thanks")).to_contain_text("Спасибо")
        assert Answer.objects.filter(kind="employee").count() == before + 1
        answer = Answer.objects.filter(kind="employee", comment="Больше поваров в выходные").get()
        assert (answer.score, answer.satisfaction, answer.party_id) == (9, 4, None)
        if connection.vendor == "postgresql":
            # The used link and the anonymous answer were written by different transactions.
            with connection.cursor() as cursor:
                cursor.execute("SELECT xmin::text FROM feedback_answer WHERE id = %s", [answer.pk])
                answer_xmin = cursor.fetchone()[0]
                cursor.execute("SELECT xmin::text FROM feedback_surveylink WHERE used AND wave_id = %s",
                               [answer.wave_id])
                link_xmins = {row[0] for row in cursor.fetchall()}
            assert link_xmins and answer_xmin not in link_xmins

        respondent.goto(url)
        expect(respondent.get_by_test_id("link-problem")).to_contain_text("Ответ уже получен")
        respondent.screenshot(path=str(test_output / "survey-already-answered.png"))
        assert Answer.objects.filter(kind="employee").count() == before + 1
    finally:
        phone.close()
