"""The viewflow flows: each human step is a task in the queue of those who may take it, and
completing a step through its service in ``workflows.services`` completes that task and creates the next."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from core.errors import NotAllowed, WrongState
from core.models import (
    CycleStatus,
    InitiativeKind,
    InitiativeStatus,
    Role,
    UnitRole,
)
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, UserFactory, field, phase
from workflows import selectors, services
from workflows.flows import (
    AnnualReviewFlow,
    NominationFlow,
    RecognitionFlow,
    RegistrationFlow,
    annual_reviews_start,
    recognition_open,
)
from workflows.models import (
    AnnualReport,
    AnnualReportStatus,
    LifecycleProcess,
    ProcessKind,
)

from .factories import AnnualReportFactory, EvaluationFactory, ReviewCycleFactory
from .helpers import refused

SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 80
)


def register(world, **kwargs):
    d = world.district
    data = {
        "actor": d.official,
        "unit": d.commune,
        "title": "Dân vận khéo trong xây dựng đường giao thông nông thôn",
        "kind": InitiativeKind.COLLECTIVE,
        "fields": [field("new_rural")],
        "phase": phase("2021-2025"),
        "registered_on": dt.date(2023, 3, 1),
    }
    data.update(kwargs)
    return services.initiative_register(**data)


def queue(user):
    return {
        (t.process.lifecycleprocess.initiative_id, t.flow_task.name)
        for t in selectors.tasks_for_user(user=user)
    }


def open_tasks(initiative, name=None):
    tasks = Task.objects.filter(
        process__lifecycleprocess__initiative=initiative, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    )
    if name:
        tasks = [t for t in tasks if t.flow_task.name == name]
    return list(tasks)


def task_of(initiative, name, **filters):
    return next(
        t
        for t in Task.objects.filter(
            process__lifecycleprocess__initiative=initiative, **filters
        ).order_by("-pk")
        if t.flow_task.name == name
    )


def clerk(unit):
    user = UserFactory(unit=unit)
    UnitRole.objects.create(unit=unit, user=user, role=Role.CLERK)
    return user


# --- registration ------------------------------------------------------------------------------


def test_registering_puts_the_review_in_the_responsible_secretarys_queue_only(world):
    initiative = register(world)

    process = LifecycleProcess.objects.get(initiative=initiative)
    assert process.flow_class is RegistrationFlow and process.kind == ProcessKind.REGISTRATION
    review = task_of(initiative, "review")
    assert (review.status, review.flow_task_type, review.owner_id) == (STATUS.NEW, "HUMAN", None)
    assert queue(world.district.secretary) == {(initiative.pk, "review")}
    # The district's board is responsible: not the province's, not a sibling's, not members.
    for user in (
        world.province_secretary,
        world.sibling.secretary,
        world.district.chair,
        world.district.members[0],
        world.district.official,
    ):
        assert (initiative.pk, "review") not in queue(user), user


def test_the_province_secretary_reviews_when_no_district_board_is_active(world):
    d = world.district
    d.board.is_active = False
    d.board.save()
    initiative = register(world)
    assert queue(world.province_secretary) == {(initiative.pk, "review")}
    assert queue(d.secretary) == set()

    services.initiative_accept(actor=world.province_secretary, initiative=initiative)
    assert task_of(initiative, "review").owner == world.province_secretary


def test_accepting_completes_the_review_task_and_ends_the_process(world):
    d = world.district
    initiative = register(world)

    services.initiative_accept(actor=d.secretary, initiative=initiative, reason="Tốt")

    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.MONITORED
    review = task_of(initiative, "review")
    assert review.status == STATUS.DONE and review.owner == d.secretary
    assert review.finished is not None
    process = LifecycleProcess.objects.get(initiative=initiative)
    assert process.status == PROCESS.DONE
    assert queue(d.secretary) == set()


def test_returning_sends_a_resubmit_task_to_the_owners_officials_and_back(world):
    d = world.district
    initiative = register(world)

    services.initiative_return(actor=d.secretary, initiative=initiative, reason="Bổ sung")

    assert open_tasks(initiative)[0].flow_task is RegistrationFlow.resubmit
    # The commune's official and the district's (a unit above) may take it; not a sibling's.
    assert queue(d.official) == {(initiative.pk, "resubmit")}
    assert queue(d.district_official) == {(initiative.pk, "resubmit")}
    assert queue(world.sibling.official) == set()
    assert queue(d.secretary) == set()
    with refused(NotAllowed, None, initiative):
        services.initiative_resubmit(
            actor=world.sibling.official, initiative=initiative, title="Khác"
        )

    services.initiative_resubmit(actor=d.official, initiative=initiative, title="Tên mới")

    initiative.refresh_from_db()
    assert (initiative.status, initiative.title) == (InitiativeStatus.REGISTERED, "Tên mới")
    assert task_of(initiative, "resubmit").status == STATUS.DONE
    assert queue(d.secretary) == {(initiative.pk, "review")}
    services.initiative_reject(actor=d.secretary, initiative=initiative, reason="Trùng")
    assert LifecycleProcess.objects.get(initiative=initiative).status == PROCESS.DONE
    assert open_tasks(initiative) == []


def test_a_refused_review_leaves_the_task_in_the_queue(world):
    d = world.district
    initiative = register(world)
    for actor in (d.official, d.chair, world.sibling.secretary, world.province_secretary):
        with refused(NotAllowed, None, initiative):
            services.initiative_accept(actor=actor, initiative=initiative)
    review = task_of(initiative, "review")
    assert (review.status, review.owner_id) == (STATUS.NEW, None)


def test_the_second_completion_of_a_review_is_told_it_is_already_done(world):
    d = world.district
    initiative = register(world)
    services.initiative_accept(actor=d.secretary, initiative=initiative)
    with refused(WrongState, "Việc này đã được thực hiện: đăng ký này đã được xử lý.", initiative):
        services.initiative_reject(actor=d.secretary, initiative=initiative, reason="x")


def test_a_task_taken_by_one_secretary_cannot_be_completed_by_another(world):
    d = world.district
    second = d.members[1]
    d.board.members.filter(user=second).update(role=Role.SECRETARY)
    initiative = register(world)
    review = task_of(initiative, "review")
    with RegistrationFlow.lock(review.process_id):
        review.flow_task.activation_class(review).assign(d.secretary)

    with refused(WrongState, None, initiative):
        services.initiative_accept(actor=second, initiative=initiative)
    services.initiative_accept(actor=d.secretary, initiative=initiative)
    assert task_of(initiative, "review").status == STATUS.DONE


def test_an_imported_registration_joins_the_flow_when_it_is_reviewed(world):
    d = world.district
    imported = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RETURNED)
    assert not LifecycleProcess.objects.filter(initiative=imported).exists()

    services.initiative_resubmit(actor=d.official, initiative=imported)

    assert [t.flow_task.name for t in open_tasks(imported)] == ["review"]
    services.initiative_accept(actor=d.secretary, initiative=imported)
    assert LifecycleProcess.objects.get(initiative=imported).status == PROCESS.DONE


def test_withdrawing_cancels_the_open_tasks(world):
    d = world.district
    initiative = register(world)
    services.initiative_withdraw(actor=d.official, initiative=initiative, reason="Thôi")
    assert task_of(initiative, "review").status == STATUS.CANCELED
    assert LifecycleProcess.objects.get(initiative=initiative).status == PROCESS.CANCELED
    assert queue(d.secretary) == set()


# --- annual review -----------------------------------------------------------------------------


@pytest.fixture
def opened(world):
    """Two monitored initiatives of the district's commune and an open 2024 cycle."""
    d = world.district
    initiatives = [
        InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED),
        InitiativeFactory(owner_unit=d.hamlet, status=InitiativeStatus.RECOGNISED),
    ]
    sibling_initiative = InitiativeFactory(
        owner_unit=world.sibling.commune, status=InitiativeStatus.MONITORED
    )
    cycle = ReviewCycleFactory(board=d.board)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    return cycle, initiatives, sibling_initiative


