"""The owner's first minute in a real browser: sign in, see the chart, switch to English; the login page on a phone."""

import pytest
from playwright.sync_api import Page, expect

from romashka.core.demo import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    # The top bar's language switch is a submit button too; the login form's button is the one in <main>.
    with page.expect_navigation():
        page.click("main button[type=submit]")


def test_owner_sees_the_dashboard_with_a_chart_and_switches_to_english(
    demo_network_live, live_server, page, test_output
):
    sign_in(page, live_server.url, "owner", DEMO_PASSWORD)

    assert page.url == f"{live_server.url}/"
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page.get_by_role("heading", name="Выручка по месяцам")).to_be_visible()
    chart = page.locator("[data-testid=revenue-chart]")
    expect(chart).to_have_attribute("data-rendered", "1")
    canvas = chart.locator("canvas").first
    expect(canvas).to_be_visible()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0

    with page.expect_navigation():
        page.click("[data-testid=lang-en]")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Revenue by month")).to_be_visible()
    expect(page.locator("[data-testid=kpis]")).to_contain_text("Clients")
    expect(page.locator("[data-testid=revenue-chart]")).to_have_attribute("data-rendered", "1")
    assert page.locator("[data-testid=revenue-chart] canvas").first.bounding_box()["width"] > 0
    screenshot = test_output / "dashboard-en.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000


def test_login_page_fits_a_360_px_phone(live_server, page):
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(f"{live_server.url}/login/")

    expect(page.locator("main button[type=submit]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    field = page.locator("input[name=username]").bounding_box()
    assert field["x"] >= 0 and field["x"] + field["width"] <= 360


def test_wrong_password_shows_the_error_in_the_browser(live_server, page):
    sign_in(page, live_server.url, "owner", "not-the-password")

    error = page.locator("[data-testid=login-error]")
    expect(error).to_be_visible()
    expect(error).to_have_text("Неверное имя пользователя или пароль.")
    assert page.url.startswith(f"{live_server.url}/login/")
