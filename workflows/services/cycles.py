"""Review cycles: a board's yearly review with its deadlines and rubric; opening it gives
every initiative of the board's subtree its annual report; closing it ends what is left."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import PROCESS

from core.errors import DomainError, InvalidInput, WrongState
from core.events import emit_on_commit
from core.models import (
    Criterion,
    CycleStatus,
    Initiative,
    InitiativeStatus,
    Phase,
    ReviewCycle,
    SteeringBoard,
    User,
)
from core.services import (
    StatusChange,
    initiative_record_status,
    initiative_statuses_record_bulk,
)

from .. import events, flows, takers
from ..models import AnnualReport, AnnualReportStatus, LifecycleProcess
from ._common import stored_text

BULK_BATCH = 5000
TWO_PLACES = Decimal("0.01")

DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"code": "effectiveness", "name": "Hiệu quả", "weight": 30, "max": 100},
    {"code": "participation", "name": "Sự tham gia của nhân dân", "weight": 25, "max": 100},
    {"code": "creativity", "name": "Tính sáng tạo", "weight": 15, "max": 100},
    {"code": "replicability", "name": "Khả năng nhân rộng", "weight": 15, "max": 100},
    {"code": "sustainability", "name": "Tính bền vững", "weight": 15, "max": 100},
)


def _require_board_secretary(actor: User, board: SteeringBoard) -> None:
    takers.require(takers.Taker.CYCLE_SECRETARY, actor, takers.Subject(board_id=board.pk))


def _clean_criteria(criteria: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    if not criteria:
        raise InvalidInput(_("The rubric needs at least one criterion."))
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in criteria:
        code = str(item.get("code") or "").strip()
        name = str(item.get("name") or "").strip()
        if not code or not name:
            raise InvalidInput(_("Each criterion needs a code and a name."))
        if code in seen:
            raise InvalidInput(
                _("Criterion codes must be unique: %(code)s is repeated.") % {"code": code}
            )
        seen.add(code)
        try:
            weight = Decimal(str(item.get("weight")))
            max_score = int(item.get("max", item.get("max_score", 100)))
        except (InvalidOperation, TypeError, ValueError):
            weight, max_score = Decimal(0), 0
        if not weight.is_finite() or weight <= 0 or max_score <= 0:
            raise InvalidInput(
                _("Criterion %(code)s: the weight and the maximum score must be positive.")
                % {"code": code}
            )
        cleaned.append({"code": code, "name": name, "weight": weight, "max_score": max_score})
    return cleaned


def _clean_pass_mark(pass_mark: Decimal | int | float | str) -> Decimal:
    try:
        value = Decimal(str(pass_mark))
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not (0 <= value <= 100):
        raise InvalidInput(_("The pass mark must be between 0 and 100."))
    return value.quantize(TWO_PLACES)


def _write_criteria(cycle: ReviewCycle, criteria: list[dict[str, Any]]) -> None:
    Criterion.objects.bulk_create(
        Criterion(cycle=cycle, position=position, **item)
        for position, item in enumerate(criteria, start=1)
    )


@transaction.atomic
def cycle_create(
    *,
    actor: User,
    board: SteeringBoard,
    phase: Phase,
    year: int,
    opens_on: dt.date,
    report_due: dt.date,
    evaluation_due: dt.date,
    decision_due: dt.date,
    pass_mark: Decimal | int | float | str = 70,
    criteria: Sequence[Mapping[str, Any]] | None = None,
) -> ReviewCycle:
    """The board's secretary sets up a yearly review cycle (draft) with its rubric."""
    _require_board_secretary(actor, board)
    _check_cycle_dates(
        phase=phase,
        year=year,
        opens_on=opens_on,
        report_due=report_due,
        evaluation_due=evaluation_due,
        decision_due=decision_due,
    )
    cleaned = _clean_criteria(DEFAULT_CRITERIA if criteria is None else criteria)
    mark = _clean_pass_mark(pass_mark)
    # Lock the board so two secretaries creating the same year queue up here.
    SteeringBoard.objects.select_for_update().filter(pk=board.pk).first()
    if ReviewCycle.objects.filter(board=board, year=year).exists():
        raise WrongState(_("This board already has a review cycle for %(year)s.") % {"year": year})
    cycle = ReviewCycle.objects.create(
        board=board,
        phase=phase,
        year=year,
        opens_on=opens_on,
        report_due=report_due,
        evaluation_due=evaluation_due,
        decision_due=decision_due,
        pass_mark=mark,
        status=CycleStatus.DRAFT,
    )
    _write_criteria(cycle, cleaned)
    return cycle


