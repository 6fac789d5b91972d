"""PDFs reach storage only once nothing can roll them back.

A decision's PDF is written after the issuing transaction commits; a print job's parts and
results before the short transaction that records them (and deleted when it does not).
When a decision's file never got written (the process died after the commit), reading it
renders it again from its snapshot, which gives the very bytes the row's SHA-256 names.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import transaction
from django.urls import reverse

from core.errors import WrongState
from core.models import Commendation
from documents import rendering, services, tasks
from documents.models import Decision, DecisionStatus, PrintChunk, PrintJob, PrintJobStatus

from .factories import issue_commendation, issue_recognition


class Boom(Exception):
    pass


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_files() -> list[str]:
    """Every file under MEDIA_ROOT, relative to it."""
    root = settings.MEDIA_ROOT
    found = []
    for folder, _dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in files]
    return sorted(found)


def read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


# --- decisions: written on commit ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_issue_writes_no_file(issuer, clerk):
    with pytest.raises(Boom), transaction.atomic():
        decision = issue_commendation(issuer, clerk, count=2)
        # Rendered and named inside the transaction, not written.
        assert decision.sha256 and decision.pdf.name
        raise Boom

    assert stored_files() == []
    assert not Decision.objects.exists()
    assert not Commendation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_issue_writes_its_file_after_the_commit(issuer, clerk):
    with transaction.atomic():
        decision = issue_recognition(issuer, clerk, count=2)
        assert stored_files() == []

    assert stored_files() == [decision.pdf.name]
    assert decision.pdf.name == "documents/decisions/2023/QD-2023-0001-ubnd-hoa-an.pdf"
    assert sha256(read_stored(decision.pdf.name)) == decision.sha256
    decision.refresh_from_db()
    assert decision.status == DecisionStatus.ISSUED
    assert services.decision_pdf_bytes(decision=decision) == read_stored(decision.pdf.name)


@pytest.mark.django_db(transaction=True)
def test_a_failed_write_after_the_commit_keeps_the_issue_and_reading_stores_the_file(
    issuer, clerk, monkeypatch, caplog
):
    real_save = FileSystemStorage.save

    def disk_full(self, name, content, max_length=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "save", disk_full)
    decision = issue_commendation(issuer, clerk, count=2)

    # The issue stands (the write is a robust after-commit hook, logged).
    assert Decision.objects.get(pk=decision.pk).status == DecisionStatus.ISSUED
    assert stored_files() == []
    assert "No space left on device" in caplog.text

    monkeypatch.setattr(FileSystemStorage, "save", real_save)
    data = services.decision_pdf_bytes(decision=Decision.objects.get(pk=decision.pk))
    assert sha256(data) == decision.sha256
    assert stored_files() == [decision.pdf.name]


@pytest.mark.django_db(transaction=True)
def test_a_file_missing_after_the_commit_is_rendered_again_with_the_same_checksum(
    issuer, clerk, client
):
    decision = issue_commendation(issuer, clerk, count=3, individuals=1)
    issued = read_stored(decision.pdf.name)
    # The process died between the commit and the write: no file.
    default_storage.delete(decision.pdf.name)

    client.force_login(clerk)
    response = client.get(reverse("documents:decision-pdf", args=[decision.pk]))

    assert response.status_code == 200
    assert response.content == issued
    assert response["Content-Disposition"] == 'inline; filename="QD-2023-0001-ubnd-hoa-an.pdf"'
    # ... and stored again under its recorded name.
    assert stored_files() == [decision.pdf.name]
    assert read_stored(decision.pdf.name) == issued
    assert services.decision_pdf_bytes(decision=Decision.objects.get(pk=decision.pk)) == issued


@pytest.mark.django_db
def test_a_damaged_file_is_replaced_by_the_exact_render_and_kept_beside_it(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=1)
    issued = services.decision_pdf_bytes(decision=decision)
    # A write cut short (or an edit): the recorded name holds something else.
    with default_storage.open(decision.pdf.name, "wb") as handle:
        handle.write(issued[:1000])

    data = services.decision_pdf_bytes(decision=decision)

    assert data == issued and sha256(data) == decision.sha256
    decision.refresh_from_db()
    assert decision.pdf.name != "documents/decisions/2023/QD-2023-0001-ubnd-hoa-an.pdf"
    assert read_stored(decision.pdf.name) == issued
    assert read_stored("documents/decisions/2023/QD-2023-0001-ubnd-hoa-an.pdf") == issued[:1000]


def _edit_the_template(monkeypatch):
    real = rendering.render_to_string

    def edited(name, context=None, *args, **kwargs):
        return real(name, context, *args, **kwargs).replace("QUYẾT ĐỊNH", "QUYẾT ĐỊNH SỬA")

    monkeypatch.setattr(rendering, "render_to_string", edited)


@pytest.mark.django_db
def test_a_missing_file_that_cannot_be_made_again_as_issued_is_refused(issuer, clerk, monkeypatch):
    decision = issue_recognition(issuer, clerk, count=1)
    _edit_the_template(monkeypatch)  # the templates changed before anyone read it

    with pytest.raises(WrongState, match="không thể tạo lại đúng như khi ban hành"):
        services.decision_pdf_bytes(decision=decision)
    assert stored_files() == []


@pytest.mark.django_db
def test_a_damaged_file_that_cannot_be_made_again_as_issued_is_refused(issuer, clerk, monkeypatch):
    decision = issue_recognition(issuer, clerk, count=1)
    services.decision_pdf_bytes(decision=decision)
    with default_storage.open(decision.pdf.name, "wb") as handle:
        handle.write(b"%PDF-1.7 forged")
    _edit_the_template(monkeypatch)

    with pytest.raises(WrongState, match="không khớp mã kiểm tra"):
        services.decision_pdf_bytes(decision=decision)
    assert read_stored(decision.pdf.name) == b"%PDF-1.7 forged"


RENDER_IN_ANOTHER_PROCESS = """
import hashlib, json, sys
import django
django.setup()
from documents import rendering
print(hashlib.sha256(rendering.render_decision_pdf(json.load(sys.stdin))).hexdigest())
"""


@pytest.mark.django_db
def test_another_process_renders_the_same_snapshot_to_the_same_bytes(issuer, clerk):
    """What the recovery relies on: no time, random identifier or hash order in the PDF."""
    decision = issue_commendation(issuer, clerk, count=12, individuals=3)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONHASHSEED": "4242",  # another order of every set and dict of strings
        "PYTHONPATH": str(settings.BASE_DIR),
    }
    result = subprocess.run(
        [sys.executable, "-c", RENDER_IN_ANOTHER_PROCESS],
        input=json.dumps(decision.content),
        capture_output=True,
        text=True,
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        timeout=120,
    )

    assert result.stdout.strip() == decision.sha256


# --- print jobs: written before the transaction that records them ------------------------------


@pytest.fixture
def decision(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=4)
    services.certificates_issue(decision=decision, actor=clerk)
    return decision


@pytest.fixture
def job(decision, clerk):
    # Started in the test's transaction: its task is never queued.
    return services.print_job_start(decision=decision, actor=clerk)


def _plan(job: PrintJob) -> None:
    """Make the job's parts without rendering them (what print_job_run does first)."""
    ids = list(services.selectors.certificates_to_print(job.decision).values_list("id", flat=True))
    PrintChunk.objects.bulk_create(
        [PrintChunk(job=job, index=i, certificate_ids=ids[i * 2 : i * 2 + 2]) for i in range(2)]
    )
    PrintJob.objects.filter(pk=job.pk).update(
        status=PrintJobStatus.RUNNING, total=len(ids), chunks_total=2
    )


