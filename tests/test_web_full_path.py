"""The whole lifecycle through the web forms, registration to commendation: the clerk issues
the numbered recognition decision on its task page, the secretary proposes on the nominate
page, the awarding clerk commends on its task page; and the initiative page's own forms
(withdraw, discontinue, progress report, monitoring visit), each allowed and refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from viewflow.workflow.status import PROCESS, STATUS

from core.models import (
    AwardType,
    Commendation,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    Phase,
    ReviewCycle,
)
from core.tests.factories import InitiativeFactory
from documents.models import Certificate, Decision
from workflows.models import (
    LifecycleProcess,
    MonitoringVisit,
    Nomination,
    NominationItem,
    ProcessKind,
    ProgressReport,
)
from workflows.tests.factories import build_world

from .api_support import add_issuers_and_clerks, fast_password_hashing
from .web_support import browser, messages_of, only_task, open_tasks, submit_task

CRITERIA = ["effectiveness", "participation", "creativity", "replicability", "sustainability"]
CITATION = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” năm 2024"


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_media(settings, tmp_path):
    fast_password_hashing(settings)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    return add_issuers_and_clerks(build_world())


def phase_pk(code: str = "2021-2025") -> int:
    return Phase.objects.get(code=code).pk


def register_through_the_form(world, title: str) -> Initiative:
    d = world.district
    response = browser(d.official).post(
        "/initiatives/new/",
        {
            "unit_code": d.commune.code,
            "title": title,
            "kind": "collective",
            "fields": ["new_rural"],
            "phase": phase_pk(),
            "registered_on": "01/03/2023",
        },
    )
    assert response.status_code == 302, messages_of(response)
    return Initiative.objects.get(title=title)


def open_cycle_through_the_forms(world) -> ReviewCycle:
    d = world.district
    secretary = browser(d.secretary)
    response = secretary.post(
        "/cycles/new/",
        {
            "board": d.board.pk,
            "phase": phase_pk(),
            "year": 2024,
            "opens_on": "01/02/2024",
            "report_due": "31/10/2024",
            "evaluation_due": "30/11/2024",
            "decision_due": "20/12/2024",
            "pass_mark": "70",
        },
    )
    assert response.status_code == 302, messages_of(response)
    cycle = ReviewCycle.objects.get(board=world.district.board, year=2024)
    assert secretary.post(f"/cycles/{cycle.pk}/open/").status_code == 302
    return cycle


def review_to_decision(world, initiative: Initiative) -> None:
    """Report, three evaluations, close and the chair's "recognise", all on task pages."""
    d = world.district
    [report] = [
        t
        for t in open_tasks(d.official, "report")
        if t.process.lifecycleprocess.initiative_id == initiative.pk
    ]
    submit_task(d.official, report, {"text": "Báo cáo năm 2024: làm được 10 km."})
    for member in (d.members[0], d.members[1], d.chair):
        submit_task(
            member,
            only_task(member, "evaluate"),
            {**{f"score_{code}": 85 for code in CRITERIA}, "comment": "Tốt"},
        )
    submit_task(d.secretary, only_task(d.secretary, "close"), {})
    submit_task(d.chair, only_task(d.chair, "decide"), {"recognise": "yes"})
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.EVALUATED


