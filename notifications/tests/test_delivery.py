"""Delivering the outbox: once per channel, failures kept, nothing lost when a part is down."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from notifications.channels import InAppChannel, TransientChannelError
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind
from notifications.services import deliveries_send, deliveries_sweep, reminders_scan

from .backends import REFUSED
from .scenario import REPORT_DUE, at, days

pytestmark = pytest.mark.django_db


def scan(moment=None):
    return reminders_scan(now=moment or at(REPORT_DUE - days(3)), queue=False)


def all_ids(**filters) -> list[int]:
    return list(Delivery.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))


def statuses(channel: str) -> list[str]:
    return sorted(set(Delivery.objects.filter(channel=channel).values_list("status", flat=True)))


def test_each_message_goes_out_once_on_each_channel(scenario):
    scan()
    ids = all_ids()
    report = deliveries_send(delivery_ids=ids)
    assert sorted(report.sent) == ids
    assert len(mail.outbox) == 6
    assert statuses("inapp") == statuses("email") == [DeliveryStatus.SENT]
    # The same batch again (a redelivered task): nothing is sent twice.
    again = deliveries_send(delivery_ids=ids)
    assert again.sent == [] and len(mail.outbox) == 6
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    email = next(m for m in mail.outbox if m.to == [scenario.official.email])
    assert email.subject.startswith("Nhắc nộp báo cáo năm của mô hình MH-2024-")
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    message = Message.objects.get(pk=int(email.extra_headers["X-DVK-Notification"]))
    assert message.recipient == scenario.official
    assert f"https://dvk.example.vn/notifications/{message.pk}/go" in email.body


def test_a_person_without_an_email_address_gets_the_inbox_only(scenario):
    scenario.second_official.email = ""
    scenario.second_official.save()
    scan()
    assert Delivery.objects.filter(message__recipient=scenario.second_official).count() == 3
    assert set(
        Delivery.objects.filter(message__recipient=scenario.second_official).values_list(
            "channel", flat=True
        )
    ) == {"inapp"}


def test_a_refused_address_fails_that_message_and_the_others_go(settings, scenario):
    settings.EMAIL_BACKEND = "notifications.tests.backends.RefusingBackend"
    scenario.second_official.email = REFUSED
    scenario.second_official.save()
    scan()
    deliveries_send(delivery_ids=all_ids())
    refused = Delivery.objects.filter(channel="email", message__recipient=scenario.second_official)
    assert set(refused.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert "SMTPRecipientsRefused" in refused.first().last_error
    assert len(mail.outbox) == 3
    assert statuses("inapp") == [DeliveryStatus.SENT]


def test_a_mail_server_down_keeps_email_pending_and_asks_for_a_retry(settings, scenario):
    settings.EMAIL_BACKEND = "notifications.tests.backends.DownBackend"
    scan()
    with pytest.raises(TransientChannelError):
        deliveries_send(delivery_ids=all_ids())
    # The inbox does not wait for the mail server.
    assert statuses("inapp") == [DeliveryStatus.SENT]
    email = Delivery.objects.filter(channel="email")
    assert statuses("email") == [DeliveryStatus.PENDING]
    # Nothing was tried: an outage, however long, uses up no attempt.
    assert set(email.values_list("attempts", flat=True)) == {0}
    assert "Connection refused" in email.first().last_error
    # It comes back: the retry sends everything, once.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    deliveries_send(delivery_ids=all_ids())
    assert statuses("email") == [DeliveryStatus.SENT]
    assert len(mail.outbox) == 6


def test_a_connection_lost_mid_batch_keeps_what_was_sent(settings, scenario):
    settings.EMAIL_BACKEND = "notifications.tests.backends.DroppingBackend"
    scan()
    with pytest.raises(TransientChannelError):
        deliveries_send(delivery_ids=all_ids(channel="email"))
    email = Delivery.objects.filter(channel="email")
    assert email.filter(status=DeliveryStatus.SENT).count() == 2
    assert email.filter(status=DeliveryStatus.PENDING).count() == 4
    assert not email.filter(status=DeliveryStatus.SENDING).exists()


def test_an_email_that_keeps_killing_its_worker_gives_up_after_the_last_attempt(
    settings, scenario, queued
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    scan()
    poison = Delivery.objects.filter(channel="email").first()
    long_ago = timezone.now() - dt.timedelta(hours=1)
    # Claimed once and its worker died: pending again, it gets a second try.
    Delivery.objects.filter(pk=poison.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, claimed_at=long_ago
    )
    deliveries_sweep()
    poison.refresh_from_db()
    assert poison.status == DeliveryStatus.PENDING
    # Claimed a second time and died again: the last attempt is used up.
    Delivery.objects.filter(pk=poison.pk).update(
        status=DeliveryStatus.SENDING, attempts=2, claimed_at=long_ago
    )
    deliveries_sweep()
    poison.refresh_from_db()
    assert (poison.status, poison.last_error) == (DeliveryStatus.FAILED, "claim expired")


def test_a_long_mail_outage_fails_nothing(settings, scenario):
    settings.EMAIL_BACKEND = "notifications.tests.backends.DownBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    scan()
    for _ in range(4):
        with pytest.raises(TransientChannelError):
            deliveries_send(delivery_ids=all_ids(channel="email"))
    assert statuses("email") == [DeliveryStatus.PENDING]


def test_a_channel_no_longer_configured_fails_its_deliveries(settings, scenario):
    scan()
    settings.NOTIFICATION_CHANNELS = ["notifications.channels.InAppChannel"]
    deliveries_send(delivery_ids=all_ids())
    assert statuses("inapp") == [DeliveryStatus.SENT]
    assert statuses("email") == [DeliveryStatus.FAILED]
    assert mail.outbox == []


def test_the_scan_queues_its_deliveries_in_batches_after_the_commit(
    settings, scenario, queued, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_BATCH_SIZE = 5
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        reminders_scan(now=at(REPORT_DUE - days(3)))
    assert queued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [len(batch) for batch in queued] == [5, 5, 2]
    assert sorted(pk for batch in queued for pk in batch) == all_ids()
    assert not Delivery.objects.filter(queued_at__isnull=True).exists()


def test_with_the_broker_down_the_scan_commits_and_the_sweeper_queues_later(
    monkeypatch, scenario, django_capture_on_commit_callbacks, caplog
):
    from notifications import tasks

    def broker_down(ids):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.deliver_batch, "delay", broker_down)
    with caplog.at_level(logging.WARNING, logger="notifications.services"):
        with django_capture_on_commit_callbacks(execute=True):
            result = reminders_scan(now=at(REPORT_DUE - days(3)))
    assert result.deliveries == 12
    assert "could not queue 12 notification deliveries" in caplog.text
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING, queued_at=None).count() == 12

    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda ids: batches.append(ids))
    assert deliveries_sweep() == 12
    assert sorted(pk for batch in batches for pk in batch) == all_ids()
    # Queued a moment ago: the next sweep leaves them to the worker.
    assert deliveries_sweep() == 0
    assert deliveries_sweep(now=timezone.now() + dt.timedelta(minutes=11)) == 12


def test_the_sweeper_returns_an_expired_email_claim_to_pending(scenario, queued):
    scan()
    stuck = Delivery.objects.filter(channel="email").first()
    Delivery.objects.filter(pk=stuck.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - dt.timedelta(minutes=5),
        queued_at=timezone.now(),
    )
    Delivery.objects.exclude(pk=stuck.pk).update(status=DeliveryStatus.SENT)
    assert deliveries_sweep() == 0  # its lease (15 minutes) is still running
    assert deliveries_sweep(now=timezone.now() + dt.timedelta(minutes=11)) == 1
    stuck.refresh_from_db()
    assert stuck.status == DeliveryStatus.PENDING
    assert queued[-1] == [stuck.pk]
    deliveries_send(delivery_ids=[stuck.pk])
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (DeliveryStatus.SENT, 2)
    assert len(mail.outbox) == 1


class SlowInbox(InAppChannel):
    """The inbox, holding its transaction open until told to go on."""

    go = threading.Event()
    entered = threading.Event()

    def send_batch(self, messages):
        SlowInbox.entered.set()
        SlowInbox.go.wait(10)
        yield from super().send_batch(messages)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_batch_send_each_delivery_once(settings):
    from .scenario import build_scenario

    assert connection.vendor == "postgresql"
    settings.NOTIFICATION_CHANNELS = ["notifications.tests.test_delivery.SlowInbox"]
    build_scenario()
    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    ids = all_ids()
    reports = {}

    def worker(name):
        try:
            reports[name] = deliveries_send(delivery_ids=ids)
        finally:
            connection.close()

    SlowInbox.go.clear()
    SlowInbox.entered.clear()
    first = threading.Thread(target=worker, args=("first",))
    first.start()
    assert SlowInbox.entered.wait(10)
    # The second worker finds every row locked by the first (SKIP LOCKED): it sends nothing
    # and does not wait.
    SlowInbox.entered.clear()
    worker("second")
    assert reports["second"].sent == []
    SlowInbox.go.set()
    first.join(10)
    assert sorted(reports["first"].sent) == ids
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    with transaction.atomic():
        assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == len(ids)
    assert Message.objects.filter(kind=MessageKind.REPORT_DUE).count() == len(ids)
