"""A print batch through a real Celery worker on real PostgreSQL while the database drops
the worker's connections (``pg_terminate_backend``, as a restart would, without touching
the shared server): the job completes or fails visibly, never "running" for ever, and a
retry prints only the parts that are missing."""

from __future__ import annotations

import io
import threading
import time

import psycopg
import pytest
from django.db import connection
from pypdf import PdfReader

from documents import selectors, services
from documents.models import PrintJob, PrintJobStatus
from documents.tests.factories import clerk_of, district_committee, issue_commendation
from notifications.tests.live import (
    Worker,
    app_broker,
    database_env,
    new_queue,
    purge_queue,
    wait_until,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CERTIFICATES = 12
PART = 2  # six parts


@pytest.fixture(autouse=True)
def _needs_postgresql():
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: set DATABASE_URL"


@pytest.fixture
def worker(transactional_db, tmp_path, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    queue = new_queue()
    worker = Worker(
        queue=queue,
        env={
            **database_env(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DVK_TEST_EMAIL_DIR": str(tmp_path),
            # One retry only: a part hit twice fails, so the retry path is exercised too.
            "DOCUMENTS_PRINT_PART_RETRIES": "1",
        },
        log_path=tmp_path / "worker.log",
    )
    with app_broker(queue=queue):
        yield worker
        worker.stop()
    purge_queue(queue)


class Terminator(threading.Thread):
    """Terminates the worker's sessions of the test database every 0.1 s until stopped
    (every session but this process's own)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        connection.ensure_connection()
        self.own = connection.connection.info.backend_pid
        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        self.params = params
        self.halt = threading.Event()
        self.terminated: set[int] = set()

    def run(self) -> None:
        with psycopg.connect(**self.params, autocommit=True) as admin:
            while not self.halt.wait(0.1):
                rows = admin.execute(
                    "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND pid <> %s AND backend_type = 'client backend'",
                    [self.own],
                ).fetchall()
                self.terminated.update(pid for pid, ok in rows if ok)


def settled(job_id: int):
    def check():
        return PrintJob.objects.get(pk=job_id).status in (
            PrintJobStatus.DONE,
            PrintJobStatus.FAILED,
        )

    return check


def test_a_print_batch_survives_dropped_database_connections(worker):
    issuer = district_committee()
    clerk = clerk_of(issuer, username="clerk")
    decision = issue_commendation(issuer, clerk, count=CERTIFICATES)
    services.certificates_issue(decision=decision, actor=clerk)
    expected = [c.content["recipient_line"] for c in selectors.certificates_to_print(decision)]
    worker.start()

    job = services.print_job_start(decision=decision, actor=clerk)
    # Planned here in parts of two (the worker would plan parts of 50); the parts' tasks
    # go to the worker after the commit.
    services.print_job_run(job_id=job.pk, chunk_size=PART)
    job.refresh_from_db()
    assert job.chunks_total == CERTIFICATES // PART

    terminator = Terminator()
    terminator.start()
    try:
        # While the parts render (the worker's connection idles meanwhile, and the part's
        # next query meets the dropped connection), for 6 s or until the job settles.
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and not settled(job.pk)():
            time.sleep(0.1)
    finally:
        terminator.halt.set()
        terminator.join()
    assert terminator.terminated, "no worker connection was terminated"

    # No job stays "running" for ever: it completes, or fails with its reason.
    wait_until(settled(job.pk), timeout=180, what="the job to settle", log=worker.log)
    job.refresh_from_db()
    log = worker.log()
    assert "OperationalError" in log, "no part met a dropped connection"
    assert "retry: Retry in" in log, "no part was retried"

    if job.status == PrintJobStatus.FAILED:
        assert job.error
        missing = selectors.print_job_missing(job)
        # The parts that stopped are listed as missing; a job that failed while joining its
        # finished parts has none missing, and its retry joins them again.
        all_parts_done = not job.chunks.filter(is_done=False).exists()
        assert (missing.parts and missing.certificates) or (
            all_parts_done and not missing.parts and not missing.certificates
        )
        done_before = {
            c.index: c.finished_at for c in job.chunks.filter(is_done=True).order_by("index")
        }
        services.print_job_retry(job=job, actor=clerk)
        wait_until(settled(job.pk), timeout=180, what="the retry", log=worker.log)
        job.refresh_from_db()
        # The parts printed before the retry were not printed again.
        after = {c.index: c.finished_at for c in job.chunks.filter(index__in=done_before)}
        assert after == done_before
        assert job.retries == 1

    assert job.status == PrintJobStatus.DONE, job.error
    print(
        f"terminated {len(terminator.terminated)} sessions; retries of missing parts: {job.retries}"
    )
    assert (job.done, job.total) == (CERTIFICATES, CERTIFICATES)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(job.pdf.open("rb").read())).pages]
    assert len(texts) == CERTIFICATES
    assert all(name in text for name, text in zip(expected, texts, strict=True))
