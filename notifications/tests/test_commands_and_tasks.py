"""``send_reminders``, ``setup_beat`` and the Celery tasks (run in this process here; the
tests with a real worker are in tests/test_notifications_worker.py)."""

from __future__ import annotations

import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.models import CycleStatus, InitiativeStatus
from core.tests.factories import InitiativeFactory
from notifications import tasks
from notifications.beat import SCHEDULES
from notifications.channels import TransientChannelError
from notifications.models import Delivery, DeliveryStatus, Message
from workflows import tasks as workflow_tasks
from workflows.tests.factories import ReviewCycleFactory, build_world

from .scenario import REPORT_DUE, at, days

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_send_reminders_scans_delivers_and_says_what_it_sent_in_vietnamese(scenario):
    output = run("--now", "2024-10-28T08:00")
    lines = output.strip().splitlines()
    assert lines[0] == "Quét nhắc việc lúc 08:00 28/10/2024: đã lập 6 thông báo."
    assert lines[-1] == "Đã gửi: 6 thông báo; chưa gửi được: 0."
    body = lines[1:-1]
    assert len(body) == 6
    report = scenario.reports[0]
    official = scenario.official
    assert (
        f"{official.full_name} <{official.email}> | Hạn nộp báo cáo năm | "
        f"{report.initiative.code} “{report.initiative.title}” | "
        "hạn ngày 31 tháng 10 năm 2024 | email, inapp"
    ) in body
    assert len(mail.outbox) == 6
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    # The same moment again: nothing new.
    assert run("--now", "2024-10-28T08:30").splitlines()[0].endswith("đã lập 0 thông báo.")
    assert len(mail.outbox) == 6


def test_send_reminders_lists_list_messages_with_their_count(scenario):
    output = run("--now", "2024-12-01T08:00")
    missing = [line for line in output.splitlines() if "Báo cáo năm còn thiếu" in line]
    chair = scenario.world.district.chair
    assert missing == [
        f"{chair.full_name} <{chair.email}> | Báo cáo năm còn thiếu | 3 mô hình | "
        "hạn ngày 30 tháng 11 năm 2024 | email, inapp"
    ]


def test_send_reminders_refuses_a_bad_date(db):
    with pytest.raises(CommandError, match="not a date and time"):
        run("--now", "tomorrow")


def test_send_reminders_reports_what_could_not_be_sent(settings, scenario):
    settings.EMAIL_BACKEND = "notifications.tests.backends.DownBackend"
    output = run("--now", "2024-10-28T08:00")
    assert output.count("| inapp | chưa gửi được: email") == 6
    assert output.strip().splitlines()[-1] == "Đã gửi: 6 thông báo; chưa gửi được: 0."
    assert Delivery.objects.filter(channel="email", status=DeliveryStatus.PENDING).count() == 6


def test_setup_beat_creates_what_is_missing_and_keeps_admin_edits(db):
    PeriodicTask.objects.filter(name__in=list(SCHEDULES)).delete()
    out = StringIO()
    call_command("setup_beat", stdout=out)
    assert out.getvalue().count("created") == 5
    tasks_by_name = {t.name: t for t in PeriodicTask.objects.filter(name__in=list(SCHEDULES))}
    assert tasks_by_name["dvk: scan reminders"].task == "notifications.tasks.scan_reminders"
    assert tasks_by_name["dvk: scan reminders"].crontab.hour == "7-20"
    assert tasks_by_name["dvk: deliver pending notifications"].interval.every == 1
    assert str(tasks_by_name["dvk: open review cycles due"].crontab.timezone) == "Asia/Ho_Chi_Minh"
    sweeper = tasks_by_name["dvk: sweep stalled print jobs"]
    assert (sweeper.task, sweeper.interval.every) == ("documents.tasks.sweep_print_jobs", 5)
    PeriodicTask.objects.filter(name="dvk: scan reminders").update(enabled=False)
    out = StringIO()
    call_command("setup_beat", stdout=out)
    assert out.getvalue().count("present") == 5
    assert not PeriodicTask.objects.get(name="dvk: scan reminders").enabled


