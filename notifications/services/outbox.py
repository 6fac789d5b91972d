"""Writing the outbox and delivering it.

**Outbox.** A scan (``reminders_scan``) works out every message due at a moment and writes
it in one transaction: reminders to each official of an owner unit are one
``INSERT … SELECT … ON CONFLICT DO NOTHING`` per deadline, list messages (a chair's missing
reports, a digest) a ``bulk_create(ignore_conflicts=True)``. The unique key of ``Message``
(recipient, kind, subject, reason, due date) makes a second scan, a redelivered task or two
scans racing write nothing twice. The same transaction writes one ``Delivery`` per message and
channel (unique too).

**Delivery.** After the commit the scan hands the new deliveries to the broker in batches
(``deliver_batch`` tasks, ``NOTIFICATION_BATCH_SIZE`` ids each); when the broker is down the
failure is logged and the rows stay pending: the sweeper (``deliveries_sweep``, beat every
minute) queues every pending delivery not queued recently, so nothing written is lost.
``deliveries_send`` claims rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL; on
SQLite the IMMEDIATE transaction serialises writers) and only while they are pending:

- a transactional channel (the inbox) is claimed, sent and marked sent in one transaction:
  exactly once, whatever is killed when;
- any other channel (email) is claimed as "sending" and committed, then each message is sent
  and marked sent at once. A crash between the SMTP server accepting a message and the
  commit of its "sent" mark leaves that one message "sending"; after
  ``NOTIFICATION_SENDING_LEASE`` seconds the sweeper makes it pending again and it is sent
  a second time. That window (one message per crashed worker) is the at-least-once part of
  email; SMTP offers no way to close it.

Event messages (a cycle opened, a decision issued) are written by the lifecycle receivers
without touching the broker (the sweeper delivers them within a minute), so the services
that cause them work with the broker down.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    JSONField,
    OuterRef,
    QuerySet,
    Value,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.models import CycleStatus, ReviewCycle, Role, UnitRole, User
from documents.models import Decision, DecisionEntry, DecisionStatus
from workflows.models import AnnualReport

from .. import selectors
from ..channels import get_channels
from ..models import Delivery, DeliveryStatus, Message, MessageKind

log = logging.getLogger(__name__)

DEFAULT_OFFSETS = (14, 3, 0)


def batch_size() -> int:
    return settings.NOTIFICATION_BATCH_SIZE


def max_attempts() -> int:
    return settings.NOTIFICATION_MAX_ATTEMPTS


def parse_moment(value: str | None) -> dt.datetime | None:
    """ "2026-11-21T08:00" (local time unless it says otherwise) as an aware datetime."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(f"not a date and time: {value!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# --- when a reminder is due -----------------------------------------------------------------


def reminder_offsets(cycle: ReviewCycle) -> list[int]:
    """The cycle's reminder days before a deadline, largest first (default 14, 3, 0)."""
    raw = cycle.reminder_offsets or DEFAULT_OFFSETS
    offsets = set()
    for value in raw:
        try:
            days = int(value)
        except (TypeError, ValueError):
            continue
        if days >= 0:
            offsets.add(days)
    return sorted(offsets or DEFAULT_OFFSETS, reverse=True)


def before_reason(*, due_on: dt.date, today: dt.date, offsets: Sequence[int]) -> str | None:
    """The latest reminder point on or before ``today`` ("before:3"), while not overdue.

    Only the latest point counts: a scan that did not run on the 14-days point does not send
    that reminder on the 3-days point as well.
    """
    if today > due_on:
        return None
    days_left = (due_on - today).days
    passed = [days for days in offsets if days >= days_left]
    return f"before:{min(passed)}" if passed else None


def overdue_round(*, due_on: dt.date, today: dt.date) -> int:
    """1 a week after the deadline, 2 after two weeks...; 0 before the first week is out."""
    every = settings.NOTIFICATION_OVERDUE_EVERY_DAYS
    late = (today - due_on).days
    return late // every if late >= every else 0


def report_reason(*, due_on: dt.date, today: dt.date, offsets: Sequence[int]) -> str | None:
    late = overdue_round(due_on=due_on, today=today)
    if late:
        return f"overdue:{late}"
    return before_reason(due_on=due_on, today=today, offsets=offsets)


# --- the outbox -----------------------------------------------------------------------------


@dataclass
class ScanResult:
    stamp: dt.datetime
    created: Counter = field(default_factory=Counter)
    deliveries: int = 0

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def messages(self) -> QuerySet[Message]:
        return Message.objects.filter(created_at=self.stamp)


def _content_type(model) -> int:
    return ContentType.objects.get_for_model(model).pk


class _Outbox:
    """Writes messages stamped with one ``created_at``, then their deliveries."""

    def __init__(self) -> None:
        self.stamp = timezone.now()

    def insert_select(self, rows: QuerySet, **columns: Any) -> int:
        """``INSERT INTO message (…) SELECT …`` the ORM selection ``rows`` with ``columns``
        (expressions on its rows), skipping messages that exist."""
        columns.setdefault("context", Value({}, output_field=JSONField()))
        columns.setdefault("created_at", Value(self.stamp))
        return _insert_select(Message, rows, columns)

    def add(self, messages: Iterable[Message]) -> None:
        batch = []
        for message in messages:
            message.created_at = self.stamp
            batch.append(message)
        Message.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)

    def create_deliveries(self, *, queued: bool = False) -> int:
        """One pending delivery per new message and channel that reaches its recipient;
        ``queued``: marked as handed to the broker (the caller queues them on commit)."""
        created = 0
        now = timezone.now()
        for channel in get_channels().values():
            messages = Message.objects.filter(created_at=self.stamp)
            reach = channel.reaches()
            if reach:
                messages = messages.filter(recipient__in=User.objects.filter(reach).values("pk"))
            columns = {
                "message": F("pk"),
                "channel": Value(channel.name),
                "status": Value(DeliveryStatus.PENDING.value),
                "attempts": Value(0),
                "last_error": Value(""),
                "created_at": Value(now),
            }
            if queued:
                columns["queued_at"] = Value(now)
            created += _insert_select(Delivery, messages.order_by(), columns)
        return created

    def result(self) -> ScanResult:
        result = ScanResult(stamp=self.stamp)
        for kind, count in (
            Message.objects.filter(created_at=self.stamp)
            .order_by()
            .values("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n")
        ):
            result.created[kind] = count
        return result


