"""The RFM grid in a real browser: the CRM manager opens Segments → RFM, clicks a cell, sees its clients,
downloads them, and narrows the grid to a segment; a screenshot of the grid is kept."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _number(text: str) -> int:
    """A whole number as the page writes it in Russian: 1 234 with a (narrow) no-break space."""
    return int("".join(char for char in text if char.isdigit()))


def test_the_crm_manager_drills_down_from_the_rfm_grid(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("crm")
    page.click("nav.sidebar >> text=Сегменты")
    expect(page.locator("[data-testid=segment-table]")).to_be_visible()
    expect(page.locator("#segments-chart[data-rendered='1']")).to_have_count(1)
    page.click("[data-testid=discovery-tabs] >> text=RFM")
    grid = page.locator("[data-testid=rfm-grid]")
    expect(grid).to_be_visible()
    expect(grid.locator("td.cell")).to_have_count(25)
    page.screenshot(path=str(test_output / "rfm-grid.png"), full_page=True)

    # The champions' top-right square: its count on the grid is the length of the list it opens.
    square = grid.locator("[data-testid=rfm-cell-55]")
    count = _number(square.locator(".cell-count").inner_text())
    assert count > 0
    with page.expect_navigation():
        square.click()
    expect(page.locator("[data-testid=rfm-cell-title]")).to_contain_text("Чемпионы")
    expect(page.locator("[data-testid=rfm-cell-list] tbody tr")).to_have_count(min(count, 50))
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    lines = download.value.path().read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) - 1 == count

    # A named cell from the table under the grid, then the grid of one segment only.
    page.click("text=назад к сетке")
    total = _number(page.locator("[data-testid=rfm-customers]").inner_text())
    with page.expect_navigation():
        page.click("[data-testid=rfm-named-hibernating]")
    expect(page.locator("[data-testid=rfm-cell-title]")).to_contain_text("В спячке")
    page.go_back()
    page.select_option("[data-testid=segment-filter]", label="Москва: поклонники")
    with page.expect_navigation():
        page.click("main form.filters button[type=submit]")
    narrowed = _number(page.locator("[data-testid=rfm-customers]").inner_text())
    assert 0 < narrowed < total
    with page.expect_navigation():
        page.locator("[data-testid=rfm-grid] td.cell a").first.click()
    assert "segment=" in page.url
