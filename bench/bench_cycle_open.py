"""Benchmark: open a national review cycle (DESIGN.md: 500,000 annual reports in ≤ 120 s).

Builds, in a scratch PostgreSQL database of its own (dropped and created again each run), a
national tree (a national root, 34 provinces, 3,321 communes, hamlets below them) and N
initiatives that take part in a review (70 % monitored, 20 % recognised, 10 % commended)
plus N/10 that do not (registered, evaluated, withdrawn), each with one field and one
history line. Then it times ``workflows.services.cycle_open`` for the national board's cycle
(the annual reports, and the ``AnnualReviewFlow`` processes with their ``report`` tasks that
it writes in bulk) and checks what it wrote.

    .venv/bin/python bench/bench_cycle_open.py              # 500,000 initiatives
    .venv/bin/python bench/bench_cycle_open.py --n 50000

PostgreSQL on 127.0.0.1 (user postgres, trust auth); ``--database`` names the scratch
database (default dvk_bench_wf), ``--dsn`` the server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = 34
COMMUNES = 3321
HAMLETS_PER_COMMUNE = 18  # about 60,000 hamlets and agencies


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000, help="initiatives taking part")
    parser.add_argument("--database", default="dvk_bench_wf")
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--trace", action="store_true", help="print every statement of cycle_open over 0.2 s"
    )
    return parser.parse_args()


def recreate_database(dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(dsn: str, name: str) -> None:
    os.environ["DATABASE_URL"] = f"{dsn}/{name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def copy_rows(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build(n: int, seed: int):
    from django.db import connection, transaction

    from core.models import (
        BoardMember,
        Field,
        InitiativeStatus,
        Phase,
        Role,
        SteeringBoard,
        Unit,
        UnitKind,
        User,
        path_step,
    )
    from core.tallies import initiative_tallies_rebuild

    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # psycopg's own cursor, for COPY

        # --- units, with explicit ids so their paths are known before they are written ----
        units = []  # (id, code, name, kind, parent_id, path, depth)
        root_id = 1
        units.append((root_id, "VN", "Toàn quốc", UnitKind.AGENCY, None, path_step(1), 0))
        next_id = 2
        province_ids = []
        for p in range(PROVINCES):
            pid = next_id
            next_id += 1
            province_ids.append(pid)
            path = path_step(root_id) + path_step(pid)
            units.append((pid, f"T{p:02d}", f"Tỉnh {p}", UnitKind.PROVINCE, root_id, path, 1))
        paths = {u[0]: u[5] for u in units}
        commune_ids = []
        for c in range(COMMUNES):
            cid = next_id
            next_id += 1
            parent = province_ids[c % PROVINCES]
            commune_ids.append(cid)
            path = paths[parent] + path_step(cid)
            paths[cid] = path
            units.append((cid, f"X{c:05d}", f"Xã {c}", UnitKind.COMMUNE, parent, path, 2))
        hamlet_ids = []
        for cid in commune_ids:
            for h in range(HAMLETS_PER_COMMUNE):
                hid = next_id
                next_id += 1
                hamlet_ids.append(hid)
                path = paths[cid] + path_step(hid)
                units.append(
                    (hid, f"H{hid:07d}", f"Xóm {h} – {cid}", UnitKind.HAMLET, cid, path, 3)
                )
        copy_rows(
            cursor,
            Unit._meta.db_table,
            ["id", "code", "name", "kind", "parent_id", "path", "depth"],
            units,
        )
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{Unit._meta.db_table}', 'id'), %s)",
            [next_id],
        )

        # --- the national board and its secretary ------------------------------------------
        root = Unit.objects.get(pk=root_id)
        board = SteeringBoard.objects.create(unit=root, name="Ban Chỉ đạo Trung ương", quorum=3)
        secretary = User.objects.create(username="thuong-truc", full_name="Thường trực")
        BoardMember.objects.create(board=board, user=secretary, role=Role.SECRETARY)

        # --- initiatives, their fields and one history line each ----------------------------
        phase = Phase.objects.get(code="2021-2025")
        field_ids = list(Field.objects.values_list("id", flat=True))
        owners = commune_ids + hamlet_ids
        taking_part = [InitiativeStatus.MONITORED] * 7 + [InitiativeStatus.RECOGNISED] * 2
        taking_part += [InitiativeStatus.COMMENDED]
        outside = [
            InitiativeStatus.REGISTERED,
            InitiativeStatus.EVALUATED,
            InitiativeStatus.WITHDRAWN,
        ]
        total = n + n // 10
        statuses = [taking_part[i % 10] for i in range(n)]
        statuses += [outside[i % 3] for i in range(total - n)]
        rng.shuffle(statuses)

        def initiatives():
            for pk in range(1, total + 1):
                yield (
                    pk,
                    f"MH-2023-{pk:06d}",
                    f"Mô hình “Dân vận khéo” số {pk}",
                    rng.choice(owners),
                    "collective",
                    "",
                    phase.pk,
                    dt.date(2023, 1, 1) + dt.timedelta(days=pk % 365),
                    "",
                    "",
                    statuses[pk - 1],
                    now,
                    now,
                )

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
            initiatives(),
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('core_initiative', 'id'), %s)", [total + 1]
        )
        copy_rows(
            cursor,
            "core_initiative_fields",
            ["initiative_id", "field_id"],
            ((pk, field_ids[pk % len(field_ids)]) for pk in range(1, total + 1)),
        )
        copy_rows(
            cursor,
            "core_initiativestatuschange",
            ["initiative_id", "from_status", "to_status", "at", "reason", "source"],
            ((pk, "registered", statuses[pk - 1], now, "", "bench") for pk in range(1, total + 1)),
        )
    # Written by COPY, not the services: the statistics' tallies are counted once here.
    initiative_tallies_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return board, secretary, phase, len(units), total


def passthrough(execute, sql, params, many, context):
    return execute(sql, params, many, context)


def slow_statements(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        elapsed = time.perf_counter() - started
        if elapsed > 0.2:
            print(f"  {elapsed:6.2f} s  {sql[:160]}")


def main() -> None:
    args = parse_args()
    recreate_database(args.dsn, args.database)
    setup_django(args.dsn, args.database)

    from django.core.management import call_command
    from django.db import connection
    from viewflow.workflow.models import Task

    from core.models import Initiative, InitiativeStatus, InitiativeStatusChange
    from workflows import flows, services
    from workflows.flows import AnnualReviewFlow
    from workflows.models import AnnualReport, LifecycleProcess

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    board, secretary, phase, unit_count, total = build(args.n, args.seed)
    print(
        f"built {unit_count:,} units and {total:,} initiatives "
        f"({args.n:,} taking part) in {time.perf_counter() - started:.1f} s"
    )
    back = Initiative.objects.filter(
        status__in=[InitiativeStatus.RECOGNISED, InitiativeStatus.COMMENDED]
    ).count()
    history_before = InitiativeStatusChange.objects.count()

    cycle = services.cycle_create(
        actor=secretary,
        board=board,
        phase=phase,
        year=2024,
        opens_on=dt.date(2024, 2, 1),
        report_due=dt.date(2024, 10, 31),
        evaluation_due=dt.date(2024, 11, 30),
        decision_due=dt.date(2024, 12, 20),
    )
    # Time the flows' share (processes and tasks) inside cycle_open too.
    flow_seconds = []
    start_flows = flows.annual_reviews_start

    def timed_start(**kwargs):
        begun = time.perf_counter()
        try:
            return start_flows(**kwargs)
        finally:
            flow_seconds.append(time.perf_counter() - begun)

    flows.annual_reviews_start = timed_start
    started = time.perf_counter()
    with connection.execute_wrapper(slow_statements if args.trace else passthrough):
        created = services.cycle_open(cycle=cycle, actor=secretary)
    seconds = time.perf_counter() - started
    flows.annual_reviews_start = start_flows

    reports = AnnualReport.objects.filter(cycle=cycle).count()
    lines = InitiativeStatusChange.objects.count() - history_before
    assert created == reports == args.n, (created, reports, args.n)
    assert lines == back, (lines, back)
    assert not Initiative.objects.filter(
        status__in=[InitiativeStatus.RECOGNISED, InitiativeStatus.COMMENDED]
    ).exists()
    processes = LifecycleProcess.objects.filter(cycle=cycle).count()
    report_tasks = Task.objects.filter(
        process__lifecycleprocess__cycle=cycle,
        flow_task=AnnualReviewFlow.report,
        status="NEW",
        flow_task_type="HUMAN",
    ).count()
    all_tasks = Task.objects.filter(process__lifecycleprocess__cycle=cycle).count()
    links = Task.previous.through.objects.filter(
        from_task__process__lifecycleprocess__cycle=cycle
    ).count()
    assert processes == report_tasks == links == created, (processes, report_tasks, links)
    assert all_tasks == 2 * created, all_tasks
    print(
        f"cycle_open: {created:,} annual reports, {lines:,} initiatives back to monitored "
        f"(with history), {processes:,} AnnualReviewFlow processes with {all_tasks:,} tasks "
        f"({report_tasks:,} report tasks waiting) in {seconds:.1f} s, of which "
        f"{flow_seconds[0]:.1f} s for the processes and tasks ({created / seconds:,.0f} "
        f"reports/s; target: 500,000 in ≤ 120 s)"
    )


if __name__ == "__main__":
    main()
