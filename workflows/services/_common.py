"""What every lifecycle service shares: row locks, input checks, stored texts, and the one
way a step completes its viewflow task (``task_step``).

A step that completes a task runs under its process's row lock (the flow's
``select_for_update_lock``, with retries), in one transaction: find the open task, run the
service's checks and writes, then take the task for the actor and complete its activation,
which creates the next tasks. Anything refused rolls the whole step back. Two people
completing the same task queue on the lock; the second finds the step done and is told so
("Already done: ...", 409). A step service must not be called inside an outer transaction
on PostgreSQL: the lock's retry needs its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS, STATUS

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import Initiative, InitiativeStatus, User

from ..models import AnnualReport, LifecycleProcess

# Statuses from which nothing moves any more.
FINAL_STATUSES = (
    InitiativeStatus.REJECTED,
    InitiativeStatus.WITHDRAWN,
    InitiativeStatus.DISCONTINUED,
)
# Statuses whose initiatives take part in a new review cycle.
REVIEWED_STATUSES = (
    InitiativeStatus.MONITORED,
    InitiativeStatus.RECOGNISED,
    InitiativeStatus.COMMENDED,
)
OPEN_TASK_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


class StepBusy(WrongState):
    """The process stayed locked by someone else's step for the whole wait."""


# --- locks and checks -------------------------------------------------------------------------


def lock_initiative(initiative: Initiative | int) -> Initiative:
    """The initiative's row, locked until the transaction ends, read fresh."""
    pk = initiative.pk if isinstance(initiative, Initiative) else initiative
    return (
        Initiative.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=pk)
    )


def lock_report(report: AnnualReport) -> tuple[Initiative, AnnualReport]:
    """Lock the report's initiative, then read the report fresh under that lock."""
    initiative = lock_initiative(report.initiative_id)
    fresh = AnnualReport.objects.select_related(
        "cycle", "cycle__board", "cycle__board__unit", "evaluation_board"
    ).get(pk=report.pk)
    return initiative, fresh


def lock_initiatives(ids) -> list[Initiative]:
    """Lock initiatives in primary-key order, so concurrent steps cannot deadlock."""
    return list(
        Initiative.objects.select_for_update(of=("self",))
        .select_related("owner_unit", "phase")
        .filter(pk__in=list(ids))
        .order_by("pk")
    )


def required(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message)
    return value


def required_reason(reason: str | None) -> str:
    return required(reason, _("A reason is required."))


def require_not_final(initiative: Initiative) -> None:
    if initiative.status in FINAL_STATUSES:
        raise WrongState(_("This initiative was rejected or has ended; it cannot change any more."))


def require_monitored(initiative: Initiative) -> None:
    require_not_final(initiative)
    if initiative.status != InitiativeStatus.MONITORED:
        raise WrongState(_("This can only be done while the initiative is monitored."))


def stored_text(message_factory: Callable[[], Any]) -> str:
    """Text kept in the database (history reasons) is written in the site's language,
    whoever's language the request came in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message_factory())


# --- completing a task ------------------------------------------------------------------------


def _open_task(*, process_pk: int, node, actor: User) -> Task | None:
    tasks = Task.objects.filter(
        process_id=process_pk, flow_task=node, status__in=OPEN_TASK_STATUSES
    )
    if node.taker == "evaluator":
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


@contextmanager
def task_step(*, node, process: LifecycleProcess | None, actor: User) -> Iterator[None]:
    """Run the body (the service's checks and writes) and complete ``node``'s open task of
    ``process`` with it, in one transaction under the process's lock. With no process, the
    body still runs (so a refusal says why) and the step is refused."""
    if process is None:
        with transaction.atomic():
            yield
            raise WrongState(_("There is no open task for this step."))
    try:
        with node.flow_class.lock(process.pk):
            task = _open_task(process_pk=process.pk, node=node, actor=actor)
            yield
            if task is None:
                raise WrongState(_("There is no open task for this step."))
            _take_and_complete(actor=actor, task=task)
    except FlowLockFailed as exc:
        raise StepBusy(
            _("Someone else is completing this step right now; try again in a moment.")
        ) from exc


def adopt(find: Callable[[], LifecycleProcess | None], start: Callable[[], Any]):
    """Start a process for an object made outside the flows (imported data), once: a
    concurrent start loses on a unique constraint and reads the winner's process."""
    try:
        with transaction.atomic():
            start()
    except IntegrityError:
        pass
    return find()


def cancel_open_processes(initiative_id: int) -> None:
    """Cancel the initiative's open processes (it was withdrawn or discontinued)."""
    for process in LifecycleProcess.objects.filter(
        initiative_id=initiative_id, status=PROCESS.NEW
    ).order_by("pk"):
        process.flow_class.instance.cancel(process)


def lock_open_processes(initiative_id: int) -> None:
    """Lock the initiative's open processes before the initiative, as a task step does."""
    list(
        LifecycleProcess.objects.filter(initiative_id=initiative_id, status=PROCESS.NEW)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