def test_opening_a_cycle_puts_a_report_task_per_initiative_in_the_owners_queue(world, opened):
    d = world.district
    cycle, initiatives, sibling_initiative = opened
    processes = LifecycleProcess.objects.filter(cycle=cycle).order_by("initiative_id")
    assert [(p.kind, p.flow_class, p.status) for p in processes] == [
        (ProcessKind.ANNUAL_REVIEW, AnnualReviewFlow, PROCESS.NEW)
    ] * 2
    for process in processes:
        assert process.annual_report.initiative_id == process.initiative_id
        assert process.unit_id == process.initiative.owner_unit_id
        assert process.artifact == process.annual_report
    assert queue(d.official) == {(i.pk, "report") for i in initiatives}
    assert queue(d.district_official) == {(i.pk, "report") for i in initiatives}
    assert queue(world.sibling.official) == set()
    assert not LifecycleProcess.objects.filter(initiative=sibling_initiative).exists()


def test_bulk_started_processes_match_what_viewflow_writes_one_by_one(world, opened):
    cycle, initiatives, _sibling = opened
    # The same case started by viewflow itself, for comparison.
    other = InitiativeFactory(owner_unit=world.district.commune, status=InitiativeStatus.MONITORED)
    report = AnnualReportFactory(initiative=other, cycle=cycle)
    one_by_one = AnnualReviewFlow.start.run(report=report)
    bulk = LifecycleProcess.objects.get(initiative=initiatives[0])

    def shape(process):
        rows = []
        for task in Task.objects.filter(process=process).order_by("pk"):
            rows.append(
                (
                    task.flow_task,
                    task.flow_task_type,
                    task.status,
                    str(task.token),
                    task.owner_permission,
                    task.data,
                    task.started is not None,
                    task.finished is not None,
                    [p.flow_task for p in task.previous.all()],
                )
            )
        parent = process.process_ptr
        return (
            parent.flow_class,
            parent.status,
            parent.data,
            parent.artifact_content_type_id,
            process.kind,
            rows,
        )

    assert shape(bulk) == shape(one_by_one)
    # Started again, nothing is doubled.
    assert annual_reviews_start(cycle=cycle) == 0


