"""The lifecycle's viewflow flows: every human step is a task in the queue of those who may
take it, and is defined once, here.

A step's declaration (a ``Step`` node) says who may take it, its title and what completing it
does, its web input (a ``StepForm`` that calls the step's one service), the API calls that
complete it and when it is due; the web task page, the API's task ``actions``, the queues,
the digest and the notices are derived from it. The work is done by the step's service in
``workflows.services``, which checks, writes and completes the task; who may take a task is
``workflows.takers``, never Django model permissions.

- ``RegistrationFlow``, one process per initiative: review by the secretary of the
  responsible board; a returned registration goes back to the owner's officials to resubmit.
- ``AnnualReviewFlow``, one process per annual report: the owner's officials report, each
  member of the evaluating board who is not recused evaluates (one task each), the secretary
  closes the evaluation, the chair decides. ``cycle_open`` writes the processes and their
  first task in bulk (``annual_reviews_start``), as ``start`` would have one by one.
- ``RecognitionFlow``, one process per review cycle and recognition decision: the clerk of
  the board's unit issues the decision for the initiatives the chair recognised.
- ``NominationFlow``, one process per nomination: the clerk of the awarding body's unit
  issues the commendation decision.

Every flow locks its process row (``select_for_update_lock``) while a task completes, so two
people completing the same task queue on that lock and the second finds it done.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.fields import get_flow_ref, get_task_ref
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from core.models import InitiativeStatus, ReviewCycle, User

from . import services
from .models import (
    AnnualReport,
    AnnualReportStatus,
    LifecycleProcess,
    Nomination,
    ProcessKind,
)
from .nodes import FanOut, Step
from .takers import Taker
from .web import forms

# --- flows ------------------------------------------------------------------------------------


class RegistrationFlow(flow.Flow):
    process_class = LifecycleProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Registration of an initiative")
    process_description = _(
        "The responsible board's secretary accepts, returns or rejects a registration; a "
        "returned one goes back to the owner to edit and resubmit."
    )

    start = flow.StartHandle(this.start_process).Next(this.route)
    route = (
        flow.Switch()
        .Case(this.review, this.is_registered)
        .Case(this.resubmit, this.is_returned)
        .Default(this.end)
    )
    review = (
        Step(
            Taker.RESPONSIBLE_SECRETARY,
            form=forms.ReviewForm,
            api=("api:initiative-accept", "api:initiative-return", "api:initiative-reject"),
        )
        .Annotation(
            title=_("Review a registration"),
            description=_(
                "Accepting puts the initiative under monitoring (status “monitored”). "
                "Returning sends it back to the owner unit's official with your reason, to edit "
                "and resubmit. Rejecting ends it for good."
            ),
        )
        .Next(this.route)
    )
    resubmit = (
        Step(Taker.OWNER_OFFICIAL, form=forms.ResubmitForm, api=("api:initiative-resubmit",))
        .Annotation(
            title=_("Edit and resubmit a returned registration"),
            description=_(
                "Your changes are saved and the registration goes back to the board "
                "secretary's queue for review."
            ),
        )
        .Next(this.route)
    )
    end = flow.End()

    def start_process(self, activation, initiative):
        process = activation.process
        process.kind = ProcessKind.REGISTRATION
        process.initiative = initiative
        process.unit_id = initiative.owner_unit_id
        process.artifact = initiative
        return process

    def is_registered(self, activation) -> bool:
        return _initiative_status(activation) == InitiativeStatus.REGISTERED

    def is_returned(self, activation) -> bool:
        return _initiative_status(activation) == InitiativeStatus.RETURNED


class AnnualReviewFlow(flow.Flow):
    process_class = LifecycleProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Annual review of an initiative")
    process_description = _(
        "The owner reports; the board's members who are not recused evaluate; the secretary "
        "closes the evaluation; the chair decides whether to recognise."
    )

    # cycle_open writes what ``start`` writes, in bulk (annual_reviews_start).
    start = flow.StartHandle(this.start_process).Next(this.report)
    # A report made outside the flows (imported, or older than them) joins at its step.
    adopt = flow.StartHandle(this.start_process).Next(this.resume)
    resume = (
        flow.Switch()
        .Case(this.report, this.is_pending)
        .Case(this.evaluation, this.is_submitted)
        .Case(this.decide, this.is_closed)
        .Default(this.end)
    )
    report = (
        Step(
            Taker.OWNER_OFFICIAL,
            form=forms.AnnualReportForm,
            api=("api:initiative-reports",),
            due="report_due",
        )
        .Annotation(
            title=_("Submit the annual report"),
            description=_(
                "The report is sent to the board: each board member who is not recused gets "
                "a task to evaluate it."
            ),
        )
        .Next(this.evaluation)
    )
    evaluation = (
        FanOut()
        .Annotation(title=_("Evaluation by the board"))
        .Next(this.evaluate, data_source=this.evaluators)
        .Next(this.close)
    )
    evaluate = (
        Step(
            Taker.EVALUATOR,
            form=forms.EvaluationForm,
            api=("api:initiative-evaluations",),
            due="evaluation_due",
        )
        .Annotation(
            title=_("Evaluate an annual report"),
            description=_(
                "Your scores are saved (the weighted score is computed from the weights below) "
                "and count towards the initiative's result. You cannot change them afterwards."
            ),
        )
        .Assign(this.evaluator_of)
        .Next(this.scored)
    )
    scored = flow.End()
    close = (
        Step(
            Taker.CYCLE_SECRETARY,
            form=forms.CloseEvaluationForm,
            api=("api:initiative-close-evaluation",),
            due="evaluation_due",
        )
        .Annotation(
            title=_("Close the evaluation"),
            description=_(
                "The result becomes the mean of the submitted weighted scores; the initiative "
                "becomes “evaluated” and the chair gets the decision. Evaluations not yet "
                "submitted are cancelled."
            ),
        )
        .Next(this.drop_open_evaluations)
    )
    drop_open_evaluations = flow.Function(this.cancel_open_evaluations).Next(this.decide)
    decide = (
        Step(
            Taker.CYCLE_CHAIR,
            form=forms.DecideForm,
            api=("api:initiative-decide",),
            due="decision_due",
        )
        .Annotation(
            title=_("Decide on recognition"),
            description=_(
                "Recognised initiatives go into the cycle's recognition decision, issued by the "
                "clerk. Not recognised ones go back to monitoring."
            ),
        )
        .Next(this.is_recognised)
    )
    is_recognised = flow.If(this.recognised).Then(this.to_recognition).Else(this.end)
    to_recognition = flow.Function(this.queue_for_recognition).Next(this.end)
    end = flow.End()

    def start_process(self, activation, report: AnnualReport):
        process = activation.process
        process.kind = ProcessKind.ANNUAL_REVIEW
        process.annual_report = report
        process.initiative_id = report.initiative_id
        process.cycle_id = report.cycle_id
        process.unit_id = report.initiative.owner_unit_id
        process.artifact = report
        return process

    def is_pending(self, activation) -> bool:
        return _report(activation).status == AnnualReportStatus.PENDING

    def is_submitted(self, activation) -> bool:
        return _report(activation).status == AnnualReportStatus.SUBMITTED

    def is_closed(self, activation) -> bool:
        return _report(activation).status == AnnualReportStatus.EVALUATION_CLOSED

    def evaluators(self, activation) -> list[dict[str, int]]:
        """One evaluation task per member of the evaluating board who may evaluate and has
        not scored."""
        return [{"evaluator": pk} for pk in services.evaluation_assign(report=_report(activation))]

    def evaluator_of(self, activation) -> User | None:
        return User.objects.filter(pk=activation.task.data.get("evaluator")).first()

    def cancel_open_evaluations(self, activation) -> None:
        """Closing the evaluation takes the remaining evaluation tasks off the queues."""
        open_tasks = activation.process.task_set.filter(
            flow_task=self.evaluate, status__in=[STATUS.NEW, STATUS.ASSIGNED]
        )
        for task in open_tasks:
            self.evaluate.activation_class(task).cancel()

    def recognised(self, activation) -> bool:
        return bool(_report(activation).recognise)

    def queue_for_recognition(self, activation) -> None:
        recognition_open(cycle_id=activation.process.cycle_id)


class RecognitionFlow(flow.Flow):
    process_class = LifecycleProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Recognition decision")
    process_description = _(
        "The clerk of the board's unit issues one numbered decision recognising the "
        "initiatives the chair chose in the review cycle."
    )

    start = flow.StartHandle(this.start_process).Next(this.recognition_decision)
    recognition_decision = (
        Step(
            Taker.BOARD_CLERK,
            form=forms.RecognitionDecisionForm,
            api=("api:decision-list",),
        )
        .Annotation(
            title=_("Issue the recognition decision"),
            description=_(
                "One numbered decision recognises every initiative listed below; they become "
                "“recognised” and their boards can propose them for commendation. The number "
                "is given when you issue it and is never reused."
            ),
        )
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation, cycle: ReviewCycle):
        process = activation.process
        process.kind = ProcessKind.RECOGNITION
        process.cycle = cycle
        process.unit_id = cycle.board.unit_id
        process.artifact = cycle
        return process


class NominationFlow(flow.Flow):
    process_class = LifecycleProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Nomination for commendation")
    process_description = _(
        "The clerk of the awarding body's unit approves all or some of the nominated "
        "recipients in one numbered commendation decision."
    )

    start = flow.StartHandle(this.start_process).Next(this.commend)
    commend = (
        Step(Taker.AWARDING_CLERK, form=forms.CommendForm, api=("api:decision-list",))
        .Annotation(
            title=_("Issue the commendation decision"),
            description=_(
                "One numbered commendation decision with the award you choose is issued for "
                "the recipients you tick; their initiatives become “commended”, and "
                "certificates are made for a certificate of merit or of commendation. Unticked "
                "recipients are refused."
            ),
        )
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation, nomination: Nomination):
        process = activation.process
        process.kind = ProcessKind.NOMINATION
        process.nomination = nomination
        process.cycle_id = nomination.cycle_id
        process.unit_id = nomination.board.unit_id
        process.artifact = nomination
        return process


FLOWS = (RegistrationFlow, AnnualReviewFlow, RecognitionFlow, NominationFlow)


def _initiative_status(activation) -> str:
    # Read fresh: the service that completed the task changed it in this transaction.
    return (
        LifecycleProcess.objects.filter(pk=activation.process.pk)
        .values_list("initiative__status", flat=True)
        .get()
    )


def _report(activation) -> AnnualReport:
    return AnnualReport.objects.select_related("initiative", "cycle").get(
        process__pk=activation.process.pk
    )


# --- starting processes -----------------------------------------------------------------------


def recognition_open(*, cycle_id: int) -> LifecycleProcess:
    """The cycle's open recognition process, started when the first initiative of the
    cycle is recognised (again after a decision was issued, for later recognitions)."""
    cycle = (
        ReviewCycle.objects.select_for_update(of=("self",)).select_related("board").get(pk=cycle_id)
    )
    existing = LifecycleProcess.objects.filter(
        kind=ProcessKind.RECOGNITION, cycle=cycle, status=PROCESS.NEW
    ).first()
    if existing is not None:
        return existing
    return RecognitionFlow.start.run(cycle=cycle)


def annual_reviews_start(*, cycle: ReviewCycle, now: dt.datetime | None = None) -> int:
    """Start ``AnnualReviewFlow`` for every report of ``cycle`` that has no process yet, in
    bulk: the rows ``AnnualReviewFlow.start.run`` writes one by one (the process, its done
    ``start`` task, the ``report`` task waiting in the owner's queue, the link between the
    two tasks), each written by one ``INSERT ... SELECT``. Returns the processes started.

    The report's id travels in the process's ``artifact_object_id`` (viewflow's artifact is
    the report, as for a process started one by one) and is the key that ties the rows.
    """
    now = now or timezone.now()
    qn = connection.ops.quote_name
    dt_value = connection.ops.adapt_datetimefield_value(now)
    flow_ref = get_flow_ref(AnnualReviewFlow)
    start_ref = get_task_ref(AnnualReviewFlow.start)
    report_ref = get_task_ref(AnnualReviewFlow.report)
    report_ct = ContentType.objects.get_for_model(AnnualReport).pk
    process_table = qn(Process._meta.db_table)
    lifecycle_table = qn(LifecycleProcess._meta.db_table)
    task_table = qn(Task._meta.db_table)
    previous_table = qn(Task.previous.through._meta.db_table)
    report_table = qn(AnnualReport._meta.db_table)
    initiative_table = qn(AnnualReport._meta.get_field("initiative").related_model._meta.db_table)

    # The cycle's processes, found again through the artifact index after the first insert.
    new_processes = (
        f"SELECT p.id AS process_id, p.artifact_object_id AS report_id FROM {process_table} p "
        f"WHERE p.flow_class = %s AND p.artifact_content_type_id = %s AND p.created = %s "
        f"AND p.artifact_object_id IN (SELECT r.id FROM {report_table} r WHERE r.cycle_id = %s)"
    )
    new_params = [flow_ref, report_ct, dt_value, cycle.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {process_table} (flow_class, status, created, data, "
            f"artifact_content_type_id, artifact_object_id) "
            f"SELECT %s, %s, %s, '{{}}', %s, r.id FROM {report_table} r "
            f"WHERE r.cycle_id = %s AND NOT EXISTS (SELECT 1 FROM {lifecycle_table} l "
            f"WHERE l.annual_report_id = r.id)",
            [flow_ref, PROCESS.NEW.value, dt_value, report_ct, cycle.pk],
        )
        started = cursor.rowcount
        if not started:
            return 0
        cursor.execute(
            f"INSERT INTO {lifecycle_table} (process_ptr_id, kind, unit_id, initiative_id, "
            f"annual_report_id, cycle_id) "
            f"SELECT n.process_id, %s, i.owner_unit_id, r.initiative_id, r.id, r.cycle_id "
            f"FROM ({new_processes}) n JOIN {report_table} r ON r.id = n.report_id "
            f"JOIN {initiative_table} i ON i.id = r.initiative_id",
            [ProcessKind.ANNUAL_REVIEW.value, *new_params],
        )
        task_columns = (
            "process_id, flow_task, flow_task_type, status, created, started, finished, "
            "token, data, owner_permission"
        )
        cursor.execute(
            f"INSERT INTO {task_table} ({task_columns}) "
            f"SELECT n.process_id, %s, %s, %s, %s, %s, %s, %s, '{{}}', NULL "
            f"FROM ({new_processes}) n",
            [start_ref, "START", STATUS.DONE.value, dt_value, dt_value, dt_value, "start"]
            + new_params,
        )
        cursor.execute(
            f"INSERT INTO {task_table} ({task_columns}) "
            f"SELECT n.process_id, %s, %s, %s, %s, NULL, NULL, %s, '{{}}', %s "
            f"FROM ({new_processes}) n",
            [
                report_ref,
                "HUMAN",
                STATUS.NEW.value,
                dt_value,
                "start",
                Taker.permission(Taker.OWNER_OFFICIAL),
            ]
            + new_params,
        )
        # report.previous = [start]
        cursor.execute(
            f"INSERT INTO {previous_table} (from_task_id, to_task_id) "
            f"SELECT r.id, s.id FROM ({new_processes}) n "
            f"JOIN {task_table} s ON s.process_id = n.process_id AND s.flow_task = %s "
            f"JOIN {task_table} r ON r.process_id = n.process_id AND r.flow_task = %s",
            [*new_params, start_ref, report_ref],
        )
        if connection.vendor == "postgresql" and started > 5000:
            # Fresh statistics, so the queues are planned for the tables' real size.
            for table in (process_table, lifecycle_table, task_table, previous_table):
                cursor.execute(f"ANALYZE {table}")
    return started
