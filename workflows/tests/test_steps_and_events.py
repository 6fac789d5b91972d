"""A step is defined once; every event has a handler; one rule for who may take a task; no
initiative gets stuck (escalation, late members, late acceptance, closing a cycle)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core import events as bus
from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import (
    CycleStatus,
    InitiativeKind,
    InitiativeStatus,
    InitiativeStatusChange,
    Role,
    UnitKind,
    UnitRole,
)
from core.services import board_member_add, board_member_remove
from core.tests.factories import BoardFactory, InitiativeFactory, UnitFactory, UserFactory
from workflows import selectors, services, takers
from workflows.flows import FLOWS, AnnualReviewFlow
from workflows.models import AnnualReport, AnnualReportStatus, LifecycleProcess
from workflows.nodes import Step

from .factories import AnnualReportFactory, ReviewCycleFactory, board_person, unit_official

SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 80
)
ROOT = Path(settings.BASE_DIR)


# --- a step is defined once ---------------------------------------------------------------------


def steps():
    return [node for flow in FLOWS for node in flow.instance.nodes() if isinstance(node, Step)]


def test_every_human_step_declares_its_taker_words_input_and_api():
    found = steps()
    assert {node.name for node in found} == {
        "review",
        "resubmit",
        "report",
        "evaluate",
        "close",
        "decide",
        "recognition_decision",
        "commend",
    }
    for node in found:
        assert node.taker in takers.Taker.ALL
        assert str(node.task_title) and str(node.task_description), node.name
        assert node.form is not None and hasattr(node.form, "perform"), node.name
        assert node.api, f"{node.name} lists no API action"


# --- every event has a handler, every handler an emitter -----------------------------------------


def _source_files():
    for app in ("core", "workflows", "notifications", "documents"):
        for path in (ROOT / app).rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                yield path


def test_every_event_emitted_has_a_handler_and_every_handler_an_emitter():
    source = "\n".join(path.read_text() for path in _source_files())
    emitted = set(re.findall(r"emit_on_commit\(\s*(?:events\.|ev\.)?([A-Z]\w+)\(", source))
    # A step that emits one of several events passes the event class on.
    emitted |= set(re.findall(r"event=events\.([A-Z]\w+)", source))
    emitted |= {"BoardMembersChanged"} if "BoardMembersChanged(board_id=" in source else set()
    declared = {cls.__name__ for cls in bus.event_types()}
    assert emitted, "no event found"
    assert emitted <= declared, f"emitted but not declared: {emitted - declared}"
    unhandled = sorted(cls.name for cls in bus.event_types() if not bus.handlers_of(cls))
    assert unhandled == [], f"events without a handler: {unhandled}"
    never_emitted = sorted(declared - emitted)
    assert never_emitted == [], f"handled events nobody emits: {never_emitted}"


def test_a_failing_handler_is_logged_and_requeued_not_swallowed(monkeypatch, caplog):
    from core import tasks

    calls = []

    def broken(event):
        raise RuntimeError("boom")

    handlers = {cls: list(found) for cls, found in bus._handlers.items()}
    handlers[bus.BoardMembersChanged] = [broken]
    monkeypatch.setattr(bus, "_handlers", handlers)
    monkeypatch.setattr(tasks.event_handle, "delay", lambda *args: calls.append(args))
    bus.dispatch(bus.BoardMembersChanged(board_id=7))
    assert "failed on board_members_changed" in caplog.text
    assert calls and calls[0][1:] == ("board_members_changed", {"board_id": 7})
    caplog.clear()  # the autouse guard would fail this test otherwise


# --- one rule for who may take a task ------------------------------------------------------------


def _population(world):
    """Every role, in the district's unit, a child (commune), a sibling district and the parent
    (province)."""
    d = world.district
    child = UnitFactory(kind=UnitKind.COMMUNE, parent=d.unit, name="Xã Dân Chủ")
    units = {"own": d.unit, "child": child, "sibling": world.sibling.unit, "parent": world.province}
    boards = {
        "own": d.board,
        "child": BoardFactory(unit=child, quorum=1),
        "sibling": world.sibling.board,
        "parent": world.province_board,
    }
    people = []
    for where, unit in units.items():
        for role in (Role.OFFICIAL, Role.CLERK, Role.LEADER):
            user = UserFactory(unit=unit)
            UnitRole.objects.create(unit=unit, user=user, role=role)
            people.append(user)
        for role in (Role.SECRETARY, Role.CHAIR, Role.MEMBER, Role.DEPUTY):
            people.append(board_person(boards[where], role, unit=unit))
    return people


def _every_task(world):
    """At least one open task of each step, in the district and elsewhere."""
    from core.tests.factories import IssuingBodyFactory, field, phase

    d = world.district
    IssuingBodyFactory(unit=d.unit, abbreviation="UBND")
    for unit, official in (
        (d.commune, d.official),
        (world.sibling.commune, world.sibling.official),
    ):
        services.initiative_register(
            actor=official,
            unit=unit,
            title="Mô hình",
            kind=InitiativeKind.COLLECTIVE,
            fields=[field("economy")],
            phase=phase("2021-2025"),
        )
    returned = services.initiative_register(
        actor=d.official,
        unit=d.hamlet,
        title="Mô hình trả lại",
        kind=InitiativeKind.COLLECTIVE,
        fields=[field("economy")],
        phase=phase("2021-2025"),
    )
    services.initiative_return(actor=d.secretary, initiative=returned, reason="Bổ sung")
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN)
    reports = [
        AnnualReportFactory(
            cycle=cycle,
            initiative=InitiativeFactory(owner_unit=d.commune, status=status),
            status=report_status,
        )
        for status, report_status in (
            (InitiativeStatus.MONITORED, AnnualReportStatus.PENDING),
            (InitiativeStatus.MONITORED, AnnualReportStatus.SUBMITTED),
            (InitiativeStatus.EVALUATED, AnnualReportStatus.EVALUATION_CLOSED),
        )
    ]
    for report in reports:
        services.review_process(report)
    from workflows.flows import recognition_open

    recognition_open(cycle_id=cycle.pk)
    from workflows.tests.factories import NominationFactory

    nomination = NominationFactory(
        board=d.board, awarding_body=IssuingBodyFactory(unit=world.province, abbreviation="UBND")
    )
    services.nomination_process(nomination)
    return list(
        Task.objects.filter(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED])
    )


def test_the_taker_rule_agrees_in_the_services_the_queues_the_digest_and_the_web(world):
    people = _population(world) + [
        world.district.official,
        world.district.secretary,
        world.district.chair,
        *world.district.members,
        world.district.recused_member,
        world.sibling.official,
        world.sibling.secretary,
    ]
    tasks = _every_task(world)
    assert {t.flow_task.name for t in tasks} == {s.name for s in steps()}
    by_takers = takers.takers_of(tasks)  # the notices and the digest
    queues = {
        user.pk: set(selectors.tasks_for_user(user=user).values_list("pk", flat=True))
        for user in people
    }  # the queue and inbox, in SQL
    disagreements = []
    for task in tasks:
        node = task.flow_task
        for user in people:
            web = node.can_execute(user, task) if task.owner_id else node.can_assign(user, task)
            views = {
                "object rule": node.may_take(user, task),
                "web": web,
                "queue": task.pk in queues[user.pk],
                "takers_of": user.pk in by_takers[task.pk],
            }
            if len(set(views.values())) != 1:
                disagreements.append((node.name, user.username, views))
    assert disagreements == []
    # Everyone is somebody's taker, and no task is nobody's.
    assert all(by_takers[task.pk] for task in tasks)


# --- no initiative gets stuck ---------------------------------------------------------------------


def commune_with_own_board(world, members=3, quorum=3):
    """A commune whose board's members all belong to the commune."""
    commune = UnitFactory(kind=UnitKind.COMMUNE, parent=world.district.unit, name="Xã Bế Triều")
    board = BoardFactory(unit=commune, quorum=quorum, name="Ban Chỉ đạo xã Bế Triều")
    people = [board_person(board, Role.SECRETARY, unit=commune)]
    people += [board_person(board, Role.CHAIR, unit=commune)]
    people += [board_person(board, Role.MEMBER, unit=commune) for _ in range(members - 2)]
    return commune, board, people


