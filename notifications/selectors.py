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
    Subquery,
    Window,
)
from django.db.models.functions import RowNumber

from core.models import (
    PATH_SEPARATOR,
    BoardMember,
    CycleStatus,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    ReviewCycle,
    Role,
    SteeringBoard,
    UnitRole,
    User,
)
from workflows.models import (
    AnnualReport,
    AnnualReportStatus,
    Evaluation,
    Nomination,
    NominationStatus,
)

from .channels import get_channels
from .models import DeliveryStatus, Message

DEFAULT_LIST_LIMIT = 200


def list_limit() -> int:
    """How many entries a list message (the chair's, a digest) carries; it gives the total."""
    return int(getattr(settings, "NOTIFICATION_LIST_LIMIT", DEFAULT_LIST_LIMIT))


# --- the inbox ------------------------------------------------------------------------------


def inbox(*, user: User) -> QuerySet[Message]:
    """The user's messages whose in-app delivery went out, newest first."""
    return (
        Message.objects.filter(
            recipient=user,
            deliveries__channel=inbox_channel_name(),
            deliveries__status=DeliveryStatus.SENT,
        )
        .select_related("recipient", "initiative__owner_unit", "cycle__board")
        .order_by("-created_at", "-pk")
    )


def unread_count(*, user: User) -> int:
    return inbox(user=user).filter(read_at__isnull=True).count()


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
    task: str  # review_registration, close_evaluation, decide, recognition_decision...
    code: str
    title: str
    unit: str
    since: dt.datetime


def _ancestor_ids(path: str) -> list[int]:
    """Unit ids of a materialised path, nearest first."""
    return [int(step, 16) for step in reversed(path.split(PATH_SEPARATOR)) if step]


def _registrations_waiting(older_than: dt.datetime) -> list[WaitingTask]:
    """Registrations awaiting the secretary of the responsible board (the nearest active
    board at or above the owner unit) since before ``older_than``."""
    since = Subquery(
        InitiativeStatusChange.objects.filter(
            initiative_id=OuterRef("pk"), to_status=InitiativeStatus.REGISTERED
        )
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    rows = list(
        Initiative.objects.filter(status=InitiativeStatus.REGISTERED)
        .annotate(since=since)
        .filter(since__lte=older_than)
        .values_list("code", "title", "owner_unit__name", "owner_unit__path", "since")
    )
    if not rows:
        return []
    boards = dict(SteeringBoard.objects.filter(is_active=True).values_list("unit_id", "pk"))
    responsible = []
    for code, title, unit, path, at in rows:
        board_id = next((boards[u] for u in _ancestor_ids(path) if u in boards), None)
        if board_id is not None:
            responsible.append((board_id, code, title, unit, at))
    secretaries = board_people(board_ids={row[0] for row in responsible}, roles=[Role.SECRETARY])
    return [
        WaitingTask(user_id, "review_registration", code, title, unit, at)
        for board_id, code, title, unit, at in responsible
        for user_id in secretaries.get(board_id, [])
    ]


def _report_tasks(
    reports: QuerySet[AnnualReport], *, task: str, since: str, roles: list[str]
) -> list[WaitingTask]:
    rows = list(
        reports.values_list(
            "cycle__board_id",
            "initiative__code",
            "initiative__title",
            "initiative__owner_unit__name",
            since,
        )
    )
    people = board_people(board_ids={row[0] for row in rows}, roles=roles)
    return [
        WaitingTask(user_id, task, code, title, unit, at)
        for board_id, code, title, unit, at in rows
        for user_id in people.get(board_id, [])
    ]


def _clerks(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    clerks: dict[int, list[int]] = defaultdict(list)
    for unit_id, user_id in UnitRole.objects.filter(
        unit_id__in=list(unit_ids), role=Role.CLERK, user__is_active=True
    ).values_list("unit_id", "user_id"):
        clerks[unit_id].append(user_id)
    return clerks


def waiting_tasks(*, older_than: dt.datetime) -> dict[int, list[WaitingTask]]:
    """Tasks waiting since before ``older_than`` in the queues of secretaries, chairs and
    clerks, by recipient, oldest first."""
    in_open_cycle = AnnualReport.objects.filter(cycle__status=CycleStatus.OPEN)
    tasks = _registrations_waiting(older_than)
    # Evaluations to close: a quorum has scored; waiting since the last score.
    ready = (
        in_open_cycle.filter(
            status=AnnualReportStatus.SUBMITTED, initiative__status=InitiativeStatus.MONITORED
        )
        .annotate(scores=Count("evaluations"), last_score=Max("evaluations__submitted_at"))
        .filter(scores__gte=F("cycle__board__quorum"), last_score__lte=older_than)
    )
    tasks += _report_tasks(
        ready, task="close_evaluation", since="last_score", roles=[Role.SECRETARY]
    )
    # Decisions for the chair.
    closed = in_open_cycle.filter(
        status=AnnualReportStatus.EVALUATION_CLOSED, closed_at__lte=older_than
    )
    tasks += _report_tasks(closed, task="decide", since="closed_at", roles=[Role.CHAIR])
    # Recognition decisions for the clerk of the board's unit: recognised by the chair,
    # decision not issued yet (the initiative is still "evaluated").
    to_issue = list(
        in_open_cycle.filter(
            status=AnnualReportStatus.DECIDED,
            recognise=True,
            initiative__status=InitiativeStatus.EVALUATED,
            decided_at__lte=older_than,
        ).values_list(
            "cycle__board__unit_id",
            "initiative__code",
            "initiative__title",
            "initiative__owner_unit__name",
            "decided_at",
        )
    )
    clerks = _clerks({row[0] for row in to_issue})
    tasks += [
        WaitingTask(user_id, "recognition_decision", code, title, unit, at)
        for unit_id, code, title, unit, at in to_issue
        for user_id in clerks.get(unit_id, [])
    ]
    # Commendation decisions for the clerk of the awarding body's unit.
    nominations = list(
        Nomination.objects.filter(
            status=NominationStatus.SUBMITTED,
            created_at__lte=older_than,
            awarding_body__unit__isnull=False,
        )
        .select_related("board")
        .prefetch_related("items__initiative")
    )
    clerks = _clerks({n.awarding_body.unit_id for n in nominations})
    for nomination in nominations:
        initiatives = [item.initiative for item in nomination.items.all()]
        codes = ", ".join(i.code for i in initiatives[:5]) + (", …" if len(initiatives) > 5 else "")
        titles = "; ".join(i.title for i in initiatives[:3]) + (
            "; …" if len(initiatives) > 3 else ""
        )
        for user_id in clerks.get(nomination.awarding_body.unit_id, []):
            tasks.append(
                WaitingTask(
                    user_id,
                    "commendation_decision",
                    codes,
                    titles,
                    nomination.board.name,
                    nomination.created_at,
                )
            )
    by_user: dict[int, list[WaitingTask]] = defaultdict(list)
    for task in tasks:
        by_user[task.recipient_id].append(task)
    active = set(
        User.objects.filter(pk__in=list(by_user), is_active=True).values_list("pk", flat=True)
    )
    return {
        user_id: sorted(items, key=lambda t: (t.since, t.code))
        for user_id, items in by_user.items()
        if user_id in active
    }


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
