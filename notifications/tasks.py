"""Celery adapters: take ids (or nothing), call one service, return nothing.

Every task is idempotent (the outbox's unique keys and the pending-only claims make a second
run a no-op), so all are ``acks_late``: a worker killed mid-task leaves its message to be
delivered again. They retry only transient errors (the database or the mail server going
away), with exponential backoff and a limit; results are never read, so none is stored.
"""

from __future__ import annotations

import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .channels import TransientChannelError

TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    TransientChannelError,
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
)
RETRY = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=600, time_limit=660, **RETRY)
def scan_reminders(now: str | None = None) -> None:
    """Beat, hourly: write what is due into the outbox, then queue its delivery batches."""
    from .services import parse_moment, reminders_scan

    reminders_scan(now=parse_moment(now), queue=True)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=240, time_limit=300, **RETRY)
def deliver_batch(delivery_ids: list[int]) -> None:
    """Send one batch of deliveries (``NOTIFICATION_BATCH_SIZE`` ids)."""
    from .services import deliveries_send

    deliveries_send(delivery_ids=delivery_ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150, **RETRY)
def deliver_pending() -> None:
    """Beat, every minute: queue again whatever is still pending (broker outage, killed
    worker), and return expired "sending" claims to pending."""
    from .services import deliveries_sweep

    deliveries_sweep()
