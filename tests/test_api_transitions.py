"""Each API transition with an allowed and a refused case: 409 for a wrong state, 403 for a
wrong actor, 400 for bad input, ``{"detail": ...}`` in Vietnamese (English on request)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.status import PROCESS, STATUS

from core.models import CycleStatus, Field, Initiative, InitiativeStatus
from core.tests.factories import InitiativeFactory, IssuingBodyFactory
from workflows import services
from workflows.models import AnnualReport, AnnualReportStatus, LifecycleProcess
from workflows.tests.factories import ReviewCycleFactory, build_world

from .api_support import (
    CYCLE,
    INITIATIVE,
    SCORES,
    api,
    fast_password_hashing,
    register,
    tasks_named,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    return build_world()


ALREADY_HANDLED = "Việc này đã được thực hiện: đăng ký này đã được xử lý."
ONLY_RESPONSIBLE_SECRETARY = "Chỉ Thường trực Ban Chỉ đạo phụ trách mới được thực hiện việc này."
ONLY_OFFICIAL = "Chỉ cán bộ của đơn vị hoặc của đơn vị cấp trên mới được thực hiện việc này."
ENDED = "Mô hình này đã bị từ chối hoặc đã kết thúc, không thể thay đổi nữa."


def post(user, path, body=None, language=None):
    return api(user, language).post(path, body or {}, format="json")


def assert_error(response, status, detail):
    assert response.status_code == status, response.content
    assert response.json()["detail"] == detail


def status_of(pk):
    return Initiative.objects.get(pk=pk).status


# --- registration -------------------------------------------------------------------------------


def test_accept_allowed_for_the_secretary_refused_to_others_and_when_done(world):
    d = world.district
    pk = register(world)["id"]
    assert_error(
        post(d.official, f"/api/v1/initiatives/{pk}/accept/"), 403, ONLY_RESPONSIBLE_SECRETARY
    )
    assert_error(
        post(d.chair, f"/api/v1/initiatives/{pk}/accept/"), 403, ONLY_RESPONSIBLE_SECRETARY
    )
    assert status_of(pk) == InitiativeStatus.REGISTERED
    assert tasks_named(pk, "review")[0].status == STATUS.NEW

    response = post(d.secretary, f"/api/v1/initiatives/{pk}/accept/")
    assert (response.status_code, response.json()["status"]) == (200, "monitored")

    assert_error(post(d.secretary, f"/api/v1/initiatives/{pk}/accept/"), 409, ALREADY_HANDLED)
    assert_error(
        post(d.secretary, f"/api/v1/initiatives/{pk}/reject/", {"reason": "x"}, language="en"),
        409,
        "Already done: this registration has already been handled.",
    )


def test_return_needs_a_reason_and_sends_the_task_to_the_owner(world):
    d = world.district
    pk = register(world)["id"]
    assert_error(post(d.secretary, f"/api/v1/initiatives/{pk}/return/"), 400, "Cần nêu lý do.")
    assert_error(
        post(d.official, f"/api/v1/initiatives/{pk}/return/", {"reason": "x"}),
        403,
        ONLY_RESPONSIBLE_SECRETARY,
    )
    response = post(d.secretary, f"/api/v1/initiatives/{pk}/return/", {"reason": "Bổ sung"})
    assert (response.status_code, response.json()["status"]) == (200, "returned")
    assert tasks_named(pk, "resubmit")[0].status == STATUS.NEW


def test_reject_ends_the_registration_and_is_refused_once_accepted(world):
    d = world.district
    rejected, accepted = register(world)["id"], register(world, title="Mô hình khác")["id"]
    response = post(d.secretary, f"/api/v1/initiatives/{rejected}/reject/", {"reason": "Trùng"})
    assert (response.status_code, response.json()["status"]) == (200, "rejected")
    process = LifecycleProcess.objects.get(initiative_id=rejected)
    assert process.status == PROCESS.DONE

    post(d.secretary, f"/api/v1/initiatives/{accepted}/accept/")
    assert_error(
        post(d.secretary, f"/api/v1/initiatives/{accepted}/reject/", {"reason": "x"}),
        409,
        ALREADY_HANDLED,
    )


def test_resubmit_only_a_returned_registration_by_its_officials(world):
    d = world.district
    pk = register(world)["id"]
    assert_error(
        post(d.official, f"/api/v1/initiatives/{pk}/resubmit/"),
        409,
        "Chỉ mô hình bị trả lại mới được gửi lại.",
    )
    post(d.secretary, f"/api/v1/initiatives/{pk}/return/", {"reason": "Bổ sung"})
    assert_error(post(d.secretary, f"/api/v1/initiatives/{pk}/resubmit/"), 403, ONLY_OFFICIAL)
    response = post(
        d.district_official,
        f"/api/v1/initiatives/{pk}/resubmit/",
        {"fields": "culture_society", "kind": "individual", "owner_name": "Lý Văn Tài"},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["fields"]) == (
        "registered",
        ["culture_society"],
    )
    assert response.json()["owner_name"] == "Lý Văn Tài"


def test_withdraw_by_the_owner_cancels_the_open_tasks(world):
    d = world.district
    pk = register(world)["id"]
    assert_error(
        post(d.secretary, f"/api/v1/initiatives/{pk}/withdraw/", {"reason": "x"}),
        403,
        ONLY_OFFICIAL,
    )
    response = post(d.official, f"/api/v1/initiatives/{pk}/withdraw/", {"reason": "Không làm"})
    assert (response.status_code, response.json()["status"]) == (200, "withdrawn")
    assert tasks_named(pk, "review")[0].status == STATUS.CANCELED
    assert LifecycleProcess.objects.get(initiative_id=pk).status == PROCESS.CANCELED
    assert_error(
        post(d.official, f"/api/v1/initiatives/{pk}/withdraw/", {"reason": "x"}), 409, ENDED
    )


def test_discontinue_by_the_board_and_not_by_the_owner(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    path = f"/api/v1/initiatives/{initiative.pk}/discontinue/"
    assert_error(
        post(d.official, path, {"reason": "x"}),
        403,
        "Chỉ Thường trực hoặc Trưởng Ban Chỉ đạo phụ trách mới được dừng mô hình.",
    )
    response = post(d.chair, path, {"reason": "Không còn hoạt động"})
    assert (response.status_code, response.json()["status"]) == (200, "discontinued")
    assert_error(post(d.chair, path, {"reason": "x"}), 409, ENDED)


# --- the annual review ----------------------------------------------------------------------------


@pytest.fixture
def cycle(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board)
    return cycle


@pytest.fixture
def monitored(world, cycle):
    """A monitored initiative of the commune, its cycle opened: the report task waits."""
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    return initiative


def submitted(world, initiative, cycle):
    report = AnnualReport.objects.get(initiative=initiative, cycle=cycle)
    services.annual_report_submit(actor=world.district.official, report=report, text="Báo cáo")
    return report


def test_annual_report_by_the_owner_once(world, cycle, monitored):
    d = world.district
    path = f"/api/v1/initiatives/{monitored.pk}/reports/"
    assert_error(post(d.members[0], path, {"text": "x"}), 403, ONLY_OFFICIAL)
    response = post(d.official, path, {"text": "Báo cáo năm 2024", "cycle": cycle.pk})
    assert (response.status_code, response.json()["status"]) == (201, "submitted")
    assert_error(
        post(d.official, path, {"text": "x", "cycle": cycle.pk}),
        409,
        "Việc này đã được thực hiện: báo cáo năm đã được gửi.",
    )
    # Without a cycle: the pending report of the open cycle, and there is none left.
    assert_error(
        post(d.official, path, {"text": "x"}),
        409,
        "Mô hình này không có báo cáo năm trong đợt bình xét này.",
    )


def test_evaluations_by_members_not_recused_once_each(world, cycle, monitored):
    d = world.district
    submitted(world, monitored, cycle)
    path = f"/api/v1/initiatives/{monitored.pk}/evaluations/"
    body = {"cycle": cycle.pk, "scores": SCORES, "comment": "Tốt"}
    assert_error(
        post(d.recused_member, path, body),
        403,
        "Bạn không tham gia chấm điểm mô hình này vì thuộc đơn vị có mô hình.",
    )
    assert_error(
        post(d.members[0], path, {"cycle": cycle.pk, "scores": {"effectiveness": 80}}),
        400,
        "Thiếu điểm các tiêu chí: participation, creativity, replicability, sustainability.",
    )
    assert_error(
        post(d.members[0], path, {"cycle": cycle.pk, "scores": [80]}),
        400,
        "scores: Cần một đối tượng (từ điển) nhưng nhận được kiểu “list”.",
    )
    response = post(d.members[0], path, body)
    assert (response.status_code, response.json()["total"]) == (201, "80.00")
    assert_error(
        post(d.members[0], path, body),
        409,
        "Việc này đã được thực hiện: bạn đã chấm điểm báo cáo này.",
    )


def test_close_evaluation_by_the_secretary_once_a_quorum_has_scored(world, cycle, monitored):
    d = world.district
    report = submitted(world, monitored, cycle)
    path = f"/api/v1/initiatives/{monitored.pk}/close-evaluation/"
    services.evaluation_submit(actor=d.members[0], report=report, scores=SCORES)
    assert_error(
        post(d.secretary, path, {"cycle": cycle.pk}),
        409,
        "Chưa đủ phiếu chấm để kết thúc: mới có 1 trên 3 phiếu cần có.",
    )
    for member in (d.members[1], d.chair):
        services.evaluation_submit(actor=member, report=report, scores=SCORES)
    assert_error(
        post(d.chair, path, {"cycle": cycle.pk}),
        403,
        "Chỉ Thường trực Ban Chỉ đạo mới được thực hiện việc này.",
    )
    response = post(d.secretary, path, {"cycle": cycle.pk})
    assert (response.status_code, response.json()["status"]) == (200, "evaluation_closed")
    assert status_of(monitored.pk) == InitiativeStatus.EVALUATED


def test_decide_by_the_chair_once(world, cycle, monitored):
    d = world.district
    report = submitted(world, monitored, cycle)
    for member in (d.members[0], d.members[1], d.chair):
        services.evaluation_submit(actor=member, report=report, scores=SCORES)
    services.evaluation_close(actor=d.secretary, report=report)
    path = f"/api/v1/initiatives/{monitored.pk}/decide/"
    assert_error(
        post(d.secretary, path, {"cycle": cycle.pk, "recognise": False}),
        403,
        "Chỉ Trưởng Ban Chỉ đạo của đợt bình xét mới được quyết định.",
    )
    assert_error(
        post(d.chair, path, {"cycle": cycle.pk}), 400, "recognise: Trường này là bắt buộc."
    )
    response = post(d.chair, path, {"cycle": cycle.pk, "recognise": False})
    assert (response.status_code, response.json()["recognise"]) == (200, False)
    assert status_of(monitored.pk) == InitiativeStatus.MONITORED
    assert_error(
        post(d.chair, path, {"cycle": cycle.pk, "recognise": True}),
        409,
        "Việc này đã được thực hiện: báo cáo này đã có quyết định.",
    )


# --- cycles and nominations -----------------------------------------------------------------------


def test_cycles_are_created_and_opened_by_the_secretary_only(world):
    d = world.district
    InitiativeFactory(owner_unit=d.hamlet, status=InitiativeStatus.COMMENDED)
    assert_error(
        post(d.members[0], "/api/v1/cycles/", CYCLE),
        403,
        "Chỉ Thường trực Ban Chỉ đạo mới được thực hiện việc này.",
    )
    assert_error(
        post(d.secretary, "/api/v1/cycles/", {**CYCLE, "report_due": "2024-01-01"}),
        400,
        "Các mốc thời gian phải theo thứ tự: mở đợt, hạn báo cáo, hạn chấm điểm, hạn quyết định.",
    )
    response = post(
        d.secretary,
        "/api/v1/cycles/",
        {**CYCLE, "criteria": [{"code": "hieu-qua", "name": "Hiệu quả", "weight": 2, "max": 10}]},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft"
    assert created["criteria"] == [
        {"code": "hieu-qua", "name": "Hiệu quả", "weight": "2.00", "max": 10}
    ]

    path = f"/api/v1/cycles/{created['id']}/open/"
    assert_error(
        post(d.chair, path), 403, "Chỉ Thường trực Ban Chỉ đạo mới được thực hiện việc này."
    )
    assert post(d.secretary, path).json() == {"id": created["id"], "status": "open", "reports": 1}
    assert_error(
        post(d.secretary, path), 409, "Việc này đã được thực hiện: đợt bình xét đã được mở."
    )


def test_nominations_only_of_recognised_initiatives_by_the_secretary(world):
    d = world.district
    IssuingBodyFactory(code="ubnd-tinh", unit=world.province)
    monitored = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    body = {"awarding_body": "ubnd-tinh", "initiatives": [str(monitored.pk)], "citation": "x"}
    assert_error(
        post(d.members[0], "/api/v1/nominations/", body),
        403,
        "Chỉ Thường trực Ban Chỉ đạo mới được thực hiện việc này.",
    )
    assert_error(
        post(d.secretary, "/api/v1/nominations/", body),
        409,
        f"Mô hình {monitored.code} chưa được công nhận.",
    )
    recognised = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)
    response = post(d.secretary, "/api/v1/nominations/", {**body, "initiatives": [recognised.code]})
    assert response.status_code == 201, response.content


# --- errors, auth and the schema ------------------------------------------------------------------


def test_validation_errors_answer_400_with_a_detail_in_the_requests_language(world):
    d = world.district
    body = {**INITIATIVE, "unit_code": d.commune.code}
    del body["title"]
    assert_error(
        post(d.official, "/api/v1/initiatives/", body), 400, "title: Trường này là bắt buộc."
    )
    assert_error(
        post(d.official, "/api/v1/initiatives/", body, language="en"),
        400,
        "title: This field is required.",
    )
    assert_error(
        post(d.official, "/api/v1/initiatives/", {**body, "title": "x", "unit_code": "KHONG-CO"}),
        400,
        "unit_code: Không có đơn vị mã: KHONG-CO",
    )
    assert_error(
        post(d.official, "/api/v1/initiatives/", {**body, "title": "x", "fields": "bóng đá"}),
        400,
        "fields: Không có lĩnh vực: bóng đá. Các lĩnh vực là: "
        + "; ".join(Field.objects.values_list("name", flat=True)),
    )
    response = api(d.official).post(
        "/api/v1/initiatives/", "{not json", content_type="application/json"
    )
    assert_error(response, 400, "Nội dung yêu cầu không phải JSON hợp lệ.")
    assert not Initiative.objects.exists()


def test_authentication_by_token_only(world):
    d = world.district
    assert_error(api().get("/api/v1/tasks/"), 401, "Chưa cung cấp thông tin xác thực.")
    response = api().get("/api/v1/tasks/", HTTP_AUTHORIZATION="Token abc")
    assert_error(response, 401, "Mã xác thực (token) không hợp lệ.")
    response = api().post("/api/v1/auth/token/", {"username": d.official.username, "password": "x"})
    assert_error(response, 400, "Không thể đăng nhập với thông tin đã nhập.")
    response = api().post(
        "/api/v1/auth/token/", {"username": d.official.username, "password": "matkhau-123"}
    )
    assert response.status_code == 200 and len(response.json()["token"]) == 40


def test_the_openapi_schema_generates_without_warnings(world, tmp_path):
    response = api(world.district.official).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/initiatives/{id}/evaluations/" in response.content
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    assert "/api/v1/tasks/" in (tmp_path / "schema.yaml").read_text()


# --- fixed query counts ---------------------------------------------------------------------------


def count_queries(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), response.json()["count"]


def test_list_endpoints_cost_a_fixed_number_of_queries(world):
    d = world.district
    secretary, official = api(d.secretary), api(d.official)
    register(world)
    small = (
        count_queries(official, "/api/v1/initiatives/"),
        count_queries(secretary, "/api/v1/tasks/"),
    )
    for n in range(8):
        register(world, title=f"Mô hình số {n}")
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.DRAFT)
    InitiativeFactory.create_batch(4, owner_unit=d.hamlet, status=InitiativeStatus.MONITORED)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    large = (
        count_queries(official, "/api/v1/initiatives/"),
        count_queries(secretary, "/api/v1/tasks/"),
    )

    assert [count for count, _total in small] == [count for count, _total in large]
    assert [total for _count, total in small] == [1, 1]
    assert [total for _count, total in large] == [13, 9]
    # Officials' report tasks: one per monitored initiative, in the same fixed cost.
    assert count_queries(official, "/api/v1/tasks/")[1] == 4
    assert (
        count_queries(official, "/api/v1/initiatives/?status=monitored&unit=" + d.hamlet.code)[1]
        == 4
    )
    assert AnnualReport.objects.filter(status=AnnualReportStatus.PENDING).count() == 4
