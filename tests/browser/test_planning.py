"""Planning in a real browser: both charts drawn, a target set through the form changes the plan; a screenshot."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser




def test_owner_sets_a_revenue_target_and_sees_what_it_needs(sign_in, demo_network_live, live_server, page, test_output):
    sign_in("owner")
    page.click("nav.sidebar >> text=Планирование")

    expect(page.get_by_role("heading", name="Планирование", exact=True)).to_be_visible()
    for chart_id in ("revenue-chart", "forecast-chart"):
        chart = page.locator(f"[data-testid={chart_id}]")
        expect(chart).to_have_attribute("data-rendered", "1")
        box = chart.locator("canvas").first.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, chart_id
    month = page.locator("[data-testid=plan-table] tbody tr").first.get_attribute("data-month")  # the first month ahead

    page.locator("[data-testid=target-form] select[name=location]").select_option(index=0)
    page.fill("[data-testid=target-form] input[name=month]", month)
    page.fill("[data-testid=target-form] input[name=amount]", "900 000 000")
    with page.expect_navigation():
        page.click("[data-testid=target-form] button[type=submit]")

    network = page.locator("[data-testid=plan-table] tbody tr").first
    expect(network).to_contain_text("900")
    expect(network.locator("[data-testid=extra-novices]")).to_contain_text("+")
    expect(page.locator("[data-testid=backtest]")).to_contain_text("%")
    screenshot = test_output / "planning.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 20_000