def submit(report, official):
    return services.annual_report_submit(actor=official, report=report, text="Báo cáo năm")


def test_a_commune_board_evaluates_its_communes_own_initiatives(world):
    commune, board, people = commune_with_own_board(world)
    official = unit_official(commune)
    cycle = ReviewCycleFactory(board=board, status=CycleStatus.OPEN)
    report = AnnualReportFactory(
        cycle=cycle, initiative=InitiativeFactory(owner_unit=commune, status="monitored")
    )
    submitted = submit(report, official)
    submitted.refresh_from_db()
    # Belonging to the commune does not recuse from the commune's own initiative.
    assert submitted.evaluation_board == board and submitted.evaluations_required == 3
    for person in people:
        services.evaluation_submit(actor=person, report=submitted, scores=SCORES)
    closed = services.evaluation_close(actor=people[0], report=submitted)
    assert closed.status == AnnualReportStatus.EVALUATION_CLOSED


def test_the_individual_owner_is_recused_and_too_few_members_pass_it_to_the_board_above(
    world, django_capture_on_commit_callbacks
):
    commune, board, people = commune_with_own_board(world)
    owner = people[2]
    official = unit_official(commune)
    cycle = ReviewCycleFactory(board=board, status=CycleStatus.OPEN)
    initiative = InitiativeFactory(
        owner_unit=commune,
        status="monitored",
        kind=InitiativeKind.INDIVIDUAL,
        owner_name=f"  {owner.full_name.upper()} ",
    )
    report = AnnualReportFactory(cycle=cycle, initiative=initiative)
    with django_capture_on_commit_callbacks(execute=True):
        submitted = submit(report, official)
    submitted.refresh_from_db()
    d = world.district
    # Two of three may evaluate, quorum 3: the district board takes the evaluation over.
    assert submitted.evaluation_board == d.board
    line = InitiativeStatusChange.objects.filter(
        initiative=initiative, source="evaluation_escalate"
    ).get()
    assert d.board.name in line.reason and board.name in line.reason
    evaluators = {t.owner for t in Task.objects.filter(flow_task=AnnualReviewFlow.evaluate)}
    # Every member of the district board may evaluate a commune's initiative of Bế Triều.
    assert evaluators == {d.chair, d.secretary, *d.members, d.recused_member}
    with pytest.raises(NotAllowed):
        services.evaluation_submit(actor=people[0], report=submitted, scores=SCORES)
    for member in (d.chair, *d.members):
        services.evaluation_submit(actor=member, report=submitted, scores=SCORES)
    assert submitted.evaluations_required == 3
    # The cycle's own secretary closes it.
    closed = services.evaluation_close(actor=people[0], report=submitted)
    assert closed.status == AnnualReportStatus.EVALUATION_CLOSED