@pytest.mark.django_db
def test_a_part_that_another_delivery_finished_first_leaves_no_file(job, monkeypatch):
    _plan(job)
    real_write = services._write_files

    def write_then_lose_the_race(instance, files):
        stored = real_write(instance, files)
        assert all(default_storage.exists(name) for name in stored.values())
        # Meanwhile another delivery of the same part records its own files.
        PrintChunk.objects.filter(pk=instance.pk).update(is_done=True)
        return stored

    monkeypatch.setattr(services, "_write_files", write_then_lose_the_race)
    services.print_chunk_run(job_id=job.pk, index=0)

    assert stored_files() == []
    chunk = PrintChunk.objects.get(job=job, index=0)
    assert chunk.pdf.name == ""


@pytest.mark.django_db
def test_a_part_whose_recording_fails_leaves_no_file_and_fails_the_job(job, monkeypatch):
    _plan(job)

    def database_error(self, *args, **kwargs):
        raise Boom("the database went away")

    monkeypatch.setattr(PrintChunk, "save", database_error)
    with pytest.raises(Boom):
        services.print_chunk_run(job_id=job.pk, index=0)

    assert stored_files() == []
    job.refresh_from_db()
    assert job.status == PrintJobStatus.FAILED and "went away" in job.error


@pytest.mark.django_db
def test_a_job_whose_last_part_never_joined_is_joined_when_the_part_is_redelivered(
    job, monkeypatch, django_capture_on_commit_callbacks
):
    _plan(job)
    real_finish = services.print_job_finish
    # The worker of the last part dies after recording it, before joining the parts.
    monkeypatch.setattr(services, "print_job_finish", lambda job_id: None)
    services.print_chunk_run(job_id=job.pk, index=0)
    services.print_chunk_run(job_id=job.pk, index=1)
    job.refresh_from_db()
    assert (job.status, job.chunks_done) == (PrintJobStatus.RUNNING, 2)

    monkeypatch.setattr(services, "print_job_finish", real_finish)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.print_certificates_chunk(job.pk, 1)  # the broker delivers it again (acks_late)

    job.refresh_from_db()
    assert job.status == PrintJobStatus.DONE
    assert stored_files() == [job.pdf.name]
    assert read_stored(job.pdf.name)[:5] == b"%PDF-"


@pytest.mark.django_db
def test_a_finisher_that_lost_the_race_returns_the_done_job(
    job, monkeypatch, django_capture_on_commit_callbacks
):
    _plan(job)
    with django_capture_on_commit_callbacks(execute=True):
        services.print_chunk_run(job_id=job.pk, index=0)
        services.print_chunk_run(job_id=job.pk, index=1)  # joins, then removes the parts
    job.refresh_from_db()
    assert job.status == PrintJobStatus.DONE
    joined = job.pdf.name
    # A second finisher saw the job running just before the first one committed.
    real_complete = services._complete
    checks = []

    def running_at_first_look(candidate):
        checks.append(candidate.status)
        return len(checks) == 1 or real_complete(candidate)

    monkeypatch.setattr(services, "_complete", running_at_first_look)

    again = services.print_job_finish(job_id=job.pk)

    assert checks == [PrintJobStatus.DONE]  # it never got to record anything
    assert again.status == PrintJobStatus.DONE and again.pdf.name == joined
    assert stored_files() == [joined]
