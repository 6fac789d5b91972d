"""The one place that completes the lifecycle's viewflow tasks, for the REST API and the web
task views alike.

A step runs under its process's row lock (the flow's ``select_for_update_lock``), in one
transaction: find the open task, run the service (which checks the state and the actor's
role and explains a refusal with its own domain error), then take the task for the actor and
complete its activation, which creates the next tasks. Anything refused rolls the whole step
back. Two people completing the same task queue on the lock; the second one finds the step
done and is told so by the service ("Already done: ...", 409).

Steps 6 and 8 (the recognition and commendation decisions) take their ``perform`` callable
from the caller, which issues the numbered decision (``documents``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from core.errors import NotAllowed, WrongState
from core.models import (
    Field,
    Initiative,
    InitiativeStatus,
    IssuingBody,
    Phase,
    ReviewCycle,
    SteeringBoard,
    Unit,
    User,
)
from documents.models import Decision

from . import services
from .flows import (
    AnnualReviewFlow,
    NominationFlow,
    RecognitionFlow,
    RegistrationFlow,
)
from .models import (
    AnnualReport,
    AnnualReportStatus,
    Evaluation,
    LifecycleProcess,
    Nomination,
    NominationStatus,
    ProcessKind,
)

T = TypeVar("T")

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


class StepBusy(WrongState):
    """The process stayed locked by someone else's step for the whole wait."""


# --- the core: complete one task ------------------------------------------------------------


def _open_task(*, process_pk: int, node, actor: User) -> Task | None:
    tasks = Task.objects.filter(process_id=process_pk, flow_task=node, status__in=OPEN_STATUSES)
    if node is AnnualReviewFlow.evaluate:
        tasks = tasks.filter(owner=actor)
    return tasks.order_by("pk").first()


def _take_and_complete(*, actor: User, task: Task) -> None:
    """Assign the task to the actor if it waits in a queue, then complete it: viewflow
    creates the next tasks."""
    node = task.flow_task
    activation = node.activation_class(task)
    if task.status == STATUS.NEW:
        if not node.can_assign(actor, task):
            raise NotAllowed(_("You may not take this task."))
        activation.assign(actor)
    elif task.owner_id != actor.pk:
        raise WrongState(_("%(name)s has already taken this task.") % {"name": task.owner or "?"})
    if not node.can_execute(actor, task):
        raise NotAllowed(_("You may not take this task."))
    activation.start(None)
    activation.execute()


def _busy_message() -> str:
    return _("Someone else is completing this step right now; try again in a moment.")


def _run_step(
    *, actor: User, node, process: LifecycleProcess | None, perform: Callable[[], T]
) -> T:
    """Run ``perform`` (the service) and complete ``node``'s open task of ``process``."""
    if process is None:
        # No process to complete a task in: the service explains why the step is refused.
        with transaction.atomic():
            perform()
            raise WrongState(_("There is no open task for this step."))
    try:
        with node.flow_class.lock(process.pk):
            task = _open_task(process_pk=process.pk, node=node, actor=actor)
            result = perform()
            if task is None:
                raise WrongState(_("There is no open task for this step."))
            _take_and_complete(actor=actor, task=task)
            return result
    except FlowLockFailed as exc:
        raise StepBusy(_busy_message()) from exc


def task_complete(*, actor: User, task: Task, perform: Callable[[], T]) -> T:
    """Complete a task the caller already holds (a web task page): ``perform`` is the
    service call with the form's data."""
    node = task.flow_task
    try:
        with node.flow_class.lock(task.process_id):
            task.refresh_from_db()
            if task.status not in OPEN_STATUSES:
                raise WrongState(_("Already done: this task has already been completed."))
            result = perform()
            _take_and_complete(actor=actor, task=task)
            return result
    except FlowLockFailed as exc:
        raise StepBusy(_busy_message()) from exc


def _adopt(find: Callable[[], LifecycleProcess | None], start: Callable[[], Any]):
    """Start a process for an object made outside the flows (imported data), once: a
    concurrent start loses on a unique constraint and reads the winner's process."""
    try:
        with transaction.atomic():
            start()
    except IntegrityError:
        pass
    return find()


# --- registration ---------------------------------------------------------------------------