def _check_cycle_dates(
    *,
    phase: Phase,
    year: int,
    opens_on: dt.date,
    report_due: dt.date,
    evaluation_due: dt.date,
    decision_due: dt.date,
) -> None:
    if not (opens_on <= report_due <= evaluation_due <= decision_due):
        raise InvalidInput(
            _("The deadlines must be in order: opening, report due, evaluation due, decision due.")
        )
    if not (phase.starts_on.year <= year <= phase.ends_on.year):
        raise InvalidInput(
            _("The year %(year)s is outside the phase %(phase)s.")
            % {"year": year, "phase": phase.code}
        )


@transaction.atomic
def cycle_update(
    *,
    actor: User,
    cycle: ReviewCycle,
    phase: Phase,
    year: int,
    opens_on: dt.date,
    report_due: dt.date,
    evaluation_due: dt.date,
    decision_due: dt.date,
    pass_mark: Decimal | int | float | str,
) -> ReviewCycle:
    """The board's secretary edits a draft cycle's phase, year, deadlines and pass mark."""
    locked = ReviewCycle.objects.select_for_update().select_related("board").get(pk=cycle.pk)
    _require_board_secretary(actor, locked.board)
    if locked.status != CycleStatus.DRAFT:
        raise WrongState(_("Only a draft review cycle can be edited."))
    _check_cycle_dates(
        phase=phase,
        year=year,
        opens_on=opens_on,
        report_due=report_due,
        evaluation_due=evaluation_due,
        decision_due=decision_due,
    )
    if (
        year != locked.year
        and ReviewCycle.objects.filter(board=locked.board, year=year).exclude(pk=locked.pk).exists()
    ):
        raise WrongState(_("This board already has a review cycle for %(year)s.") % {"year": year})
    locked.phase = phase
    locked.year = year
    locked.opens_on = opens_on
    locked.report_due = report_due
    locked.evaluation_due = evaluation_due
    locked.decision_due = decision_due
    locked.pass_mark = _clean_pass_mark(pass_mark)
    locked.save(
        update_fields=[
            "phase",
            "year",
            "opens_on",
            "report_due",
            "evaluation_due",
            "decision_due",
            "pass_mark",
        ]
    )
    return locked


@transaction.atomic
def cycle_delete(*, actor: User, cycle: ReviewCycle) -> None:
    """The board's secretary deletes a draft cycle (nothing was sent for it yet)."""
    locked = ReviewCycle.objects.select_for_update().select_related("board").get(pk=cycle.pk)
    _require_board_secretary(actor, locked.board)
    if locked.status != CycleStatus.DRAFT:
        raise WrongState(_("Only a draft review cycle can be deleted."))
    if AnnualReport.objects.filter(cycle=locked).exists():
        raise WrongState(_("This review cycle already has annual reports; it cannot be deleted."))
    locked.criteria.all().delete()
    locked.delete()


