import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import CycleStatus, InitiativeStatus, Role, UnitRole
from core.tests.factories import InitiativeFactory, UserFactory
from workflows import services
from workflows.models import AnnualReport, AnnualReportStatus, Evaluation
from workflows.selectors import report_evaluators

from .factories import AnnualReportFactory, EvaluationFactory, ReviewCycleFactory
from .helpers import history, refused

SCORES = {
    "effectiveness": 90,
    "participation": 80,
    "creativity": 70,
    "replicability": 60,
    "sustainability": 50,
}
# (30·90 + 25·80 + 15·70 + 15·60 + 15·50) / 100 = 74.00
SCORES_TOTAL = Decimal("74.00")


@pytest.fixture
def cycle(world):
    return ReviewCycleFactory(board=world.district.board, status=CycleStatus.OPEN)


@pytest.fixture
def initiative(world):
    return InitiativeFactory(owner_unit=world.district.commune, status=InitiativeStatus.MONITORED)


@pytest.fixture
def pending(cycle, initiative):
    return AnnualReportFactory(cycle=cycle, initiative=initiative)


@pytest.fixture
def submitted(pending, world):
    return services.annual_report_submit(
        actor=world.district.official, report=pending, text="Kết quả năm 2024: ..."
    )


def evaluate(report, actor, scores=None, comment=""):
    return services.evaluation_submit(
        actor=actor, report=report, scores=scores or SCORES, comment=comment
    )


# --- annual report ---------------------------------------------------------------------------