def _insert_select(model, rows: QuerySet, columns: dict[str, Any]) -> int:
    """``INSERT INTO <model> (columns) SELECT … FROM (rows) ON CONFLICT DO NOTHING``: the
    selection is compiled by the ORM, the rows never come through Python."""
    aliases = {f"n_{name}": expression for name, expression in columns.items()}
    select_sql, params = rows.values(**aliases).query.sql_with_params()
    meta = model._meta
    qn = connection.ops.quote_name
    target = ", ".join(qn(meta.get_field(name).column) for name in columns)
    outer = ", ".join(f"s.{qn(alias)}" for alias in aliases)
    # "WHERE 1 = 1" keeps SQLite from reading ON CONFLICT as a join condition.
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({target}) SELECT {outer} FROM ({select_sql}) s "
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


# --- what is due ----------------------------------------------------------------------------


def _list_context(items: list[dict[str, Any]], count: int, **extra: Any) -> dict[str, Any]:
    return {"count": count, "items": items, **extra}


def _scan_reports(outbox: _Outbox, today: dt.date) -> None:
    report_type = _content_type(AnnualReport)
    cycle_type = _content_type(ReviewCycle)
    by_reason: dict[tuple[dt.date, str], list[int]] = {}
    lists: list[Message] = []
    missing_cycles: dict[int, ReviewCycle] = {}
    for cycle, due_on, _pending in selectors.pending_report_groups():
        reason = report_reason(due_on=due_on, today=today, offsets=reminder_offsets(cycle))
        if reason:
            by_reason.setdefault((due_on, reason), []).append(cycle.pk)
        late = overdue_round(due_on=due_on, today=today)
        if late >= 2:
            # From the second overdue round on, the board's secretary gets the list too.
            items, count = selectors.report_items(
                selectors.pending_reports(cycle=cycle, due_on=due_on)
            )
            for user_id in selectors.board_people(
                board_ids=[cycle.board_id], roles=[Role.SECRETARY]
            ).get(cycle.board_id, []):
                lists.append(
                    Message(
                        recipient_id=user_id,
                        kind=MessageKind.REPORTS_OVERDUE,
                        subject_type_id=cycle_type,
                        subject_id=cycle.pk,
                        reason=f"overdue:{late}",
                        due_on=due_on,
                        cycle=cycle,
                        context=_list_context(items, count),
                    )
                )
        if today > cycle.evaluation_due:
            missing_cycles[cycle.pk] = cycle
    for (due_on, reason), cycle_ids in by_reason.items():
        outbox.insert_select(
            selectors.report_reminder_rows(cycle_ids=cycle_ids, due_on=due_on),
            recipient=F("recipient"),
            kind=Value(MessageKind.REPORT_DUE.value),
            subject_type=Value(report_type),
            subject_id=F("pk"),
            reason=Value(reason),
            due_on=F("due_on"),
            initiative=F("initiative_id"),
            cycle=F("cycle_id"),
        )
    # After the evaluation deadline the chair gets one list of what is still missing.
    chairs = selectors.board_people(
        board_ids={cycle.board_id for cycle in missing_cycles.values()}, roles=[Role.CHAIR]
    )
    for cycle in missing_cycles.values():
        items, count = selectors.report_items(selectors.pending_reports(cycle=cycle))
        for user_id in chairs.get(cycle.board_id, []):
            lists.append(
                Message(
                    recipient_id=user_id,
                    kind=MessageKind.REPORTS_MISSING,
                    subject_type_id=cycle_type,
                    subject_id=cycle.pk,
                    reason="missing",
                    due_on=cycle.evaluation_due,
                    cycle=cycle,
                    context=_list_context(items, count),
                )
            )
    outbox.add(lists)


