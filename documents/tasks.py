"""Celery adapters: take ids, load, call one service.

A part that meets a transient error (the database restarted or dropped the connection) is
retried with exponential backoff, ``DOCUMENTS_PRINT_PART_RETRIES`` times; after that, or on
any other error, the part and its job are marked failed with the reason, and the clerk
prints the missing parts again. Should even that write fail (the database still down), the
sweeper (``sweep_print_jobs``) fails the job once nothing has moved for a while.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from .models import PrintJob


def _backoff(retries: int) -> int:
    return min(60, 2**retries)


def _drop_broken_connection() -> None:
    # A connection the database dropped is closed so the next query connects anew (Celery's
    # Django fix-up does the same between tasks). Never inside a transaction (a test's).
    if not connection.in_atomic_block:
        close_old_connections()


def _retry_transient(task, error: BaseException, on_exhausted) -> None:
    """Retry ``task`` after a transient error, else record the failure; always raises."""
    from . import services

    if not services.is_transient(error):
        raise error  # recorded by the service already
    _drop_broken_connection()
    if task.request.retries < settings.DOCUMENTS_PRINT_PART_RETRIES:
        raise task.retry(exc=error, countdown=_backoff(task.request.retries))
    on_exhausted()
    raise error


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    # A thousand certificates take about 20 s here; the limits only stop a stuck render.
    soft_time_limit=900,
    time_limit=960,
)
def print_certificates(self, job_id: int) -> None:
    """Render a print job's certificates. A re-run of a finished job does nothing."""
    from . import services

    if not PrintJob.objects.filter(pk=job_id).exists():
        return
    try:
        services.print_job_run(job_id=job_id)
    except Exception as error:  # transient: retried; otherwise recorded by the service
        _retry_transient(
            self,
            error,
            lambda error=error: services.print_job_fail(job_id=job_id, error=error),
        )


@shared_task(bind=True, acks_late=True, ignore_result=True, soft_time_limit=300, time_limit=360)
def print_certificates_chunk(self, job_id: int, index: int) -> None:
    """Render one part of a print job (50 certificates by default, about a second)."""
    from . import services

    if not PrintJob.objects.filter(pk=job_id).exists():
        return
    try:
        services.print_chunk_run(job_id=job_id, index=index)
    except Exception as error:  # transient: retried; otherwise recorded by the service
        _retry_transient(
            self,
            error,
            lambda error=error: services.print_chunk_fail(job_id=job_id, index=index, error=error),
        )


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=300,
    time_limit=360,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def sweep_print_jobs() -> None:
    """Beat: finish or fail the print jobs whose parts stopped."""
    from . import services

    services.print_jobs_sweep()


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=900, time_limit=960)
def seal_certificates(certificate_ids: list[int]) -> None:
    """Seal issued certificates with their body's key; a re-run seals none twice."""
    from . import signatures

    signatures.certificates_seal(certificate_ids=certificate_ids)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=150)
def seal_decision(decision_id: int) -> None:
    """Seal an issued decision with its body's key; a decision already signed is kept."""
    from . import signatures
    from .models import Decision

    decision = Decision.objects.filter(pk=decision_id).first()
    if decision is not None:
        signatures.decision_seal(decision=decision)
