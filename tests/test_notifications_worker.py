"""Reminders through a real Celery worker and a real broker: once per offset, exactly once
after a SIGKILL, nothing lost while Redis is down.

The worker is a separate process (``celery -A config worker``) on the test database and on
the broker the settings name: ``filesystem://`` in the embedded pass, Redis when
``REDIS_URL`` is set. The Redis outage test starts a redis-server of its own and stops it;
the shared one is never touched. Nothing here skips: a service that is missing fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from django.db import connection

from core.models import InitiativeKind, InitiativeStatus
from core.tests.factories import InitiativeFactory, field, phase
from notifications import tasks
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind
from notifications.services import reminders_scan
from notifications.tests.live import (
    RedisServer,
    Worker,
    app_broker,
    database_env,
    emails_by_message,
    new_queue,
    purge_queue,
    sqlite_file_database,
    wait_until,
)
from notifications.tests.scenario import REPORT_DUE, at, build_scenario, days
from workflows import services as lifecycle
from workflows.models import AnnualReportStatus, Evaluation
from workflows.services import DEFAULT_CRITERIA
from workflows.tests.factories import AnnualReportFactory

SLOW_CHANNELS = "notifications.tests.channels.SlowInAppChannel,notifications.channels.EmailChannel"


@pytest.fixture
def live_db(transactional_db, tmp_path, settings):
    """The test database, reachable from another process."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if connection.vendor == "sqlite":
        with sqlite_file_database(tmp_path / "test.sqlite3"):
            yield database_env()
    else:
        yield database_env()


@pytest.fixture
def mail_dir(tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def make_worker(live_db, tmp_path, mail_dir):
    """Workers on a queue of this test's own; this process publishes to that queue too."""
    queue = new_queue()
    workers: list[Worker] = []

    def make(**env) -> Worker:
        worker = Worker(
            queue=queue,
            env={**live_db, "DVK_TEST_EMAIL_DIR": str(mail_dir), **env},
            log_path=tmp_path / "worker.log",
        )
        workers.append(worker)
        return worker

    with app_broker(queue=queue):
        yield make
    for worker in workers:
        worker.stop()
    purge_queue(queue)


def delivered(total: int):
    """A predicate: ``total`` deliveries exist and all are sent."""

    def check():
        rows = list(Delivery.objects.values_list("status", flat=True))
        return len(rows) == total and set(rows) == {DeliveryStatus.SENT}

    return check


def sent(channel: str) -> int:
    return Delivery.objects.filter(channel=channel, status=DeliveryStatus.SENT).count()


def test_a_real_worker_sends_each_offset_once_and_never_twice_on_a_rerun(make_worker, mail_dir):
    scenario = build_scenario(reports=3)
    worker = make_worker()
    worker.start()

    worker.run(tasks.scan_reminders, kwargs={"now": "2024-10-17T08:00"})  # 14 days before
    wait_until(delivered(12), timeout=90, what="6 reminders on 2 channels", log=worker.log)
    assert Message.objects.filter(reason="before:14").count() == 6
    # The same scan again, later that day, and a sweep: nothing more.
    worker.run(tasks.scan_reminders, kwargs={"now": "2024-10-17T11:00"})
    worker.run(tasks.deliver_pending)
    assert Message.objects.count() == 6 and Delivery.objects.count() == 12

    worker.run(tasks.scan_reminders, kwargs={"now": "2024-10-28T08:00"})  # 3 days before
    wait_until(delivered(24), timeout=90, what="the 3-day reminders", log=worker.log)
    worker.run(tasks.scan_reminders, kwargs={"now": "2024-10-28T08:00"})
    worker.run(tasks.deliver_pending)

    messages = set(Message.objects.values_list("pk", flat=True))
    assert len(messages) == 12
    assert sorted(set(Message.objects.values_list("reason", flat=True))) == [
        "before:14",
        "before:3",
    ]
    emails = emails_by_message(mail_dir)
    assert set(emails) == messages
    assert set(emails.values()) == {1}
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}
    officials = {scenario.official.pk, scenario.second_official.pk}
    assert set(Message.objects.values_list("recipient_id", flat=True)) == officials


