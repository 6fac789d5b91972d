"""Date fields in a real browser (Debian's Chromium): typed as dd/mm/yyyy, with a calendar
button whose pick is written back as dd/mm/yyyy; the page stays within 360 px and axe-clean."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from core.models import ReviewCycle

from .test_browser_journeys import Person, browser_world, chromium  # noqa: F401  (fixtures)


def test_the_cycle_form_has_a_calendar_per_date_and_reads_dd_mm_yyyy(
    browser_world,  # noqa: F811
    chromium,  # noqa: F811
    live_server,
):
    secretary = Person(chromium, live_server, browser_world.district.secretary, "secretary")
    try:
        page = secretary.phone
        page.goto(live_server.url + "/cycles/new/")
        assert page.evaluate("document.documentElement.lang") == "vi"
        buttons = page.locator("main form .date-picker button.date-picker-button")
        expect(buttons).to_have_count(4)
        expect(buttons.first).to_have_attribute("aria-label", "Chọn ngày trên lịch")
        opens = page.locator("input[name=opens_on]")
        expect(opens).to_have_attribute("placeholder", "ngày/tháng/năm")
        # A day typed is what the calendar opens on; a day picked there is written back.
        opens.fill("01/02/2024")
        buttons.first.click()
        native = page.locator("input[name=opens_on] ~ input.date-picker-native")
        expect(native).to_have_value("2024-02-01")
        native.evaluate("el => { el.value = '2024-02-05'; el.dispatchEvent(new Event('change')); }")
        expect(opens).to_have_value("05/02/2024")
        assert native.get_attribute("name") is None  # never submitted
        secretary.check_open(page, "cycle-form-date-picker", "phone")

        page.fill("input[name=year]", "2024")
        page.select_option("select[name=phase]", label="Giai đoạn 2021 - 2025")
        for name, value in (
            ("report_due", "31/10/2024"),
            ("evaluation_due", "30/11/2024"),
            ("decision_due", "20/12/2024"),
        ):
            page.fill(f"input[name={name}]", value)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/cycles/\d+/$"))
        cycle = ReviewCycle.objects.get(board=browser_world.district.board, year=2024)
        assert cycle.opens_on == dt.date(2024, 2, 5)
        assert cycle.decision_due == dt.date(2024, 12, 20)
    finally:
        secretary.close()
