"""Notices of lifecycle events, written into the outbox once per recipient.

Each notice is one ``Message`` whose subject is the record the event left (the history
line of a status change, the viewflow task that appeared, the nomination decided...), so
the outbox's unique key makes a handler that runs twice (a retry, the catch-up scan) write
nothing twice. Recipients follow the lifecycle's own rules: a new task's notice goes to
exactly those who may take it (``workflows.takers.takers_of``); a status notice to the
officials of the owner unit (the nearest unit at or above it that has officials). Messages
are delivered by the sweeper, so an event's service never waits for the broker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from viewflow.workflow.models import Task

from core.models import (
    Initiative,
    InitiativeStatusChange,
    ReviewCycle,
    Role,
)
from workflows import takers
from workflows.models import (
    AnnualReport,
    LifecycleProcess,
    MonitoringVisit,
    Nomination,
    ProgressReport,
)

from .. import selectors
from ..models import Message, MessageKind
from .outbox import ScanResult, _content_type, _Outbox

OPEN = ("NEW", "ASSIGNED")


def _write(messages: Iterable[Message]) -> ScanResult:
    outbox = _Outbox()
    outbox.add(messages)
    result = outbox.result()
    result.deliveries = outbox.create_deliveries()
    return result


def _board_people(board_ids: Iterable[int | None], roles: list[str]) -> list[int]:
    """The active holders of ``roles`` on these boards, each once."""
    people = selectors.board_people(board_ids=[b for b in board_ids if b], roles=roles)
    return sorted({user_id for users in people.values() for user_id in users})


def _latest_change(initiative_id: int, source: str) -> InitiativeStatusChange | None:
    return (
        InitiativeStatusChange.objects.filter(initiative_id=initiative_id, source=source)
        .order_by("-at", "-pk")
        .first()
    )


def _responsible_secretaries(initiative: Initiative) -> list[int]:
    return sorted(
        takers.users_for(
            takers.Taker.RESPONSIBLE_SECRETARY,
            [takers.Subject(unit_path=initiative.owner_unit.path)],
        )[0]
    )


@transaction.atomic
def initiative_status_notify(*, initiative_id: int, source: str, event: str) -> ScanResult:
    """Tell whom a status change concerns: the owner's officials that their registration was
    accepted, returned (with the reason), rejected, not recognised or discontinued; the
    responsible board's secretary that it was withdrawn."""
    change = _latest_change(initiative_id, source)
    if change is None:
        return _write([])
    initiative = Initiative.objects.select_related("owner_unit").get(pk=initiative_id)
    if event == "initiative_withdrawn":
        recipients = _responsible_secretaries(initiative)
    else:
        recipients = selectors.owner_officials([initiative]).get(initiative.pk, [])
    change_type = _content_type(InitiativeStatusChange)
    return _write(
        Message(
            recipient_id=user_id,
            kind=MessageKind.INITIATIVE_STATUS,
            subject_type_id=change_type,
            subject_id=change.pk,
            reason=event[:32],
            due_on=change.at.date(),
            initiative=initiative,
            context={"event": event, "reason": change.reason, "to_status": change.to_status},
        )
        for user_id in recipients
    )


@transaction.atomic
def initiative_update_notify(*, event: str, record: Any, initiative_id: int) -> ScanResult:
    """Tell whom a record about a monitored initiative concerns: a progress report to the
    responsible board's secretary, a monitoring visit's findings to the owner's officials,
    an evaluation passed to the board above to the secretaries of both boards."""
    initiative = Initiative.objects.select_related("owner_unit").get(pk=initiative_id)
    context: dict[str, Any] = {"event": event}
    if isinstance(record, ProgressReport):
        recipients = _responsible_secretaries(initiative)
        when = record.submitted_at.date()
    elif isinstance(record, MonitoringVisit):
        recipients = selectors.owner_officials([initiative]).get(initiative.pk, [])
        when = record.visited_on
        context["findings"] = record.findings
    elif isinstance(record, AnnualReport):
        recipients = _board_people(
            [record.cycle.board_id, record.evaluation_board_id], [Role.SECRETARY]
        )
        when = (record.submitted_at or record.created_at).date()
        context["board"] = record.evaluation_board.name if record.evaluation_board_id else ""
    else:
        raise TypeError(f"no notice for {type(record).__name__}")
    record_type = _content_type(type(record))
    return _write(
        Message(
            recipient_id=user_id,
            kind=MessageKind.INITIATIVE_UPDATE,
            subject_type_id=record_type,
            subject_id=record.pk,
            reason=event[:32],
            due_on=when,
            initiative=initiative,
            context=context,
        )
        for user_id in recipients
    )


