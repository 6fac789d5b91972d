"""Each role's journey in a real browser (Debian's Chromium driven by Playwright) against a
live server, from registration to the recognition decision and the public verify page.
Every page is opened at 1366×900 and at 360×780: no page may scroll sideways at 360 px, and
axe-core (vendored from npm, injected into the page) may report no serious or critical
violation. Screenshots of every page land in var/test-results/ for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from core.models import InitiativeStatus
from documents.models import Decision

from .api_support import add_issuers_and_clerks, fast_password_hashing
from .test_browser import CHROMIUM, CHROMIUM_ARGS
from .test_web_full_path import CRITERIA
from .web_support import only_task, submit_task

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "var" / "test-results"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 780}
TITLE = "Dân vận khéo: nhân dân hiến đất làm đường liên xóm"

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""
WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
AXE_SOURCE = AXE.read_text(encoding="utf-8")


@pytest.fixture
def browser_world(transactional_db, settings, tmp_path, monkeypatch):
    from workflows.tests.factories import build_world

    fast_password_hashing(settings)
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return add_issuers_and_clerks(build_world())


@pytest.fixture
def chromium():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            connections.close_all()


class Person:
    """One user with a desktop and a phone page, logged in through the session cookie."""

    def __init__(self, chromium, live_server, user, role: str):
        self.role = role
        self.base = live_server.url
        client = Client()
        client.force_login(user)
        cookie = {
            "name": "sessionid",
            "value": client.cookies["sessionid"].value,
            "url": live_server.url,
        }
        self.contexts = []
        self.pages = {}
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = chromium.new_context(locale="vi-VN", viewport=viewport)
            context.add_cookies([cookie])
            self.contexts.append(context)
            self.pages[name] = page = context.new_page()
            page.on("console", self._console)
        self.checked: list[str] = []
        self.csp_errors: list[str] = []

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp_errors.append(message.text)

    @property
    def desktop(self):
        return self.pages["desktop"]

    @property
    def phone(self):
        return self.pages["phone"]

    def check(self, path: str, name: str) -> None:
        """Open ``path`` at both sizes and hold the page to the rules."""
        for size, page in self.pages.items():
            page.goto(self.base + path)
            self.check_open(page, name, size)

    def check_open(self, page, name: str, size: str) -> None:
        expect(page.locator("h1")).to_be_visible()
        scroll_width, inner_width = page.evaluate(WIDTHS)
        RESULTS.mkdir(parents=True, exist_ok=True)
        shot = RESULTS / f"{self.role}-{name}-{size}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert scroll_width <= inner_width, (
            f"{self.role} {name} at {size}: the page is {scroll_width} px wide in a "
            f"{inner_width} px window ({shot})"
        )
        # Through the DevTools protocol, so that the page's CSP (which forbids inline
        # scripts) stays on for everything else.
        page.evaluate(AXE_SOURCE)
        violations = page.evaluate(AXE_RUN)
        assert violations == [], f"{self.role} {name} at {size}: {violations}"
        errors = getattr(self, "csp_errors", [])
        assert errors == [], f"{self.role} {name} at {size}: {errors}"
        self.checked.append(f"{name}@{size}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def test_each_roles_journey_at_desktop_and_phone_sizes(browser_world, chromium, live_server):
    world = browser_world
    d = world.district
    people: list[Person] = []

    def person(user, role):
        people.append(Person(chromium, live_server, user, role))
        return people[-1]

    try:
        # --- The public: the landing page, the login page and the verify box. -------------
        public = chromium.new_context(locale="vi-VN", viewport=PHONE)
        page = public.new_page()
        anonymous = Person.__new__(Person)
        anonymous.role, anonymous.base, anonymous.checked = "public", live_server.url, []
        anonymous.pages = {"phone": page}
        anonymous.csp_errors = []
        page.on("console", anonymous._console)
        for path, name in (("/", "landing"), ("/login/", "login"), ("/verify/", "verify")):
            page.goto(live_server.url + path)
            anonymous.check_open(page, name, "phone")
        page.fill("#id_code", "KHONG-CO-MA-NAY")
        page.click("main button[type=submit]")
        expect(page.locator("#status")).to_contain_text("Không có giấy khen")
        anonymous.check_open(page, "verify-not-found", "phone")
        page.goto(live_server.url + "/khong-co-trang-nay/")
        expect(page.locator("h1")).to_have_text("Không tìm thấy trang")
        public.close()

        # --- The commune official registers an initiative. -------------------------------
        official = person(d.official, "official")
        official.check("/", "home")
        official.check("/initiatives/new/", "register-form")
        form = official.phone
        form.goto(live_server.url + "/initiatives/new/")
        # Every error of the form is listed at once.
        form.click("main button[type=submit]")
        expect(form.locator(".form-errors li")).to_have_count(4)
        official.check_open(form, "register-errors", "phone")
        form.fill("input[name=unit_code]", d.commune.code)
        form.fill("input[name=title]", TITLE)
        form.select_option("select[name=kind]", "collective")
        form.check("input[name=fields][value=new_rural]")
        form.select_option("select[name=phase]", label="Giai đoạn 2021 - 2025")
        form.fill("input[name=registered_on]", "01/03/2023")
        form.fill("textarea[name=description]", "Vận động nhân dân hiến đất làm đường.")
        form.click("main button[type=submit]")
        form.wait_for_url(re.compile(r".*/initiatives/\d+/$"))
        official.check_open(form, "initiative", "phone")
        from core.models import Initiative

        initiative = Initiative.objects.get(title=TITLE)
        assert initiative.status == InitiativeStatus.REGISTERED

        # The list searches without accents, in place (htmx), and sorts.
        official.check("/initiatives/", "initiatives")
        listing = official.desktop
        listing.goto(live_server.url + "/initiatives/")
        listing.fill("#id_q", "nhan dan hien dat")
        listing.wait_for_url(re.compile(r".*q=nhan(\+|%20)dan(\+|%20)hien(\+|%20)dat.*"))
        expect(listing.locator("#list-results tbody tr")).to_have_count(1)
        expect(listing.locator("#list-results tbody tr")).to_contain_text(initiative.code)
        official.check_open(listing, "initiatives-search", "desktop")

        # --- The board's secretary accepts it and opens the review cycle. -------------------
        secretary = person(d.secretary, "secretary")
        secretary.check("/tasks/", "tasks")
        review = only_task(d.secretary, "review")
        secretary.check(f"/tasks/{review.pk}/", "review")
        page = secretary.desktop
        page.goto(f"{live_server.url}/tasks/{review.pk}/")
        page.check("input[name=action][value=accept]")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/tasks/")
        initiative.refresh_from_db()
        assert initiative.status == InitiativeStatus.MONITORED

        secretary.check("/cycles/new/", "cycle-form")
        page.goto(live_server.url + "/cycles/new/")
        page.fill("input[name=year]", "2024")
        page.select_option("select[name=phase]", label="Giai đoạn 2021 - 2025")
        for name, value in (
            ("opens_on", "01/02/2024"),
            ("report_due", "31/10/2024"),
            ("evaluation_due", "30/11/2024"),
            ("decision_due", "20/12/2024"),
        ):
            page.fill(f"input[name={name}]", value)
        page.click("main form button[type=submit]")
        page.wait_for_url(re.compile(r".*/cycles/\d+/$"))
        cycle_path = page.url.removeprefix(live_server.url)
        secretary.check(cycle_path, "cycle-draft")
        secretary.check(cycle_path + "rubric/", "cycle-rubric")
        secretary.check("/cycles/", "cycles")
        # Opening asks first, and says how many tasks it creates.
        phone = secretary.phone
        phone.goto(live_server.url + cycle_path)
        phone.click("#cycle-draft-actions button[data-bs-target='#confirm-open']")
        dialog = phone.locator("#confirm-open")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("tạo 1 việc nộp báo cáo năm")
        secretary.check_open(phone, "cycle-open-confirm", "phone")
        dialog.locator("button[type=submit]").click()
        phone.wait_for_url(live_server.url + cycle_path)
        expect(phone.locator(".messages li.success")).to_contain_text("1")

        # --- The official reports; a member scores with the live weighted total. -------------
        report = only_task(d.official, "report")
        official.check(f"/tasks/{report.pk}/", "annual-report")
        submit_task(d.official, report, {"text": "Báo cáo năm 2024: làm được 10 km."})
        member = person(d.members[0], "member")
        evaluation = only_task(d.members[0], "evaluate")
        member.check(f"/tasks/{evaluation.pk}/", "evaluate")
        page = member.phone
        page.goto(f"{live_server.url}/tasks/{evaluation.pk}/")
        scores = {"effectiveness": "90", "participation": "80", "creativity": "70,5"}
        for code, value in scores.items():
            page.fill(f"input[name=score_{code}]", value)
        page.fill("input[name=score_replicability]", "60")
        page.fill("input[name=score_sustainability]", "85")
        # (30·90 + 25·80 + 15·70.5 + 15·60 + 15·85) / 100 = 79.325
        expect(page.locator("#live-total")).to_have_text("79,33")
        member.check_open(page, "evaluate-filled", "phone")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/tasks/")
        for other in (d.members[1], d.chair):
            submit_task(
                other,
                only_task(other, "evaluate"),
                {**{f"score_{code}": 85 for code in CRITERIA}, "comment": "Tốt"},
            )
        submit_task(d.secretary, only_task(d.secretary, "close"), {})

        # --- The chair decides; the clerk issues the decision. -------------------------------
        chair = person(d.chair, "chair")
        decide = only_task(d.chair, "decide")
        chair.check(f"/tasks/{decide.pk}/", "decide")
        chair.check(f"/initiatives/{initiative.pk}/", "initiative")
        submit_task(d.chair, decide, {"recognise": "yes"})

        clerk = person(world.district_clerk, "clerk")
        issue = only_task(world.district_clerk, "recognition_decision")
        clerk.check(f"/tasks/{issue.pk}/", "recognition-decision")
        page = clerk.desktop
        page.goto(f"{live_server.url}/tasks/{issue.pk}/")
        page.fill("input[name=issued_on]", "20/12/2024")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/tasks/")
        decision = Decision.objects.get(kind="recognition")
        page.click(f"a[href='/documents/decisions/{decision.pk}/']")
        expect(page.locator("h1")).to_contain_text(decision.number)
        clerk.check(f"/documents/decisions/{decision.pk}/", "decision")
        clerk.check("/decisions/", "decisions")
        clerk.check("/", "home")
        official.check(f"/documents/decisions/{decision.pk}/", "decision")
        for path, name in (
            ("/commendations/", "commendations"),
            ("/units/", "units"),
            ("/notifications/", "notifications"),
            (f"/boards/{d.board.pk}/", "board"),
        ):
            secretary.check(path, name)

        checked = sum(len(p.checked) for p in people) + len(anonymous.checked)
        assert checked >= 40
    finally:
        for p in people:
            p.close()