def registration_process(initiative: Initiative) -> LifecycleProcess | None:
    """The initiative's registration process; started for a registered or returned
    initiative that has none (imported)."""

    def find():
        return LifecycleProcess.objects.filter(
            kind=ProcessKind.REGISTRATION, initiative_id=initiative.pk
        ).first()

    process = find()
    if process is None and initiative.status in (
        InitiativeStatus.REGISTERED,
        InitiativeStatus.RETURNED,
    ):
        process = _adopt(find, lambda: RegistrationFlow.start.run(initiative=initiative))
    return process


def initiative_register(
    *,
    actor: User,
    unit: Unit,
    title: str,
    kind: str,
    fields: Sequence[Field],
    phase: Phase,
    registered_on: dt.date | None = None,
    owner_name: str = "",
    description: str = "",
    goals: str = "",
) -> Initiative:
    """Register an initiative and put its review in the responsible secretary's queue."""
    with transaction.atomic():
        initiative = services.initiative_register(
            actor=actor,
            unit=unit,
            title=title,
            kind=kind,
            fields=fields,
            phase=phase,
            registered_on=registered_on,
            owner_name=owner_name,
            description=description,
            goals=goals,
        )
        RegistrationFlow.start.run(initiative=initiative)
    return initiative


def _review_step(actor: User, initiative: Initiative, perform: Callable[[], T]) -> T:
    return _run_step(
        actor=actor,
        node=RegistrationFlow.review,
        process=registration_process(initiative),
        perform=perform,
    )


def initiative_accept(*, actor: User, initiative: Initiative, reason: str = "") -> Initiative:
    return _review_step(
        actor,
        initiative,
        lambda: services.initiative_accept(actor=actor, initiative=initiative, reason=reason),
    )