def _scan_evaluations(outbox: _Outbox, today: dt.date) -> None:
    cycle_type = _content_type(ReviewCycle)
    cycles = ReviewCycle.objects.filter(status=CycleStatus.OPEN, evaluation_due__gte=today)
    reasons: dict[int, tuple[str, ReviewCycle]] = {}
    for cycle in cycles:
        reason = before_reason(
            due_on=cycle.evaluation_due, today=today, offsets=reminder_offsets(cycle)
        )
        if reason:
            reasons[cycle.pk] = (reason, cycle)
    if not reasons:
        return
    found = selectors.listings(selectors.evaluation_task_rows(cycle_ids=list(reasons)))
    outbox.add(
        Message(
            recipient_id=user_id,
            kind=MessageKind.EVALUATION_DUE,
            subject_type_id=cycle_type,
            subject_id=cycle_id,
            reason=reasons[cycle_id][0],
            due_on=reasons[cycle_id][1].evaluation_due,
            cycle_id=cycle_id,
            context=_list_context(listing.items, listing.count),
        )
        for (user_id, cycle_id), listing in found.items()
    )


def _scan_digest(outbox: _Outbox, now: dt.datetime, today: dt.date) -> None:
    """One message a day to each secretary, chair or clerk with tasks older than
    ``NOTIFICATION_TASK_AGE_DAYS``, listing all of them."""
    age = settings.NOTIFICATION_TASK_AGE_DAYS
    waiting = selectors.waiting_tasks(older_than=now - dt.timedelta(days=age))
    user_type = _content_type(User)
    limit = selectors.list_limit()
    outbox.add(
        Message(
            recipient_id=user_id,
            kind=MessageKind.TASK_DIGEST,
            subject_type_id=user_type,
            subject_id=user_id,
            reason="daily",
            due_on=today,
            context=_list_context(
                [
                    {
                        "flow": task.flow,
                        "task": task.task,
                        "code": task.code,
                        "title": task.title,
                        "unit": task.unit,
                        "since": task.since.isoformat(),
                    }
                    for task in tasks[:limit]
                ],
                len(tasks),
                min_age_days=age,
            ),
        )
        for user_id, tasks in waiting.items()
    )


def _cycle_opened_messages(outbox: _Outbox, cycle: ReviewCycle) -> None:
    cycle_type = _content_type(ReviewCycle)
    reports = AnnualReport.objects.filter(cycle=cycle).count()
    boards = selectors.board_people(
        board_ids=selectors.boards_in_scope(cycle=cycle).values_list("pk", flat=True),
        roles=[Role.CHAIR, Role.SECRETARY],
    )
    people = sorted({user_id for users in boards.values() for user_id in users})
    messages = [
        Message(
            recipient_id=user_id,
            kind=MessageKind.CYCLE_OPENED,
            subject_type_id=cycle_type,
            subject_id=cycle.pk,
            reason="board",
            due_on=cycle.report_due,
            cycle=cycle,
            context={"count": reports},
        )
        for user_id in people
    ]
    for (user_id, _cycle), listing in selectors.listings(
        selectors.cycle_owner_rows(cycle=cycle)
    ).items():
        messages.append(
            Message(
                recipient_id=user_id,
                kind=MessageKind.CYCLE_OPENED,
                subject_type_id=cycle_type,
                subject_id=cycle.pk,
                reason="owner",
                due_on=cycle.report_due,
                cycle=cycle,
                context=_list_context(listing.items, listing.count),
            )
        )
    outbox.add(messages)


