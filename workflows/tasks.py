"""Celery adapters of the lifecycle (beat): they call one service or viewflow's timers and
return nothing. Both are idempotent: a cycle opens once (its row lock and status), and each
timer task is re-checked under its flow lock."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from notifications.tasks import RETRY


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=1800, time_limit=1860, **RETRY)
def open_due_cycles() -> None:
    """Beat, hourly: open every draft review cycle whose opening date has come. The
    ``CycleOpened`` event then writes the notices (``notifications.handlers``)."""
    from .services import cycles_open_due

    cycles_open_due(today=timezone.localdate())


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300, **RETRY)
def fire_workflow_timers() -> None:
    """Beat, every minute: fire viewflow's database timers (``flow.Timer``, ``StartTimer``,
    ``ConditionalCatch``), as its ``workflow_timers`` command does. Each timer task is
    re-checked under its flow lock, so an overlapping run fires nothing twice."""
    from viewflow.workflow.timers import (
        fire_due_conditions,
        fire_due_start_timers,
        fire_due_timers,
    )

    fire_due_timers()
    fire_due_start_timers()
    fire_due_conditions()
