"""The yearly review of an initiative: the owner reports; the members of the evaluating board
who are not recused score it (one task each); the cycle's secretary closes the evaluation;
the chair decides whether to recognise.

Who evaluates is settled when the report is submitted (``evaluation_assign``): the cycle's
board, or, when fewer of its members than its quorum may evaluate, the nearest board above
that has enough, which the initiative's history records. Members joining or leaving that
board later get or lose their tasks (``evaluation_tasks_sync``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.token import Token

from core.errors import InvalidInput, NotAllowed, WrongState
from core.events import emit_on_commit
from core.models import (
    Criterion,
    CycleStatus,
    InitiativeStatus,
    SteeringBoard,
    User,
)
from core.services import initiative_record_status

from .. import events, flows, takers
from ..models import AnnualReport, AnnualReportStatus, Evaluation, LifecycleProcess
from ._common import (
    OPEN_TASK_STATUSES,
    adopt,
    lock_report,
    require_monitored,
    required,
    stored_text,
    task_step,
)

TWO_PLACES = Decimal("0.01")


def review_process(report: AnnualReport) -> LifecycleProcess | None:
    """The report's annual-review process; started at the report's current step for a
    report that has none (made outside the flows)."""

    def find():
        return LifecycleProcess.objects.filter(annual_report_id=report.pk).first()

    process = find()
    if process is None and report.status != AnnualReportStatus.DECIDED:
        process = adopt(find, lambda: flows.AnnualReviewFlow.adopt.run(report=report))
    return process


def _step(node, report: AnnualReport, actor: User):
    return task_step(node=node, process=review_process(report), actor=actor)


def annual_report_submit(*, actor: User, report: AnnualReport, text: str) -> AnnualReport:
    """The owner submits the annual report (after the due date too: it is recorded); each
    member of the evaluating board who is not recused gets a task to evaluate it."""
    with _step(flows.AnnualReviewFlow.report, report, actor):
        initiative, locked = lock_report(report)
        takers.require(
            takers.Taker.OWNER_OFFICIAL,
            actor,
            takers.Subject(unit_path=initiative.owner_unit.path),
        )
        if locked.status != AnnualReportStatus.PENDING:
            raise WrongState(_("Already done: this annual report has already been submitted."))
        if locked.cycle.status != CycleStatus.OPEN:
            raise WrongState(_("The review cycle is not open."))
        require_monitored(initiative)
        text = required(text, _("The text is required."))
        now = timezone.now()
        locked.text = text
        locked.status = AnnualReportStatus.SUBMITTED
        locked.submitted_by = actor
        locked.submitted_at = now
        locked.submitted_late = timezone.localdate(now) > locked.due_on
        locked.save(
            update_fields=["text", "status", "submitted_by", "submitted_at", "submitted_late"]
        )
    return locked


def evaluation_assign(*, report: AnnualReport) -> list[int]:
    """Settle who evaluates a submitted report (the flow's fan-out calls this): the cycle's
    board or the nearest board above with enough members who may; returns the members who
    still have to score it, one task each. Runs inside the submitting step."""
    report = AnnualReport.objects.select_related(
        "initiative", "initiative__owner_unit", "cycle__board__unit"
    ).get(pk=report.pk)
    initiative, cycle_board = report.initiative, report.cycle.board
    chosen = takers.evaluating_board(cycle_board=cycle_board, initiative=initiative)
    report.evaluation_board = chosen.board
    report.evaluations_required = chosen.required
    report.save(update_fields=["evaluation_board", "evaluations_required"])
    if chosen.board.pk != cycle_board.pk:
        reason = stored_text(
            lambda: (
                _(
                    "Evaluation passed to %(board)s: only %(eligible)s of the members of %(cycle_board)s "
                    "may evaluate this initiative (quorum %(quorum)s)."
                )
                % {
                    "board": chosen.board.name,
                    "eligible": len(
                        takers.eligible_evaluators(board=cycle_board, initiative=initiative)
                    ),
                    "cycle_board": cycle_board.name,
                    "quorum": cycle_board.quorum,
                }
            )
        )
        initiative_record_status(
            initiative=initiative,
            to_status=initiative.status,
            actor=None,
            reason=reason,
            source="evaluation_escalate",
        )
        emit_on_commit(
            events.EvaluationEscalated(
                report_id=report.pk,
                initiative_id=initiative.pk,
                from_board_id=cycle_board.pk,
                to_board_id=chosen.board.pk,
            )
        )
    scored = set(
        Evaluation.objects.filter(annual_report=report).values_list("evaluator_id", flat=True)
    )
    evaluators = sorted(chosen.evaluators - scored)
    if evaluators:
        emit_on_commit(
            events.EvaluationTasksCreated(report_id=report.pk, evaluator_ids=tuple(evaluators))
        )
    return evaluators


def _evaluating_board(report: AnnualReport) -> SteeringBoard:
    return report.evaluation_board or report.cycle.board


def _score(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def weighted_total(
    criteria: Sequence[Criterion], scores: Mapping[str, Any]
) -> tuple[Decimal, dict[str, int | float]]:
    """Check scores against the rubric; return the 0-100 weighted score and the scores as
    stored (JSON numbers). Σ weight·score/max ÷ Σ weight × 100, two places."""
    if not isinstance(scores, Mapping):
        raise InvalidInput(_("Scores are missing for: %(codes)s.") % {"codes": ""})
    codes = [criterion.code for criterion in criteria]
    missing = [code for code in codes if code not in scores]
    if missing:
        raise InvalidInput(_("Scores are missing for: %(codes)s.") % {"codes": ", ".join(missing)})
    unknown = sorted(str(code) for code in scores if code not in codes)
    if unknown:
        raise InvalidInput(_("Unknown criteria: %(codes)s.") % {"codes": ", ".join(unknown)})
    weighted = Decimal(0)
    weights = Decimal(0)
    stored: dict[str, int | float] = {}
    for criterion in criteria:
        value = _score(scores[criterion.code])
        if value is None or not (0 <= value <= criterion.max_score):
            raise InvalidInput(
                _("The score for %(name)s must be a number from 0 to %(max)s.")
                % {"name": criterion.name, "max": criterion.max_score}
            )
        weighted += criterion.weight * value / criterion.max_score
        weights += criterion.weight
        stored[criterion.code] = int(value) if value == value.to_integral_value() else float(value)
    total = (weighted / weights * 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return total, stored


def evaluations_required(report: AnnualReport) -> int:
    """How many evaluations close the report: settled when it was submitted; for a report
    submitted before that was recorded, the cycle board's quorum capped by its evaluators."""
    if report.evaluations_required:
        return report.evaluations_required
    return takers.evaluating_board(
        cycle_board=report.cycle.board, initiative=report.initiative
    ).required


def evaluation_submit(
    *, actor: User, report: AnnualReport, scores: Mapping[str, Any], comment: str = ""
) -> Evaluation:
    """A member of the evaluating board who is not recused scores a submitted report."""
    with _step(flows.AnnualReviewFlow.evaluate, report, actor):
        initiative, locked = lock_report(report)
        board = _evaluating_board(locked)
        if actor.pk not in takers.board_member_ids(board):
            raise NotAllowed(str(takers.REFUSALS[takers.Taker.EVALUATOR]))
        if takers.recused_among({actor.pk}, initiative=initiative, board=board):
            raise NotAllowed(
                _("You are recused: you belong to the unit that owns this initiative.")
            )
        if locked.status in (AnnualReportStatus.EVALUATION_CLOSED, AnnualReportStatus.DECIDED):
            raise WrongState(_("Already done: the evaluation of this report is closed."))
        if locked.status != AnnualReportStatus.SUBMITTED:
            raise WrongState(_("The annual report has not been submitted yet."))
        if locked.cycle.status != CycleStatus.OPEN:
            raise WrongState(_("The review cycle is not open."))
        require_monitored(initiative)
        if Evaluation.objects.filter(annual_report=locked, evaluator=actor).exists():
            raise WrongState(_("Already done: you have already evaluated this report."))
        total, stored = weighted_total(list(locked.cycle.criteria.all()), scores)
        evaluation = Evaluation.objects.create(
            annual_report=locked,
            evaluator=actor,
            scores=stored,
            total=total,
            comment=(comment or "").strip(),
        )
        count = Evaluation.objects.filter(annual_report=locked).count()
        emit_on_commit(
            events.EvaluationSubmitted(
                report_id=locked.pk,
                evaluation_id=evaluation.pk,
                quorum_reached=count == evaluations_required(locked),
            )
        )
    return evaluation


def evaluation_close(*, actor: User, report: AnnualReport) -> AnnualReport:
    """The cycle's secretary closes the evaluation once the required evaluations are in:
    the score is the mean of the weighted scores; the initiative → evaluated; the chair
    gets the decision."""
    with _step(flows.AnnualReviewFlow.close, report, actor):
        initiative, locked = lock_report(report)
        cycle = locked.cycle
        takers.require(takers.Taker.CYCLE_SECRETARY, actor, takers.Subject(board_id=cycle.board_id))
        if locked.status in (AnnualReportStatus.EVALUATION_CLOSED, AnnualReportStatus.DECIDED):
            raise WrongState(_("Already done: the evaluation of this report is closed."))
        if locked.status != AnnualReportStatus.SUBMITTED:
            raise WrongState(_("The annual report has not been submitted yet."))
        require_monitored(initiative)
        totals = list(
            Evaluation.objects.filter(annual_report=locked).values_list("total", flat=True)
        )
        quorum = evaluations_required(locked)
        if len(totals) < quorum:
            raise WrongState(
                _("Not enough evaluations to close: %(count)s of the %(quorum)s required.")
                % {"count": len(totals), "quorum": quorum}
            )
        score = (sum(totals, Decimal(0)) / len(totals)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
        now = timezone.now()
        locked.score = score
        locked.passed = score >= cycle.pass_mark
        locked.status = AnnualReportStatus.EVALUATION_CLOSED
        locked.closed_by = actor
        locked.closed_at = now
        locked.save(update_fields=["score", "passed", "status", "closed_by", "closed_at"])
        reason = stored_text(
            lambda: (
                _("Evaluation closed: score %(score)s, pass mark %(pass_mark)s.")
                # In the site's number format (80,54), like everything users read.
                % {
                    "score": formats.number_format(score, decimal_pos=2),
                    "pass_mark": formats.number_format(cycle.pass_mark, decimal_pos=2),
                }
            )
        )
        initiative_record_status(
            initiative=initiative,
            to_status=InitiativeStatus.EVALUATED,
            actor=actor,
            reason=reason,
            source="evaluation_close",
            at=now,
        )
        emit_on_commit(events.EvaluationClosed(report_id=locked.pk, initiative_id=initiative.pk))
    return locked


def initiative_decide(*, actor: User, report: AnnualReport, recognise: bool) -> AnnualReport:
    """The chair decides whether to recognise an evaluated initiative. Not recognised: back
    to monitored. Recognised: it stays evaluated until the recognition decision is issued
    (the clerk of the board's unit gets that task)."""
    with _step(flows.AnnualReviewFlow.decide, report, actor):
        initiative, locked = lock_report(report)
        cycle = locked.cycle
        takers.require(takers.Taker.CYCLE_CHAIR, actor, takers.Subject(board_id=cycle.board_id))
        if locked.status == AnnualReportStatus.DECIDED:
            raise WrongState(_("Already done: this report has already been decided."))
        if locked.status != AnnualReportStatus.EVALUATION_CLOSED:
            raise WrongState(_("The evaluation of this report is not closed yet."))
        if initiative.status in (
            InitiativeStatus.REJECTED,
            InitiativeStatus.WITHDRAWN,
            InitiativeStatus.DISCONTINUED,
        ):
            raise WrongState(
                _("This initiative was rejected or has ended; it cannot change any more.")
            )
        if initiative.status != InitiativeStatus.EVALUATED:
            raise WrongState(_("The initiative is not awaiting a decision."))
        now = timezone.now()
        locked.recognise = bool(recognise)
        locked.status = AnnualReportStatus.DECIDED
        locked.decided_by = actor
        locked.decided_at = now
        locked.save(update_fields=["recognise", "status", "decided_by", "decided_at"])
        if not recognise:
            reason = stored_text(
                lambda: _("Not recognised in the %(year)s review cycle.") % {"year": cycle.year}
            )
            initiative_record_status(
                initiative=initiative,
                to_status=InitiativeStatus.MONITORED,
                actor=actor,
                reason=reason,
                source="initiative_decide",
                at=now,
            )
        emit_on_commit(
            events.InitiativeDecided(
                report_id=locked.pk, initiative_id=initiative.pk, recognise=bool(recognise)
            )
        )
    return locked


# --- members joining or leaving the evaluating board -------------------------------------------


def _reports_evaluated_by(board: SteeringBoard):
    in_progress = AnnualReport.objects.filter(
        status=AnnualReportStatus.SUBMITTED,
        cycle__status=CycleStatus.OPEN,
        initiative__status=InitiativeStatus.MONITORED,
    )
    return in_progress.filter(evaluation_board=board) | in_progress.filter(
        evaluation_board__isnull=True, cycle__board=board
    )


def evaluation_tasks_sync(*, board_id: int) -> tuple[int, int]:
    """Give each member who joined ``board`` an evaluation task for every report the board is
    evaluating (and has not scored), and cancel the open tasks of members who left or may no
    longer evaluate. Idempotent. Returns (tasks created, tasks cancelled)."""
    board = SteeringBoard.objects.select_related("unit").get(pk=board_id)
    created = cancelled = 0
    node = flows.AnnualReviewFlow.evaluate
    for report_id in _reports_evaluated_by(board).order_by("pk").values_list("pk", flat=True):
        process = LifecycleProcess.objects.filter(annual_report_id=report_id).first()
        if process is None:
            continue
        with node.flow_class.lock(process.pk):
            report = AnnualReport.objects.select_related(
                "initiative", "initiative__owner_unit", "cycle__board"
            ).get(pk=report_id)
            if report.status != AnnualReportStatus.SUBMITTED:
                continue
            eligible = takers.eligible_evaluators(board=board, initiative=report.initiative)
            scored = set(
                Evaluation.objects.filter(annual_report=report).values_list(
                    "evaluator_id", flat=True
                )
            )
            tasks = list(
                Task.objects.filter(process=process, flow_task=node).select_related("process")
            )
            open_tasks = [t for t in tasks if t.status in OPEN_TASK_STATUSES]
            holders = {t.owner_id for t in open_tasks}
            for task in open_tasks:
                if task.owner_id not in eligible:
                    node.activation_class(task).cancel()
                    cancelled += 1
            new = sorted(eligible - holders - scored)
            if new:
                _create_evaluation_tasks(process=process, evaluators=new)
                created += len(new)
                emit_on_commit(
                    events.EvaluationTasksCreated(report_id=report.pk, evaluator_ids=tuple(new))
                )
            required_now = max(1, min(board.quorum, len(eligible)))
            if report.evaluations_required != required_now or report.evaluation_board_id is None:
                report.evaluation_board = board
                report.evaluations_required = required_now
                report.save(update_fields=["evaluation_board", "evaluations_required"])
    return created, cancelled


def _create_evaluation_tasks(*, process: LifecycleProcess, evaluators: Sequence[int]) -> None:
    """Evaluation tasks for members who joined after the fan-out, as the split would have
    made them (after the process's ``evaluation`` split task)."""
    split = (
        Task.objects.filter(process=process, flow_task=flows.AnnualReviewFlow.evaluation)
        .order_by("-pk")
        .first()
    )
    if split is None:
        return
    previous = flows.AnnualReviewFlow.evaluation.activation_class(split)
    node = flows.AnnualReviewFlow.evaluate
    for user_id in evaluators:
        node._create(
            prev_activation=previous,
            token=Token(f"{split.token}/{split.pk}_late{user_id}"),
            data={"evaluator": user_id},
        )