def _decision_messages(outbox: _Outbox, decision: Decision) -> None:
    entry_type = _content_type(DecisionEntry)
    entries = list(decision.entries.filter(initiative__isnull=False).select_related("initiative"))
    officials: dict[int, list[int]] = {}
    for unit_id, user_id in UnitRole.objects.filter(
        unit_id__in={entry.initiative.owner_unit_id for entry in entries},
        role=Role.OFFICIAL,
        user__is_active=True,
    ).values_list("unit_id", "user_id"):
        officials.setdefault(unit_id, []).append(user_id)
    outbox.add(
        Message(
            recipient_id=user_id,
            kind=MessageKind.DECISION_ISSUED,
            subject_type_id=entry_type,
            subject_id=entry.pk,
            reason="",
            due_on=decision.issued_on,
            initiative_id=entry.initiative_id,
            context={
                "decision_id": decision.pk,
                "kind": decision.kind,
                "number": decision.number,
                "title": decision.title,
                "issuer": decision.issuer.name,
                "issued_on": decision.issued_on.isoformat(),
                "recipient": entry.recipient_name,
                "award": entry.award,
            },
        )
        for entry in entries
        for user_id in officials.get(entry.initiative.owner_unit_id, [])
    )


def _event_window(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=settings.NOTIFICATION_EVENT_WINDOW_DAYS)


def _scan_events(outbox: _Outbox, now: dt.datetime) -> None:
    """Catch up on notices whose event was missed (a receiver that failed, a process killed
    after the commit): cycles opened and decisions issued in the last few days."""
    unannounced = ReviewCycle.objects.filter(
        status=CycleStatus.OPEN, opened_at__gte=_event_window(now), opened_at__lte=now
    ).exclude(Exists(Message.objects.filter(kind=MessageKind.CYCLE_OPENED, cycle=OuterRef("pk"))))
    for cycle in unannounced.select_related("board__unit"):
        _cycle_opened_messages(outbox, cycle)
    decisions = Decision.objects.filter(
        status=DecisionStatus.ISSUED, issued_at__gte=_event_window(now), issued_at__lte=now
    ).select_related("issuer")
    for decision in decisions:
        _decision_messages(outbox, decision)


# --- services -------------------------------------------------------------------------------


@transaction.atomic
def reminders_scan(*, now: dt.datetime | None = None, queue: bool = True) -> ScanResult:
    """Write every message due at ``now`` (default: now) and its deliveries, in one
    transaction; with ``queue``, hand the new deliveries to the broker after the commit.

    Idempotent: what was written by an earlier scan is skipped by the unique keys.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    outbox = _Outbox()
    _scan_reports(outbox, today)
    _scan_evaluations(outbox, today)
    _scan_digest(outbox, now, today)
    _scan_events(outbox, now)
    result = outbox.result()
    # Written as queued when they will be: no second pass over the rows after the commit.
    result.deliveries = outbox.create_deliveries(queued=queue)
    if queue and result.deliveries:
        stamp = outbox.stamp
        from .delivery import deliveries_queue

        transaction.on_commit(
            lambda: deliveries_queue(delivery_ids=_pending_of(stamp), marked=True)
        )
    return result


def _pending_of(stamp: dt.datetime) -> list[int]:
    return list(
        Delivery.objects.filter(message__created_at=stamp, status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def cycle_opened_notify(*, cycle: ReviewCycle) -> ScanResult:
    """Tell every board in the cycle's scope (chair, secretary) and every owner (the
    officials of each unit with an annual report) that the cycle is open. Delivered by the
    sweeper: no broker needed here."""
    outbox = _Outbox()
    cycle = ReviewCycle.objects.select_related("board__unit").get(pk=cycle.pk)
    if cycle.status != CycleStatus.DRAFT:
        _cycle_opened_messages(outbox, cycle)
    result = outbox.result()
    result.deliveries = outbox.create_deliveries()
    return result


@transaction.atomic
def notify_decision_issued(decision: Decision) -> ScanResult:
    """Tell the officials of each initiative's owner unit named in an issued recognition or
    commendation decision, with links to the decision and to its certificates. Call it
    after ``documents.services.decision_issue`` commits (``transaction.on_commit``); the
    scan also catches up on decisions of the last ``NOTIFICATION_EVENT_WINDOW_DAYS`` days."""
    outbox = _Outbox()
    decision = Decision.objects.select_related("issuer").get(pk=decision.pk)
    if decision.status == DecisionStatus.ISSUED:
        _decision_messages(outbox, decision)
    result = outbox.result()
    result.deliveries = outbox.create_deliveries()
    return result
