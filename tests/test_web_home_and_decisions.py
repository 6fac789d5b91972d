"""The home page by role, the decision page reachable by those the decision concerns (and
404 to a sibling district), the verify box, and the app-styled error pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from documents.models import Decision
from workflows.tests.factories import ReviewCycleFactory, build_world

from .api_support import add_issuers_and_clerks, fast_password_hashing
from .test_web_full_path import recognised_by_the_chair
from .web_support import browser, only_task


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_media(settings, tmp_path):
    fast_password_hashing(settings)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    return add_issuers_and_clerks(build_world())


def issued_recognition(world) -> tuple:
    initiative, cycle = recognised_by_the_chair(world)
    task = only_task(world.district_clerk, "recognition_decision")
    browser(world.district_clerk).post(f"/tasks/{task.pk}/", {"issued_on": "20/12/2024"})
    return initiative, Decision.objects.get(kind="recognition")


def test_the_decision_page_is_linked_from_the_initiative_and_readable_by_its_official(world):
    initiative, decision = issued_recognition(world)
    official = browser(world.district.official)
    detail = official.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert f'href="/documents/decisions/{decision.pk}/"' in detail
    page = official.get(f"/documents/decisions/{decision.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert decision.number in html and initiative.title in html
    # The official reads the decision but does not manage its certificates; its clerk does.
    assert 'id="decision-certificates"' not in html
    clerk_page = browser(world.district_clerk).get(f"/documents/decisions/{decision.pk}/")
    assert 'id="decision-certificates"' in clerk_page.content.decode()
    assert official.get(f"/documents/decisions/{decision.pk}/pdf").content[:5] == b"%PDF-"
    # The decisions list shows it, with a link.
    listing = official.get("/decisions/").content.decode()
    assert f'href="/documents/decisions/{decision.pk}/"' in listing


def test_a_sibling_district_cannot_read_the_decision(world):
    _initiative, decision = issued_recognition(world)
    outsider = browser(world.sibling.official)
    assert outsider.get(f"/documents/decisions/{decision.pk}/").status_code == 404
    assert outsider.get(f"/documents/decisions/{decision.pk}/pdf").status_code == 404
    assert (
        f"/documents/decisions/{decision.pk}/" not in outsider.get("/decisions/").content.decode()
    )


def test_home_page_shows_my_tasks_my_initiatives_and_a_clerks_decisions(world):
    initiative, _cycle = recognised_by_the_chair(world)
    clerk = browser(world.district_clerk)
    home = clerk.get("/").content.decode()
    task = only_task(world.district_clerk, "recognition_decision")
    assert f'href="/tasks/{task.pk}/"' in home
    assert f'href="/initiatives/{initiative.pk}/"' in home
    assert "Quyết định mới nhất" not in home  # none issued yet
    clerk.post(f"/tasks/{task.pk}/", {"issued_on": "20/12/2024"})
    decision = Decision.objects.get(kind="recognition")
    home = clerk.get("/").content.decode()
    assert "Quyết định mới nhất" in home
    assert f'href="/documents/decisions/{decision.pk}/"' in home

    d = world.district
    ReviewCycleFactory(board=d.board, year=2026)
    secretary_home = browser(d.secretary).get("/").content.decode()
    assert "Các đợt bình xét của Ban" in secretary_home


def test_overdue_tasks_come_first_on_the_home_page(world):
    from core.models import InitiativeStatus
    from core.tests.factories import InitiativeFactory
    from workflows import services

    d = world.district
    for n in range(2):
        InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED, title=f"MH {n}")
    cycle = ReviewCycleFactory(
        board=d.board,
        year=2025,
        opens_on=dt.date(2025, 1, 1),
        report_due=dt.date(2025, 2, 1),
        evaluation_due=dt.date(2025, 3, 1),
        decision_due=dt.date(2025, 4, 1),
    )
    services.cycle_open(cycle=cycle, actor=d.secretary)
    home = browser(d.official).get("/").content.decode()
    assert "Quá hạn" in home
    first_overdue = home.index("Quá hạn")
    assert home.index("list-group-item-danger") < first_overdue


@pytest.mark.django_db
def test_verify_box_finds_nothing_for_an_unknown_code_and_says_so():
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    page = client.get("/verify/")
    assert page.status_code == 200
    assert 'name="code"' in page.content.decode()
    missing = client.get("/verify/", {"code": "KHONG-CO-MA-NAY-1234"})
    assert missing.status_code == 404
    assert (
        "Không có giấy khen, bằng khen nào mang mã hoặc số vào sổ này" in missing.content.decode()
    )


@pytest.mark.django_db
def test_404_page_is_the_apps_own_in_the_users_language(settings):
    settings.DEBUG = False
    vi = Client(HTTP_ACCEPT_LANGUAGE="vi").get("/khong-co-trang-nay/")
    assert vi.status_code == 404
    html = vi.content.decode()
    assert "Không tìm thấy trang" in html and "Django Material" not in html
    assert "vendor/bootstrap/bootstrap.min.css" in html
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get("/no-such-page/").content.decode()
    assert "Page not found" in en


def test_the_chair_decides_several_initiatives_at_once_highest_score_first(world):
    from core.models import InitiativeStatus
    from workflows.models import AnnualReport

    from .test_web_full_path import (
        CRITERIA,
        open_cycle_through_the_forms,
        register_through_the_form,
    )
    from .web_support import open_tasks, submit_task

    d = world.district
    first = register_through_the_form(world, "Mô hình điểm cao")
    second = register_through_the_form(world, "Mô hình điểm thấp")
    for _ in range(2):
        submit_task(d.secretary, open_tasks(d.secretary, "review")[0], {"action": "accept"})
    cycle = open_cycle_through_the_forms(world)
    for initiative, score in ((first, 90), (second, 60)):
        [report] = [
            t
            for t in open_tasks(d.official, "report")
            if t.process.lifecycleprocess.initiative_id == initiative.pk
        ]
        submit_task(d.official, report, {"text": "Báo cáo năm."})
        for member in (d.members[0], d.members[1], d.chair):
            task = next(
                t
                for t in open_tasks(member, "evaluate")
                if t.process.lifecycleprocess.initiative_id == initiative.pk
            )
            submit_task(member, task, {**{f"score_{c}": score for c in CRITERIA}, "comment": ""})
        submit_task(d.secretary, open_tasks(d.secretary, "close")[0], {})

    assert browser(d.secretary).get(f"/cycles/{cycle.pk}/decide/").status_code == 403
    chair = browser(d.chair)
    assert f"cycles/{cycle.pk}/decide/" in chair.get(f"/cycles/{cycle.pk}/").content.decode()
    page = chair.get(f"/cycles/{cycle.pk}/decide/").content.decode()
    assert page.index(first.code) < page.index(second.code)  # highest score first
    reports = {r.initiative_id: r for r in AnnualReport.objects.filter(cycle=cycle)}
    response = chair.post(
        f"/cycles/{cycle.pk}/decide/",
        {f"report-{reports[first.pk].pk}": "yes", f"report-{reports[second.pk].pk}": "no"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (InitiativeStatus.EVALUATED, InitiativeStatus.MONITORED)
    assert open_tasks(d.chair, "decide") == []
    assert len(open_tasks(world.district_clerk, "recognition_decision")) == 1
    # Nothing chosen: refused, nothing changes.
    assert chair.post(f"/cycles/{cycle.pk}/decide/", {}).status_code == 400


def test_the_clerk_previews_the_draft_pdf_before_issuing_and_nothing_is_stored(world):
    from documents.models import DocumentCounter
    from documents.tests.pdfread import pdftotext as text

    initiative, _cycle = recognised_by_the_chair(world)
    task = only_task(world.district_clerk, "recognition_decision")
    clerk = browser(world.district_clerk)
    page = clerk.get(f"/tasks/{task.pk}/").content.decode()
    assert 'name="preview"' in page and "Xem trước dự thảo (PDF)" in page

    answer = clerk.post(
        f"/tasks/{task.pk}/", {"issued_on": "20/12/2024", "proposal": "", "preview": "1"}
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Cache-Control"] == "no-store"
    pdf = answer.content
    assert pdf[:5] == b"%PDF-"
    words = " ".join(text(pdf).split())
    assert "DỰ THẢO" in words
    assert initiative.title.split()[0] in words
    assert "20 tháng 12 năm 2024" in words
    # Nothing issued, no number taken, the clerk's task still waits.
    assert not Decision.objects.exists()
    assert not DocumentCounter.objects.exists()
    assert only_task(world.district_clerk, "recognition_decision").pk == task.pk

    # Someone who is not the board's clerk gets no preview.
    other = browser(world.sibling.official).post(
        f"/tasks/{task.pk}/", {"issued_on": "20/12/2024", "preview": "1"}
    )
    assert other.status_code in (403, 404)

    # Issuing afterwards gives the same document with its number and no draft mark.
    clerk.post(f"/tasks/{task.pk}/", {"issued_on": "20/12/2024"})
    decision = Decision.objects.get(kind="recognition")
    issued = " ".join(text(clerk.get(f"/documents/decisions/{decision.pk}/pdf").content).split())
    assert "DỰ THẢO" not in issued and decision.number in issued