def test_owner_submits_the_annual_report_late_and_it_is_recorded(
    world, pending, events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.annual_report_submit(
            actor=world.district.official, report=pending, text="Báo cáo năm"
        )
    report.refresh_from_db()
    assert report.status == AnnualReportStatus.SUBMITTED
    assert report.submitted_by == world.district.official and report.submitted_at is not None
    assert report.submitted_late  # due on 31 October 2024
    # Each member of the board who may evaluate gets a task, and is told.
    d = world.district
    evaluators = tuple(sorted(u.pk for u in (d.chair, d.secretary, *d.members)))
    assert events == [
        ("evaluation_tasks_created", {"report_id": report.pk, "evaluator_ids": evaluators})
    ]


def test_a_report_before_its_due_date_is_not_late(world, initiative):
    today = timezone.localdate()
    cycle = ReviewCycleFactory(
        board=world.district.board,
        status=CycleStatus.OPEN,
        year=today.year,
        opens_on=today,
        report_due=today + dt.timedelta(days=30),
        evaluation_due=today + dt.timedelta(days=60),
        decision_due=today + dt.timedelta(days=90),
    )
    report = AnnualReportFactory(cycle=cycle, initiative=initiative)
    services.annual_report_submit(actor=world.district.official, report=report, text="Đúng hạn")
    report.refresh_from_db()
    assert report.status == AnnualReportStatus.SUBMITTED and not report.submitted_late


def test_annual_report_refused_twice_and_for_others(world, submitted, initiative):
    with refused(WrongState, "Việc này đã được thực hiện: báo cáo năm đã được gửi.", initiative):
        services.annual_report_submit(
            actor=world.district.official, report=submitted, text="Lần hai"
        )
    other = AnnualReportFactory(
        cycle=submitted.cycle,
        initiative=InitiativeFactory(
            owner_unit=world.district.hamlet, status=InitiativeStatus.MONITORED
        ),
    )
    for actor in (world.sibling.official, world.district.secretary):
        with refused(NotAllowed, None, other.initiative):
            services.annual_report_submit(actor=actor, report=other, text="Không phải của tôi")
    assert AnnualReport.objects.get(pk=other.pk).status == AnnualReportStatus.PENDING
    assert AnnualReport.objects.get(pk=submitted.pk).text == "Kết quả năm 2024: ..."


def test_annual_report_refused_when_the_initiative_was_withdrawn(world, pending, initiative):
    services.initiative_withdraw(actor=world.district.official, initiative=initiative, reason="x")
    with refused(WrongState, None, initiative):
        services.annual_report_submit(actor=world.district.official, report=pending, text="Báo cáo")


# --- evaluation ------------------------------------------------------------------------------


def test_evaluators_are_the_boards_members_minus_the_recused(world, submitted):
    d = world.district
    assert set(report_evaluators(report=submitted)) == {d.chair, d.secretary, *d.members}
    # A role in the owner unit recuses too, whatever the user's own unit.
    UnitRole.objects.create(unit=d.commune, user=d.members[0], role=Role.LEADER)
    assert set(report_evaluators(report=submitted)) == {d.chair, d.secretary, d.members[1]}


def test_member_scores_a_submitted_report_with_the_weighted_rubric(world, submitted):
    evaluation = evaluate(submitted, world.district.members[0], comment="Tốt")
    assert evaluation.total == SCORES_TOTAL
    assert evaluation.scores == SCORES
    assert evaluation.comment == "Tốt"


def test_total_uses_each_criterion_maximum(world, initiative):
    cycle = ReviewCycleFactory(
        board=world.district.board,
        status=CycleStatus.OPEN,
        year=2023,
        criteria=[
            {"code": "a", "name": "A", "weight": 2, "max": 10},
            {"code": "b", "name": "B", "weight": 1, "max": 5},
        ],
    )
    report = AnnualReportFactory(
        cycle=cycle, initiative=initiative, status=AnnualReportStatus.SUBMITTED
    )
    evaluation = evaluate(report, world.district.chair, scores={"a": 7.5, "b": 4})
    # (2·7.5/10 + 1·4/5) / 3 × 100 = 76.666… → 76.67
    assert evaluation.total == Decimal("76.67")
    assert evaluation.scores == {"a": 7.5, "b": 4}


def test_a_second_evaluation_by_the_same_member_is_refused(world, submitted, initiative):
    member = world.district.members[0]
    evaluate(submitted, member)
    with refused(
        WrongState, "Việc này đã được thực hiện: bạn đã chấm điểm báo cáo này.", initiative
    ):
        evaluate(submitted, member, scores=dict.fromkeys(SCORES, 100))
    assert Evaluation.objects.get().total == SCORES_TOTAL


def test_a_recused_member_cannot_evaluate(world, submitted, initiative):
    with refused(
        NotAllowed,
        "Bạn không tham gia chấm điểm mô hình này vì thuộc đơn vị có mô hình.",
        initiative,
    ):
        evaluate(submitted, world.district.recused_member)
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize("who", ["sibling_member", "province_member", "official", "outsider"])
def test_only_members_of_the_cycles_board_evaluate(world, submitted, initiative, who):
    actor = {
        "sibling_member": world.sibling.members[0],
        "province_member": world.province_member,
        "official": world.district.official,
        "outsider": UserFactory(),
    }[who]
    with refused(
        NotAllowed, "Chỉ thành viên Ban Chỉ đạo của đợt bình xét mới được chấm điểm.", initiative
    ):
        evaluate(submitted, actor)
    assert not Evaluation.objects.exists()


def test_evaluation_refused_before_the_report_is_in(world, pending, initiative):
    with refused(WrongState, "Báo cáo năm chưa được gửi.", initiative):
        evaluate(pending, world.district.members[0])


def test_evaluation_refused_once_the_cycle_is_closed(world, submitted, initiative):
    submitted.cycle.status = CycleStatus.CLOSED
    submitted.cycle.save()
    with refused(WrongState, "Đợt bình xét không trong thời gian mở.", initiative):
        evaluate(submitted, world.district.members[0])
    assert not Evaluation.objects.exists()


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        (
            {k: v for k, v in SCORES.items() if k != "creativity"},
            "Thiếu điểm các tiêu chí: creativity.",
        ),
        ({**SCORES, "beauty": 5}, "Tiêu chí không có trong bộ tiêu chí: beauty."),
        (
            {**SCORES, "effectiveness": 101},
            "Điểm tiêu chí “Hiệu quả” phải là số từ 0 đến 100.",
        ),
        ({**SCORES, "creativity": -1}, "Điểm tiêu chí “Tính sáng tạo” phải là số từ 0 đến 100."),
        ({**SCORES, "creativity": True}, "Điểm tiêu chí “Tính sáng tạo” phải là số từ 0 đến 100."),
        (
            {**SCORES, "creativity": "nhiều"},
            "Điểm tiêu chí “Tính sáng tạo” phải là số từ 0 đến 100.",
        ),
        (
            {**SCORES, "creativity": float("nan")},
            "Điểm tiêu chí “Tính sáng tạo” phải là số từ 0 đến 100.",
        ),
    ],
)
def test_evaluation_refuses_scores_that_do_not_fit_the_rubric(
    world, submitted, initiative, scores, message
):
    with refused(InvalidInput, message, initiative):
        evaluate(submitted, world.district.members[0], scores=scores)
    assert not Evaluation.objects.exists()


# --- close -----------------------------------------------------------------------------------


def test_secretary_closes_evaluation_at_quorum_with_the_mean_score(
    world, submitted, initiative, events, django_capture_on_commit_callbacks
):
    d = world.district
    evaluate(submitted, d.members[0])  # 74.00
    evaluate(submitted, d.members[1], dict.fromkeys(SCORES, 60))  # 60.00
    evaluate(submitted, d.chair, dict.fromkeys(SCORES, 81))  # 81.00
    with django_capture_on_commit_callbacks(execute=True):
        report = services.evaluation_close(actor=d.secretary, report=submitted)
    report.refresh_from_db()
    assert report.status == AnnualReportStatus.EVALUATION_CLOSED
    assert report.score == Decimal("71.67") and report.passed is True
    assert report.closed_by == d.secretary and report.closed_at is not None
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.EVALUATED
    line = initiative.history.get()
    assert (line.from_status, line.to_status) == ("monitored", "evaluated")
    assert line.reason == "Kết thúc chấm điểm: đạt 71,67 điểm, điểm đạt là 70,00."
    assert events[-1] == (
        "evaluation_closed",
        {"report_id": report.pk, "initiative_id": initiative.pk},
    )


