"""The lifecycle through the web forms, from registration to the chair's decision: each role
logs in, opens its task page, submits the form, and the next role finds the next task."""

from __future__ import annotations

import pytest
from viewflow.workflow.status import STATUS

from core.models import CycleStatus, Initiative, InitiativeStatus, ReviewCycle
from workflows.models import AnnualReport, AnnualReportStatus
from workflows.tests.factories import build_world

from .api_support import fast_password_hashing
from .web_support import browser, messages_of, only_task, open_tasks

CRITERIA = ["effectiveness", "participation", "creativity", "replicability", "sustainability"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    return build_world()


def submit(user, task, data: dict, *, expect_done: bool = True):
    """GET the task page, then POST the form; assert the task is done."""
    client = browser(user)
    url = f"/tasks/{task.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data)
    if expect_done:
        assert response.status_code == 302, messages_of(response) or response.content[:2000]
        assert response["Location"] == "/tasks/"
        task.refresh_from_db()
        assert task.status == STATUS.DONE
        assert task.owner_id == user.pk
    return page, response


def test_registration_to_the_chairs_decision_through_the_web_forms(world):
    d = world.district

    # Log in with the login page.
    client = browser(d.official)
    client.logout()
    response = client.post("/login/", {"username": d.official.username, "password": "matkhau-123"})
    assert (response.status_code, response["Location"]) == (302, "/tasks/")
    # The home page: my tasks, my units' initiatives, my unread notices.
    home = client.get("/")
    assert home.status_code == 200
    assert 'href="/tasks/"' in home.content.decode()
    assert "Việc của tôi" in home.content.decode()

    # 1. Register through the form.
    form = client.get("/initiatives/new/")
    assert form.status_code == 200
    assert d.commune.code in form.content.decode()  # the user's units are suggested
    response = client.post(
        "/initiatives/new/",
        {
            "unit_code": d.commune.code,
            "title": "Dân vận khéo trong làm đường giao thông",
            "kind": "collective",
            "fields": ["new_rural", "economy"],
            "phase": _phase_pk("2021-2025"),
            "registered_on": "01/03/2023",
            "description": "Vận động nhân dân hiến đất làm đường.",
        },
    )
    assert response.status_code == 302, (response.context or {}).get("form") and response.context[
        "form"
    ].errors
    initiative = Initiative.objects.get(title="Dân vận khéo trong làm đường giao thông")
    assert response["Location"] == f"/initiatives/{initiative.pk}/"
    assert initiative.status == InitiativeStatus.REGISTERED

    # 2. The secretary returns it, the official resubmits, the secretary accepts.
    review = only_task(d.secretary, "review")
    page, _ = submit(d.secretary, review, {"action": "return", "reason": "Bổ sung mục tiêu"})
    body = page.content.decode()
    assert "Xem xét đăng ký mô hình" in body  # Vietnamese by default
    assert "Trả lại: gửi lại cán bộ" in body  # what the action will do
    assert initiative.title in body
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.RETURNED

    resubmit = only_task(d.official, "resubmit")
    submit(
        d.official,
        resubmit,
        {"title": "Dân vận khéo: đường giao thông", "goals": "10 km", "reason": "Đã bổ sung"},
    )
    initiative.refresh_from_db()
    assert (initiative.status, initiative.title) == (
        InitiativeStatus.REGISTERED,
        "Dân vận khéo: đường giao thông",
    )
    submit(d.secretary, only_task(d.secretary, "review"), {"action": "accept"})
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.MONITORED

    # 3. The secretary sets up and opens the 2024 cycle.
    secretary = browser(d.secretary)
    assert secretary.get("/cycles/new/").status_code == 200
    response = secretary.post(
        "/cycles/new/",
        {
            "board": d.board.pk,
            "phase": _phase_pk("2021-2025"),
            "year": 2024,
            "opens_on": "01/02/2024",
            "report_due": "31/10/2024",
            "evaluation_due": "30/11/2024",
            "decision_due": "20/12/2024",
            "pass_mark": "70",
        },
    )
    assert response.status_code == 302, (response.context or {}).get("form") and response.context[
        "form"
    ].errors
    cycle = ReviewCycle.objects.get(board=d.board, year=2024)
    response = secretary.post(f"/cycles/{cycle.pk}/open/")
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.OPEN

    # 4. The owner's official reports.
    report_task = only_task(d.official, "report")
    listing = browser(d.official).get("/tasks/").content.decode()
    assert "31/10/2024" in listing  # the due date
    submit(d.official, report_task, {"text": "Báo cáo năm 2024: làm được 10 km."})
    report = AnnualReport.objects.get(initiative=initiative, cycle=cycle)
    assert report.status == AnnualReportStatus.SUBMITTED

    # 5. Members evaluate; the member from the commune is recused.
    assert open_tasks(d.recused_member, "evaluate") == []
    for member, score in ((d.members[0], 90), (d.members[1], 80)):
        page, _ = submit(
            member,
            only_task(member, "evaluate"),
            {**{f"score_{code}": score for code in CRITERIA}, "comment": "Hiệu quả"},
        )
        body = page.content.decode()
        assert "Báo cáo năm 2024: làm được 10 km." in body  # the report being scored
        assert "Sự tham gia của nhân dân" in body  # the rubric, with weights
    # The secretary sees how many scored against the quorum (3) and cannot close yet.
    close = only_task(d.secretary, "close")
    page = browser(d.secretary).get(f"/tasks/{close.pk}/")
    assert "2 trên 4 thành viên đã chấm điểm; số tối thiểu cần có là 3" in page.content.decode()
    _, refused = submit(d.secretary, close, {}, expect_done=False)
    assert refused.status_code == 409
    assert any(m.startswith("Chưa đủ") for m in messages_of(refused)), messages_of(refused)
    close.refresh_from_db()
    assert close.status != STATUS.DONE

    submit(
        d.chair,
        only_task(d.chair, "evaluate"),
        {**{f"score_{code}": 85 for code in CRITERIA}, "comment": ""},
    )
    submit(d.secretary, only_task(d.secretary, "close"), {})
    report.refresh_from_db()
    initiative.refresh_from_db()
    assert (str(report.score), report.passed) == ("85.00", True)
    assert initiative.status == InitiativeStatus.EVALUATED

    # 6. The chair decides from the cycle's list sorted by score.
    decide = only_task(d.chair, "decide")
    page, _ = submit(d.chair, decide, {"recognise": "yes"})
    assert "85.00" in page.content.decode() or "85,00" in page.content.decode()
    report.refresh_from_db()
    assert (report.status, report.recognise) == (AnnualReportStatus.DECIDED, True)
    # The recognition decision waits for the district's clerk.
    from .api_support import clerk

    assert [t.flow_task.name for t in open_tasks(clerk(d.unit))] == ["recognition_decision"]

    # The whole story is on the initiative's page, read-only.
    detail = browser(d.official).get(f"/initiatives/{initiative.pk}/").content.decode()
    for text in ("Bổ sung mục tiêu", "Báo cáo năm 2024", "85.00"):
        assert text in detail or text.replace(".", ",") in detail


def _phase_pk(code: str) -> int:
    from core.models import Phase

    return Phase.objects.get(code=code).pk