def test_registration_to_commendation_through_the_web_forms(world):
    d = world.district
    initiative = register_through_the_form(world, "Dân vận khéo trong làm đường giao thông")
    submit_task(d.secretary, only_task(d.secretary, "review"), {"action": "accept"})
    cycle = open_cycle_through_the_forms(world)
    review_to_decision(world, initiative)

    # 6. The district's clerk opens the recognition decision task: the chair's choice,
    # the issuing body and the button.
    task = only_task(world.district_clerk, "recognition_decision")
    clerk_client = browser(world.district_clerk)
    page = clerk_client.get(f"/tasks/{task.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Ban hành quyết định" in body
    assert initiative.title in body
    assert world.board_body.name in body
    # The decision's legal bases and proposer, prefilled and adjustable before issuing.
    form = page.context["form"]
    assert form["legal_bases"].value().startswith("Căn cứ Quyết định thành lập")
    assert form["proposal"].value() == f"Thường trực {d.board.name}"
    response = clerk_client.post(
        f"/tasks/{task.pk}/",
        {
            "issued_on": "20/12/2024",
            "legal_bases": form["legal_bases"].value(),
            "proposal": form["proposal"].value(),
        },
        follow=True,
    )
    assert response.redirect_chain == [("/tasks/", 302)]
    decision = Decision.objects.get(kind="recognition")
    assert (decision.number, decision.issued_on) == ("1/QĐ-BCĐ", dt.date(2024, 12, 20))
    assert decision.content["legal_bases"][-1] == f"Theo đề nghị của Thường trực {d.board.name}."
    [message] = messages_of(response)
    assert "1/QĐ-BCĐ" in message
    assert f'href="/documents/decisions/{decision.pk}/pdf"' in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.DONE, world.district_clerk.pk)
    process = LifecycleProcess.objects.get(kind=ProcessKind.RECOGNITION, cycle=cycle)
    assert process.status == PROCESS.DONE
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.RECOGNISED
    pdf = clerk_client.get(f"/documents/decisions/{decision.pk}/pdf")
    assert pdf.status_code == 200
    assert pdf.content[:5] == b"%PDF-"

    # 7. The secretary proposes the commune to the province's People's Committee.
    secretary = browser(d.secretary)
    form = secretary.get("/nominations/new/")
    assert form.status_code == 200
    assert initiative.code in form.content.decode()
    response = secretary.post(
        "/nominations/new/",
        {
            "board": d.board.pk,
            "initiatives": [initiative.pk],
            "awarding_body": world.province_body.pk,
            "citation": CITATION,
        },
    )
    assert response.status_code == 302, messages_of(response)
    nomination = Nomination.objects.get()
    assert (nomination.board_id, nomination.awarding_body_id, nomination.citation) == (
        d.board.pk,
        world.province_body.pk,
        CITATION,
    )

    # 8. The province's clerk approves it with a Bằng khen.
    task = only_task(world.province_clerk, "commend")
    province = browser(world.province_clerk)
    page = province.get(f"/tasks/{task.pk}/").content.decode()
    assert d.commune.name in page and CITATION in page
    [item] = NominationItem.objects.filter(nomination=nomination)
    response = province.post(
        f"/tasks/{task.pk}/",
        {
            "items": [item.pk],
            "award": AwardType.COMMENDATION_CERTIFICATE,
            "issued_on": "10/01/2025",
            "legal_bases": "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022\r\n"
            "Căn cứ Kế hoạch số 5/KH-UBND ngày 02 tháng 01 năm 2025",
            "proposal": "Giám đốc Sở Nội vụ",
        },
        follow=True,
    )
    assert response.redirect_chain == [("/tasks/", 302)]
    decided = Decision.objects.get(kind="commendation")
    assert decided.number == "1/QĐ-UBND"
    assert decided.content["legal_bases"] == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
        "Căn cứ Kế hoạch số 5/KH-UBND ngày 02 tháng 01 năm 2025;",
        "Theo đề nghị của Giám đốc Sở Nội vụ.",
    ]
    assert "1/QĐ-UBND" in messages_of(response)[0]
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.DONE, world.province_clerk.pk)
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.COMMENDED
    [row] = Commendation.objects.filter(initiative=initiative)
    assert (row.decision_number, row.award, row.issuer_id, row.citation) == (
        "1/QĐ-UBND",
        AwardType.COMMENDATION_CERTIFICATE,
        world.province_body.pk,
        CITATION,
    )
    assert Certificate.objects.filter(commendation=row, decision=decided).count() == 1
    last = InitiativeStatusChange.objects.filter(initiative=initiative).order_by("-pk").first()
    assert (last.from_status, last.to_status) == ("recognised", "commended")
    # The initiative's page tells the whole story.
    detail = browser(d.official).get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "1/QĐ-BCĐ" in detail and "1/QĐ-UBND" in detail


# --- refusals of the decision steps -----------------------------------------------------------


def recognised_by_the_chair(world) -> tuple[Initiative, ReviewCycle]:
    initiative = register_through_the_form(world, "Mô hình chờ quyết định công nhận")
    submit_task(
        world.district.secretary,
        only_task(world.district.secretary, "review"),
        {"action": "accept"},
    )
    cycle = open_cycle_through_the_forms(world)
    review_to_decision(world, initiative)
    return initiative, cycle


