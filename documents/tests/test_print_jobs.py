"""Batch printing: the Celery task run in-process, its progress, files, and pages."""

import io
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from core.errors import NotAllowed, WrongState
from core.tests.factories import UserFactory
from documents import rendering, services, tasks
from documents.models import PrintJob, PrintJobStatus

from .conftest import pdffonts
from .factories import issue_commendation

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=4, individuals=1)
    services.certificates_issue(decision=decision, actor=clerk)
    return decision


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(services, "PRINT_CHUNK_SIZE", 2)


@pytest.fixture
def in_process(settings):
    """Chunks render one after the other in the task, not as tasks of their own."""
    settings.DOCUMENTS_PRINT_FAN_OUT = False


def start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch, **kwargs):
    """Start a job; returns it and the job ids the commit hook queued."""
    queued = []
    monkeypatch.setattr(tasks.print_certificates, "delay", lambda job_id: queued.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        job = services.print_job_start(decision=decision, actor=clerk, **kwargs)
    return job, queued


def test_print_job_start_queues_the_task_after_commit(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    job, queued = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)

    assert queued == [job.pk]
    assert (job.status, job.done, job.total) == (PrintJobStatus.QUEUED, 0, 5)


def test_print_task_renders_in_chunks_and_counts_progress(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch, small_chunks, in_process
):
    job, _ = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)
    seen = []
    real = rendering.render_certificates

    def spy(items):
        current = PrintJob.objects.get(pk=job.pk)
        seen.append((current.status, current.done, current.total, len(items)))
        return real(items)

    monkeypatch.setattr(rendering, "render_certificates", spy)

    tasks.print_certificates(job.pk)

    assert seen == [
        (PrintJobStatus.RUNNING, 0, 5, 2),
        (PrintJobStatus.RUNNING, 2, 5, 2),
        (PrintJobStatus.RUNNING, 4, 5, 1),
    ]
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (PrintJobStatus.DONE, 5, 5)
    assert job.started_at <= job.finished_at
    reader = PdfReader(job.pdf.open("rb"))
    assert len(reader.pages) == 5
    assert "Xã Bình Long 1" in reader.pages[0].extract_text()
    assert "Lương Thị Hường 1" in reader.pages[4].extract_text()
    assert not job.zip


def test_print_task_writes_one_file_per_recipient_on_request(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch, small_chunks, in_process
):
    job, _ = start(
        decision, clerk, django_capture_on_commit_callbacks, monkeypatch, per_recipient=True
    )

    tasks.print_certificates(job.pk)

    job.refresh_from_db()
    with zipfile.ZipFile(job.zip.open("rb")) as archive:
        names = archive.namelist()
        assert len(names) == 5
        assert names[0].endswith("xa-binh-long-1.pdf")
        assert names[4].endswith("luong-thi-huong-1.pdf")
        single = PdfReader(io.BytesIO(archive.read(names[4])))
    assert len(single.pages) == 1
    assert "Lương Thị Hường 1" in single.pages[0].extract_text()


def test_print_task_fans_chunks_out_to_workers_and_the_last_joins_them(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch, small_chunks, tmp_path
):
    job, _ = start(
        decision, clerk, django_capture_on_commit_callbacks, monkeypatch, per_recipient=True
    )
    queued = []
    monkeypatch.setattr(
        tasks.print_certificates_chunk, "delay", lambda job_id, index: queued.append(index)
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.print_certificates(job.pk)
    assert queued == [0, 1, 2]
    job.refresh_from_db()
    assert (job.status, job.done, job.chunks_total) == (PrintJobStatus.RUNNING, 0, 3)

    # Workers finish the parts in any order; a part delivered twice counts once.
    progress = []
    for index in (2, 0, 0, 1):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.print_certificates_chunk(job.pk, index)
        job.refresh_from_db()
        progress.append((job.done, job.status))

    assert progress == [
        (1, PrintJobStatus.RUNNING),
        (3, PrintJobStatus.RUNNING),
        (3, PrintJobStatus.RUNNING),
        (5, PrintJobStatus.DONE),
    ]
    reader = PdfReader(job.pdf.open("rb"))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) == 5
    assert "Xã Bình Long 1" in texts[0] and "Xã Bình Long 4" in texts[3]
    assert "Lương Thị Hường 1" in texts[4]
    with zipfile.ZipFile(job.zip.open("rb")) as archive:
        assert len(archive.namelist()) == 5
    joined = tmp_path / "joined.pdf"
    joined.write_bytes(job.pdf.open("rb").read())
    assert all("LiberationSerif" in f["name"] and f["emb"] == "yes" for f in pdffonts(joined))
    # The parts are removed once joined.
    assert all(not chunk.pdf.storage.exists(chunk.pdf.name) for chunk in job.chunks.all())


