"""Benchmark: one reminder scan of N due reminders, written and delivered (DESIGN.md: 500,000
in ≤ 90 s on PostgreSQL).

Builds, in a scratch PostgreSQL database of its own (dropped and created again each run), a
national tree (a national root, 34 provinces, 3,321 communes, about 60,000 hamlets), one
official for each commune and hamlet, the national board's open review cycle and N pending
annual reports on N monitored initiatives spread over those units. Then, three days before
the report deadline, it times:

1. ``notifications.services.reminders_scan``: one transaction that writes the N reminders
   (``INSERT … SELECT … ON CONFLICT DO NOTHING``) and their N in-app deliveries;
2. the delivery of all of them through the in-app channel, in batches of
   ``NOTIFICATION_BATCH_SIZE`` (500): ``--deliver inline`` runs ``deliver_batch``'s service
   batch after batch in this process; ``--deliver celery`` queues the batches as the scan's
   commit hook does and starts real Celery workers (Redis broker) that drain them;
3. a second scan of the same moment, which must write nothing.

    .venv/bin/python bench/bench_reminder_scan.py                 # 500,000 reminders
    .venv/bin/python bench/bench_reminder_scan.py --n 50000
    .venv/bin/python bench/bench_reminder_scan.py --deliver celery --workers 2

PostgreSQL on 127.0.0.1 (user postgres, trust auth); ``--database`` names the scratch
database (default dvk_bench_notif), ``--dsn`` the server, ``--redis`` the broker for
``--deliver celery`` (default redis://127.0.0.1:6379/5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_cycle_open import copy_rows, recreate_database  # noqa: E402

PROVINCES = 34
COMMUNES = 3321
HAMLETS_PER_COMMUNE = 18
REPORT_DUE = dt.date(2025, 10, 31)
QUEUE = "bench-reminders"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000, help="reminders due in the scan")
    parser.add_argument("--database", default="dvk_bench_notif")
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--deliver", choices=["inline", "celery"], default="inline")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


def setup_django(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = f"{args.dsn}/{args.database}"
    os.environ["REDIS_URL"] = args.redis
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # The in-app channel only: the benchmark measures the outbox, not an SMTP server.
    settings.NOTIFICATION_CHANNELS = ["notifications.channels.InAppChannel"]


def set_sequence(cursor, table: str, value: int) -> None:
    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [value])


def build(n: int, seed: int) -> tuple[int, int]:
    from django.db import connection, transaction

    from core.models import (
        BoardMember,
        CycleStatus,
        Phase,
        ReviewCycle,
        Role,
        SteeringBoard,
        Unit,
        UnitKind,
        path_step,
    )
    from core.tallies import initiative_tallies_rebuild

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY

        # --- units ------------------------------------------------------------------------
        units = [(1, "VN", "Toàn quốc", UnitKind.AGENCY, None, path_step(1), 0)]
        paths = {1: path_step(1)}
        next_id = 2
        provinces = []
        for p in range(PROVINCES):
            provinces.append(next_id)
            paths[next_id] = paths[1] + path_step(next_id)
            units.append(
                (next_id, f"T{p:02d}", f"Tỉnh {p}", UnitKind.PROVINCE, 1, paths[next_id], 1)
            )
            next_id += 1
        owners = []
        for c in range(COMMUNES):
            commune = next_id
            next_id += 1
            parent = provinces[c % PROVINCES]
            paths[commune] = paths[parent] + path_step(commune)
            units.append(
                (commune, f"X{c:05d}", f"Xã {c}", UnitKind.COMMUNE, parent, paths[commune], 2)
            )
            owners.append(commune)
            for h in range(HAMLETS_PER_COMMUNE):
                hamlet = next_id
                next_id += 1
                path = paths[commune] + path_step(hamlet)
                units.append(
                    (hamlet, f"H{hamlet:07d}", f"Xóm {h} – {c}", UnitKind.HAMLET, commune, path, 3)
                )
                owners.append(hamlet)
        copy_rows(
            cursor,
            Unit._meta.db_table,
            ["id", "code", "name", "kind", "parent_id", "path", "depth"],
            units,
        )
        set_sequence(cursor, Unit._meta.db_table, next_id)

        # --- one official per owner unit ----------------------------------------------------
        copy_rows(
            cursor,
            "core_user",
            [
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "full_name",
                "unit_id",
                "language",
            ],
            (
                (
                    i,
                    "!",
                    False,
                    f"can-bo-{unit}",
                    "",
                    "",
                    f"can-bo-{unit}@example.vn",
                    False,
                    True,
                    now,
                    f"Cán bộ đơn vị {unit}",
                    unit,
                    "vi",
                )
                for i, unit in enumerate(owners, start=1)
            ),
        )
        set_sequence(cursor, "core_user", len(owners) + 1)
        copy_rows(
            cursor,
            "core_unitrole",
            ["unit_id", "user_id", "role"],
            ((unit, i, Role.OFFICIAL.value) for i, unit in enumerate(owners, start=1)),
        )

        # --- the national board's open cycle --------------------------------------------------
        board = SteeringBoard.objects.create(unit_id=1, name="Ban Chỉ đạo Trung ương", quorum=3)
        BoardMember.objects.create(board=board, user_id=1, role=Role.SECRETARY)
        cycle = ReviewCycle.objects.create(
            board=board,
            phase=Phase.objects.get(code="2021-2025"),
            year=2025,
            opens_on=dt.date(2025, 3, 1),
            report_due=REPORT_DUE,
            evaluation_due=dt.date(2025, 11, 30),
            decision_due=dt.date(2025, 12, 20),
            status=CycleStatus.OPEN,
            opened_at=now - dt.timedelta(days=200),  # its notices went out long ago
        )
        phase_id = cycle.phase_id

        # --- N monitored initiatives, each with its pending annual report ---------------------
        owner_of = [rng.choice(owners) for _ in range(n)]
        copy_rows(
            cursor,
            "core_initiative",
            [
                "id",
                "code",
                "title",
                "owner_unit_id",
                "kind",
                "owner_name",
                "phase_id",
                "registered_on",
                "description",
                "goals",
                "status",
                "created_at",
                "updated_at",
            ],
            (
                (
                    pk,
                    f"MH-2024-{pk:06d}",
                    f"Mô hình “Dân vận khéo” số {pk}",
                    owner_of[pk - 1],
                    "collective",
                    "",
                    phase_id,
                    dt.date(2024, 1, 1) + dt.timedelta(days=pk % 365),
                    "",
                    "",
                    "monitored",
                    now,
                    now,
                )
                for pk in range(1, n + 1)
            ),
        )
        set_sequence(cursor, "core_initiative", n + 1)
        copy_rows(
            cursor,
            "workflows_annualreport",
            [
                "initiative_id",
                "cycle_id",
                "year",
                "due_on",
                "status",
                "text",
                "submitted_late",
                "created_at",
            ],
            ((pk, cycle.pk, 2025, REPORT_DUE, "pending", "", False, now) for pk in range(1, n + 1)),
        )
    # Written by COPY, not the services: the statistics' tallies are counted once here.
    initiative_tallies_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return len(units), len(owners)


def start_workers(args: argparse.Namespace, log_dir: Path) -> list[subprocess.Popen]:
    """Celery workers on the bench database and queue, ready to take tasks."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
        "DATABASE_URL": f"{args.dsn}/{args.database}",
        "REDIS_URL": args.redis,
        "CELERY_BROKER_URL": args.redis,
    }
    workers = []
    for index in range(args.workers):
        log = (log_dir / f"bench-reminder-worker-{index}.log").open("w")
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    QUEUE,
                    "--concurrency",
                    "1",
                    "--hostname",
                    f"bench-reminders-{index}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                    "--loglevel",
                    "INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 120
    for index in range(args.workers):
        log_path = log_dir / f"bench-reminder-worker-{index}.log"
        while " ready." not in log_path.read_text(errors="replace"):
            if time.monotonic() > deadline or workers[index].poll() is not None:
                stop_workers(workers)
                raise SystemExit(f"worker {index} did not start; see {log_path}")
            time.sleep(0.2)
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def main() -> None:
    args = parse_args()
    recreate_database(args.dsn, args.database)
    setup_django(args)

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from notifications.models import Delivery, DeliveryStatus, Message
    from notifications.services import batch_size, deliveries_send, reminders_scan

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    unit_count, official_count = build(args.n, args.seed)
    print(
        f"built {unit_count:,} units, {official_count:,} officials, {args.n:,} pending annual "
        f"reports in {time.perf_counter() - started:.1f} s"
    )

    moment = timezone.make_aware(dt.datetime.combine(REPORT_DUE - dt.timedelta(days=3), dt.time(8)))
    workers: list[subprocess.Popen] = []
    if args.deliver == "celery":
        from config.celery import app

        app.conf.task_default_queue = QUEUE
        workers = start_workers(args, ROOT / "var" / "log")

    # 1. The scan: with --deliver celery, as the beat task runs it: the batches are queued
    #    when its transaction commits.
    started = time.perf_counter()
    scan = reminders_scan(now=moment, queue=args.deliver == "celery")
    scan_seconds = time.perf_counter() - started
    assert scan.total == args.n == scan.deliveries, (scan.total, scan.deliveries, args.n)
    queued = " and queued in batches" if args.deliver == "celery" else ""
    print(
        f"scan: {scan.total:,} reminders and {scan.deliveries:,} in-app deliveries written"
        f"{queued} in {scan_seconds:.1f} s ({scan.total / scan_seconds:,.0f} reminders/s)"
    )

    # 2. The delivery.
    started = time.perf_counter()
    size = batch_size()
    if args.deliver == "inline":
        ids = list(
            Delivery.objects.filter(message__created_at=scan.stamp, status=DeliveryStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), size):
            deliveries_send(delivery_ids=ids[start : start + size])
    else:
        try:
            while Delivery.objects.filter(status=DeliveryStatus.PENDING).exists():
                if any(worker.poll() is not None for worker in workers):
                    raise SystemExit("a worker stopped; see var/log/bench-reminder-worker-*.log")
                time.sleep(0.2)
        finally:
            stop_workers(workers)
    deliver_seconds = time.perf_counter() - started
    sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
    assert sent == args.n, (sent, args.n)
    how = "in this process" if args.deliver == "inline" else f"by {args.workers} Celery workers"
    print(
        f"delivery: {sent:,} in-app deliveries in batches of {size} {how}, "
        f"{deliver_seconds:.1f} s after the scan ({sent / deliver_seconds:,.0f}/s)"
    )

    started = time.perf_counter()
    again = reminders_scan(now=moment, queue=False)
    assert again.total == 0 and again.deliveries == 0
    print(f"re-scan of the same moment: nothing written, in {time.perf_counter() - started:.1f} s")
    total = scan_seconds + deliver_seconds
    print(
        f"scan + delivery: {total:.1f} s for {args.n:,} reminders (target: 500,000 in ≤ 90 s); "
        f"{Message.objects.count():,} messages in the outbox"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('notifications_message'))")
        print(f"notifications_message on disk: {cursor.fetchone()[0]}")


if __name__ == "__main__":
    main()