def test_recognition_decision_page_is_out_of_reach_of_a_sibling_districts_clerk(world):
    initiative, _cycle = recognised_by_the_chair(world)
    task = only_task(world.district_clerk, "recognition_decision")
    outsider = browser(world.sibling_clerk)
    assert outsider.get(f"/tasks/{task.pk}/").status_code == 404
    assert outsider.post(f"/tasks/{task.pk}/", {}).status_code == 404
    assert open_tasks(world.sibling_clerk, "recognition_decision") == []
    task.refresh_from_db()
    initiative.refresh_from_db()
    assert (task.status, initiative.status) == (STATUS.NEW, InitiativeStatus.EVALUATED)
    assert not Decision.objects.exists()


def test_recognition_decision_without_an_issuing_body_is_refused_with_its_message(world):
    initiative, _cycle = recognised_by_the_chair(world)
    world.board_body.delete()
    task = only_task(world.district_clerk, "recognition_decision")

    _page, response = submit_task(world.district_clerk, task, {}, expect_done=False)

    assert response.status_code == 400
    assert any(world.district.unit.name in m for m in messages_of(response)), messages_of(response)
    task.refresh_from_db()
    initiative.refresh_from_db()
    assert task.status != STATUS.DONE
    assert initiative.status == InitiativeStatus.EVALUATED
    assert not Decision.objects.exists()


def nominated(world, body=None) -> tuple[Initiative, Nomination]:
    """A recognised initiative nominated by the district's secretary to ``body`` (the
    province's People's Committee by default)."""
    initiative = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.RECOGNISED
    )
    response = browser(world.district.secretary).post(
        "/nominations/new/",
        {
            "board": world.district.board.pk,
            "initiatives": [initiative.pk],
            "awarding_body": (body or world.province_body).pk,
            "citation": CITATION,
        },
    )
    assert response.status_code == 302, messages_of(response)
    return initiative, Nomination.objects.get()


def test_commend_with_no_recipient_ticked_is_refused_and_changes_nothing(world):
    initiative, nomination = nominated(world)
    task = only_task(world.province_clerk, "commend")

    _page, response = submit_task(
        world.province_clerk, task, {"award": AwardType.PRAISE}, expect_done=False
    )

    assert response.status_code == 400
    assert messages_of(response) == ["Hãy duyệt ít nhất một đối tượng được đề nghị."]
    task.refresh_from_db()
    initiative.refresh_from_db()
    nomination.refresh_from_db()
    assert (task.status, initiative.status, nomination.status) == (
        STATUS.NEW,
        InitiativeStatus.RECOGNISED,
        "submitted",
    )
    assert not Commendation.objects.exists()


def test_commend_page_is_out_of_reach_of_the_district_clerk(world):
    initiative, _nomination = nominated(world)
    task = only_task(world.province_clerk, "commend")
    for outsider in (world.district_clerk, world.sibling_clerk, world.district.secretary):
        client = browser(outsider)
        assert client.get(f"/tasks/{task.pk}/").status_code == 404
        response = client.post(f"/tasks/{task.pk}/", {"award": AwardType.PRAISE})
        assert response.status_code == 404
    task.refresh_from_db()
    initiative.refresh_from_db()
    assert (task.status, initiative.status) == (STATUS.NEW, InitiativeStatus.RECOGNISED)


def test_nominate_page_refuses_who_is_not_a_secretary(world):
    for user in (world.district.chair, world.district.members[0], world.district.official):
        client = browser(user)
        assert client.get("/nominations/new/").status_code == 403
        assert client.post("/nominations/new/", {"citation": CITATION}).status_code == 403
    assert not Nomination.objects.exists()


def test_nominate_page_offers_only_recognised_initiatives_of_the_boards_units(world):
    recognised = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.RECOGNISED
    )
    monitored = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.MONITORED
    )
    sibling = InitiativeFactory(
        owner_unit=world.sibling.commune, status=InitiativeStatus.RECOGNISED
    )
    client = browser(world.district.secretary)
    page = client.get("/nominations/new/").content.decode()
    assert recognised.code in page
    assert monitored.code not in page and sibling.code not in page

    for wrong in (monitored, sibling):
        response = client.post(
            "/nominations/new/",
            {
                "board": world.district.board.pk,
                "initiatives": [wrong.pk],
                "awarding_body": world.province_body.pk,
                "citation": CITATION,
            },
        )
        assert response.status_code == 400
        assert response.context["form"].errors["initiatives"]
    assert not Nomination.objects.exists()