def test_a_member_added_later_gets_their_task_and_one_removed_loses_it(
    world, django_capture_on_commit_callbacks
):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN)
    report = AnnualReportFactory(
        cycle=cycle, initiative=InitiativeFactory(owner_unit=d.commune, status="monitored")
    )
    submit(report, d.official)
    newcomer = UserFactory(unit=d.unit)
    with django_capture_on_commit_callbacks(execute=True):
        board_member_add(board=d.board, user=newcomer, role=Role.MEMBER)
    assert [r.pk for r in selectors.evaluation_queue(user=newcomer)] == [report.pk]
    services.evaluation_submit(actor=newcomer, report=report, scores=SCORES)

    leaving = d.members[0]
    assert selectors.evaluation_queue(user=leaving).exists()
    with django_capture_on_commit_callbacks(execute=True):
        board_member_remove(board=d.board, user=leaving)
    assert not selectors.evaluation_queue(user=leaving).exists()
    cancelled = Task.objects.get(flow_task=AnnualReviewFlow.evaluate, owner=leaving)
    assert cancelled.status == STATUS.CANCELED
    with pytest.raises((NotAllowed, WrongState)):
        services.evaluation_submit(actor=leaving, report=report, scores=SCORES)
    # Re-running the synchronisation changes nothing.
    assert services.evaluation_tasks_sync(board_id=d.board.pk) == (0, 0)


