"""Reads for notifications: who is due a reminder, whose tasks wait, and the inbox.

The "tasks waiting" reads are based on the lifecycle's own records (an annual report that is
submitted and not yet scored by a member is that member's evaluation task, and so on), not on
viewflow's task rows: each returns plain rows (recipient, what, since) so it can later read
the task table instead without changing its callers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.compiled import CompiledQuery
from core.models import (
    PATH_SEPARATOR,
    BoardMember,
    CycleStatus,
    Initiative,
    InitiativeStatus,
    ReviewCycle,
    Role,
    SteeringBoard,
    UnitRole,
    User,
)
from workflows import takers
from workflows.flows import AnnualReviewFlow, RecognitionFlow
from workflows.models import (
    AnnualReport,
    AnnualReportStatus,
    Evaluation,
    Nomination,
)

from .channels import get_channels
from .models import DeliveryStatus, Message


def list_limit() -> int:
    """How many entries a list message (the chair's, a digest) carries; it gives the total."""
    return settings.NOTIFICATION_LIST_LIMIT


# --- the inbox ------------------------------------------------------------------------------


def inbox(*, user: User) -> QuerySet[Message]:
    """The user's messages whose in-app delivery went out, newest first."""
    return _inbox(recipient_id=user.pk, channel=inbox_channel_name())


def _inbox(*, recipient_id: int, channel: str) -> QuerySet[Message]:
    return (
        Message.objects.filter(
            recipient_id=recipient_id,
            deliveries__channel=channel,
            deliveries__status=DeliveryStatus.SENT,
        )
        .select_related("recipient", "initiative__owner_unit", "cycle__board")
        .order_by("-created_at", "-pk")
    )


def _unread(*, recipient_id: int, channel: str) -> QuerySet[Message]:
    return (
        _inbox(recipient_id=recipient_id, channel=channel).filter(read_at__isnull=True).values("pk")
    )


# Counted on every page's header: its SQL is built once (core.compiled).
_UNREAD = CompiledQuery(_unread)


def unread_count(*, user: User) -> int:
    return _UNREAD.count(recipient_id=user.pk, channel=inbox_channel_name())


def inbox_channel_name() -> str:
    """The channel that fills the inbox: the first transactional one configured."""
    for name, channel in get_channels().items():
        if channel.transactional:
            return name
    return "inapp"


# --- whom a notice concerns ------------------------------------------------------------------


def owner_officials(initiatives: Iterable[Initiative]) -> dict[int, list[int]]:
    """The officials each initiative's notices go to: those of its owner unit, or of the
    nearest unit above it that has officials (a hamlet's initiatives are run by its
    commune's officials). Two queries whatever the number of initiatives."""
    initiatives = list(initiatives)
    paths = {i.pk: i.owner_unit.path for i in initiatives}
    units = {u for path in paths.values() for u in _ancestor_ids(path)}
    officials: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in (
        UnitRole.objects.filter(unit_id__in=units, role=Role.OFFICIAL, user__is_active=True)
        .order_by("unit_id", "user_id")
        .values_list("unit_id", "user_id")
    ):
        officials[unit_id].append(user_id)
    return {
        pk: next((officials[u] for u in _ancestor_ids(path) if officials.get(u)), [])
        for pk, path in paths.items()
    }


# --- annual reports -------------------------------------------------------------------------


def _reportable() -> QuerySet[AnnualReport]:
    """Pending annual reports of open cycles whose initiative still takes part."""
    return AnnualReport.objects.filter(
        status=AnnualReportStatus.PENDING,
        cycle__status=CycleStatus.OPEN,
        initiative__status=InitiativeStatus.MONITORED,
    )


def pending_report_groups() -> list[tuple[ReviewCycle, dt.date, int]]:
    """(cycle, due date, pending reports) for every open cycle with reports still missing."""
    rows = list(
        _reportable()
        .order_by()
        .values("cycle_id", "due_on")
        .annotate(pending=Count("pk"))
        .values_list("cycle_id", "due_on", "pending")
    )
    cycles = ReviewCycle.objects.select_related("board").in_bulk({row[0] for row in rows})
    return [(cycles[cycle_id], due_on, pending) for cycle_id, due_on, pending in rows]


def report_reminder_rows(*, cycle_ids: Iterable[int], due_on: dt.date) -> QuerySet[AnnualReport]:
    """One row per (official of the owner unit, pending report) of these cycles due on
    ``due_on``: the reminders the annual report's owner gets. Annotated with ``recipient``.
    """
    return (
        _reportable()
        .filter(
            cycle_id__in=list(cycle_ids),
            due_on=due_on,
            initiative__owner_unit__roles__role=Role.OFFICIAL,
            initiative__owner_unit__roles__user__is_active=True,
        )
        .annotate(recipient=F("initiative__owner_unit__roles__user_id"))
        .order_by()
    )


def report_items(reports: QuerySet[AnnualReport]) -> tuple[list[dict[str, Any]], int]:
    """The first entries (code, title, unit) of a list of reports, and how many there are."""
    count = reports.count()
    rows = reports.order_by("initiative__code", "pk").values_list(
        "initiative__code", "initiative__title", "initiative__owner_unit__name"
    )[: list_limit()]
    return [{"code": c, "title": t, "unit": u} for c, t, u in rows], count


def pending_reports(*, cycle: ReviewCycle, due_on: dt.date | None = None) -> QuerySet[AnnualReport]:
    reports = _reportable().filter(cycle=cycle)
    if due_on is not None:
        reports = reports.filter(due_on=due_on)
    return reports


def board_people(*, board_ids: Iterable[int], roles: Iterable[str]) -> dict[int, list[int]]:
    """Active users holding one of ``roles`` on each board: {board id: [user id, ...]}."""
    people: dict[int, list[int]] = defaultdict(list)
    rows = (
        BoardMember.objects.filter(
            board_id__in=list(board_ids), role__in=list(roles), user__is_active=True
        )
        .order_by("board_id", "user_id")
        .values_list("board_id", "user_id")
        .distinct()
    )
    for board_id, user_id in rows:
        if user_id not in people[board_id]:
            people[board_id].append(user_id)
    return people


# --- evaluation tasks -----------------------------------------------------------------------


def evaluation_task_rows(*, cycle_ids: Iterable[int]) -> QuerySet[AnnualReport]:
    """One row per (board member, submitted report) the member still has to score, with the
    member as ``recipient``: submitted, in a cycle of the member's board, not owned by a unit
    the member belongs to (recusal), not yet scored by the member."""
    member = "cycle__board__members__user"
    return (
        AnnualReport.objects.filter(
            cycle_id__in=list(cycle_ids),
            cycle__status=CycleStatus.OPEN,
            status=AnnualReportStatus.SUBMITTED,
            initiative__status=InitiativeStatus.MONITORED,
            **{f"{member}__is_active": True},
        )
        .annotate(recipient=F(f"{member}_id"), recipient_unit=F(f"{member}__unit_id"))
        # (A member without a unit is not recused: NULL = x must not exclude the row.)
        .exclude(Q(recipient_unit__isnull=False) & Q(recipient_unit=F("initiative__owner_unit_id")))
        .exclude(
            Exists(
                UnitRole.objects.filter(
                    user_id=OuterRef("recipient"), unit_id=OuterRef("initiative__owner_unit_id")
                )
            )
        )
        .exclude(
            Exists(
                Evaluation.objects.filter(
                    annual_report_id=OuterRef("pk"), evaluator_id=OuterRef("recipient")
                )
            )
        )
        .order_by()
    )


@dataclass
class Listing:
    """What a list message carries for one recipient and subject."""

    count: int
    items: list[dict[str, Any]]


def listings(rows: QuerySet[AnnualReport], *, group: str = "cycle_id") -> dict[tuple, Listing]:
    """Group (recipient, report) rows by (recipient, ``group``): the number of distinct
    reports and the first ones by initiative code. Two queries whatever the size."""
    counts = (
        rows.values("recipient", group)
        .annotate(n=Count("pk", distinct=True))
        .values_list("recipient", group, "n")
    )
    result = {(recipient, key): Listing(n, []) for recipient, key, n in counts}
    firsts = (
        rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("recipient"), F(group)],
                order_by=[F("initiative__code").asc(), F("pk").asc()],
            )
        )
        .filter(rank__lte=list_limit())
        .values_list(
            "recipient",
            group,
            "pk",
            "initiative__code",
            "initiative__title",
            "initiative__owner_unit__name",
        )
    )
    seen: set[tuple] = set()
    for recipient, key, pk, code, title, unit in firsts:
        # A member holding two roles on one board appears twice; list each report once.
        if (recipient, key, pk) in seen:
            continue
        seen.add((recipient, key, pk))
        result[(recipient, key)].items.append({"code": code, "title": title, "unit": unit})
    for listing in result.values():
        listing.items.sort(key=lambda item: item["code"])
        del listing.items[list_limit() :]
    return result


