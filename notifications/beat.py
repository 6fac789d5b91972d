"""The beat schedules of notifications and of the lifecycle's timers, as django-celery-beat rows (editable in
the admin). Written by the data migration ``0002_beat_schedules`` and by the idempotent
``manage.py setup_beat``: both create what is missing and never change a row an
administrator edited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

# name: (task, schedule, description). A schedule is ("interval", minutes) or
# ("crontab", minute, hour).
SCHEDULES: dict[str, tuple[str, tuple, str]] = {
    "dvk: scan reminders": (
        "notifications.tasks.scan_reminders",
        ("crontab", "5", "7-20"),
        "Hourly in working hours: write the reminders due (report and evaluation "
        "deadlines, overdue rounds, the chair's missing list, the daily digest) and queue "
        "their delivery.",
    ),
    "dvk: deliver pending notifications": (
        "notifications.tasks.deliver_pending",
        ("interval", 1),
        "Every minute: queue notifications still pending (broker outage, killed worker) "
        "and event notices (cycle opened, decision issued).",
    ),
    "dvk: open review cycles due": (
        "workflows.tasks.open_due_cycles",
        ("crontab", "0", "*"),
        "Hourly: open the draft review cycles whose opening date has come.",
    ),
    "dvk: fire workflow timers": (
        "workflows.tasks.fire_workflow_timers",
        ("interval", 1),
        "Every minute: fire viewflow's database timers.",
    ),
    "dvk: sweep stalled print jobs": (
        "documents.tasks.sweep_print_jobs",
        ("interval", 5),
        "Every 5 minutes: join the print jobs whose parts are all done, fail visibly those "
        "whose parts stopped (the clerk prints the missing parts again).",
    ),
}


def ensure_beat_schedules(
    periodic_task, crontab_schedule, interval_schedule, periodic_tasks=None
) -> list[str]:
    """Create the missing periodic tasks (models passed in, so the data migration can use
    its historical ones). Returns the names created."""
    created = []
    tz = settings.CELERY_TIMEZONE
    for name, (task, schedule, description) in SCHEDULES.items():
        if periodic_task.objects.filter(name=name).exists():
            continue
        fields: dict[str, Any] = {"task": task, "description": description, "enabled": True}
        if schedule[0] == "interval":
            fields["interval"], _ = interval_schedule.objects.get_or_create(
                every=schedule[1], period="minutes"
            )
        else:
            fields["crontab"], _ = crontab_schedule.objects.get_or_create(
                minute=schedule[1],
                hour=schedule[2],
                day_of_week="*",
                day_of_month="*",
                month_of_year="*",
                timezone=tz,
            )
        periodic_task.objects.create(name=name, **fields)
        created.append(name)
    if created and periodic_tasks is not None:
        # Tell a running DatabaseScheduler to reload (the real models' signals do this).
        periodic_tasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    return created


def setup_beat() -> list[str]:
    from django_celery_beat.models import (
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        PeriodicTasks,
    )

    return ensure_beat_schedules(PeriodicTask, CrontabSchedule, IntervalSchedule, PeriodicTasks)


# The schedule whose last run tells that beat is alive: it runs every minute.
HEARTBEAT_SCHEDULE = "dvk: deliver pending notifications"


def beat_last_run():
    """When beat last sent the every-minute task (django-celery-beat writes ``last_run_at``
    every few minutes), or None."""
    from django_celery_beat.models import PeriodicTask

    return (
        PeriodicTask.objects.filter(name=HEARTBEAT_SCHEDULE)
        .values_list("last_run_at", flat=True)
        .first()
    )
