"""The lifecycle's state changes: registration to nomination.

Each service runs in one transaction, locks the initiative row (``select_for_update``) before
it reads the state it checks, refuses with a domain error (``WrongState`` 409, ``NotAllowed``
403, ``InvalidInput`` 400) that leaves everything as it was, changes the status only through
``core.services.initiative_record_status`` (which writes the history line) and announces
what happened with ``send_event_on_commit``.

All services touching one initiative take its row lock first, so its annual reports and
evaluations are serialised by that lock too: two people completing the same step at once
queue on the lock, and the second finds the step done.

The recognition decision and the commendation decision (steps 6 and 8 of the lifecycle)
are issued here through ``documents.services.decision_issue``, which numbers, snapshots and
renders them (and records the ``core.Commendation`` rows of a commendation decision).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidInput, NotAllowed, WrongState
from core.models import (
    AwardType,
    Criterion,
    CycleStatus,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuerKind,
    IssuingBody,
    Phase,
    RecipientKind,
    ReviewCycle,
    Role,
    SteeringBoard,
    Unit,
    UnitRole,
    User,
)
from core.services import initiative_record_status
from documents.models import Decision, DecisionKind
from documents.services import (
    CERTIFICATE_AWARDS,
    EntryInput,
    certificates_issue,
    decision_issue,
)

from .events import send_event_on_commit
from .flows import annual_reviews_start
from .models import (
    AnnualReport,
    AnnualReportStatus,
    Evaluation,
    MonitoringVisit,
    Nomination,
    NominationItem,
    NominationStatus,
    ProgressReport,
)
from .roles import (
    board_role,
    holds_board_role_above,
    is_official_for,
    recused,
    responsible_board,
)
from .selectors import report_evaluators

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
BULK_BATCH = 5000

DEFAULT_CRITERIA: tuple[dict[str, Any], ...] = (
    {"code": "effectiveness", "name": "Hiệu quả", "weight": 30, "max": 100},
    {"code": "participation", "name": "Sự tham gia của nhân dân", "weight": 25, "max": 100},
    {"code": "creativity", "name": "Tính sáng tạo", "weight": 15, "max": 100},
    {"code": "replicability", "name": "Khả năng nhân rộng", "weight": 15, "max": 100},
    {"code": "sustainability", "name": "Tính bền vững", "weight": 15, "max": 100},
)

TWO_PLACES = Decimal("0.01")


# --- helpers ------------------------------------------------------------------------------


def _lock_initiative(initiative: Initiative | int) -> Initiative:
    """The initiative's row, locked until the transaction ends, read fresh."""
    pk = initiative.pk if isinstance(initiative, Initiative) else initiative
    return (
        Initiative.objects.select_for_update(of=("self",)).select_related("owner_unit").get(pk=pk)
    )


def _lock_report(report: AnnualReport) -> tuple[Initiative, AnnualReport]:
    """Lock the report's initiative, then read the report fresh under that lock."""
    initiative = _lock_initiative(report.initiative_id)
    fresh = AnnualReport.objects.select_related("cycle", "cycle__board", "cycle__board__unit").get(
        pk=report.pk
    )
    return initiative, fresh


def _required(value: str | None, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message)
    return value


def _reason(reason: str | None) -> str:
    return _required(reason, _("A reason is required."))


def _require_not_final(initiative: Initiative) -> None:
    if initiative.status in FINAL_STATUSES:
        raise WrongState(_("This initiative was rejected or has ended; it cannot change any more."))


def _require_monitored(initiative: Initiative) -> None:
    _require_not_final(initiative)
    if initiative.status != InitiativeStatus.MONITORED:
        raise WrongState(_("This can only be done while the initiative is monitored."))


def _require_owner_official(actor: User, initiative: Initiative) -> None:
    if not is_official_for(actor, initiative.owner_unit):
        raise NotAllowed(_("Only an official of the unit or of a unit above it may do this."))


