"""The client's path in a real browser: the Sankey is drawn, a status list's CSV downloads, a screenshot is kept."""

import csv
import io

import pytest
from playwright.sync_api import expect

from romashka.path.models import StatusSnapshot

pytestmark = pytest.mark.browser




def test_owner_sees_the_sankey_and_the_other_charts(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("owner")

    page.click("nav.sidebar >> text=Путь клиента")

    expect(page.get_by_role("heading", name="Путь клиента", exact=True)).to_be_visible()
    for chart_id in ("counts-chart", "sankey-chart", "rates-chart"):
        chart = page.locator(f"[data-testid={chart_id}]")
        expect(chart).to_have_attribute("data-rendered", "1")
        box = chart.locator("canvas").first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, chart_id
    expect(page.locator("[data-testid=status-now]")).to_contain_text("поклонник")
    screenshot = test_output / "path-overview.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 20_000


def test_a_chosen_period_redraws_the_sankey(sign_in, demo_network_live, live_server, page):
    sign_in("owner")
    page.goto(f"{live_server.url}/path/")

    page.fill("input[name=date_from]", "2026-01-31")
    with page.expect_navigation():
        page.click("[data-testid=period-form] button[type=submit]")

    expect(page.locator("[data-testid=sankey-chart]")).to_have_attribute("data-rendered", "1")
    expect(page.locator("[data-testid=matrix-table]")).to_contain_text("31.01.2026", use_inner_text=False)


def test_the_status_lists_csv_export_downloads(sign_in, demo_network_live, live_server, page):
    sign_in("partner")
    page.goto(f"{live_server.url}/path/fan/")
    expect(page.locator("[data-testid=status-list] tbody tr").first).to_be_visible()

    with page.expect_download() as download_info:
        page.click("[data-testid=export-csv]")

    download = download_info.value
    assert download.suggested_filename.startswith("clients-fan-")
    text = download.path().read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    expected = set(
        StatusSnapshot.objects.filter(status="fan", party__home_location__code__in=["MSK-03", "MSK-04"])
        .values_list("party_id", flat=True)
    )
    assert expected and {int(row[0]) for row in rows[1:]} == expected