def initiative_return(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    return _review_step(
        actor,
        initiative,
        lambda: services.initiative_return(actor=actor, initiative=initiative, reason=reason),
    )


def initiative_reject(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    return _review_step(
        actor,
        initiative,
        lambda: services.initiative_reject(actor=actor, initiative=initiative, reason=reason),
    )


def initiative_resubmit(*, actor: User, initiative: Initiative, **changes: Any) -> Initiative:
    """The owner's official edits a returned initiative and sends it back to review;
    ``changes`` are ``services.initiative_resubmit``'s optional arguments."""
    return _run_step(
        actor=actor,
        node=RegistrationFlow.resubmit,
        process=registration_process(initiative),
        perform=lambda: services.initiative_resubmit(actor=actor, initiative=initiative, **changes),
    )


def _end_initiative(service, *, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """Withdraw or discontinue, and cancel the initiative's open processes with it. The
    processes are locked before the initiative, as a task step does."""
    with transaction.atomic():
        list(
            LifecycleProcess.objects.filter(initiative_id=initiative.pk, status=PROCESS.NEW)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        ended = service(actor=actor, initiative=initiative, reason=reason)
        for process in LifecycleProcess.objects.filter(
            initiative_id=initiative.pk, status=PROCESS.NEW
        ).order_by("pk"):
            process.flow_class.instance.cancel(process)
    return ended


def initiative_withdraw(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    return _end_initiative(
        services.initiative_withdraw, actor=actor, initiative=initiative, reason=reason
    )


def initiative_discontinue(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    return _end_initiative(
        services.initiative_discontinue, actor=actor, initiative=initiative, reason=reason
    )


# --- annual review ----------------------------------------------------------------------------


def review_process(report: AnnualReport) -> LifecycleProcess | None:
    """The report's annual-review process; started at the report's current step for a
    report that has none (made outside the flows)."""

    def find():
        return LifecycleProcess.objects.filter(annual_report_id=report.pk).first()

    process = find()
    if process is None and report.status != AnnualReportStatus.DECIDED:
        process = _adopt(find, lambda: AnnualReviewFlow.adopt.run(report=report))
    return process


def _review_case_step(actor: User, node, report: AnnualReport, perform: Callable[[], T]) -> T:
    return _run_step(actor=actor, node=node, process=review_process(report), perform=perform)


def annual_report_submit(*, actor: User, report: AnnualReport, text: str) -> AnnualReport:
    return _review_case_step(
        actor,
        AnnualReviewFlow.report,
        report,
        lambda: services.annual_report_submit(actor=actor, report=report, text=text),
    )


def evaluation_submit(
    *, actor: User, report: AnnualReport, scores: Mapping[str, Any], comment: str = ""
) -> Evaluation:
    return _review_case_step(
        actor,
        AnnualReviewFlow.evaluate,
        report,
        lambda: services.evaluation_submit(
            actor=actor, report=report, scores=scores, comment=comment
        ),
    )


def evaluation_close(*, actor: User, report: AnnualReport) -> AnnualReport:
    return _review_case_step(
        actor,
        AnnualReviewFlow.close,
        report,
        lambda: services.evaluation_close(actor=actor, report=report),
    )


def initiative_decide(*, actor: User, report: AnnualReport, recognise: bool) -> AnnualReport:
    return _review_case_step(
        actor,
        AnnualReviewFlow.decide,
        report,
        lambda: services.initiative_decide(actor=actor, report=report, recognise=recognise),
    )


def recognition_process(cycle: ReviewCycle) -> LifecycleProcess | None:
    """The cycle's open recognition process (its ``recognition_decision`` task waits for
    the clerk), if the chair has recognised an initiative not yet in a decision."""
    return LifecycleProcess.objects.filter(
        kind=ProcessKind.RECOGNITION, cycle_id=cycle.pk, status=PROCESS.NEW
    ).first()


def recognition_decision_complete(
    *, actor: User, cycle: ReviewCycle, perform: Callable[[], T]
) -> T:
    """Step 6: ``perform`` issues the cycle's recognition decision (``documents``); the
    clerk's ``recognition_decision`` task completes with it."""
    return _run_step(
        actor=actor,
        node=RecognitionFlow.recognition_decision,
        process=recognition_process(cycle),
        perform=perform,
    )


# --- nominations ------------------------------------------------------------------------------


def nomination_create(
    *,
    actor: User,
    board: SteeringBoard,
    awarding_body: IssuingBody,
    items: Sequence[Initiative],
    citation: str,
    cycle: ReviewCycle | None = None,
) -> Nomination:
    """Propose recipients upward; the awarding body's clerk gets the ``commend`` task."""
    with transaction.atomic():
        nomination = services.nomination_create(
            actor=actor,
            board=board,
            awarding_body=awarding_body,
            items=items,
            citation=citation,
            cycle=cycle,
        )
        NominationFlow.start.run(nomination=nomination)
    return nomination


def nomination_commend_complete(
    *, actor: User, nomination: Nomination, perform: Callable[[], T]
) -> T:
    """Step 8: ``perform`` issues the commendation decision (``documents``); the awarding
    body clerk's ``commend`` task completes with it."""
    process = LifecycleProcess.objects.filter(nomination_id=nomination.pk).first()
    return _run_step(actor=actor, node=NominationFlow.commend, process=process, perform=perform)


# --- decisions (steps 6 and 8) ----------------------------------------------------------------


def recognition_decision_issue(*, actor: User, cycle: ReviewCycle, **options: Any) -> Decision:
    """Issue the cycle's recognition decision and complete the clerk's
    ``recognition_decision`` task; ``options`` are the service's optional arguments."""
    return recognition_decision_complete(
        actor=actor,
        cycle=cycle,
        perform=lambda: services.recognition_decision_issue(actor=actor, cycle=cycle, **options),
    )


def nomination_process(nomination: Nomination) -> LifecycleProcess | None:
    """The nomination's process; started for a submitted nomination that has none (made
    outside the flows)."""

    def find():
        return LifecycleProcess.objects.filter(nomination_id=nomination.pk).first()

    process = find()
    if process is None and nomination.status == NominationStatus.SUBMITTED:
        process = _adopt(find, lambda: NominationFlow.start.run(nomination=nomination))
    return process


def nomination_commend(*, actor: User, nomination: Nomination, **options: Any) -> Decision:
    """Issue the nomination's commendation decision and complete the awarding clerk's
    ``commend`` task; ``options`` are the service's arguments (``award``...)."""
    nomination_process(nomination)
    return nomination_commend_complete(
        actor=actor,
        nomination=nomination,
        perform=lambda: services.nomination_commend(actor=actor, nomination=nomination, **options),
    )