def test_a_submitted_report_fans_out_one_evaluation_task_per_member_not_recused(world, opened):
    d = world.district
    cycle, (initiative, _hamlets), _sibling = opened
    report = AnnualReport.objects.get(initiative=initiative, cycle=cycle)

    services.annual_report_submit(actor=d.official, report=report, text="Báo cáo năm")

    assert task_of(initiative, "report").status == STATUS.DONE
    evaluations = open_tasks(initiative, "evaluate")
    evaluators = {d.chair, d.secretary, *d.members}
    assert {t.owner for t in evaluations} == evaluators
    assert all(t.status == STATUS.ASSIGNED for t in evaluations)
    for member in evaluators:
        assert (initiative.pk, "evaluate") in queue(member)
    assert (initiative.pk, "evaluate") not in queue(d.recused_member)
    assert (initiative.pk, "evaluate") not in queue(world.sibling.members[0])
    assert (initiative.pk, "close") in queue(d.secretary)
    assert (initiative.pk, "close") not in queue(world.sibling.secretary)
    # Members see the evaluation in their inbox, not in the open queue.
    assert {t.flow_task.name for t in selectors.task_inbox(user=d.members[0])} == {"evaluate"}


def test_evaluate_close_decide_complete_their_tasks(
    world, opened, django_capture_on_commit_callbacks
):
    d = world.district
    cycle, (initiative, _hamlets), _sibling = opened
    report = AnnualReport.objects.get(initiative=initiative, cycle=cycle)
    services.annual_report_submit(actor=d.official, report=report, text="Báo cáo năm")

    services.evaluation_submit(actor=d.members[0], report=report, scores=SCORES)
    assert task_of(initiative, "evaluate", owner=d.members[0]).status == STATUS.DONE
    with refused(
        WrongState, "Việc này đã được thực hiện: bạn đã chấm điểm báo cáo này.", initiative
    ):
        services.evaluation_submit(actor=d.members[0], report=report, scores=SCORES)
    with refused(NotAllowed, None, initiative):
        services.evaluation_submit(actor=d.recused_member, report=report, scores=SCORES)
    # Quorum is 3: closing now is refused and the close task stays open.
    with refused(WrongState, None, initiative):
        services.evaluation_close(actor=d.secretary, report=report)
    assert task_of(initiative, "close").status == STATUS.NEW

    for member in (d.members[1], d.chair):
        services.evaluation_submit(actor=member, report=report, scores=SCORES)
    with refused(NotAllowed, None, initiative):
        services.evaluation_close(actor=d.chair, report=report)
    services.evaluation_close(actor=d.secretary, report=report)

    # The secretary never scored: that evaluation task is cancelled by the close.
    assert task_of(initiative, "evaluate", owner=d.secretary).status == STATUS.CANCELED
    assert task_of(initiative, "close").status == STATUS.DONE
    assert queue(d.chair) == {(initiative.pk, "decide")}
    assert queue(world.sibling.chair) == set()
    with refused(NotAllowed, None, initiative):
        services.initiative_decide(actor=d.secretary, report=report, recognise=True)

    services.initiative_decide(actor=d.chair, report=report, recognise=True)

    assert task_of(initiative, "decide").status == STATUS.DONE
    process = LifecycleProcess.objects.get(annual_report=report)
    assert process.status == PROCESS.DONE
    # The recognition decision now waits for the clerk of the board's unit.
    district_clerk = clerk(d.unit)
    recognition = LifecycleProcess.objects.get(kind=ProcessKind.RECOGNITION, cycle=cycle)
    assert recognition.flow_class is RecognitionFlow
    assert [t.flow_task.name for t in selectors.tasks_for_user(user=district_clerk)] == [
        "recognition_decision"
    ]
    assert list(selectors.tasks_for_user(user=clerk(world.sibling.unit))) == []


