"""Benchmark: the leaders' statistics at national size (issue 12).

Targets, on PostgreSQL with ``bench_reads``'s national dataset (34 provinces, 3,321
communes, about 60,000 hamlets, N initiatives, 500,000 by default; the national 2024 cycle
open with N annual reports waiting; 60,000 commendations): the dashboard and
``GET /api/v1/stats/`` for a province ≤ 150 ms and for the country ≤ 2 s, with a fixed
number of queries whatever the data size; the phase report PDF of a province ≤ 5 s.

On top of ``bench_reads``'s data it adds what the statistics count: one initiative in twenty
replicates one of 500 models, each commune records whether it has a mobilisation regulation
and each hamlet whether it has a team (2024), and the national and province boards set
three targets for 2021-2025.

Timed warm (one untimed run first), median and max of ``--runs`` runs. Prints the load
average (other work shares the CPU) and exits 1 when a target is missed.

    .venv/bin/python bench/bench_stats.py              # builds everything, a few minutes
    .venv/bin/python bench/bench_stats.py --reuse      # keep the database built last time
    .venv/bin/python bench/bench_stats.py --n 50000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cycle_open import COMMUNES, PROVINCES, recreate_database, setup_django  # noqa: E402
from bench_cycle_open import build as build_tree  # noqa: E402
from bench_reads import (  # noqa: E402
    NATIONAL_SECRETARY,
    add_boards,
    add_commendations,
    open_national_cycle,
    query_count,
    timed,
)

PROVINCE_TARGET_MS = 150
COUNTRY_TARGET_MS = 2000
PDF_TARGET_S = 5.0
MODELS = 500  # initiatives replicated by others
REPLICA_SHARE = 20  # one in twenty initiatives replicates a model


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000, help="initiatives taking part")
    parser.add_argument("--database", default="dvk_bench_stats")
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per figure (≥ 7)")
    parser.add_argument(
        "--scope",
        choices=["both", "province", "country"],
        default="both",
        help="measure the province, the country or both",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database if it already holds a complete dataset of this size",
    )
    return parser.parse_args()


def database_ready(dsn: str, name: str, n: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{dsn}/{name}") as conn:
            reports = conn.execute(
                "SELECT count(*) FROM workflows_annualreport WHERE year = 2024"
            ).fetchone()[0]
            targets = conn.execute("SELECT count(*) FROM stats_target").fetchone()[0]
            return reports == n and targets > 0
    except psycopg.Error:
        return False


def add_statistics_data(seed: int) -> dict[str, int]:
    """Replications, unit indicators and targets (bulk SQL: the data, not the services, is
    what is measured here)."""
    from django.db import connection, transaction

    from core.models import Phase, SteeringBoard, Unit, UnitKind
    from stats.models import Indicator, Target, TargetKind

    rng = random.Random(seed)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT id FROM core_initiative ORDER BY id")
        ids = [row[0] for row in cursor.fetchall()]
        models = ids[:MODELS]
        pairs = [
            (rng.choice(models), pk) for pk in ids[MODELS:] if rng.randrange(REPLICA_SHARE) == 0
        ]
        cursor.execute("CREATE TEMP TABLE replica (id bigint, source bigint) ON COMMIT DROP")
        with cursor.copy("COPY replica (source, id) FROM STDIN") as copy:
            for row in pairs:
                copy.write_row(row)
        cursor.execute(
            "UPDATE core_initiative i SET replicated_from_id = r.source FROM replica r "
            "WHERE i.id = r.id"
        )
        indicators = {i.code: i.pk for i in Indicator.objects.all()}
        rows = []
        for unit_id, kind in Unit.objects.filter(
            kind__in=[UnitKind.COMMUNE, UnitKind.HAMLET]
        ).values_list("id", "kind"):
            code = "mobilisation_regulation" if kind == UnitKind.COMMUNE else "mobilisation_team"
            rows.append((unit_id, indicators[code], 2024, 1 if rng.random() < 0.87 else 0))
        with cursor.copy(
            "COPY stats_unitindicator (unit_id, indicator_id, year, value, recorded_at) FROM STDIN"
        ) as copy:
            for unit_id, indicator_id, year, value in rows:
                copy.write_row((unit_id, indicator_id, year, value, "2024-12-31T00:00:00Z"))
        phase = Phase.objects.get(code="2021-2025")
        root = Unit.objects.get(code="VN")
        province = Unit.objects.filter(kind=UnitKind.PROVINCE).order_by("pk").first()
        targets = 0
        for unit in (root, province):
            board, _created = SteeringBoard.objects.get_or_create(
                unit=unit, defaults={"name": f"Ban Chỉ đạo {unit.name}"}
            )
            for kind, unit_kind, indicator, value in (
                (TargetKind.BOARD_SHARE, UnitKind.COMMUNE, None, 100),
                (TargetKind.INDICATOR_SHARE, UnitKind.COMMUNE, "mobilisation_regulation", 100),
                (TargetKind.REGISTERING_SHARE, UnitKind.COMMUNE, None, 90),
            ):
                Target.objects.create(
                    board=board,
                    phase=phase,
                    kind=kind,
                    unit_kind=unit_kind,
                    indicator_id=indicators.get(indicator),
                    value=value,
                )
                targets += 1
    return {"replicas": len(pairs), "indicator values": len(rows), "targets": targets}


def main() -> int:
    args = parse_args()
    reuse = args.reuse and database_ready(args.dsn, args.database, args.n)
    if not reuse:
        recreate_database(args.dsn, args.database)
    setup_django(args.dsn, args.database)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from core.models import Phase, Unit, UnitKind, User
    from stats import reports
    from stats.selectors import movement_statistics

    if reuse:
        call_command("migrate", verbosity=0)  # apps added since it was built
        print(f"reusing {args.database} ({args.n:,} initiatives taking part)")
    else:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        board, secretary, phase, unit_count, total = build_tree(args.n, args.seed)
        print(
            f"built {unit_count:,} units, {total:,} initiatives in {time.perf_counter() - started:.0f} s"
        )
        seconds = open_national_cycle(board, secretary, phase)
        print(f"opened the national cycle ({args.n:,} report tasks) in {seconds:.0f} s")
        started = time.perf_counter()
        count = add_commendations(args.seed)
        add_boards(args.seed)
        added = add_statistics_data(args.seed)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"added {count:,} commendations, boards, "
            + ", ".join(f"{n:,} {what}" for what, n in added.items())
            + f" in {time.perf_counter() - started:.0f} s"
        )

    runs = max(args.runs, 7)
    rows: list[tuple[str, float, float, str, float | None]] = []
    province = Unit.objects.filter(kind=UnitKind.PROVINCE).order_by("pk").first()
    root = Unit.objects.get(code="VN")
    phase = Phase.objects.get(code="2021-2025")
    user = User.objects.get(username=NATIONAL_SECRETARY)  # sees the whole country
    client = Client()
    client.force_login(user)
    load_before = os.getloadavg()
    counts: dict[str, set[int]] = {}

    scopes = [(province, "province", PROVINCE_TARGET_MS), (root, "country", COUNTRY_TARGET_MS)]
    for unit, label, target in scopes:
        if args.scope not in ("both", label):
            continue
        for period, query in [("all time", ""), ("phase 2021-2025", "&phase=2021-2025")]:
            kwargs = {"phase": phase} if query else {}
            stats = movement_statistics(unit=unit, **kwargs)
            n, _sql = query_count(lambda u=unit, k=kwargs: movement_statistics(unit=u, **k))
            counts.setdefault(f"the selector, {period}", set()).add(n)
            med, worst = timed(lambda u=unit, k=kwargs: movement_statistics(unit=u, **k), runs)
            note = (
                f"{n} queries; {stats['initiatives']['total']:,} initiatives, "
                f"{stats['replication']['total']:,} replicas, {len(stats['targets'])} targets"
            )
            rows.append((f"movement_statistics {label}, {period}", med, worst, note, None))
            for url in (
                f"/dashboard/?unit={unit.code}{query}",
                f"/api/v1/stats/?unit={unit.code}{query}",
            ):

                def get(u=url):
                    response = client.get(u)
                    assert response.status_code == 200, (u, response.status_code)
                    return response

                n, _sql = query_count(get)
                counts.setdefault(f"{url.split('?')[0]}, {period}", set()).add(n)
                med, worst = timed(get, runs)
                rows.append(
                    (
                        f"GET {url.split('?')[0]} {label}, {period}",
                        med,
                        worst,
                        f"{n} queries",
                        target,
                    )
                )

    started = time.perf_counter()
    pdf = reports.render_pdf(unit=province, phase=phase, year=None)
    pdf_times = []
    for _ in range(3):
        started = time.perf_counter()
        pdf = reports.render_pdf(unit=province, phase=phase, year=None)
        pdf_times.append(time.perf_counter() - started)
    pdf_times.sort()
    started = time.perf_counter()
    xlsx = reports.render_xlsx(unit=province, phase=phase, year=None)
    xlsx_seconds = time.perf_counter() - started
    load_after = os.getloadavg()

    missed = []
    print()
    print(f"{'measure':<56} {'median':>9} {'max':>9} {'target':>9}  ok   notes")
    for label, med, worst, note, target in rows:
        ok, target_text = "", ""
        if target is not None:
            target_text = f"{target:,.0f} ms"
            ok = "yes" if med <= target else "NO"
            if med > target:
                missed.append(label)
        print(f"{label:<56} {med:>6.1f} ms {worst:>6.1f} ms {target_text:>9}  {ok:<4} {note}")
    ok = "yes" if pdf_times[1] <= PDF_TARGET_S else "NO"
    if ok == "NO":
        missed.append("phase report PDF")
    print(
        f"{'phase report PDF, province, 2021-2025':<56} {pdf_times[1]:>7.2f} s {pdf_times[-1]:>7.2f} s"
        f" {PDF_TARGET_S:>7.1f} s  {ok:<4} {len(pdf):,} bytes (median of 3)"
    )
    print(
        f"{'phase report XLSX, province, 2021-2025':<56} {xlsx_seconds:>7.2f} s {'':>9} {'':>9}       {len(xlsx):,} bytes"
    )
    for what, numbers in counts.items():
        print(f"queries of {what} (province, country): {sorted(numbers)}")
        if len(numbers) != 1:
            missed.append(f"{what}: the number of queries depends on the subtree")
    print(
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"(2 cores; other work shares them)"
    )
    print(
        f"({PROVINCES} provinces, {COMMUNES:,} communes, {args.n:,} initiatives taking part; "
        f"median and max of {runs} warm runs; a target is judged on the median)"
    )
    if missed:
        print("MISSED: " + "; ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
