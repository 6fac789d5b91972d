"""Lifecycle events → notices in the outbox (``notifications.services.notices``).

Each handler runs after the event's transaction committed and writes idempotently, so the
retry of a failed handler (``core.events``) or the scan's catch-up never notifies twice.
"""

from __future__ import annotations

from core.events import handles
from workflows import events as ev
from workflows.flows import AnnualReviewFlow, NominationFlow, RecognitionFlow, RegistrationFlow
from workflows.models import (
    AnnualReport,
    LifecycleProcess,
    MonitoringVisit,
    ProcessKind,
    ProgressReport,
)

from .services import notices
from .services.outbox import cycle_opened_notify, notify_decision_issued

STATUS_SOURCES = {
    ev.InitiativeAccepted: "initiative_accept",
    ev.InitiativeReturned: "initiative_return",
    ev.InitiativeRejected: "initiative_reject",
    ev.InitiativeWithdrawn: "initiative_withdraw",
    ev.InitiativeDiscontinued: "initiative_discontinue",
}


@handles(*STATUS_SOURCES)
def status_changed(event) -> None:
    notices.initiative_status_notify(
        initiative_id=event.initiative_id, source=STATUS_SOURCES[type(event)], event=event.name
    )


@handles(ev.InitiativeDecided)
def decided(event: ev.InitiativeDecided) -> None:
    if event.recognise:
        # The clerk of the board's unit now has a recognition decision to issue.
        processes = LifecycleProcess.objects.filter(
            kind=ProcessKind.RECOGNITION,
            cycle__annual_reports__pk=event.report_id,
        )
        notices.tasks_waiting_notify(
            tasks=notices.open_tasks(processes=processes, node=RecognitionFlow.recognition_decision)
        )
    else:
        notices.initiative_status_notify(
            initiative_id=event.initiative_id, source="initiative_decide", event=event.name
        )


@handles(ev.InitiativeRegistered, ev.InitiativeResubmitted)
def registration_waiting(event) -> None:
    processes = LifecycleProcess.objects.filter(
        kind=ProcessKind.REGISTRATION, initiative_id=event.initiative_id
    )
    notices.tasks_waiting_notify(
        tasks=notices.open_tasks(processes=processes, node=RegistrationFlow.review)
    )


@handles(ev.ProgressReportSubmitted)
def progress_reported(event: ev.ProgressReportSubmitted) -> None:
    report = ProgressReport.objects.get(pk=event.report_id)
    notices.initiative_update_notify(
        event=event.name, record=report, initiative_id=event.initiative_id
    )


@handles(ev.MonitoringVisitRecorded)
def visit_recorded(event: ev.MonitoringVisitRecorded) -> None:
    visit = MonitoringVisit.objects.get(pk=event.visit_id)
    notices.initiative_update_notify(
        event=event.name, record=visit, initiative_id=event.initiative_id
    )


@handles(ev.EvaluationEscalated)
def evaluation_escalated(event: ev.EvaluationEscalated) -> None:
    report = AnnualReport.objects.select_related("cycle__board", "evaluation_board").get(
        pk=event.report_id
    )
    notices.initiative_update_notify(
        event=event.name, record=report, initiative_id=event.initiative_id
    )


def _review_tasks(report_id: int, node) -> list:
    processes = LifecycleProcess.objects.filter(annual_report_id=report_id)
    return notices.open_tasks(processes=processes, node=node)


@handles(ev.EvaluationTasksCreated)
def evaluations_waiting(event: ev.EvaluationTasksCreated) -> None:
    tasks = [
        task
        for task in _review_tasks(event.report_id, AnnualReviewFlow.evaluate)
        if task.owner_id in set(event.evaluator_ids)
    ]
    notices.tasks_waiting_notify(tasks=tasks)


@handles(ev.EvaluationSubmitted)
def evaluation_submitted(event: ev.EvaluationSubmitted) -> None:
    if event.quorum_reached:
        # The secretary may now close the evaluation.
        notices.tasks_waiting_notify(
            tasks=_review_tasks(event.report_id, AnnualReviewFlow.close), reason="ready"
        )


@handles(ev.EvaluationClosed)
def evaluation_closed(event: ev.EvaluationClosed) -> None:
    notices.tasks_waiting_notify(tasks=_review_tasks(event.report_id, AnnualReviewFlow.decide))


@handles(ev.NominationSubmitted)
def nomination_submitted(event: ev.NominationSubmitted) -> None:
    processes = LifecycleProcess.objects.filter(nomination_id=event.nomination_id)
    notices.tasks_waiting_notify(
        tasks=notices.open_tasks(processes=processes, node=NominationFlow.commend)
    )


@handles(ev.DecisionIssued)
def decision_issued(event: ev.DecisionIssued) -> None:
    from documents.models import Decision

    decision = Decision.objects.filter(pk=event.decision_id).first()
    if decision is not None:
        notify_decision_issued(decision)
    if event.nomination_id is not None:
        notices.nomination_decided_notify(
            nomination_id=event.nomination_id, decision_id=event.decision_id
        )


@handles(ev.CycleOpened)
def cycle_opened(event: ev.CycleOpened) -> None:
    from core.models import ReviewCycle

    cycle = ReviewCycle.objects.filter(pk=event.cycle_id).first()
    if cycle is not None:
        cycle_opened_notify(cycle=cycle)


@handles(ev.CycleClosed)
def cycle_closed(event: ev.CycleClosed) -> None:
    notices.cycle_closed_notify(cycle_id=event.cycle_id)