def test_an_initiative_accepted_after_its_cycle_opened_gets_its_report(world):
    from core.tests.factories import field, phase

    d = world.district
    cycle = ReviewCycleFactory(board=d.board)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    initiative = services.initiative_register(
        actor=d.official,
        unit=d.commune,
        title="Mô hình đăng ký muộn",
        kind=InitiativeKind.COLLECTIVE,
        fields=[field("economy")],
        phase=phase("2021-2025"),
    )
    services.initiative_accept(actor=d.secretary, initiative=initiative)
    report = AnnualReport.objects.get(initiative=initiative)
    assert report.cycle == cycle and report.status == AnnualReportStatus.PENDING
    assert report.due_on == cycle.report_due
    task = Task.objects.get(
        process__lifecycleprocess__annual_report=report, flow_task=AnnualReviewFlow.report
    )
    assert task.status == STATUS.NEW
    submitted = services.annual_report_submit(actor=d.official, report=report, text="Báo cáo")
    assert submitted.status == AnnualReportStatus.SUBMITTED


# --- closing a cycle -------------------------------------------------------------------------------


def test_closing_a_cycle_lists_what_is_open_and_refuses_while_decisions_wait(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN)
    pending = AnnualReportFactory(
        cycle=cycle, initiative=InitiativeFactory(owner_unit=d.commune, status="monitored")
    )
    waiting = AnnualReportFactory(
        cycle=cycle,
        status=AnnualReportStatus.EVALUATION_CLOSED,
        initiative=InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.EVALUATED),
    )
    for report in (pending, waiting):
        services.review_process(report)
    assert services.cycle_open_work(cycle=cycle) == services.CycleOpenWork(1, 0, 1, 0)
    with pytest.raises(NotAllowed):
        services.cycle_close(actor=d.chair, cycle=cycle)
    with pytest.raises(WrongState, match="1"):
        services.cycle_close(actor=d.secretary, cycle=cycle)
    with pytest.raises(InvalidInput):
        services.cycle_close(actor=d.secretary, cycle=cycle, force=True)
    work = services.cycle_close(
        actor=d.secretary, cycle=cycle, force=True, reason="Hết thời hạn bình xét"
    )
    assert work.decisions_pending == 1 and work.reports_pending == 1
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.CLOSED and cycle.closed_by == d.secretary
    waiting.initiative.refresh_from_db()
    assert waiting.initiative.status == InitiativeStatus.MONITORED
    assert not Task.objects.filter(
        process__lifecycleprocess__cycle=cycle, status__in=[STATUS.NEW, STATUS.ASSIGNED]
    ).exists()
    assert not LifecycleProcess.objects.filter(cycle=cycle, status="NEW").exists()
    with pytest.raises(WrongState):
        services.cycle_close(actor=d.secretary, cycle=cycle)


def test_a_cycle_with_nothing_pending_closes_without_force(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN, year=2023)
    assert services.cycle_close(actor=d.secretary, cycle=cycle).blocking == 0
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.CLOSED
    assert cycle.closed_at.date() <= dt.date.today()