def test_not_recognising_ends_the_case_without_a_recognition_task(world, opened):
    d = world.district
    cycle, (initiative, _hamlets), _sibling = opened
    report = AnnualReport.objects.get(initiative=initiative, cycle=cycle)
    services.annual_report_submit(actor=d.official, report=report, text="Báo cáo")
    for member in (d.members[0], d.members[1], d.chair):
        services.evaluation_submit(actor=member, report=report, scores=SCORES)
    services.evaluation_close(actor=d.secretary, report=report)
    services.initiative_decide(actor=d.chair, report=report, recognise=False)
    assert LifecycleProcess.objects.get(annual_report=report).status == PROCESS.DONE
    assert not LifecycleProcess.objects.filter(kind=ProcessKind.RECOGNITION).exists()


def test_the_recognition_and_commendation_tasks_are_taken_by_the_clerks_only(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN)
    district_clerk = clerk(d.unit)
    recognition_open(cycle_id=cycle.pk)
    assert recognition_open(cycle_id=cycle.pk).pk == services.recognition_process(cycle).pk
    with pytest.raises(NotAllowed):
        services.recognition_decision_issue(actor=d.secretary, cycle=cycle)
    # The clerk may take it; with nothing recognised yet the service says so.
    IssuingBodyFactory(unit=d.unit, abbreviation="UBND")
    with pytest.raises(WrongState):
        services.recognition_decision_issue(actor=district_clerk, cycle=cycle)
    assert services.recognition_process(cycle) is not None

    body = IssuingBodyFactory(unit=world.province, abbreviation="UBND")
    recognised = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)
    nomination = services.nomination_create(
        actor=d.secretary, board=d.board, awarding_body=body, items=[recognised], citation="x"
    )
    process = LifecycleProcess.objects.get(nomination=nomination)
    assert process.flow_class is NominationFlow and process.unit == d.unit
    province_clerk = clerk(world.province)
    assert [t.flow_task.name for t in selectors.tasks_for_user(user=province_clerk)] == ["commend"]
    assert [t.flow_task.name for t in selectors.tasks_for_user(user=district_clerk)] == [
        "recognition_decision"
    ]
    with pytest.raises(NotAllowed):
        services.nomination_commend(actor=district_clerk, nomination=nomination, award="praise")
    decision = services.nomination_commend(
        actor=province_clerk, nomination=nomination, award="praise"
    )
    process.refresh_from_db()
    assert process.status == PROCESS.DONE
    # "Theo đề nghị của …" names the nominating board, and closes the legal bases.
    assert decision.content["legal_bases"][-1] == f"Theo đề nghị của {d.board.name}."