def test_a_worker_killed_mid_batch_delivers_the_rest_exactly_once_after_a_restart(
    make_worker, mail_dir, tmp_path
):
    build_scenario(reports=10)  # two officials: 20 reminders, 40 deliveries
    trace = tmp_path / "inbox-batches.txt"
    worker = make_worker(
        DVK_TEST_TRACE_FILE=str(trace),
        DVK_TEST_CHANNELS=SLOW_CHANNELS,
        DVK_TEST_INBOX_DELAY="1.5",  # inside each inbox batch's transaction
        DVK_TEST_EMAIL_DELAY="0.3",  # before each email is written
        DVK_TEST_BATCH_SIZE="4",
        DVK_TEST_REQUEUE_AFTER="1",
        DVK_TEST_SENDING_LEASE="1",
    )
    worker.start()
    worker.run(tasks.scan_reminders, kwargs={"now": "2024-10-28T08:00"})
    assert Delivery.objects.count() == 40

    # 1. Killed inside an inbox batch: its transaction dies with it.
    wait_until(lambda: sent("inapp") >= 4, timeout=90, what="a first inbox batch", log=worker.log)
    time.sleep(0.6)  # the worker is now inside the next batch's transaction
    worker.kill()
    at_kill = sent("inapp")
    assert 4 <= at_kill < 20, at_kill
    # The batch in flight had claimed its rows; the kill rolled its transaction back.
    in_flight = [int(pk) for pk in trace.read_text().splitlines()[-1].split()]
    assert len(in_flight) == 4
    assert not Delivery.objects.filter(
        channel="inapp", message_id__in=in_flight, status=DeliveryStatus.SENT
    ).exists()

    # 2. Started again: what was queued goes on (the inbox batches, then the emails); the
    #    batch the kill took is pending, and the sweeper (beat, every minute) queues it again.
    worker.start()
    time.sleep(1.2)  # past NOTIFICATION_REQUEUE_AFTER
    worker.send(tasks.deliver_pending)

    # 3. Killed again, in the middle of an email batch.
    wait_until(lambda: sent("email") >= 2, timeout=90, what="a first email", log=worker.log)
    worker.kill()
    assert sent("email") < 20
    held = list(
        Delivery.objects.filter(channel="email", status=DeliveryStatus.SENDING).values_list(
            "pk", flat=True
        )
    )
    assert held, "the kill should have caught an email batch in flight"
    worker.start()
    time.sleep(1.2)  # past the "sending" lease: what the kill held is pending again

    def all_sent():
        if delivered(40)():
            return True
        worker.run(tasks.deliver_pending)
        return False

    wait_until(all_sent, timeout=120, what="every email", log=worker.log)

    inbox = Delivery.objects.filter(channel="inapp")
    # Exactly once: one committed send per inbox delivery, none lost.
    assert set(inbox.values_list("attempts", flat=True)) == {1}
    assert inbox.filter(status=DeliveryStatus.SENT).count() == 20
    emails = emails_by_message(mail_dir)
    assert set(emails) == set(Message.objects.values_list("pk", flat=True))
    # SMTP is at least once: only the email in flight at the kill may go twice.
    assert sum(count - 1 for count in emails.values()) <= 1
    # The emails the killed batch held went out on a second attempt.
    assert set(Delivery.objects.filter(pk__in=held).values_list("attempts", flat=True)) == {2}
    assert set(
        Delivery.objects.filter(channel="inapp", message_id__in=in_flight).values_list(
            "status", "attempts"
        )
    ) == {(DeliveryStatus.SENT, 1)}
    assert worker.starts == 3


@pytest.mark.redis
def test_with_redis_down_the_services_work_and_the_reminders_go_out_after_it_returns(
    make_worker, mail_dir, tmp_path, caplog
):
    scenario = build_scenario(reports=3)
    district = scenario.world.district
    submitted = AnnualReportFactory(
        cycle=scenario.cycle,
        status=AnnualReportStatus.SUBMITTED,
        initiative=InitiativeFactory(
            owner_unit=district.commune, status=InitiativeStatus.MONITORED, code="MH-EVAL"
        ),
    )
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        worker = make_worker(CELERY_BROKER_URL=redis.url, REDIS_URL=redis.url)
        with app_broker(queue=worker.queue, url=redis.url):
            worker.start()
            redis.kill()

            # Registering and evaluating do not need the broker.
            initiative = lifecycle.initiative_register(
                actor=scenario.official,
                unit=district.commune,
                title="Mô hình “Dân vận khéo” chợ phiên",
                kind=InitiativeKind.COLLECTIVE,
                fields=[field()],
                phase=phase(),
            )
            assert initiative.status == InitiativeStatus.REGISTERED
            evaluation = lifecycle.evaluation_submit(
                actor=district.members[0],
                report=submitted,
                scores={item["code"]: 80 for item in DEFAULT_CRITERIA},
            )
            assert Evaluation.objects.filter(pk=evaluation.pk).exists()

            # A scan while the broker is down: the outbox is written, the queueing fails
            # and is logged, the rows wait.
            result = reminders_scan(now=at(REPORT_DUE - days(3)))
            # Three reports pending (the fourth is submitted), two officials, two channels.
            assert result.created[MessageKind.REPORT_DUE] == 6
            assert "could not queue 12 notification deliveries" in caplog.text
            reminders = Delivery.objects.filter(message__kind=MessageKind.REPORT_DUE)
            assert reminders.filter(queued_at=None).count() == 12
            assert not Delivery.objects.filter(status=DeliveryStatus.SENT).exists()
            # The lifecycle's notices (the review to do, the evaluation) wait in the outbox
            # too.
            total = Delivery.objects.count()
            assert total > 12

            # Redis returns (empty); the worker reconnects; beat's sweeper queues the rest.
            redis.start()
            worker.run(tasks.deliver_pending, timeout=120)
            wait_until(delivered(total), timeout=120, what="everything", log=worker.log)
    finally:
        redis.kill()

    emails = emails_by_message(mail_dir)
    assert set(emails) == set(Message.objects.values_list("pk", flat=True))
    assert set(emails.values()) == {1}