def _task_due(task: Task, reports: dict[int, AnnualReport]):
    process = task.process.lifecycleprocess
    return task.flow_task.due_on(reports.get(process.annual_report_id))


@transaction.atomic
def tasks_waiting_notify(*, tasks: Sequence[Task], reason: str = "") -> ScanResult:
    """Tell each person who may take one of these open tasks that it waits for them
    (``workflows.takers.takers_of``: the evaluator of an evaluation, the chair of a decision,
    the clerk of a decision to issue...). ``reason`` tells a second notice of the same task
    apart (``ready``: the quorum of evaluations is in)."""
    tasks = [task for task in tasks if task.status in OPEN]
    if not tasks:
        return _write([])
    who = takers.takers_of(tasks)
    processes = {task.pk: task.process.lifecycleprocess for task in tasks}
    reports = AnnualReport.objects.select_related("cycle").in_bulk(
        {p.annual_report_id for p in processes.values() if p.annual_report_id}
    )
    task_type = _content_type(Task)
    messages = []
    for task in tasks:
        process = processes[task.pk]
        due = _task_due(task, reports)
        for user_id in sorted(who.get(task.pk, ())):
            messages.append(
                Message(
                    recipient_id=user_id,
                    kind=MessageKind.TASK_WAITING,
                    subject_type_id=task_type,
                    subject_id=task.pk,
                    reason=reason,
                    due_on=due or task.created.date(),
                    initiative_id=process.initiative_id,
                    cycle_id=process.cycle_id,
                    context={
                        "task": task.flow_task.name,
                        "flow": task.flow_task.flow_class.__name__,
                        "due": due.isoformat() if due else "",
                        "nomination_id": process.nomination_id,
                    },
                )
            )
    return _write(messages)


def open_tasks(*, processes: Iterable[LifecycleProcess], node) -> list[Task]:
    """The open tasks of ``node`` in these processes, with what ``takers_of`` reads."""
    return list(
        Task.objects.filter(
            process__in=[p.pk for p in processes], flow_task=node, status__in=OPEN
        ).select_related(
            "process__lifecycleprocess__unit",
            "process__lifecycleprocess__cycle__board",
            "process__lifecycleprocess__nomination__awarding_body",
        )
    )


@transaction.atomic
def nomination_decided_notify(*, nomination_id: int, decision_id: int) -> ScanResult:
    """Tell the nominating board's secretary and chair what the awarding body decided."""
    nomination = Nomination.objects.select_related("board", "awarding_body", "decision").get(
        pk=nomination_id
    )
    items = list(nomination.items.all())
    recipients = _board_people([nomination.board_id], [Role.SECRETARY, Role.CHAIR])
    decision = nomination.decision
    return _write(
        Message(
            recipient_id=user_id,
            kind=MessageKind.NOMINATION_DECIDED,
            subject_type_id=_content_type(Nomination),
            subject_id=nomination.pk,
            reason="",
            due_on=decision.issued_on if decision else nomination.created_at.date(),
            cycle_id=nomination.cycle_id,
            context={
                "decision_id": decision_id,
                "number": decision.number if decision else "",
                "issuer": nomination.awarding_body.name,
                "board": nomination.board.name,
                "approved": sum(1 for item in items if item.approved),
                "proposed": len(items),
            },
        )
        for user_id in recipients
    )


@transaction.atomic
def cycle_closed_notify(*, cycle_id: int) -> ScanResult:
    """Tell the chair and the secretary of the cycle's board that it was closed."""
    cycle = ReviewCycle.objects.select_related("board").get(pk=cycle_id)
    recipients = _board_people([cycle.board_id], [Role.SECRETARY, Role.CHAIR])
    return _write(
        Message(
            recipient_id=user_id,
            kind=MessageKind.CYCLE_CLOSED,
            subject_type_id=_content_type(ReviewCycle),
            subject_id=cycle.pk,
            reason="closed",
            due_on=(cycle.closed_at.date() if cycle.closed_at else cycle.decision_due),
            cycle=cycle,
            context={"reason": cycle.closed_reason},
        )
        for user_id in recipients
    )
