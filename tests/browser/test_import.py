"""The upload page in a real browser: preview, a changed mapping, the progress bar, the result, the rejected rows."""

import csv
import io

import pytest
from playwright.sync_api import expect

from romashka.path.models import Purchase

pytestmark = pytest.mark.browser

FILE = (
    "Продажи по дисконтным картам\r\n"
    "\r\n"
    "Карта;Гость;Дата;Сумма;Скидка\r\n"
    "8800000001;Анна;20.11.2026 12:00;1 500,00;100\r\n"
    "8800000002;Борис;21.11.2026;700;0\r\n"
    "8800000003;Вера;завтра;100;0\r\n"
    "Итого;;;2 300,00;\r\n"
).encode("cp1251")


def test_upload_preview_mapping_progress_result_and_rejected_rows(sign_in, demo_network_live, live_server, page, tmp_path,
                                                                  test_output):
    sign_in("crm")
    page.click("nav.sidebar >> text=Данные")
    with page.expect_navigation():
        page.click("[data-testid=data-import-link]")
    expect(page.get_by_role("heading", name="Загрузка данных", exact=True)).to_be_visible()

    upload = tmp_path / "чеки.csv"
    upload.write_bytes(FILE)
    page.set_input_files("[data-testid=upload-file]", str(upload))
    page.fill("[data-testid=upload-source]", "iiko")
    with page.expect_navigation():
        page.click("[data-testid=upload-submit]")

    # The preview: the first rows below the 1C-style title, and the recognised columns.
    rows = page.locator("[data-testid=preview-rows] tbody tr")
    expect(rows.first).to_contain_text("8800000001")
    expect(page.locator("[data-testid=map-amount]")).to_have_value("Сумма")
    expect(page.locator("[data-testid=preview-summary]")).to_contain_text("Строк: 4; будет принято: 2; отклонено: 2.")
    page.screenshot(path=str(test_output / "import-preview.png"), full_page=True)

    # A changed mapping: the guest's name from «Гость», the amount from «Скидка» — then back.
    page.select_option("[data-testid=map-amount]", "Скидка")
    with page.expect_navigation():
        page.click("[data-testid=preview-update]")
    expect(page.locator("[data-testid=map-amount]")).to_have_value("Скидка")
    page.select_option("[data-testid=map-amount]", "Сумма")
    page.select_option("[data-testid=map-customer_name]", "Гость")
    page.check("[data-testid=save-mapping]")
    before = Purchase.objects.count()
    with page.expect_navigation():
        page.click("[data-testid=import-run]")

    progress = page.locator("[data-testid=import-progress] progress")
    expect(progress).to_be_visible()
    expect(page.locator("[data-testid=import-result]")).to_be_visible(timeout=60_000)
    expect(progress).to_have_attribute("value", "100")
    expect(page.locator("[data-testid=result-added]")).to_have_text("2")
    expect(page.locator("[data-testid=result-rejected]")).to_have_text("2")
    expect(page.locator("[data-testid=import-rejected]")).to_contain_text("не дата")
    expect(page.locator("[data-testid=import-rejected]")).to_contain_text("строка итогов")
    assert Purchase.objects.count() == before + 2
    page.screenshot(path=str(test_output / "import-result.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("[data-testid=rejected-download]")
    from pathlib import Path

    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    rejected = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rejected[0] == ["строка", "столбец", "значение", "причина", "код причины"]
    assert [row[0] for row in rejected[1:]] == ["6", "7"]
    assert [row[4] for row in rejected[1:]] == ["bad_date", "totals_line"]
