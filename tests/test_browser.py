"""A real browser (Debian's Chromium driven by Playwright) against a live server: an
official logs in on /login/, registers an initiative through the form and finds it in the
list. Chromium that cannot launch fails the test: it is never skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from core.models import Initiative, InitiativeStatus
from workflows.tests.factories import build_world

from .api_support import fast_password_hashing

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"
TITLE = "Dân vận khéo trong xây dựng nông thôn mới (trình duyệt)"


@pytest.fixture
def page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # The test's own queries ran while Playwright's event loop was running, on a
            # connection pytest-django does not close: close it here.
            connections.close_all()


def test_an_official_registers_an_initiative_in_a_real_browser(
    transactional_db, live_server, page, settings
):
    fast_password_hashing(settings)
    world = build_world()
    official = world.district.official

    page.goto(f"{live_server.url}/login/")
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    page.fill("#id_username", official.username)
    page.fill("#id_password", "matkhau-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/tasks/")

    page.goto(f"{live_server.url}/initiatives/new/")
    page.fill("input[name=unit_code]", world.district.commune.code)
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=kind]", "collective")
    page.check("input[name=fields][value=new_rural]")
    page.select_option("select[name=phase]", label="Giai đoạn 2021 - 2025")
    page.fill("input[name=registered_on]", "01/03/2023")
    page.fill("textarea[name=description]", "Vận động nhân dân hiến đất làm đường.")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/initiatives/*/")
    expect(page.locator(".messages li.success")).to_contain_text("chờ")

    initiative = Initiative.objects.get(title=TITLE)
    assert initiative.status == InitiativeStatus.REGISTERED
    assert initiative.owner_unit_id == world.district.commune.pk

    page.goto(f"{live_server.url}/initiatives/")
    row = page.locator("tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(initiative.code)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "browser-initiative-list.png"), full_page=True)
    assert (OUTPUT / "browser-initiative-list.png").stat().st_size > 0