# --- tasks waiting in the secretariats' and clerks' queues ----------------------------------


@dataclass(frozen=True)
class WaitingTask:
    recipient_id: int
    flow: str  # the flow's class name (AnnualReviewFlow...)
    task: str  # the step's node name (review, close, decide, recognition_decision, commend)
    code: str
    title: str
    unit: str
    since: dt.datetime


def _ancestor_ids(path: str) -> list[int]:
    """Unit ids of a materialised path, nearest first."""
    return [int(step, 16) for step in reversed(path.split(PATH_SEPARATOR)) if step]


# The steps whose takers get the daily digest: the secretariats', chairs' and clerks' work
# (officials have their report reminders, evaluators their evaluation reminders).
DIGEST_TAKERS = (
    takers.Taker.RESPONSIBLE_SECRETARY,
    takers.Taker.CYCLE_SECRETARY,
    takers.Taker.CYCLE_CHAIR,
    takers.Taker.BOARD_CLERK,
    takers.Taker.AWARDING_CLERK,
)


def _listed(codes: list[str], titles: list[str]) -> tuple[str, str]:
    code = ", ".join(codes[:5]) + (", …" if len(codes) > 5 else "")
    title = "; ".join(titles[:3]) + ("; …" if len(titles) > 3 else "")
    return code, title


