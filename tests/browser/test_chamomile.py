"""The chamomile in a real browser: the owner clicks through every petal, the supplier report downloads, a screenshot is kept."""


import base64
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from romashka.chamomile.figures import Petal

pytestmark = pytest.mark.browser


def test_the_owner_clicks_through_every_petal(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("owner")
    # The start page opens on the chamomile: its petals drill down from there too.
    start = page.locator("[data-testid=start-chamomile]")
    expect(start).to_be_visible()
    for petal in Petal:
        expect(start.locator(f"a[data-petal={petal.value}]")).to_have_count(1)
    page.screenshot(path=str(test_output / "chamomile-start-owner.png"))
    with page.expect_navigation():
        start.locator("a[data-petal=guests] ellipse").first.click()
    expect(page.locator("[data-testid=figures-guests]")).to_be_visible()
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
    with page.expect_download() as download_info:
        page.click("[data-testid=supplier-pdf]")
    assert Path(download_info.value.path()).read_bytes().startswith(b"%PDF-")
    # The report to send: as printed on A4, the page's own buttons hidden.
    with page.expect_navigation():
        page.click("[data-testid=supplier-print-link]")
    expect(page.locator("[data-testid=print-months] tbody tr")).to_have_count(12)
    page.emulate_media(media="print")
    expect(page.locator("[data-testid=print-bar]")).to_be_hidden()
    page.screenshot(path=str(test_output / "chamomile-supplier-print.png"), full_page=True)
    assert page.pdf(format="A4").startswith(b"%PDF-")  # what the browser's "save as PDF" gives
    page.emulate_media(media="screen")


def test_the_owner_records_an_initiative_with_a_photo(sign_in, demo_network_live, live_server, page, test_output,
                                                     tmp_path):
    photo = tmp_path / "park.png"  # a 1×1 PNG
    photo.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))
    sign_in("owner")
    page.goto(f"{live_server.url}/chamomile/community/")
    with page.expect_navigation():
        page.click("[data-testid=initiative-add]")
    page.fill("input[name=title]", "Блинный день в парке")
    page.fill("input[name=held_on]", "2026-06-14")
    page.select_option("select[name=kind]", "city_event")
    page.fill("input[name=reach]", "850")
    page.fill("input[name=cost]", "42000")
    page.fill("input[name=link]", "https://example.org/park")
    page.set_input_files("input[name=photo]", str(photo))
    with page.expect_navigation():
        page.click("[data-testid=initiative-save]")
    row = page.locator("[data-testid=initiatives] tr", has_text="Блинный день в парке")
    expect(row).to_have_count(1)
    expect(row.locator("img.initiative-thumb")).to_be_visible()
    page.screenshot(path=str(test_output / "chamomile-community.png"), full_page=True)


@pytest.mark.parametrize("username", ["partner", "partner2", "partner3"])
def test_each_partner_opens_on_its_own_chamomile_and_cabinet(sign_in, demo_network_live, live_server, page,
                                                             test_output, username):
    from romashka.core.demo import DEMO_PARTNER_LOGINS, PARTNERS

    sign_in(username)
    expect(page.locator("[data-testid=start-chamomile]")).to_be_visible()
    expect(page.locator("[data-testid=chamomile-centre] title")).to_have_text(PARTNERS[DEMO_PARTNER_LOGINS[username]])
    page.goto(f"{live_server.url}/chamomile/")
    expect(page.locator("[data-testid=chamomile-svg] a[data-petal=investors]")).to_have_count(0)
    with page.expect_navigation():
        page.locator("[data-testid=chamomile-svg] a[data-petal=franchise] ellipse").first.click()
    expect(page.locator("[data-testid=partner-figures]")).to_be_visible()
    page.screenshot(path=str(test_output / f"chamomile-{username}.png"), full_page=True)
