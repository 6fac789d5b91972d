"""Delivering the outbox: queueing delivery batches, the sweeper, and sending each
delivery on its channel exactly once (in-app) or at least once (email). See
``notifications.services.outbox`` for how messages are written."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import (
    F,
    Q,
)
from django.utils import timezone

from ..channels import Channel, MessageRef, TransientChannelError, get_channels
from ..models import Delivery, DeliveryStatus, Message
from .outbox import batch_size, max_attempts

log = logging.getLogger(__name__)


def deliveries_queue(*, delivery_ids: Sequence[int], marked: bool = False) -> int:
    """Hand deliveries to the broker in batches (one ``deliver_batch`` task each), marking
    them queued (``marked``: the caller wrote ``queued_at`` already). A broker failure is
    logged and ends the run: what was not queued is unmarked and stays pending for the
    sweeper. Returns how many were queued."""
    from ..tasks import deliver_batch

    ids = list(delivery_ids)
    if not marked:
        _mark_queued(ids, timezone.now())
    size = batch_size()
    for start in range(0, len(ids), size):
        try:
            deliver_batch.delay(ids[start : start + size])
        except Exception:  # the broker, whatever its error: the outbox keeps the work
            log.warning(
                "could not queue %s notification deliveries; the sweeper will retry",
                len(ids) - start,
                exc_info=True,
            )
            _mark_queued(ids[start:], None)
            return start
    return len(ids)


def _mark_queued(ids: Sequence[int], moment: dt.datetime | None) -> None:
    for start in range(0, len(ids), 5000):
        Delivery.objects.filter(pk__in=ids[start : start + 5000]).update(queued_at=moment)


def deliveries_sweep(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Queue again what is still pending and was not queued recently (a broker outage, a
    killed worker, a retry that gave up), after returning expired "sending" claims to
    pending. Returns how many deliveries were queued."""
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.NOTIFICATION_SENDING_LEASE)
    stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease)
    stale.filter(attempts__gte=max_attempts()).update(
        status=DeliveryStatus.FAILED, claimed_at=None, last_error="claim expired"
    )
    stale.update(status=DeliveryStatus.PENDING, claimed_at=None, queued_at=None)
    requeue = dt.timedelta(seconds=settings.NOTIFICATION_REQUEUE_AFTER)
    limit = limit or settings.NOTIFICATION_SWEEP_LIMIT
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return deliveries_queue(delivery_ids=ids) if ids else 0


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _messages(channel: Channel, ids: Iterable[int]) -> list[Message] | list[MessageRef]:
    if not channel.reads_messages:
        # The inbox only needs to know which messages: no rows to load.
        return [MessageRef(pk) for pk in sorted(ids)]
    return list(
        Message.objects.filter(pk__in=list(ids))
        .select_related("recipient", "initiative__owner_unit", "cycle__board")
        .order_by("pk")
    )


def _claim(pks: Sequence[int]) -> list[tuple[int, int, str]]:
    """Lock the deliveries among ``pks`` that are still pending and that no other worker
    holds (``SKIP LOCKED``: a racing worker takes the others, never the same)."""
    return list(
        Delivery.objects.select_for_update(skip_locked=True)
        .filter(pk__in=list(pks), status=DeliveryStatus.PENDING)
        .order_by("pk")
        .values_list("pk", "message_id", "channel")
    )


def _fail(failures: dict[int, str], *, count_attempt: bool) -> list[int]:
    """Refused for good (a channel said so for this message, or the channel is gone)."""
    for pk, error in failures.items():
        updates: dict[str, Any] = {"last_error": error[:2000], "claimed_at": None}
        if count_attempt:
            updates["attempts"] = F("attempts") + 1
        Delivery.objects.filter(pk=pk).update(status=DeliveryStatus.FAILED, **updates)
    return list(failures)


def _release(pks: Sequence[int], error: str, *, attempted: bool = True) -> None:
    """Claimed but not sent: pending again, or failed once the attempts are used up.

    ``attempted=False`` (the channel was unavailable: nothing was tried) gives the claim's
    attempt back, so an SMTP outage of any length fails no message: they wait for it.
    """
    claimed = Delivery.objects.filter(pk__in=list(pks), status=DeliveryStatus.SENDING)
    if not attempted:
        claimed.update(
            status=DeliveryStatus.PENDING,
            claimed_at=None,
            attempts=F("attempts") - 1,
            last_error=error[:2000],
        )
        return
    claimed.filter(attempts__gte=max_attempts()).update(
        status=DeliveryStatus.FAILED, claimed_at=None, last_error=error[:2000]
    )
    claimed.update(status=DeliveryStatus.PENDING, claimed_at=None, last_error=error[:2000])