def waiting_tasks(*, older_than: dt.datetime) -> dict[int, list[WaitingTask]]:
    """Open tasks of the secretariats, chairs and clerks waiting since before
    ``older_than``, by each person who may take them (``workflows.takers.takers_of``: the
    queue's own rule), oldest first. A "close the evaluation" task waits from the moment the
    evaluations it needs are in (``AnnualReport.evaluations_required``), not before."""
    process = "process__lifecycleprocess__"
    tasks = list(
        Task.objects.filter(
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
            owner_permission__in=[takers.Taker.permission(t) for t in DIGEST_TAKERS],
            created__lte=older_than,
        )
        .annotate(
            scores=Count(f"{process}annual_report__evaluations"),
            last_score=Max(f"{process}annual_report__evaluations__submitted_at"),
            needed=Coalesce(
                f"{process}annual_report__evaluations_required",
                f"{process}annual_report__cycle__board__quorum",
            ),
        )
        .select_related(
            f"{process}unit",
            f"{process}initiative__owner_unit",
            f"{process}cycle__board",
            f"{process}nomination__awarding_body",
            f"{process}nomination__board",
        )
        .order_by("created", "pk")
    )
    waiting: list[tuple[Task, dt.datetime]] = []
    for task in tasks:
        if task.flow_task is AnnualReviewFlow.close:
            if task.last_score is None or task.scores < (task.needed or 1):
                continue
            since = max(task.created, task.last_score)
            if since > older_than:
                continue
            waiting.append((task, since))
        else:
            waiting.append((task, task.created))
    if not waiting:
        return {}
    who = takers.takers_of([task for task, _since in waiting])
    recognition = _recognition_listing([t for t, _s in waiting])
    nominations = _nomination_listing([t for t, _s in waiting])
    by_user: dict[int, list[WaitingTask]] = defaultdict(list)
    for task, since in waiting:
        lifecycle = task.process.lifecycleprocess
        if lifecycle.initiative_id:
            initiative = lifecycle.initiative
            code, title, unit = initiative.code, initiative.title, initiative.owner_unit.name
        elif lifecycle.nomination_id:
            code, title = nominations.get(lifecycle.nomination_id, ("", ""))
            unit = lifecycle.nomination.board.name
        else:
            code, title = recognition.get(lifecycle.cycle_id, ("", ""))
            unit = lifecycle.cycle.board.name if lifecycle.cycle_id else ""
        for user_id in who.get(task.pk, ()):
            by_user[user_id].append(
                WaitingTask(
                    user_id,
                    task.flow_task.flow_class.__name__,
                    task.flow_task.name,
                    code,
                    title,
                    unit,
                    since,
                )
            )
    return {
        user_id: sorted(items, key=lambda t: (t.since, t.code))
        for user_id, items in by_user.items()
    }