def _require_secretary_of_responsible_board(actor: User, initiative: Initiative) -> None:
    board = responsible_board(initiative.owner_unit)
    if board is None:
        raise NotAllowed(_("No active steering board is responsible for this unit."))
    if Role.SECRETARY not in board_role(actor, board):
        raise NotAllowed(_("Only the secretary of the responsible steering board may do this."))


def _require_board_secretary(actor: User, board: SteeringBoard) -> None:
    if Role.SECRETARY not in board_role(actor, board):
        raise NotAllowed(_("Only the secretary of the steering board may do this."))


def _stored_text(message_factory) -> str:
    """Text kept in the database (history reasons) is written in the site's language,
    whoever's language the request came in."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(message_factory())


def _validate_initiative_data(
    *, title: str, kind: str, owner_name: str, fields: Sequence[Field]
) -> tuple[str, str]:
    title = _required(title, _("The title is required."))
    if kind not in InitiativeKind.values:
        raise InvalidInput(_("Unknown kind of initiative: %(kind)s") % {"kind": kind})
    owner_name = (owner_name or "").strip()
    if kind == InitiativeKind.INDIVIDUAL and not owner_name:
        raise InvalidInput(_("An individual initiative needs the owner's name."))
    if not fields:
        raise InvalidInput(_("Choose at least one field."))
    return title, owner_name


# --- registration -------------------------------------------------------------------------


@transaction.atomic
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
    replicated_from: Initiative | None = None,
) -> Initiative:
    """An official registers an initiative for their unit or a unit below it."""
    if not is_official_for(actor, unit):
        raise NotAllowed(_("Only an official of the unit or of a unit above it may do this."))
    title, owner_name = _validate_initiative_data(
        title=title, kind=kind, owner_name=owner_name, fields=fields
    )
    registered_on = registered_on or timezone.localdate()
    initiative = Initiative.objects.create(
        # A placeholder until the primary key, which the code is made of, exists.
        code=f"new-{uuid.uuid4().hex}",
        title=title,
        owner_unit=unit,
        kind=kind,
        owner_name=owner_name if kind == InitiativeKind.INDIVIDUAL else "",
        phase=phase,
        registered_on=registered_on,
        description=description.strip(),
        goals=goals.strip(),
        replicated_from=replicated_from,
        status=InitiativeStatus.REGISTERED,
        created_by=actor,
    )
    initiative.code = f"MH-{registered_on.year}-{initiative.pk:06d}"
    Initiative.objects.filter(pk=initiative.pk).update(code=initiative.code)
    initiative.fields.set(fields)
    # The first history line reads "∅ → registered".
    initiative.status = ""
    initiative_record_status(
        initiative=initiative,
        to_status=InitiativeStatus.REGISTERED,
        actor=actor,
        source="initiative_register",
    )
    send_event_on_commit("initiative_registered", initiative_id=initiative.pk)
    return initiative


def _registration_decision(
    *, actor: User, initiative: Initiative, to_status: str, reason: str, source: str, event: str
) -> Initiative:
    locked = _lock_initiative(initiative)
    _require_secretary_of_responsible_board(actor, locked)
    if locked.status != InitiativeStatus.REGISTERED:
        raise WrongState(_("Already done: this registration has already been handled."))
    initiative_record_status(
        initiative=locked, to_status=to_status, actor=actor, reason=reason, source=source
    )
    send_event_on_commit(event, initiative_id=locked.pk, reason=reason)
    return locked


@transaction.atomic
def initiative_accept(*, actor: User, initiative: Initiative, reason: str = "") -> Initiative:
    """The responsible board's secretary accepts a registration: → monitored."""
    return _registration_decision(
        actor=actor,
        initiative=initiative,
        to_status=InitiativeStatus.MONITORED,
        reason=(reason or "").strip(),
        source="initiative_accept",
        event="initiative_accepted",
    )