def test_a_done_job_run_again_does_nothing(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    job, _ = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)
    tasks.print_certificates(job.pk)
    job.refresh_from_db()
    first_file = job.pdf.name

    def must_not_render(items):
        raise AssertionError("a done job was rendered again")

    monkeypatch.setattr(rendering, "render_certificates", must_not_render)
    tasks.print_certificates(job.pk)

    job.refresh_from_db()
    assert job.status == PrintJobStatus.DONE and job.pdf.name == first_file


def test_a_failing_render_marks_the_job_failed(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch, in_process
):
    job, _ = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)

    def broken(items):
        raise RuntimeError("Pango exploded")

    monkeypatch.setattr(rendering, "render_certificates", broken)
    with pytest.raises(RuntimeError):
        tasks.print_certificates(job.pk)

    job.refresh_from_db()
    assert job.status == PrintJobStatus.FAILED
    assert "Pango exploded" in job.error


def test_a_task_for_a_deleted_job_does_nothing(db):
    assert tasks.print_certificates(987654) is None


def test_revoked_certificates_are_not_printed(
    decision, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    first = decision.certificates.order_by("register_sequence").first()
    services.certificate_revoke(certificate=first, reason="Trùng", actor=clerk)
    job, _ = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)

    tasks.print_certificates(job.pk)

    job.refresh_from_db()
    assert job.total == 4
    assert len(PdfReader(job.pdf.open("rb")).pages) == 4


def test_print_job_start_refuses_strangers_and_undecided_prints(decision, issuer, clerk):
    with pytest.raises(NotAllowed):
        services.print_job_start(decision=decision, actor=UserFactory(username="x"))
    empty = issue_commendation(issuer, clerk, count=1)
    with pytest.raises(WrongState):
        services.print_job_start(decision=empty, actor=clerk)


def test_progress_page_and_status_endpoint_show_done_and_total(
    decision, clerk, client, django_capture_on_commit_callbacks, monkeypatch
):
    job, _ = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)
    PrintJob.objects.filter(pk=job.pk).update(status=PrintJobStatus.RUNNING, done=2)
    client.force_login(clerk)

    page = client.get(reverse("documents:print-job", args=[job.pk]))
    status = client.get(reverse("documents:print-job-status", args=[job.pk])).json()

    assert page.status_code == 200
    html = page.content.decode()
    assert '<span id="done">2</span> / <span id="total">5</span>' in html
    assert "Đang in" in html
    assert reverse("documents:print-job-status", args=[job.pk]) in html
    assert status["status"] == "running"
    assert (status["done"], status["total"], status["pdf_url"]) == (2, 5, None)


def test_finished_job_page_links_the_downloads(
    decision, clerk, client, django_capture_on_commit_callbacks, monkeypatch
):
    job, _ = start(
        decision, clerk, django_capture_on_commit_callbacks, monkeypatch, per_recipient=True
    )
    tasks.print_certificates(job.pk)
    client.force_login(clerk)

    status = client.get(reverse("documents:print-job-status", args=[job.pk])).json()
    html = client.get(reverse("documents:print-job", args=[job.pk])).content.decode()
    download = client.get(status["pdf_url"])

    assert status["status"] == "done" and status["done"] == 5
    assert status["pdf_url"] in html and status["zip_url"] in html
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert client.get(status["zip_url"]).status_code == 200


def test_print_pages_need_a_login_and_the_right_user(
    decision, clerk, client, django_capture_on_commit_callbacks, monkeypatch
):
    job, _ = start(decision, clerk, django_capture_on_commit_callbacks, monkeypatch)
    url = reverse("documents:print-job-status", args=[job.pk])

    assert client.get(url).status_code == 302
    client.force_login(UserFactory(username="someone-else"))
    assert client.get(url).status_code == 404


def test_decision_page_starts_a_print_job(
    decision, clerk, client, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(tasks.print_certificates, "delay", lambda job_id: queued.append(job_id))
    client.force_login(clerk)

    page = client.get(reverse("documents:decision", args=[decision.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("documents:print-job-create", args=[decision.pk]), {"per_recipient": "1"}
        )

    assert page.status_code == 200 and "1/QĐ-UBND" in page.content.decode()
    job = PrintJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:print-job", args=[job.pk])
    assert job.per_recipient and queued == [job.pk]


def test_decision_pdf_download_returns_the_stored_bytes(decision, clerk, client):
    client.force_login(clerk)

    response = client.get(reverse("documents:decision-pdf", args=[decision.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == services.decision_pdf_bytes(decision=decision)