def test_every_task_is_late_acknowledged_limited_and_retries_transient_errors_only():
    for task in (
        tasks.scan_reminders,
        tasks.deliver_batch,
        tasks.deliver_pending,
        workflow_tasks.open_due_cycles,
        workflow_tasks.fire_workflow_timers,
    ):
        assert task.acks_late is True
        assert task.ignore_result is True
        assert 0 < task.soft_time_limit < task.time_limit
        assert set(task.autoretry_for) >= {
            OperationalError,
            TransientChannelError,
            smtplib.SMTPException,
        }
        assert not any(issubclass(ValueError, kind) for kind in task.autoretry_for)
        assert task.max_retries and task.retry_backoff


def test_scan_task_writes_the_outbox_and_queues_after_commit(
    scenario, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.scan_reminders.apply(kwargs={"now": "2024-10-28T08:00"}).get()
    assert Message.objects.count() == 6
    assert sorted(pk for batch in queued for pk in batch) == sorted(
        Delivery.objects.values_list("pk", flat=True)
    )
    tasks.deliver_batch.apply(args=[queued[0]]).get()
    assert len(mail.outbox) == 6


def test_sweeper_task_queues_what_is_pending(scenario, queued):
    from notifications.services import reminders_scan

    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    tasks.deliver_pending.apply().get()
    assert sum(len(batch) for batch in queued) == 12


def test_open_due_cycles_opens_cycles_whose_date_has_come(django_capture_on_commit_callbacks):
    world = build_world()
    InitiativeFactory(owner_unit=world.district.commune, status=InitiativeStatus.MONITORED)
    today = timezone.localdate()
    due = ReviewCycleFactory(
        board=world.district.board,
        year=today.year,
        opens_on=today - dt.timedelta(days=1),
        report_due=today + dt.timedelta(days=60),
        evaluation_due=today + dt.timedelta(days=90),
        decision_due=today + dt.timedelta(days=100),
    )
    later = ReviewCycleFactory(
        board=world.sibling.board,
        year=today.year,
        opens_on=today + dt.timedelta(days=5),
        report_due=today + dt.timedelta(days=60),
        evaluation_due=today + dt.timedelta(days=90),
        decision_due=today + dt.timedelta(days=100),
    )
    with django_capture_on_commit_callbacks(execute=True):
        workflow_tasks.open_due_cycles.apply().get()
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (CycleStatus.OPEN, CycleStatus.DRAFT)
    # The cycle_opened event wrote the notices.
    assert Message.objects.filter(cycle=due, kind="cycle_opened").exists()


def test_timer_task_fires_viewflows_database_timers(monkeypatch, db):
    from viewflow.workflow import timers

    fired = []
    for name in ("fire_due_timers", "fire_due_start_timers", "fire_due_conditions"):
        monkeypatch.setattr(timers, name, lambda name=name: fired.append(name) or 0)
    workflow_tasks.fire_workflow_timers.apply().get()
    assert fired == ["fire_due_timers", "fire_due_start_timers", "fire_due_conditions"]


def test_check_beat_passes_while_beat_runs_and_fails_when_it_stopped(db):
    from django.core.management.base import CommandError
    from django.utils import timezone

    from notifications.beat import HEARTBEAT_SCHEDULE

    heartbeat = PeriodicTask.objects.filter(name=HEARTBEAT_SCHEDULE)
    heartbeat.update(last_run_at=None)
    with pytest.raises(CommandError, match="never"):
        call_command("check_beat", stdout=StringIO())
    heartbeat.update(last_run_at=timezone.now() - dt.timedelta(seconds=100))
    out = StringIO()
    call_command("check_beat", stdout=out)
    assert "100 s ago" in out.getvalue() or "101 s ago" in out.getvalue()
    heartbeat.update(last_run_at=timezone.now() - dt.timedelta(seconds=400))
    with pytest.raises(CommandError, match="40[01] s ago"):
        call_command("check_beat", stdout=StringIO())
    call_command("check_beat", "--max-age", "600", stdout=StringIO())