@pytest.mark.redis
def test_a_busy_worker_outlives_a_redis_outage_and_delivers_the_backlog_once(
    make_worker, mail_dir, tmp_path
):
    """Redis stops for several seconds while the worker is in the middle of a delivery run
    and comes back empty: the worker (with the production options: no gossip, mingle or
    heartbeat; the broker retried for ever) stays up, reconnects by itself, and the sweeper
    queues what the outage lost: every message goes out, once."""
    build_scenario(reports=10)  # two officials: 20 reminders, 40 deliveries
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        worker = make_worker(
            CELERY_BROKER_URL=redis.url,
            REDIS_URL=redis.url,
            DVK_TEST_CHANNELS=SLOW_CHANNELS,
            DVK_TEST_INBOX_DELAY="0.5",
            DVK_TEST_BATCH_SIZE="4",
            DVK_TEST_REQUEUE_AFTER="1",
            # As in production: without the remote-control consumer, a worker whose ack
            # fails during the outage never notices it and hangs (kombu's Redis transport).
            DVK_TEST_REMOTE_CONTROL="1",
        )
        with app_broker(queue=worker.queue, url=redis.url):
            worker.start()
            worker.run(tasks.scan_reminders, kwargs={"now": "2024-10-28T08:00"})
            assert Delivery.objects.count() == 40
            wait_until(lambda: sent("inapp") >= 4, timeout=90, what="a first batch", log=worker.log)

            redis.kill()  # mid-run: batches queued in Redis are lost with it
            time.sleep(8)  # several reconnection attempts fail meanwhile
            assert worker.proc.poll() is None, worker.log()
            assert sent("inapp") + sent("email") < 40
            redis.start()

            def reconnected():
                assert worker.proc.poll() is None, f"the worker exited:\n{worker.log()}"
                return worker.log().count("Connected to redis://") >= 2

            wait_until(reconnected, timeout=120, what="the worker to reconnect", log=worker.log)
            time.sleep(1.2)  # past NOTIFICATION_REQUEUE_AFTER

            def all_sent():
                if delivered(40)():
                    return True
                worker.run(tasks.deliver_pending)  # beat's sweeper, every minute
                return False

            wait_until(all_sent, timeout=180, what="the backlog", log=worker.log)
            assert worker.proc.poll() is None and worker.starts == 1
            # docker-compose.yml's health check of the worker answers after the outage.
            ping = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "inspect",
                    "ping",
                    "-d",
                    f"{worker.queue}-1@{socket.gethostname()}",
                    "--timeout",
                    "10",
                ],
                env={**os.environ, "CELERY_BROKER_URL": redis.url, "REDIS_URL": redis.url},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr
    finally:
        redis.kill()

    log = worker.log()
    assert "Unrecoverable error" not in log and "Error on restarting" not in log, log
    inbox = Delivery.objects.filter(channel="inapp")
    assert set(inbox.values_list("attempts", flat=True)) == {1}
    emails = emails_by_message(mail_dir)
    assert set(emails) == set(Message.objects.values_list("pk", flat=True))
    assert set(emails.values()) == {1}


def test_a_lifecycle_notice_reaches_the_owner_through_a_real_worker_once(make_worker, mail_dir):
    """A returned registration: the handler writes the notice after the commit, and the
    worker (on Redis in the second pass) delivers it in-app and by email, once."""
    from workflows.tests.factories import build_world

    world = build_world()
    d = world.district
    worker = make_worker()
    worker.start()
    initiative = lifecycle.initiative_register(
        actor=d.official,
        unit=d.commune,
        title="Mô hình trả lại qua worker",
        kind=InitiativeKind.COLLECTIVE,
        fields=[field("economy")],
        phase=phase("2021-2025"),
    )
    lifecycle.initiative_return(actor=d.secretary, initiative=initiative, reason="Bổ sung")
    notice = Message.objects.get(kind=MessageKind.INITIATIVE_STATUS)
    assert notice.recipient == d.official and notice.context["reason"] == "Bổ sung"
    total = Delivery.objects.count()  # the secretary's "task waiting" and the owner's notice
    worker.run(tasks.deliver_pending)
    wait_until(delivered(total), timeout=90, what="the notices on both channels", log=worker.log)
    worker.run(tasks.deliver_pending)
    emails = emails_by_message(mail_dir)
    assert emails[notice.pk] == 1
    assert set(emails.values()) == {1}
    assert Delivery.objects.count() == total
