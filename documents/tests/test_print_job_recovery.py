"""Print jobs that meet faults: a part retries a transient error with backoff, a part that
cannot be printed fails its job visibly with the reason, the sweeper ends a job whose parts
stopped, and "In lại phần còn thiếu" prints only the missing parts (web and API)."""

import datetime as dt
import io

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.tests.factories import UserFactory
from documents import rendering, services, tasks
from documents.models import PrintChunk, PrintJob, PrintJobStatus
from tests.api_support import api

from .factories import issue_commendation

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=4, individuals=1)
    services.certificates_issue(decision=decision, actor=clerk)
    return decision


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(services, "PRINT_CHUNK_SIZE", 2)  # 5 certificates: parts of 2, 2, 1


class Renders:
    """Spy on ``rendering.render_certificates`` (any signature): the recipients each call
    renders; ``fail(part_first_name, times, error)`` makes the calls for a part raise."""

    def __init__(self, monkeypatch):
        self.calls: list[list[str]] = []
        self.failures: dict[str, list] = {}
        real = rendering.render_certificates

        def spy(*args, **kwargs):
            items = args[0] if args else kwargs["certificates"]
            names = [content["recipient_line"] for content, _code in items]
            self.calls.append(names)
            for name, plan in self.failures.items():
                if name in names and plan[0] != 0:
                    plan[0] -= 1
                    raise plan[1]
            return real(*args, **kwargs)

        monkeypatch.setattr(rendering, "render_certificates", spy)

    def fail(self, first_name: str, times: int, error: BaseException) -> None:
        self.failures[first_name] = [times, error]  # times -1: always

    def rendered(self) -> list[str]:
        return [name for call in self.calls for name in call]


def planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks) -> PrintJob:
    """A job started and planned in parts, the parts' tasks not yet run."""
    monkeypatch.setattr(tasks.print_certificates, "delay", lambda job_id: None)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.print_job_start(decision=decision, actor=clerk)
    monkeypatch.setattr(tasks.print_certificates_chunk, "delay", lambda *args: None)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.print_certificates(job.pk)
    job.refresh_from_db()
    assert (job.status, job.chunks_total) == (PrintJobStatus.RUNNING, 3)
    return job


def run_part(job, index, django_capture_on_commit_callbacks):
    """Run a part's task as a worker would, retries included (eagerly, without the wait)."""
    with django_capture_on_commit_callbacks(execute=True):
        return tasks.print_certificates_chunk.apply(args=[job.pk, index])


def names_in(job) -> list[str]:
    reader = PdfReader(io.BytesIO(job.pdf.open("rb").read()))
    return [page.extract_text() for page in reader.pages]


def part_names(job, index) -> list[str]:
    chunk = job.chunks.get(index=index)
    return [
        c.content["recipient_line"]
        for c in sorted(
            job.decision.certificates.filter(pk__in=chunk.certificate_ids),
            key=lambda c: chunk.certificate_ids.index(c.pk),
        )
    ]


def test_a_part_retries_a_transient_error_and_the_job_completes(
    decision, clerk, monkeypatch, django_capture_on_commit_callbacks
):
    job = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    renders = Renders(monkeypatch)
    second = part_names(job, 1)
    renders.fail(second[0], 2, OperationalError("server closed the connection unexpectedly"))

    for index in range(3):
        result = run_part(job, index, django_capture_on_commit_callbacks)
        assert result.successful(), result.traceback

    job.refresh_from_db()
    assert (job.status, job.done, job.error) == (PrintJobStatus.DONE, 5, "")
    # The second part was rendered three times (two transient failures), the others once.
    assert [call for call in renders.calls if call == second] == [second] * 3
    assert len(names_in(job)) == 5