@transaction.atomic
def cycle_update_criteria(
    *,
    actor: User,
    cycle: ReviewCycle,
    criteria: Sequence[Mapping[str, Any]],
    pass_mark: Decimal | int | float | str | None = None,
) -> ReviewCycle:
    """Replace a draft cycle's rubric (and optionally its pass mark)."""
    locked = ReviewCycle.objects.select_for_update().select_related("board").get(pk=cycle.pk)
    _require_board_secretary(actor, locked.board)
    if locked.status != CycleStatus.DRAFT:
        raise WrongState(_("The criteria can only be changed while the cycle is a draft."))
    cleaned = _clean_criteria(criteria)
    if pass_mark is not None:
        locked.pass_mark = _clean_pass_mark(pass_mark)
        locked.save(update_fields=["pass_mark"])
    locked.criteria.all().delete()
    _write_criteria(locked, cleaned)
    return locked


def _open_reports(*, cycle: ReviewCycle, actor: User | None, now: dt.datetime) -> int:
    """The set-based part of ``cycle_open``: back to monitored, then one report each."""
    subtree = Initiative.objects.filter(owner_unit__path__startswith=cycle.board.unit.path)
    no_report_this_year = ~Exists(
        AnnualReport.objects.filter(initiative=OuterRef("pk"), year=cycle.year)
    )

    # 1. Recognised and commended initiatives return to monitored, keeping their past. Their
    #    rows are locked first so the history written below matches exactly what changes.
    back = list(
        subtree.filter(
            no_report_this_year,
            status__in=[InitiativeStatus.RECOGNISED, InitiativeStatus.COMMENDED],
        )
        .order_by()
        .select_for_update(of=("self",))
        .values_list("pk", "status")
    )
    if back:
        initiative_statuses_record_bulk(
            changes=(
                StatusChange(
                    initiative_id=pk, from_status=status, to_status=InitiativeStatus.MONITORED
                )
                for pk, status in back
            ),
            actor=actor,
            reason=stored_text(lambda: _("Review cycle %(year)s opened") % {"year": cycle.year}),
            source="cycle_open",
            at=now,
        )

    # 2. Every monitored initiative of the subtree without a report this year gets a pending
    #    one: a single INSERT ... SELECT, the selection compiled by the ORM. Those with a
    #    report this year (another board's cycle) are skipped by the unique constraint on
    #    (initiative, year) through ON CONFLICT DO NOTHING, not by an anti-join: an
    #    anti-join on the table being filled, planned from the statistics of an empty table,
    #    rescans it for every row and turns 50,000 inserts into minutes.
    eligible = (
        subtree.filter(status=InitiativeStatus.MONITORED).order_by().values(initiative_ref=F("pk"))
    )
    select_sql, select_params = eligible.query.sql_with_params()
    meta = AnnualReport._meta
    qn = connection.ops.quote_name
    constants = {
        "cycle": cycle.pk,
        "year": cycle.year,
        "due_on": connection.ops.adapt_datefield_value(cycle.report_due),
        "status": AnnualReportStatus.PENDING.value,
        "text": "",
        "submitted_late": False,
        "created_at": connection.ops.adapt_datetimefield_value(now),
    }
    columns = ", ".join(qn(meta.get_field(name).column) for name in ["initiative", *constants])
    placeholders = ", ".join(["%s"] * len(constants))
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) "
        f"SELECT e.initiative_ref, {placeholders} FROM ({select_sql}) e WHERE 1 = 1 "
        # Another cycle of the same year opening at the same moment keeps its reports.
        "ON CONFLICT DO NOTHING"
    )
    # The constants' placeholders come first in the statement, then the selection's.
    params = (*constants.values(), *select_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        created = cursor.rowcount
        if connection.vendor == "postgresql" and created > BULK_BATCH:
            # Fresh statistics, so the next cycle's anti-join above (and the queues) are
            # planned for the table's real size rather than for the empty table it was.
            cursor.execute(f"ANALYZE {qn(meta.db_table)}")
    return created


@transaction.atomic
def cycle_open(
    *, cycle: ReviewCycle, actor: User | None = None, today: dt.date | None = None
) -> int:
    """Open a draft cycle: every monitored, recognised or commended initiative of the
    board's subtree gets a pending annual report, due on the cycle's report date, and its
    ``AnnualReviewFlow`` process with the ``report`` task in the owner's queue.

    ``actor=None`` is the beat task opening the cycle on its date; otherwise the board's
    secretary opens it (on any day). Returns the number of reports created.
    """
    locked = (
        ReviewCycle.objects.select_for_update(of=("self",))
        .select_related("board", "board__unit")
        .get(pk=cycle.pk)
    )
    today = today or timezone.localdate()
    if actor is not None:
        _require_board_secretary(actor, locked.board)
    if locked.status != CycleStatus.DRAFT:
        raise WrongState(_("Already done: this review cycle has already been opened."))
    if actor is None and locked.opens_on > today:
        raise WrongState(
            _("The review cycle opens on %(date)s.") % {"date": locked.opens_on.isoformat()}
        )
    if not locked.criteria.exists():
        raise InvalidInput(_("The rubric needs at least one criterion."))
    now = timezone.now()
    created = _open_reports(cycle=locked, actor=actor, now=now)
    # Each report's annual-review process and its ``report`` task, in bulk too.
    flows.annual_reviews_start(cycle=locked, now=now)
    locked.status = CycleStatus.OPEN
    locked.opened_at = now
    locked.save(update_fields=["status", "opened_at"])
    emit_on_commit(events.CycleOpened(cycle_id=locked.pk, reports=created))
    return created


def cycles_open_due(*, today: dt.date) -> dict[int, int]:
    """Open every draft cycle whose opening date has come (for the beat task).

    Each cycle opens in its own transaction; one that cannot open (no rubric, opened
    meanwhile) does not stop the others. Returns ``{cycle id: reports created}``.
    """
    opened: dict[int, int] = {}
    due = ReviewCycle.objects.filter(status=CycleStatus.DRAFT, opens_on__lte=today).order_by(
        "opens_on", "pk"
    )
    for cycle in due:
        try:
            opened[cycle.pk] = cycle_open(cycle=cycle, actor=None, today=today)
        except DomainError:
            continue
    return opened


# --- annual reports and evaluation --------------------------------------------------------


# --- late acceptance --------------------------------------------------------------------------


def annual_report_for_late_acceptance(*, initiative: Initiative) -> AnnualReport | None:
    """An initiative accepted (→ monitored) after a review cycle over its unit opened gets
    its annual report for that cycle and the report task, as if it had been there when the
    cycle opened: the open cycle of the nearest board at or above its unit, when it has no
    report that year yet. Call inside the accepting transaction."""
    ancestors = takers.ancestor_ids(initiative.owner_unit.path)
    cycles = list(
        ReviewCycle.objects.filter(status=CycleStatus.OPEN, board__unit_id__in=ancestors)
        .select_related("board", "board__unit")
        .order_by("-board__unit__depth", "-year")
    )
    for cycle in cycles:
        if AnnualReport.objects.filter(initiative=initiative, year=cycle.year).exists():
            continue
        report = AnnualReport.objects.create(
            initiative=initiative,
            cycle=cycle,
            year=cycle.year,
            due_on=cycle.report_due,
            status=AnnualReportStatus.PENDING,
        )
        flows.AnnualReviewFlow.start.run(report=report)
        return report
    return None


# --- closing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CycleOpenWork:
    """What is still open in a cycle: counts of annual reports by where they wait."""

    reports_pending: int  # the owner has not reported
    evaluations_open: int  # reported, evaluation not closed
    decisions_pending: int  # evaluation closed, the chair has not decided
    recognitions_pending: int  # recognised by the chair, no recognition decision yet

    @property
    def blocking(self) -> int:
        """Decisions still to take: closing refuses while there are any, unless forced."""
        return self.decisions_pending + self.recognitions_pending

    @property
    def total(self) -> int:
        return (
            self.reports_pending
            + self.evaluations_open
            + self.decisions_pending
            + self.recognitions_pending
        )


def cycle_open_work(*, cycle: ReviewCycle) -> CycleOpenWork:
    """What closing ``cycle`` would leave undone (one query)."""
    reports = AnnualReport.objects.filter(
        cycle=cycle, initiative__status__in=[InitiativeStatus.MONITORED, InitiativeStatus.EVALUATED]
    )
    counts = {
        status: reports.filter(status=status).count()
        for status in (
            AnnualReportStatus.PENDING,
            AnnualReportStatus.SUBMITTED,
            AnnualReportStatus.EVALUATION_CLOSED,
        )
    }
    recognitions = reports.filter(
        status=AnnualReportStatus.DECIDED,
        recognise=True,
        recognition_decision__isnull=True,
        initiative__status=InitiativeStatus.EVALUATED,
    ).count()
    return CycleOpenWork(
        reports_pending=counts[AnnualReportStatus.PENDING],
        evaluations_open=counts[AnnualReportStatus.SUBMITTED],
        decisions_pending=counts[AnnualReportStatus.EVALUATION_CLOSED],
        recognitions_pending=recognitions,
    )


@transaction.atomic
def cycle_close(
    *, actor: User, cycle: ReviewCycle, force: bool = False, reason: str = ""
) -> CycleOpenWork:
    """The board's secretary closes an open cycle. Reports not submitted and evaluations
    not closed end with it (their tasks are cancelled). While the chair or the clerk still
    has decisions to take, closing is refused unless ``force`` is given with a reason; a
    forced close sends the initiatives still waiting back to monitored. Returns what was
    still open."""
    locked = (
        ReviewCycle.objects.select_for_update(of=("self",))
        .select_related("board", "board__unit")
        .get(pk=cycle.pk)
    )
    _require_board_secretary(actor, locked.board)
    if locked.status == CycleStatus.CLOSED:
        raise WrongState(_("Already done: this review cycle has already been closed."))
    if locked.status != CycleStatus.OPEN:
        raise WrongState(_("Only an open review cycle can be closed."))
    reason = (reason or "").strip()
    work = cycle_open_work(cycle=locked)
    if work.blocking and not force:
        raise WrongState(
            _(
                "Decisions are still pending in this review cycle (%(decisions)s for the chair, "
                "%(recognitions)s for the clerk): take them first, or force the closing with a "
                "reason."
            )
            % {"decisions": work.decisions_pending, "recognitions": work.recognitions_pending}
        )
    if force and not reason:
        raise InvalidInput(_("A reason is required to force the closing of a review cycle."))
    now = timezone.now()
    # Initiatives waiting for a decision go back to monitored, keeping their history.
    waiting = list(
        AnnualReport.objects.filter(
            cycle=locked, initiative__status=InitiativeStatus.EVALUATED
        ).values_list("initiative_id", flat=True)
    )
    if waiting:
        history = stored_text(
            lambda: (
                _("Review cycle %(year)s closed without a decision: %(reason)s")
                % {"year": locked.year, "reason": reason}
            )
        )
        for initiative in (
            Initiative.objects.select_for_update(of=("self",)).filter(pk__in=waiting).order_by("pk")
        ):
            initiative_record_status(
                initiative=initiative,
                to_status=InitiativeStatus.MONITORED,
                actor=actor,
                reason=history,
                source="cycle_close",
                at=now,
            )
    # Their processes (annual reviews, the open recognition) end with the cycle.
    for process in LifecycleProcess.objects.filter(cycle=locked, status=PROCESS.NEW).order_by("pk"):
        process.flow_class.instance.cancel(process)
    locked.status = CycleStatus.CLOSED
    locked.closed_at = now
    locked.closed_by = actor
    locked.closed_reason = reason
    locked.save(update_fields=["status", "closed_at", "closed_by", "closed_reason"])
    emit_on_commit(events.CycleClosed(cycle_id=locked.pk, forced=bool(force), reason=reason))
    return work