def test_a_report_made_outside_the_flows_joins_at_its_step(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN)
    report = AnnualReportFactory(
        cycle=cycle,
        initiative=InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED),
        status=AnnualReportStatus.SUBMITTED,
    )
    EvaluationFactory(annual_report=report, evaluator=d.members[0])

    services.evaluation_submit(actor=d.members[1], report=report, scores=SCORES)

    owners = {t.owner for t in open_tasks(report.initiative, "evaluate")}
    # members[0] scored before the flow existed: no task for them.
    assert owners == {d.chair, d.secretary}
    assert task_of(report.initiative, "evaluate", owner=d.members[1]).status == STATUS.DONE


def test_the_task_list_costs_a_fixed_number_of_queries(world):
    d = world.district
    register(world)
    with CaptureQueriesContext(connection) as one:
        list(selectors.tasks_for_user(user=d.secretary))
    for n in range(5):
        register(world, title=f"Mô hình {n}")
    with CaptureQueriesContext(connection) as six:
        tasks = list(selectors.tasks_for_user(user=d.secretary))
        for task in tasks:
            task.process.lifecycleprocess.initiative.title  # noqa: B018 - loaded with the list
            task.flow_task.task_title  # noqa: B018
    assert len(tasks) == 6
    assert len(one.captured_queries) == len(six.captured_queries) == 2  # the seats, the list


def test_the_web_form_of_a_step_completes_its_task_through_the_service(world):
    d = world.district
    initiative = register(world)
    review = task_of(initiative, "review")
    process = review.process.lifecycleprocess
    form = review.flow_task.form.for_process(process, {"action": "accept", "reason": ""})
    assert form.is_valid()
    form.perform(d.secretary)
    review.refresh_from_db()
    assert review.status == STATUS.DONE
    again = review.flow_task.form.for_process(process, {"action": "accept", "reason": ""})
    assert again.is_valid()
    with pytest.raises(WrongState):
        again.perform(d.secretary)


def test_archive_and_process_lists_are_scoped_to_the_users_units(world):
    d = world.district
    initiative = register(world)
    sibling_initiative = register(
        world, actor=world.sibling.official, unit=world.sibling.commune, title="Mô hình khác"
    )
    services.initiative_accept(actor=d.secretary, initiative=initiative)

    assert [t.flow_task.name for t in selectors.task_archive(user=d.secretary)] == ["review"]
    assert list(selectors.task_archive(user=world.sibling.secretary)) == []
    assert {p.initiative_id for p in selectors.processes_for_user(user=d.secretary)} == {
        initiative.pk
    }
    assert {p.initiative_id for p in selectors.processes_for_user(user=d.official)} == {
        initiative.pk
    }
    assert {p.initiative_id for p in selectors.processes_for_user(user=world.province_member)} == {
        initiative.pk,
        sibling_initiative.pk,
    }
    # The queue holds what may be taken, the inbox what is assigned.
    assert [t.flow_task.name for t in selectors.task_queue(user=world.sibling.secretary)] == [
        "review"
    ]
    assert list(selectors.task_inbox(user=world.sibling.secretary)) == []
