"""The dashboard in a real browser (Debian's Chromium driven by Playwright, as in
tests/test_browser.py): on a phone (360 px) and a desktop (1366 px) it shows the demo's
figures without sideways scrolling, and a chart's bar opens the list it counts."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT

pytestmark = pytest.mark.django_db(transaction=True)

# The README's picture (docs/dashboard.png) is a copy of this one.
SCREENSHOT = OUTPUT / "dashboard-1366.png"


@pytest.fixture
def browser(monkeypatch):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


def log_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "tinh.lanhdao")
    page.fill("#id_password", "dvk-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/tasks/")


@pytest.mark.parametrize("width", [360, 1366])
def test_the_dashboard_fits_the_screen_and_a_bar_opens_its_list(live_server, browser, width):
    call_command("seed_demo", stdout=StringIO())
    context = browser.new_context(locale="vi-VN", viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/dashboard/?unit=CB&phase=2016-2020")
        expect(page.locator("h1")).to_have_text("Thống kê")
        expect(page.locator(".key-figures")).to_contain_text("4.086")
        expect(page.locator("#by_field table")).to_contain_text("1.202")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{overflow} px of sideways scrolling at {width} px"
        if width == 1366:
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=False)
            assert SCREENSHOT.stat().st_size > 10_000
        else:
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "dashboard-360.png"), full_page=True)

        bar = page.locator('#by_field svg a[aria-label="Phát triển kinh tế: 1.202"]')
        expect(bar).to_have_count(1)
        bar.click()
        page.wait_for_url(re.compile(r".*/initiatives/\?.*field=economy.*"))
        expect(page.locator("main p.help").first).to_contain_text("1202")
    finally:
        context.close()