def _recognition_listing(tasks: list[Task]) -> dict[int, tuple[str, str]]:
    """For each cycle with a recognition decision to issue: the initiatives it will list."""
    cycle_ids = {
        t.process.lifecycleprocess.cycle_id
        for t in tasks
        if t.flow_task is RecognitionFlow.recognition_decision
    }
    rows: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for cycle_id, code, title in (
        AnnualReport.objects.filter(
            cycle_id__in=cycle_ids,
            status=AnnualReportStatus.DECIDED,
            recognise=True,
            recognition_decision__isnull=True,
        )
        .order_by("cycle_id", "initiative__code")
        .values_list("cycle_id", "initiative__code", "initiative__title")
    ):
        rows[cycle_id][0].append(code)
        rows[cycle_id][1].append(title)
    return {cycle_id: _listed(*lists) for cycle_id, lists in rows.items()}


def _nomination_listing(tasks: list[Task]) -> dict[int, tuple[str, str]]:
    """For each nomination with a decision to issue: the initiatives it proposes."""
    ids = {t.process.lifecycleprocess.nomination_id for t in tasks} - {None}
    rows: dict[int, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for nomination_id, code, title in (
        Nomination.objects.filter(pk__in=ids)
        .order_by("pk", "items__pk")
        .values_list("pk", "items__initiative__code", "items__initiative__title")
    ):
        if code:
            rows[nomination_id][0].append(code)
            rows[nomination_id][1].append(title)
    return {nomination_id: _listed(*lists) for nomination_id, lists in rows.items()}


# --- review cycles --------------------------------------------------------------------------


def cycle_owner_rows(*, cycle: ReviewCycle) -> QuerySet[AnnualReport]:
    """One row per (official of the owner unit, annual report) of the cycle."""
    return (
        AnnualReport.objects.filter(
            cycle=cycle,
            initiative__owner_unit__roles__role=Role.OFFICIAL,
            initiative__owner_unit__roles__user__is_active=True,
        )
        .annotate(recipient=F("initiative__owner_unit__roles__user_id"))
        .order_by()
    )


def boards_in_scope(*, cycle: ReviewCycle) -> QuerySet[SteeringBoard]:
    """The active boards of the cycle board's subtree, the cycle's own board included."""
    return SteeringBoard.objects.filter(
        Q(pk=cycle.board_id) | Q(is_active=True, unit__path__startswith=cycle.board.unit.path)
    )