def test_the_backoff_grows_and_is_capped():
    assert [tasks._backoff(n) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_part_failing_beyond_its_retries_fails_the_job_and_the_retry_prints_only_it(
    decision, clerk, monkeypatch, django_capture_on_commit_callbacks, settings, client
):
    settings.DOCUMENTS_PRINT_PART_RETRIES = 2
    job = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    renders = Renders(monkeypatch)
    second = part_names(job, 1)
    renders.fail(second[0], -1, OperationalError("the database system is shutting down"))

    # Workers take the parts in any order; the second part is the last to run here.
    results = [run_part(job, index, django_capture_on_commit_callbacks) for index in (0, 2, 1)]
    assert [r.successful() for r in results] == [True, True, False]

    job.refresh_from_db()
    assert job.status == PrintJobStatus.FAILED
    assert "Phần 2" in job.error and "the database system is shutting down" in job.error
    assert job.done == 3  # the parts printed around it are kept
    assert len([call for call in renders.calls if call == second]) == 3  # 1 + 2 retries
    chunk = job.chunks.get(index=1)
    assert chunk.is_failed and "shutting down" in chunk.error

    # The page says why and offers to print the missing parts; so does the API.
    client.force_login(clerk)
    page = client.get(reverse("documents:print-job", args=[job.pk])).content.decode()
    assert "Phần 2" in page and "In lại phần còn thiếu" in page
    assert "Còn thiếu 2 giấy khen trong 1 phần" in page
    body = api(clerk).get(f"/api/v1/print-jobs/{job.pk}/").json()
    assert (body["status"], body["missing_parts"], body["missing_certificates"]) == (
        "failed",
        [2],
        2,
    )
    assert "Phần 2" in body["error"]

    # The database is back: the retry renders the missing part only, and the job is whole.
    renders.failures.clear()
    renders.calls.clear()
    queued = []
    monkeypatch.setattr(tasks.print_certificates, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(clerk).post(f"/api/v1/print-jobs/{job.pk}/retry/")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "running" and queued == [job.pk]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.print_certificates(job.pk)

    assert renders.rendered() == second
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.retries) == (PrintJobStatus.DONE, 5, 5, 1)
    texts = names_in(job)
    assert len(texts) == 5
    order = [
        c.content["recipient_line"] for c in services.selectors.certificates_to_print(decision)
    ]
    assert all(name in text for name, text in zip(order, texts, strict=True))


def test_a_permanent_error_fails_the_job_at_once_without_retrying(
    decision, clerk, monkeypatch, django_capture_on_commit_callbacks
):
    job = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    renders = Renders(monkeypatch)
    first = part_names(job, 0)
    renders.fail(first[0], -1, RuntimeError("Pango exploded"))

    result = run_part(job, 0, django_capture_on_commit_callbacks)

    assert not result.successful()
    assert len(renders.calls) == 1
    job.refresh_from_db()
    assert job.status == PrintJobStatus.FAILED and "Pango exploded" in job.error
    # The parts queued behind it do not render for a failed job.
    run_part(job, 2, django_capture_on_commit_callbacks)
    assert len(renders.calls) == 1


def test_the_sweeper_fails_a_job_whose_parts_stopped_and_joins_one_whose_finisher_died(
    decision, clerk, monkeypatch, django_capture_on_commit_callbacks, settings
):
    stopped = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    run_part(stopped, 0, django_capture_on_commit_callbacks)
    unjoined = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    run_part(unjoined, 0, django_capture_on_commit_callbacks)
    run_part(unjoined, 1, django_capture_on_commit_callbacks)
    # Its last part's worker dies between recording the part and joining the parts.
    with monkeypatch.context() as dying:
        dying.setattr(services, "print_job_finish", lambda **kwargs: None)
        run_part(unjoined, 2, django_capture_on_commit_callbacks)
    unjoined.refresh_from_db()
    assert (unjoined.status, unjoined.chunks_done) == (PrintJobStatus.RUNNING, 3)
    recent = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    never_started = services.print_job_start(decision=decision, actor=clerk)

    later = timezone.now() + dt.timedelta(seconds=settings.DOCUMENTS_PRINT_STALL_AFTER + 1)
    PrintJob.objects.filter(pk=recent.pk).update(progressed_at=later)
    sweep = services.print_jobs_sweep(now=later)

    assert sweep.finished == [unjoined.pk]
    assert sorted(sweep.failed) == sorted([stopped.pk, never_started.pk])
    stopped.refresh_from_db()
    assert stopped.status == PrintJobStatus.FAILED
    assert "2 trong 3 phần" in stopped.error and "2, 3" in stopped.error
    unjoined.refresh_from_db()
    assert unjoined.status == PrintJobStatus.DONE and len(names_in(unjoined)) == 5
    recent.refresh_from_db()
    assert recent.status == PrintJobStatus.RUNNING
    never_started.refresh_from_db()
    assert never_started.status == PrintJobStatus.FAILED and never_started.error
    # A second sweep changes nothing.
    assert services.print_jobs_sweep(now=later) == services.PrintSweep(finished=[], failed=[])


def test_the_sweep_task_is_scheduled_and_runs(db, django_capture_on_commit_callbacks):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="dvk: sweep stalled print jobs")
    assert task.task == tasks.sweep_print_jobs.name and task.enabled
    assert tasks.sweep_print_jobs.apply().successful()


def test_a_job_never_planned_is_retried_from_the_start_on_the_web(
    decision, clerk, monkeypatch, django_capture_on_commit_callbacks, client
):
    monkeypatch.setattr(tasks.print_certificates, "delay", lambda job_id: None)
    job = services.print_job_start(decision=decision, actor=clerk)
    services.print_jobs_sweep(now=timezone.now() + dt.timedelta(days=1))
    job.refresh_from_db()
    assert job.status == PrintJobStatus.FAILED
    client.force_login(clerk)
    queued = []
    monkeypatch.setattr(tasks.print_certificates, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("documents:print-job-retry", args=[job.pk]))
    assert response.status_code == 302 and queued == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.error) == (PrintJobStatus.QUEUED, "")
    with django_capture_on_commit_callbacks(execute=True):
        tasks.print_certificates(job.pk)
    job.refresh_from_db()
    assert job.status in (PrintJobStatus.RUNNING, PrintJobStatus.DONE)
    assert PrintChunk.objects.filter(job=job).count() == 3


def test_the_retry_refuses_a_job_that_has_not_failed_and_hides_it_from_strangers(
    decision, clerk, monkeypatch, django_capture_on_commit_callbacks
):
    job = planned(decision, clerk, monkeypatch, django_capture_on_commit_callbacks)
    response = api(clerk).post(f"/api/v1/print-jobs/{job.pk}/retry/")
    assert response.status_code == 409 and response.json()["detail"]
    stranger = UserFactory()
    assert api(stranger).get(f"/api/v1/print-jobs/{job.pk}/").status_code == 404
    assert api(stranger).post(f"/api/v1/print-jobs/{job.pk}/retry/").status_code == 404
    assert api(clerk).get(f"/api/v1/print-jobs/{job.pk}/").json()["status"] == "running"
