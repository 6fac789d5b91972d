"""Celery adapters: take ids, load, call one service."""

from __future__ import annotations

from celery import shared_task

from .models import PrintJob


@shared_task(
    acks_late=True,
    ignore_result=True,
    # A thousand certificates take about 20 s here; the limits only stop a stuck render.
    soft_time_limit=900,
    time_limit=960,
)
def print_certificates(job_id: int) -> None:
    """Render a print job's certificates. A re-run of a finished job does nothing."""
    from . import services

    if not PrintJob.objects.filter(pk=job_id).exists():
        return
    services.print_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True, soft_time_limit=300, time_limit=360)
def print_certificates_chunk(job_id: int, index: int) -> None:
    """Render one part of a print job (50 certificates by default, about a second)."""
    from . import services

    if not PrintJob.objects.filter(pk=job_id).exists():
        return
    services.print_chunk_run(job_id=job_id, index=index)


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
