"""Benchmark: print 500 certificates (DESIGN.md: ≤ 12 s on this 2-core machine).

    .venv/bin/python bench/bench_certificates.py [--count 500] [--per-recipient]
                                                 [--workers 2 | --workers 0]

Everything happens in a throw-away folder: a fresh SQLite database (or the database of
BENCH_DATABASE_URL, which it migrates and fills: give it an empty one), the media files and
the broker folder (or REDIS_URL's Redis, on a queue of its own). It issues a commendation
decision with COUNT recipients and its certificates, then prints them:

- through Celery, as in production: a worker with ``--workers`` processes is started, warmed
  with one print of the same decision, and the time from queueing the job to the job being
  done is measured (the job's parts are spread over the worker's processes);
- in this process, the chunks one after the other (``DOCUMENTS_PRINT_FAN_OUT`` off).

It also prints the cost of one certificate rendered alone and of the decision with its
COUNT-row annex, and in the same run the obvious alternatives with their ratio to the
batch: one WeasyPrint render per certificate, and LibreOffice converting one file per
certificate when ``soffice`` is installed (in calls of 200 files: one call silently stops
after about 246). Exits 1 when the batch (through Celery, or in-process with --workers 0)
misses the target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS_PER_500 = 12.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (0: none)")
    parser.add_argument("--per-recipient", action="store_true", help="also one file each")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dvk-bench-") as folder:
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
            "DVK_VAR_DIR": folder,
            "SQLITE_PATH": str(Path(folder) / "bench.sqlite3"),
            "MEDIA_ROOT": str(Path(folder) / "media"),
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", ""),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return run(args)


def run(args) -> int:
    from django.test.utils import override_settings

    from documents import rendering, services

    decision, clerk, decision_seconds = build(args.count)
    pages = _page_count(services.decision_pdf_bytes(decision=decision))
    print(f"decision with a {args.count}-row annex: {decision_seconds:.2f} s ({pages} pages)")

    certificates = services.certificates_issue(decision=decision, actor=clerk)
    rendering.render_certificates_pdf([(certificates[0].content, certificates[0].code)])
    single = []
    for certificate in certificates[:20]:
        started = time.perf_counter()
        rendering.render_certificates_pdf([(certificate.content, certificate.code)])
        single.append(time.perf_counter() - started)
    print(f"one certificate rendered alone: {sum(single) / len(single) * 1000:.0f} ms")

    label = f"{args.count} certificates{' + one file each' if args.per_recipient else ''}"
    with override_settings(DOCUMENTS_PRINT_FAN_OUT=False):
        in_process = print_in_process(decision, clerk, args.per_recipient)
    print(f"in one process, chunk after chunk: {label} in {in_process:.2f} s")
    measured = in_process
    if args.workers:
        through_celery = print_through_celery(decision, clerk, args.per_recipient, args.workers)
        print(
            f"through Celery, {args.workers} worker processes: {label} in "
            f"{through_celery:.2f} s ({through_celery / args.count * 1000:.1f} ms each)"
        )
        measured = through_celery

    # The obvious alternatives, in the same run: one WeasyPrint render per certificate, and
    # LibreOffice converting one file per certificate (when soffice is installed).
    alone, alone_cpu = render_one_by_one(certificates)
    print(
        f"one WeasyPrint render per certificate, in this process: {args.count} in "
        f"{alone:.2f} s (CPU {alone_cpu:.2f} s); the product's batch is "
        f"{alone / measured:.1f}× faster ({alone / in_process:.1f}× in one process)"
    )
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice:
        office = convert_with_libreoffice(soffice, certificates)
        print(
            f"LibreOffice ({soffice} --convert-to pdf, {SOFFICE_BATCH} files a call): "
            f"{args.count} in {office:.2f} s; the product's batch is {office / measured:.1f}× faster"
        )
    else:
        print("LibreOffice: soffice is not installed here, not measured")
    target = TARGET_SECONDS_PER_500 * args.count / 500
    verdict = "PASS" if measured <= target else "FAIL"
    print(f"{verdict}: {measured:.2f} s, target {target:.1f} s for {args.count} certificates")
    return 0 if verdict == "PASS" else 1


def build(count: int):
    from core.models import AwardType, IssuerKind, UnitKind, UnitRole
    from core.services import unit_create
    from core.tests.factories import IssuingBodyFactory, UserFactory
    from documents import services

    district = unit_create(code="BENCH-HOA-AN", name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    issuer = IssuingBodyFactory(
        code="bench-ubnd-hoa-an",
        name="Ủy ban nhân dân huyện Hòa An (bench)",
        kind=IssuerKind.PEOPLE_COMMITTEE,
        unit=district,
        abbreviation="UBND",
        header="ỦY BAN NHÂN DÂN\nHUYỆN HÒA AN",
        place="Hòa An",
        signing_authority="KT. CHỦ TỊCH",
        signer_title="PHÓ CHỦ TỊCH",
        signer_name="Nông Thị Ằng",
    )
    clerk = UserFactory(username="bench-clerk")
    UnitRole.objects.create(unit=district, user=clerk, role="clerk")
    entries = []
    for i in range(count):
        unit = unit_create(
            code=f"BENCH-X{i:05d}",
            name=f"Xã Bình Long {i + 1}",
            kind=UnitKind.COMMUNE,
            parent=district,
        )
        if i % 3 == 2:
            entries.append(
                services.EntryInput(
                    unit=unit,
                    recipient_kind="individual",
                    recipient_name=f"Lương Thị Hường {i + 1}",
                    recipient_title="Chủ tịch Hội Liên hiệp Phụ nữ",
                    award=AwardType.CERTIFICATE_OF_MERIT,
                )
            )
        else:
            entries.append(services.EntryInput(unit=unit, award=AwardType.CERTIFICATE_OF_MERIT))
    started = time.perf_counter()
    decision = services.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=dt.date(2023, 9, 30),
        title="Về việc tặng Giấy khen cho các tập thể, cá nhân có thành tích xuất sắc trong "
        "phong trào thi đua “Dân vận khéo” giai đoạn 2016 - 2020",
        entries=entries,
        actor=clerk,
    )
    return decision, clerk, time.perf_counter() - started


def print_in_process(decision, clerk, per_recipient: bool) -> float:
    from documents import services
    from documents.models import PrintJob

    job = PrintJob.objects.create(
        decision=decision, requested_by=clerk, per_recipient=per_recipient
    )
    started, cpu = time.perf_counter(), time.process_time()
    job = services.print_job_run(job_id=job.pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert job.status == "done", (job.status, job.error)
    # CPU time tells what the batch costs when other processes share the cores.
    print(f"  (CPU time of that batch: {cpu:.2f} s)")
    return elapsed


def print_through_celery(decision, clerk, per_recipient: bool, workers: int) -> float:
    from django.db import transaction

    from documents import services

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-c",
            str(workers),
            "-P",
            "prefork",
            "-Q",
            "bench",
            "-l",
            "WARNING",
            "-n",
            f"bench-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:

        def one_job() -> float:
            started = time.perf_counter()
            with transaction.atomic():
                job = services.print_job_start(
                    decision=decision, actor=clerk, per_recipient=per_recipient
                )
            deadline = started + 300
            while time.perf_counter() < deadline:
                job.refresh_from_db()
                if job.status in ("done", "failed"):
                    break
                time.sleep(0.02)
            assert job.status == "done", (job.status, job.error)
            elapsed = time.perf_counter() - started
            if os.environ.get("BENCH_VERBOSE"):
                for chunk in job.chunks.order_by("started_at"):
                    print(
                        f"  part {chunk.index}: {(chunk.started_at - job.created_at).total_seconds():.2f}"
                        f" → {(chunk.finished_at - job.created_at).total_seconds():.2f} s"
                    )
                print(f"  job done at {(job.finished_at - job.created_at).total_seconds():.2f} s")
            return elapsed

        one_job()  # warm-up: worker start, fonts and stylesheets parsed in each process
        return one_job()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


# One `soffice --convert-to pdf` call silently stops after about 246 files: batch them.
SOFFICE_BATCH = 200


def render_one_by_one(certificates) -> tuple[float, float]:
    """Each certificate rendered on its own (a WeasyPrint layout pass each)."""
    from documents import rendering

    started, cpu = time.perf_counter(), time.process_time()
    for certificate in certificates:
        pdf = rendering.render_certificates_pdf([(certificate.content, certificate.code)])
        assert pdf.startswith(b"%PDF")
    return time.perf_counter() - started, time.process_time() - cpu


def convert_with_libreoffice(soffice: str, certificates) -> float:
    """One HTML file per certificate (the product's template), converted to PDF by
    LibreOffice in calls of SOFFICE_BATCH files; every PDF is checked to exist."""
    from django.template.loader import render_to_string

    from documents import rendering

    with tempfile.TemporaryDirectory(prefix="dvk-soffice-") as folder:
        sources = []
        for certificate in certificates:
            path = Path(folder) / f"{certificate.code}.html"
            items = rendering._certificate_items([(certificate.content, certificate.code)])
            path.write_text(render_to_string("documents/pdf/certificates.html", {"items": items}))
            sources.append(path)
        out = Path(folder) / "pdf"
        started = time.perf_counter()
        for start in range(0, len(sources), SOFFICE_BATCH):
            batch = [str(p) for p in sources[start : start + SOFFICE_BATCH]]
            subprocess.run(
                [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), *batch],
                check=True,
                capture_output=True,
                timeout=1800,
            )
        elapsed = time.perf_counter() - started
        missing = [p.name for p in sources if not (out / f"{p.stem}.pdf").exists()]
        assert not missing, f"LibreOffice left out {len(missing)} files: {missing[:3]}"
    return elapsed


def _page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


if __name__ == "__main__":
    sys.exit(main())
