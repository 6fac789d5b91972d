"""Celery adapters of ``core``: they take names and ids, call one function, return nothing."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def event_handle(handler: str, event: str, payload: dict[str, Any]) -> None:
    """Run again a handler that failed on an event (``core.events.dispatch``). Handlers are
    idempotent (the outbox's unique keys, task synchronisation by state), so a retry that
    overlaps a late success does nothing twice."""
    from .events import run_handler

    run_handler(handler, event, payload)
