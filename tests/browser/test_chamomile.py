"""The chamomile in a real browser: the owner clicks through every petal, the supplier report downloads, a screenshot is kept."""


import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from romashka.chamomile.figures import Petal

pytestmark = pytest.mark.browser




def test_the_owner_clicks_through_every_petal(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("owner")
    page.click("nav.sidebar >> text=Ромашка")
    expect(page.get_by_role("heading", name="Ромашка", exact=True)).to_be_visible()
    flower = page.locator("[data-testid=chamomile-svg]")
    box = flower.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    for petal in Petal:
        expect(flower.locator(f"a[data-petal={petal.value}]")).to_have_count(1)
    screenshot = test_output / "chamomile.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 20_000

    overview = page.url
    for petal in Petal:
        page.goto(overview)
        with page.expect_navigation():
            page.locator(f"[data-testid=chamomile-svg] a[data-petal={petal.value}] ellipse").first.click()
        expect(page.locator(f"[data-testid=figures-{petal.value}]")).to_be_visible()
        assert f"/chamomile/{petal.value}/" in page.url


def test_the_supplier_report_draws_and_downloads(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("owner")
    page.goto(f"{live_server.url}/chamomile/suppliers/")
    with page.expect_navigation():
        page.locator("[data-testid=supplier-table] tbody a").first.click()
    chart = page.locator("[data-testid=supplier-chart]")
    expect(chart).to_have_attribute("data-rendered", "1")
    page.screenshot(path=str(test_output / "chamomile-supplier.png"), full_page=True)
    with page.expect_download() as download_info:
        page.click("[data-testid=supplier-xlsx]")
    book = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert len(book.worksheets) == 3 and book.worksheets[0].max_row == 13  # header and twelve months


def test_the_partner_opens_its_own_chamomile_and_cabinet(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("partner")
    page.goto(f"{live_server.url}/chamomile/")
    expect(page.locator("[data-testid=chamomile-svg] a[data-petal=investors]")).to_have_count(0)
    with page.expect_navigation():
        page.locator("[data-testid=chamomile-svg] a[data-petal=franchise] ellipse").first.click()
    expect(page.locator("[data-testid=partner-figures]")).to_be_visible()
    page.screenshot(path=str(test_output / "chamomile-partner.png"), full_page=True)