@transaction.atomic
def initiative_return(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """Send a registration back to the owner to edit and resubmit: → returned."""
    reason = _reason(reason)
    return _registration_decision(
        actor=actor,
        initiative=initiative,
        to_status=InitiativeStatus.RETURNED,
        reason=reason,
        source="initiative_return",
        event="initiative_returned",
    )


@transaction.atomic
def initiative_reject(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """Refuse a registration for good: → rejected."""
    reason = _reason(reason)
    return _registration_decision(
        actor=actor,
        initiative=initiative,
        to_status=InitiativeStatus.REJECTED,
        reason=reason,
        source="initiative_reject",
        event="initiative_rejected",
    )


@transaction.atomic
def initiative_resubmit(
    *,
    actor: User,
    initiative: Initiative,
    title: str | None = None,
    kind: str | None = None,
    owner_name: str | None = None,
    fields: Sequence[Field] | None = None,
    phase: Phase | None = None,
    description: str | None = None,
    goals: str | None = None,
    reason: str = "",
) -> Initiative:
    """The owner edits a returned initiative and sends it again: returned → registered.
    Arguments left as None keep their current value."""
    locked = _lock_initiative(initiative)
    _require_owner_official(actor, locked)
    if locked.status != InitiativeStatus.RETURNED:
        raise WrongState(_("Only a returned initiative can be resubmitted."))
    new_fields = list(fields) if fields is not None else list(locked.fields.all())
    new_kind = kind if kind is not None else locked.kind
    new_title, new_owner_name = _validate_initiative_data(
        title=title if title is not None else locked.title,
        kind=new_kind,
        owner_name=owner_name if owner_name is not None else locked.owner_name,
        fields=new_fields,
    )
    locked.title = new_title
    locked.kind = new_kind
    locked.owner_name = new_owner_name if new_kind == InitiativeKind.INDIVIDUAL else ""
    if phase is not None:
        locked.phase = phase
    if description is not None:
        locked.description = description.strip()
    if goals is not None:
        locked.goals = goals.strip()
    locked.save(
        update_fields=["title", "kind", "owner_name", "phase", "description", "goals", "updated_at"]
    )
    if fields is not None:
        locked.fields.set(new_fields)
    initiative_record_status(
        initiative=locked,
        to_status=InitiativeStatus.REGISTERED,
        actor=actor,
        reason=(reason or "").strip(),
        source="initiative_resubmit",
    )
    send_event_on_commit("initiative_resubmitted", initiative_id=locked.pk)
    return locked


@transaction.atomic
def initiative_withdraw(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """The owner withdraws the initiative: → withdrawn, for good."""
    reason = _reason(reason)
    locked = _lock_initiative(initiative)
    _require_owner_official(actor, locked)
    _require_not_final(locked)
    initiative_record_status(
        initiative=locked,
        to_status=InitiativeStatus.WITHDRAWN,
        actor=actor,
        reason=reason,
        source="initiative_withdraw",
    )
    send_event_on_commit("initiative_withdrawn", initiative_id=locked.pk, reason=reason)
    return locked


@transaction.atomic
def initiative_discontinue(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """The secretary or chair of the responsible board (or of any board above it) stops the
    initiative: → discontinued, for good."""
    reason = _reason(reason)
    locked = _lock_initiative(initiative)
    if not holds_board_role_above(actor, locked.owner_unit, (Role.SECRETARY, Role.CHAIR)):
        raise NotAllowed(
            _(
                "Only the secretary or the chair of a responsible steering board may "
                "discontinue an initiative."
            )
        )
    _require_not_final(locked)
    initiative_record_status(
        initiative=locked,
        to_status=InitiativeStatus.DISCONTINUED,
        actor=actor,
        reason=reason,
        source="initiative_discontinue",
    )
    send_event_on_commit("initiative_discontinued", initiative_id=locked.pk, reason=reason)
    return locked


# --- monitoring ---------------------------------------------------------------------------


@transaction.atomic
def progress_report_submit(*, actor: User, initiative: Initiative, text: str) -> ProgressReport:
    """The owner files a progress report while the initiative is monitored."""
    locked = _lock_initiative(initiative)
    _require_owner_official(actor, locked)
    _require_monitored(locked)
    text = _required(text, _("The text is required."))
    report = ProgressReport.objects.create(initiative=locked, author=actor, text=text)
    send_event_on_commit("progress_report_submitted", initiative_id=locked.pk, report_id=report.pk)
    return report


@transaction.atomic
def monitoring_visit_record(
    *,
    actor: User,
    initiative: Initiative,
    visited_on: dt.date,
    findings: str,
    visitors: str = "",
) -> MonitoringVisit:
    """A member of the responsible board (or a board above) records a visit."""
    locked = _lock_initiative(initiative)
    if not holds_board_role_above(actor, locked.owner_unit):
        raise NotAllowed(
            _("Only a member of a responsible steering board may record a monitoring visit.")
        )
    _require_monitored(locked)
    findings = _required(findings, _("The findings are required."))
    if visited_on > timezone.localdate():
        raise InvalidInput(_("The visit date cannot be in the future."))
    visit = MonitoringVisit.objects.create(
        initiative=locked,
        visited_on=visited_on,
        visitors=(visitors or "").strip(),
        findings=findings,
        recorded_by=actor,
    )
    send_event_on_commit("monitoring_visit_recorded", initiative_id=locked.pk, visit_id=visit.pk)
    return visit


# --- review cycles ------------------------------------------------------------------------


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
    if not (opens_on <= report_due <= evaluation_due <= decision_due):
        raise InvalidInput(
            _("The deadlines must be in order: opening, report due, evaluation due, decision due.")
        )
    if not (phase.starts_on.year <= year <= phase.ends_on.year):
        raise InvalidInput(
            _("The year %(year)s is outside the phase %(phase)s.")
            % {"year": year, "phase": phase.code}
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


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
        reason = _stored_text(lambda: _("Review cycle %(year)s opened") % {"year": cycle.year})
        for batch in _chunks(back, BULK_BATCH):
            # The same line initiative_record_status writes, in bulk.
            InitiativeStatusChange.objects.bulk_create(
                InitiativeStatusChange(
                    initiative_id=pk,
                    from_status=status,
                    to_status=InitiativeStatus.MONITORED,
                    actor=actor,
                    at=now,
                    reason=reason,
                    source="cycle_open",
                )
                for pk, status in batch
            )
            Initiative.objects.filter(pk__in=[pk for pk, _status in batch]).update(
                status=InitiativeStatus.MONITORED, updated_at=now
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
    annual_reviews_start(cycle=locked, now=now)
    locked.status = CycleStatus.OPEN
    locked.opened_at = now
    locked.save(update_fields=["status", "opened_at"])
    send_event_on_commit("cycle_opened", cycle_id=locked.pk, reports=created)
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


@transaction.atomic
def annual_report_submit(*, actor: User, report: AnnualReport, text: str) -> AnnualReport:
    """The owner submits the annual report (after the due date too: it is recorded)."""
    initiative, locked = _lock_report(report)
    _require_owner_official(actor, initiative)
    if locked.status != AnnualReportStatus.PENDING:
        raise WrongState(_("Already done: this annual report has already been submitted."))
    if locked.cycle.status != CycleStatus.OPEN:
        raise WrongState(_("The review cycle is not open."))
    _require_monitored(initiative)
    text = _required(text, _("The text is required."))
    now = timezone.now()
    locked.text = text
    locked.status = AnnualReportStatus.SUBMITTED
    locked.submitted_by = actor
    locked.submitted_at = now
    locked.submitted_late = timezone.localdate(now) > locked.due_on
    locked.save(update_fields=["text", "status", "submitted_by", "submitted_at", "submitted_late"])
    send_event_on_commit(
        "annual_report_submitted", report_id=locked.pk, initiative_id=initiative.pk
    )
    return locked


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
                _("The score for %(code)s must be a number from 0 to %(max)s.")
                % {"code": criterion.code, "max": criterion.max_score}
            )
        weighted += criterion.weight * value / criterion.max_score
        weights += criterion.weight
        stored[criterion.code] = int(value) if value == value.to_integral_value() else float(value)
    total = (weighted / weights * 100).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return total, stored


@transaction.atomic
def evaluation_submit(
    *, actor: User, report: AnnualReport, scores: Mapping[str, Any], comment: str = ""
) -> Evaluation:
    """A member of the cycle's board scores a submitted report against the rubric."""
    initiative, locked = _lock_report(report)
    if not board_role(actor, locked.cycle.board):
        raise NotAllowed(_("Only a member of the review cycle's steering board may evaluate."))
    if recused(actor, initiative):
        raise NotAllowed(_("You are recused: you belong to the unit that owns this initiative."))
    if locked.status in (AnnualReportStatus.EVALUATION_CLOSED, AnnualReportStatus.DECIDED):
        raise WrongState(_("Already done: the evaluation of this report is closed."))
    if locked.status != AnnualReportStatus.SUBMITTED:
        raise WrongState(_("The annual report has not been submitted yet."))
    if locked.cycle.status != CycleStatus.OPEN:
        raise WrongState(_("The review cycle is not open."))
    _require_monitored(initiative)
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
    send_event_on_commit("evaluation_submitted", report_id=locked.pk, evaluation_id=evaluation.pk)
    return evaluation


@transaction.atomic
def evaluation_close(*, actor: User, report: AnnualReport) -> AnnualReport:
    """The secretary closes the evaluation once a quorum has scored: the score is the mean
    of the evaluators' weighted scores; the initiative → evaluated."""
    initiative, locked = _lock_report(report)
    cycle = locked.cycle
    _require_board_secretary(actor, cycle.board)
    if locked.status in (AnnualReportStatus.EVALUATION_CLOSED, AnnualReportStatus.DECIDED):
        raise WrongState(_("Already done: the evaluation of this report is closed."))
    if locked.status != AnnualReportStatus.SUBMITTED:
        raise WrongState(_("The annual report has not been submitted yet."))
    _require_monitored(initiative)
    totals = list(Evaluation.objects.filter(annual_report=locked).values_list("total", flat=True))
    eligible = report_evaluators(report=locked).count()
    # The quorum cannot exceed the members allowed to score; at least one score is needed.
    quorum = max(1, min(cycle.board.quorum, eligible))
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
    reason = _stored_text(
        lambda: (
            _("Evaluation closed: score %(score)s, pass mark %(pass_mark)s.")
            % {"score": score, "pass_mark": cycle.pass_mark}
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
    send_event_on_commit("evaluation_closed", report_id=locked.pk, initiative_id=initiative.pk)
    return locked


@transaction.atomic
def initiative_decide(*, actor: User, report: AnnualReport, recognise: bool) -> AnnualReport:
    """The chair decides whether to recognise an evaluated initiative. Not recognised: back
    to monitored. Recognised: it stays evaluated until the recognition decision is issued."""
    initiative, locked = _lock_report(report)
    cycle = locked.cycle
    if Role.CHAIR not in board_role(actor, cycle.board):
        raise NotAllowed(_("Only the chair of the review cycle's steering board may decide."))
    if locked.status == AnnualReportStatus.DECIDED:
        raise WrongState(_("Already done: this report has already been decided."))
    if locked.status != AnnualReportStatus.EVALUATION_CLOSED:
        raise WrongState(_("The evaluation of this report is not closed yet."))
    _require_not_final(initiative)
    if initiative.status != InitiativeStatus.EVALUATED:
        raise WrongState(_("The initiative is not awaiting a decision."))
    now = timezone.now()
    locked.recognise = bool(recognise)
    locked.status = AnnualReportStatus.DECIDED
    locked.decided_by = actor
    locked.decided_at = now
    locked.save(update_fields=["recognise", "status", "decided_by", "decided_at"])
    if not recognise:
        reason = _stored_text(
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
    send_event_on_commit(
        "initiative_decided",
        report_id=locked.pk,
        initiative_id=initiative.pk,
        recognise=bool(recognise),
    )
    return locked


# --- nominations --------------------------------------------------------------------------


@transaction.atomic
def nomination_create(
    *,
    actor: User,
    board: SteeringBoard,
    awarding_body: IssuingBody,
    items: Sequence[Initiative],
    citation: str,
    cycle: ReviewCycle | None = None,
) -> Nomination:
    """The board's secretary proposes recognised initiatives' owners to an awarding body:
    the owner unit for a collective initiative, the owner for an individual one."""
    _require_board_secretary(actor, board)
    citation = _required(citation, _("The citation is required."))
    if not items:
        raise InvalidInput(_("Choose at least one initiative."))
    ids = [item.pk for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("An initiative is listed more than once."))
    if cycle is not None and cycle.board_id != board.pk:
        raise InvalidInput(_("The review cycle belongs to another board."))
    board_unit = board.unit
    if awarding_body.unit_id is not None and not board_unit.is_in_subtree_of(awarding_body.unit):
        raise InvalidInput(_("The awarding body must be at the board's level or above."))
    # Lock in primary-key order so concurrent nominations cannot deadlock.
    locked = list(
        Initiative.objects.select_for_update(of=("self",))
        .select_related("owner_unit")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    for initiative in locked:
        if not initiative.owner_unit.is_in_subtree_of(board_unit):
            raise NotAllowed(
                _("Initiative %(code)s is outside the board's units.") % {"code": initiative.code}
            )
        if initiative.status != InitiativeStatus.RECOGNISED:
            raise WrongState(
                _("Initiative %(code)s is not recognised.") % {"code": initiative.code}
            )
    nomination = Nomination.objects.create(
        board=board,
        cycle=cycle,
        awarding_body=awarding_body,
        citation=citation,
        status=NominationStatus.SUBMITTED,
        proposed_by=actor,
    )
    by_pk = {initiative.pk: initiative for initiative in locked}
    NominationItem.objects.bulk_create(
        NominationItem(
            nomination=nomination,
            initiative=by_pk[pk],
            recipient_kind=(
                RecipientKind.INDIVIDUAL
                if by_pk[pk].kind == InitiativeKind.INDIVIDUAL
                else RecipientKind.COLLECTIVE
            ),
            recipient_name=(
                by_pk[pk].owner_name
                if by_pk[pk].kind == InitiativeKind.INDIVIDUAL
                else by_pk[pk].owner_unit.name
            ),
            unit=by_pk[pk].owner_unit,
        )
        for pk in ids
    )
    send_event_on_commit("nomination_submitted", nomination_id=nomination.pk)
    return nomination


# --- decisions (steps 6 and 8) --------------------------------------------------------------

# The default issuer of a recognition decision: the first issuing body attached to the
# board's own unit in this order of kinds (the board itself, then the unit's People's
# Committee, then its party committee); the lowest id wins within a kind.
RECOGNITION_ISSUER_KINDS = (
    IssuerKind.STEERING_BOARD,
    IssuerKind.PEOPLE_COMMITTEE,
    IssuerKind.PARTY_COMMITTEE,
)


def _is_clerk_of(actor: User, unit_id: int | None) -> bool:
    """The user is a clerk of exactly this unit (the task's taker rule, ``flows.may_take``)."""
    return (
        unit_id is not None
        and UnitRole.objects.filter(user=actor, unit_id=unit_id, role=Role.CLERK).exists()
    )


def recognition_issuer(*, unit: Unit) -> IssuingBody | None:
    """The default issuer of the recognition decisions of ``unit``'s board."""
    bodies = list(IssuingBody.objects.filter(unit=unit, kind__in=RECOGNITION_ISSUER_KINDS))
    bodies.sort(key=lambda body: (RECOGNITION_ISSUER_KINDS.index(body.kind), body.pk))
    return bodies[0] if bodies else None


def _lock_initiatives(ids: Sequence[int]) -> list[Initiative]:
    """Lock initiatives in primary-key order, so concurrent steps cannot deadlock."""
    return list(
        Initiative.objects.select_for_update(of=("self",))
        .select_related("owner_unit", "phase")
        .filter(pk__in=list(ids))
        .order_by("pk")
    )


@transaction.atomic
def recognition_decision_issue(
    *,
    actor: User,
    cycle: ReviewCycle,
    issued_on: dt.date | None = None,
    issuer: IssuingBody | None = None,
    title: str | None = None,
    legal_bases: Sequence[str] | None = None,
) -> Decision:
    """The clerk of the board's unit issues one numbered decision recognising every
    initiative the chair chose in the cycle and no decision recognised yet: → recognised.

    A chair's later choice in the same cycle waits for a second decision; with nothing
    waiting the call is refused (``WrongState``), saying whether a decision was issued.
    ``issuer`` defaults to ``recognition_issuer`` of the board's unit.
    """
    locked = (
        ReviewCycle.objects.select_for_update(of=("self",))
        .select_related("board", "board__unit")
        .get(pk=cycle.pk)
    )
    board_unit = locked.board.unit
    if not _is_clerk_of(actor, board_unit.pk):
        raise NotAllowed(
            _("Only a clerk of the steering board's unit may issue the recognition decision.")
        )
    if issuer is None:
        issuer = recognition_issuer(unit=board_unit)
        if issuer is None:
            raise InvalidInput(
                _("No issuing body is set up for %(unit)s: add one first.")
                % {"unit": board_unit.name}
            )
    elif issuer.unit_id != board_unit.pk:
        raise InvalidInput(
            _("The issuing body must belong to %(unit)s.") % {"unit": board_unit.name}
        )
    chosen = AnnualReport.objects.filter(
        cycle=locked,
        status=AnnualReportStatus.DECIDED,
        recognise=True,
        recognition_decision__isnull=True,
    )
    initiatives = [
        initiative
        for initiative in _lock_initiatives(list(chosen.values_list("initiative_id", flat=True)))
        if initiative.status == InitiativeStatus.EVALUATED
    ]
    if not initiatives:
        if AnnualReport.objects.filter(cycle=locked, recognition_decision__isnull=False).exists():
            raise WrongState(
                _("Already done: the recognition decision of this review cycle has been issued.")
            )
        raise WrongState(
            _("The chair has not chosen any initiative to recognise in this review cycle.")
        )
    issued_on = issued_on or timezone.localdate()
    decision = decision_issue(
        issuer=issuer,
        kind=DecisionKind.RECOGNITION,
        issued_on=issued_on,
        title=(title or "").strip()
        or f"Về việc công nhận mô hình “Dân vận khéo” năm {locked.year}",
        entries=[EntryInput.for_initiative(initiative) for initiative in initiatives],
        actor=actor,
        legal_bases=legal_bases,
    )
    AnnualReport.objects.filter(
        cycle=locked, initiative__in=[initiative.pk for initiative in initiatives]
    ).update(recognition_decision=decision)
    reason = _stored_text(
        lambda: (
            _("Recognised by decision %(number)s of %(issuer)s.")
            % {"number": decision.number, "issuer": issuer.name}
        )
    )
    now = timezone.now()
    for initiative in initiatives:
        initiative_record_status(
            initiative=initiative,
            to_status=InitiativeStatus.RECOGNISED,
            actor=actor,
            reason=reason,
            source="recognition_decision_issue",
            at=now,
        )
    send_event_on_commit(
        "recognition_decision_issued",
        decision_id=decision.pk,
        cycle_id=locked.pk,
        initiative_ids=[initiative.pk for initiative in initiatives],
    )
    return decision


@transaction.atomic
def nomination_commend(
    *,
    actor: User,
    nomination: Nomination,
    award: str,
    approved_item_ids: Sequence[int] | None = None,
    issued_on: dt.date | None = None,
    citation: str | None = None,
    title: str | None = None,
) -> Decision:
    """The clerk of the awarding body's unit approves all (``approved_item_ids`` None) or
    some of a nomination's recipients into one numbered commendation decision with one
    award; the approved initiatives → commended, with their ``Commendation`` rows and, for
    a Giấy khen or Bằng khen, their certificates. The other items are refused."""
    locked = (
        Nomination.objects.select_for_update(of=("self",))
        .select_related("awarding_body", "awarding_body__unit")
        .get(pk=nomination.pk)
    )
    body = locked.awarding_body
    if not _is_clerk_of(actor, body.unit_id):
        raise NotAllowed(
            _("Only a clerk of the awarding body's unit may issue the commendation decision.")
        )
    if locked.status == NominationStatus.DECIDED:
        raise WrongState(_("Already done: this nomination has already been decided."))
    if locked.status != NominationStatus.SUBMITTED:
        raise WrongState(_("This nomination has not been submitted."))
    if award not in AwardType.values:
        raise InvalidInput(_("Unknown award: %(award)s") % {"award": award})
    items = list(locked.items.select_related("unit").order_by("pk"))
    if approved_item_ids is None:
        approved = items
    else:
        wanted = list(approved_item_ids)
        known = {item.pk for item in items}
        unknown = [str(pk) for pk in wanted if pk not in known]
        if unknown:
            raise InvalidInput(
                _("Not in this nomination: %(items)s.") % {"items": ", ".join(unknown)}
            )
        approved = [item for item in items if item.pk in set(wanted)]
    if not approved:
        raise InvalidInput(_("Approve at least one nominated recipient."))
    by_pk = {i.pk: i for i in _lock_initiatives([item.initiative_id for item in approved])}
    for item in approved:
        initiative = by_pk[item.initiative_id]
        if initiative.status != InitiativeStatus.RECOGNISED:
            raise WrongState(
                _("Initiative %(code)s is not recognised.") % {"code": initiative.code}
            )
    citation = (citation or "").strip() or locked.citation
    issued_on = issued_on or timezone.localdate()
    decision = decision_issue(
        issuer=body,
        kind=DecisionKind.COMMENDATION,
        issued_on=issued_on,
        title=(title or "").strip()
        or f"Về việc khen thưởng trong phong trào thi đua “Dân vận khéo” năm {issued_on.year}",
        entries=[
            EntryInput.for_initiative(
                by_pk[item.initiative_id],
                unit=item.unit,
                recipient_kind=item.recipient_kind,
                recipient_name=item.recipient_name,
                award=award,
                citation=citation,
            )
            for item in approved
        ],
        actor=actor,
    )
    if award in CERTIFICATE_AWARDS:
        certificates_issue(decision=decision, actor=actor)
    approved_ids = [item.pk for item in approved]
    locked.items.filter(pk__in=approved_ids).update(approved=True)
    locked.items.exclude(pk__in=approved_ids).update(approved=False)
    locked.status = NominationStatus.DECIDED
    locked.decision = decision
    locked.save(update_fields=["status", "decision"])
    award_label = AwardType(award).label
    reason = _stored_text(
        lambda: (
            _("Commended (%(award)s) by decision %(number)s of %(issuer)s.")
            % {"award": str(award_label), "number": decision.number, "issuer": body.name}
        )
    )
    now = timezone.now()
    for initiative in by_pk.values():
        initiative_record_status(
            initiative=initiative,
            to_status=InitiativeStatus.COMMENDED,
            actor=actor,
            reason=reason,
            source="nomination_commend",
            at=now,
        )
    send_event_on_commit(
        "nomination_commended",
        nomination_id=locked.pk,
        decision_id=decision.pk,
        initiative_ids=sorted(by_pk),
    )
    return decision