def test_a_score_below_the_pass_mark_does_not_pass(world, submitted):
    d = world.district
    for member in (d.members[0], d.members[1], d.chair):
        evaluate(submitted, member, dict.fromkeys(SCORES, 50))
    report = services.evaluation_close(actor=d.secretary, report=submitted)
    assert report.score == Decimal("50.00") and report.passed is False


def test_close_refused_below_quorum(world, submitted, initiative):
    d = world.district
    evaluate(submitted, d.members[0])
    evaluate(submitted, d.members[1])
    with refused(
        WrongState,
        "Chưa đủ phiếu chấm để kết thúc: mới có 2 trên 3 phiếu cần có.",
        initiative,
    ):
        services.evaluation_close(actor=d.secretary, report=submitted)
    assert AnnualReport.objects.get(pk=submitted.pk).status == AnnualReportStatus.SUBMITTED


def test_quorum_is_capped_when_no_board_has_enough_members_who_may_score(world, pending):
    d = world.district
    for board in (d.board, world.province_board):
        board.quorum = 9
        board.save()
    submitted = services.annual_report_submit(actor=d.official, report=pending, text="Báo cáo")
    submitted.refresh_from_db()
    # Four may score on the district board, three on the province's: the district keeps it.
    assert submitted.evaluation_board == d.board and submitted.evaluations_required == 4
    for member in (d.members[0], d.members[1], d.chair):
        evaluate(submitted, member)
    with pytest.raises(WrongState):
        services.evaluation_close(actor=d.secretary, report=submitted)
    evaluate(submitted, d.secretary)
    # Five members, one recused: four evaluations are all there can be.
    report = services.evaluation_close(actor=d.secretary, report=submitted)
    assert report.status == AnnualReportStatus.EVALUATION_CLOSED


def test_close_refused_for_others_and_twice(world, submitted, initiative):
    d = world.district
    for member in (d.members[0], d.members[1], d.chair):
        evaluate(submitted, member)
    for actor in (d.chair, d.members[0], world.sibling.secretary, world.province_secretary):
        with refused(
            NotAllowed, "Chỉ Thường trực Ban Chỉ đạo mới được thực hiện việc này.", initiative
        ):
            services.evaluation_close(actor=actor, report=submitted)
    services.evaluation_close(actor=d.secretary, report=submitted)
    with refused(
        WrongState, "Việc này đã được thực hiện: báo cáo này đã kết thúc chấm điểm.", initiative
    ):
        services.evaluation_close(actor=d.secretary, report=submitted)
    with refused(WrongState, None, initiative):
        evaluate(submitted, d.secretary)


# --- decide ----------------------------------------------------------------------------------


@pytest.fixture
def closed(world, submitted):
    d = world.district
    for member in (d.members[0], d.members[1], d.chair):
        evaluate(submitted, member)
    return services.evaluation_close(actor=d.secretary, report=submitted)


def test_chair_recognises_and_the_initiative_waits_for_the_decision(world, closed, initiative):
    report = services.initiative_decide(actor=world.district.chair, report=closed, recognise=True)
    report.refresh_from_db()
    assert report.status == AnnualReportStatus.DECIDED and report.recognise is True
    assert report.decided_by == world.district.chair and report.decided_at is not None
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.EVALUATED
    assert history(initiative) == [("monitored", "evaluated")]


def test_chair_does_not_recognise_and_the_initiative_is_monitored_again(world, closed, initiative):
    services.initiative_decide(actor=world.district.chair, report=closed, recognise=False)
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.MONITORED
    assert history(initiative) == [("monitored", "evaluated"), ("evaluated", "monitored")]
    assert initiative.history.last().reason == "Không được công nhận trong đợt bình xét năm 2024."
    assert AnnualReport.objects.get(pk=closed.pk).recognise is False


def test_decide_refused_for_others_twice_and_before_close(world, closed, initiative):
    d = world.district
    for actor in (d.secretary, d.members[0], world.sibling.chair, world.province_chair):
        with refused(
            NotAllowed,
            "Chỉ Trưởng Ban Chỉ đạo của đợt bình xét mới được quyết định.",
            initiative,
        ):
            services.initiative_decide(actor=actor, report=closed, recognise=True)
    services.initiative_decide(actor=d.chair, report=closed, recognise=False)
    with refused(
        WrongState, "Việc này đã được thực hiện: báo cáo này đã có quyết định.", initiative
    ):
        services.initiative_decide(actor=d.chair, report=closed, recognise=True)
    open_report = EvaluationFactory(
        annual_report__cycle=closed.cycle,
        annual_report__initiative__owner_unit=d.commune,
    ).annual_report
    with refused(WrongState, "Báo cáo này chưa kết thúc chấm điểm.", open_report.initiative):
        services.initiative_decide(actor=d.chair, report=open_report, recognise=True)