# --- the initiative page's forms ------------------------------------------------------------------


def monitored_initiative(world) -> Initiative:
    return InitiativeFactory(owner_unit=world.district.commune, status=InitiativeStatus.MONITORED)


def test_progress_report_form_files_a_report_for_the_owner_and_refuses_others(world):
    initiative = monitored_initiative(world)
    url = f"/initiatives/{initiative.pk}/"
    official = browser(world.district.official)
    assert 'id="action-progress"' in official.get(url).content.decode()
    response = official.post(url + "progress/", {"text": "Đã tổ chức 3 buổi."}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "Đã tổ chức 3 buổi." in response.content.decode()
    assert ProgressReport.objects.filter(initiative=initiative).count() == 1

    # A board member may not file the owner's report; a sibling official cannot even see it.
    member = browser(world.district.members[0])
    assert 'id="action-progress"' not in member.get(url).content.decode()
    response = member.post(url + "progress/", {"text": "Không được phép"})
    assert response.status_code == 403
    assert messages_of(response) == [
        "Chỉ cán bộ của đơn vị hoặc của đơn vị cấp trên mới được thực hiện việc này."
    ]
    assert browser(world.sibling.official).post(url + "progress/", {"text": "x"}).status_code == 404
    assert ProgressReport.objects.filter(initiative=initiative).count() == 1


def test_progress_report_is_refused_before_the_initiative_is_monitored(world):
    initiative = register_through_the_form(world, "Mô hình mới đăng ký")
    response = browser(world.district.official).post(
        f"/initiatives/{initiative.pk}/progress/", {"text": "Báo cáo"}
    )
    assert response.status_code == 409
    assert any("đang được theo dõi" in m for m in messages_of(response)), messages_of(response)
    assert not ProgressReport.objects.exists()


def test_monitoring_visit_form_records_a_visit_for_a_board_member(world):
    initiative = monitored_initiative(world)
    url = f"/initiatives/{initiative.pk}/"
    member = browser(world.district.members[0])
    assert 'id="action-visit"' in member.get(url).content.decode()
    response = member.post(
        url + "visit/",
        {"visited_on": "10/05/2024", "visitors": "Thường trực BCĐ", "findings": "Duy trì tốt."},
    )
    assert response.status_code == 302
    visit = MonitoringVisit.objects.get(initiative=initiative)
    assert (visit.visited_on, visit.recorded_by_id) == (
        dt.date(2024, 5, 10),
        world.district.members[0].pk,
    )


def test_monitoring_visit_is_refused_to_an_official_and_in_the_future(world):
    initiative = monitored_initiative(world)
    url = f"/initiatives/{initiative.pk}/visit/"
    visit = {"visited_on": "10/05/2024", "findings": "Tốt"}
    response = browser(world.district.official).post(url, visit)
    assert response.status_code == 403
    assert messages_of(response) == [
        "Chỉ thành viên Ban Chỉ đạo phụ trách mới được ghi nhận đợt kiểm tra, giám sát."
    ]
    future = (timezone.localdate() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    response = browser(world.district.members[0]).post(url, {**visit, "visited_on": future})
    assert response.status_code == 400
    assert messages_of(response) == ["Ngày kiểm tra không được sau ngày hôm nay."]
    assert not MonitoringVisit.objects.exists()


def test_withdraw_form_ends_the_initiative_and_cancels_its_tasks(world):
    initiative = register_through_the_form(world, "Mô hình sẽ rút")
    review = only_task(world.district.secretary, "review")
    url = f"/initiatives/{initiative.pk}/"
    official = browser(world.district.official)
    assert 'id="action-withdraw"' in official.get(url).content.decode()

    missing_reason = official.post(url + "withdraw/", {"reason": ""})
    assert missing_reason.status_code == 400
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.REGISTERED

    response = official.post(url + "withdraw/", {"reason": "Đơn vị sáp nhập"})
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.WITHDRAWN
    review.refresh_from_db()
    assert review.status == STATUS.CANCELED
    last = InitiativeStatusChange.objects.filter(initiative=initiative).order_by("-pk").first()
    assert (last.to_status, last.reason, last.actor_id) == (
        "withdrawn",
        "Đơn vị sáp nhập",
        world.district.official.pk,
    )
    # Ended for good: no form any more, and a second try is refused.
    assert 'id="action-withdraw"' not in official.get(url).content.decode()
    again = official.post(url + "withdraw/", {"reason": "Lần nữa"})
    assert again.status_code == 409
    assert messages_of(again)


def test_discontinue_form_is_for_the_boards_secretary_or_chair_only(world):
    initiative = monitored_initiative(world)
    url = f"/initiatives/{initiative.pk}/"
    for user in (world.district.members[0], world.district.official):
        client = browser(user)
        assert 'id="action-discontinue"' not in client.get(url).content.decode()
        response = client.post(url + "discontinue/", {"reason": "Không hiệu quả"})
        assert response.status_code == 403
        assert messages_of(response) == [
            "Chỉ Thường trực hoặc Trưởng Ban Chỉ đạo phụ trách mới được dừng mô hình."
        ]
    assert (
        browser(world.sibling.chair).post(url + "discontinue/", {"reason": "x"}).status_code == 404
    )
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.MONITORED

    chair = browser(world.district.chair)
    assert 'id="action-discontinue"' in chair.get(url).content.decode()
    assert chair.post(url + "discontinue/", {"reason": "Không duy trì"}).status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.DISCONTINUED


def test_unknown_initiative_action_is_404(world):
    initiative = monitored_initiative(world)
    response = browser(world.district.chair).post(f"/initiatives/{initiative.pk}/delete/", {})
    assert response.status_code == 404
    assert Initiative.objects.filter(pk=initiative.pk).exists()


def test_the_awarding_clerk_previews_the_commendation_draft_and_nothing_is_issued(world):
    from documents.models import DocumentCounter
    from documents.tests.pdfread import pdftotext

    initiative, nomination = nominated(world)
    task = only_task(world.province_clerk, "commend")
    province = browser(world.province_clerk)
    [item] = NominationItem.objects.filter(nomination=nomination)
    draft = {
        "items": [item.pk],
        "award": AwardType.COMMENDATION_CERTIFICATE,
        "issued_on": "10/01/2025",
        "proposal": "Giám đốc Sở Nội vụ",
        "preview": "1",
    }
    response = province.post(f"/tasks/{task.pk}/", draft)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    words = " ".join(pdftotext(response.content).split())
    assert "DỰ THẢO" in words and "Theo đề nghị của Giám đốc Sở Nội vụ" in words
    assert "10 tháng 01 năm 2025" in words or "10 tháng 1 năm 2025" in words
    assert "1/QĐ-UBND" not in words
    assert not Decision.objects.exists() and not Certificate.objects.exists()
    assert not DocumentCounter.objects.exists()
    task.refresh_from_db()
    nomination.refresh_from_db()
    initiative.refresh_from_db()
    assert (task.status, nomination.status, initiative.status) == (
        STATUS.NEW,
        "submitted",
        InitiativeStatus.RECOGNISED,
    )
    # The preview refuses what issuing refuses, on the page, with nothing written.
    refused = province.post(f"/tasks/{task.pk}/", {**draft, "items": []})
    assert refused.status_code == 400
    assert messages_of(refused) == ["Hãy duyệt ít nhất một đối tượng được đề nghị."]
    # Issuing then takes the first number.
    del draft["preview"]
    assert province.post(f"/tasks/{task.pk}/", draft).status_code == 302
    assert Decision.objects.get(kind="commendation").number == "1/QĐ-UBND"


def test_a_districts_body_offers_no_bang_khen(world):
    """The commend page of a nomination to the district's own body offers a Giấy khen and a
    praise, not a Bằng khen (a province's award); posting one anyway is refused."""
    nominated(world, body=world.board_body)
    task = only_task(world.district_clerk, "commend")
    page = browser(world.district_clerk).get(f"/tasks/{task.pk}/").content.decode()
    assert f'value="{AwardType.CERTIFICATE_OF_MERIT}"' in page
    assert f'value="{AwardType.COMMENDATION_CERTIFICATE}"' not in page
    [item] = NominationItem.objects.all()
    _page, response = submit_task(
        world.district_clerk,
        task,
        {"items": [item.pk], "award": AwardType.COMMENDATION_CERTIFICATE},
        expect_done=False,
    )
    # The form answers with the field's error, the task stays open, nothing is issued.
    assert response.status_code == 200 and "commendation_certificate" in response.content.decode()
    task.refresh_from_db()
    assert task.status == STATUS.NEW
    assert not Decision.objects.exists() and not Commendation.objects.exists()