def _send_in_transaction(channel: Channel, by_message: dict[int, int], report: SendReport):
    """A transactional channel: sent and marked sent in the claiming transaction."""
    sent: list[int] = []
    errors: dict[int, str] = {}
    for message, error in channel.send_batch(_messages(channel, by_message)):
        if error is None:
            sent.append(by_message[message.pk])
        else:
            errors[by_message[message.pk]] = error
    Delivery.objects.filter(pk__in=sent).update(
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        attempts=F("attempts") + 1,
        last_error="",
    )
    report.sent += sent
    report.failed += _fail(errors, count_attempt=True)


def _send_claimed(channel: Channel, by_message: dict[int, int], report: SendReport) -> None:
    """Any other channel: claimed ("sending") and committed before, each message marked
    sent as soon as the channel has taken it."""
    done: set[int] = set()
    try:
        for message, error in channel.send_batch(_messages(channel, by_message)):
            pk = by_message[message.pk]
            done.add(pk)
            if error is None:
                # Marked at once: a crash now re-sends at most the message in flight.
                Delivery.objects.filter(pk=pk, status=DeliveryStatus.SENDING).update(
                    status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
                )
                report.sent.append(pk)
            else:
                report.failed += _fail({pk: error}, count_attempt=False)
    except TransientChannelError as exc:  # the channel is down: the rest waits for it
        _release([pk for pk in by_message.values() if pk not in done], str(exc), attempted=False)
        raise
    except BaseException as exc:  # a time limit, a bug: counted, so a poison message ends
        _release([pk for pk in by_message.values() if pk not in done], repr(exc))
        raise
    # A message the channel passed over without a word is not lost: pending again.
    _release([pk for pk in by_message.values() if pk not in done], "not sent by the channel")


def deliveries_send(*, delivery_ids: Sequence[int]) -> SendReport:
    """Send the pending deliveries among ``delivery_ids``; the others (sent, failed, held
    by another worker) are left alone, so a redelivered batch sends nothing twice.

    One transaction claims the batch; in it, transactional channels (the inbox) are sent
    and marked sent, the others marked "sending". After the commit the others are sent.
    Raises ``TransientChannelError`` when a channel is unavailable (the task retries); what
    it did not send is pending again.
    """
    channels = get_channels()
    report = SendReport()
    later: list[tuple[Channel, dict[int, int]]] = []
    with transaction.atomic():
        by_channel: dict[str, dict[int, int]] = {}
        for pk, message_id, name in _claim(delivery_ids):
            by_channel.setdefault(name, {})[message_id] = pk
        for name, by_message in by_channel.items():
            channel = channels.get(name)
            if channel is None:
                report.failed += _fail(
                    dict.fromkeys(by_message.values(), f"channel {name!r} is not configured"),
                    count_attempt=True,
                )
            elif channel.transactional:
                _send_in_transaction(channel, by_message, report)
            else:
                Delivery.objects.filter(pk__in=list(by_message.values())).update(
                    status=DeliveryStatus.SENDING,
                    claimed_at=timezone.now(),
                    attempts=F("attempts") + 1,
                )
                later.append((channel, by_message))
    transient: TransientChannelError | None = None
    for channel, by_message in later:
        try:
            _send_claimed(channel, by_message, report)
        except TransientChannelError as exc:
            log.warning("notification channel %s unavailable: %s", channel.name, exc)
            transient = exc
    if transient is not None:
        raise transient
    return report


def deliveries_send_all(*, delivery_ids: Sequence[int]) -> SendReport:
    """``deliveries_send`` in batches, in this process (the ``send_reminders`` command). A
    channel that is down leaves its deliveries pending for the sweeper; the others go."""
    report = SendReport()
    size = batch_size()
    for start in range(0, len(delivery_ids), size):
        try:
            part = deliveries_send(delivery_ids=delivery_ids[start : start + size])
        except TransientChannelError:
            continue  # logged by deliveries_send; what it did send is marked sent
        report.sent += part.sent
        report.failed += part.failed
    return report
