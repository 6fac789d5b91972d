"""Benchmark: reads at national size (DESIGN.md "Scale it must reach").

Targets, on PostgreSQL with 34 provinces, 3,321 communes, about 60,000 hamlets and N
initiatives (500,000 by default): a board member's queue page ≤ 50 ms with a fixed number of
queries, a province's ``movement_report`` ≤ 150 ms, the country's ≤ 2 s.

The data: ``bench_cycle_open``'s tree and initiatives in a scratch database of our own, the
national 2024 cycle opened (N annual reports, N ``report`` tasks waiting), 60,000
commendations spread over the country with an issuing body per province and the national
one, a province board (its secretary gets a few registrations to review), and a commune board
of five whose own 2025 cycle is open with a dozen reports submitted, so each member has
evaluation tasks in the inbox.

Timed warm (one untimed run first), median and max of ``--runs`` runs: the movement report of
one province and of the country (and its text and JSON rendering), and the queue page, both
the web page ``GET /tasks/`` and ``GET /api/v1/tasks/``, for a commune board member, a
province secretary, and (for information) the commune's official, a province official with a
queue of thousands of report tasks, and the national secretary. Exits 1 if a target is
missed, after printing everything.

    .venv/bin/python bench/bench_reads.py              # 500,000 initiatives, a few minutes
    .venv/bin/python bench/bench_reads.py --reuse      # keep the database built last time
    .venv/bin/python bench/bench_reads.py --n 50000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cycle_open import (  # noqa: E402
    COMMUNES,
    PROVINCES,
    copy_rows,
    recreate_database,
    setup_django,
)
from bench_cycle_open import build as build_tree  # noqa: E402

COMMENDATIONS = 60_000
SUBMITTED = 12  # commune reports submitted, each one evaluation task per member
REGISTRATIONS = 5  # registrations waiting for the province secretary

QUEUE_TARGET_MS = 50
PROVINCE_TARGET_MS = 150
COUNTRY_TARGET_MS = 2000

# Users the scenario creates (the national secretary comes from bench_cycle_open).
NATIONAL_SECRETARY = "thuong-truc"
PROVINCE_SECRETARY = "tinh-thuong-truc"
PROVINCE_OFFICIAL = "tinh-can-bo"
COMMUNE_MEMBER = "xa-uy-vien"
COMMUNE_OFFICIAL = "xa-can-bo"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000, help="initiatives taking part")
    parser.add_argument("--database", default="dvk_bench_reads")
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per figure (≥ 7)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database if it already holds a complete dataset of this size",
    )
    return parser.parse_args()


def database_ready(dsn: str, name: str, n: int) -> bool:
    """The database exists and holds the scenario for ``n`` (its last step is done)."""
    import psycopg

    try:
        with psycopg.connect(f"{dsn}/{name}") as conn:
            row = conn.execute(
                "SELECT count(*) FROM workflows_annualreport WHERE year = 2024"
            ).fetchone()
            if row[0] != n:
                return False
            row = conn.execute(
                "SELECT count(*) FROM core_user WHERE username = %s", [COMMUNE_MEMBER]
            ).fetchone()
            return row[0] == 1
    except psycopg.Error:
        return False


# --- the scenario --------------------------------------------------------------------------


def open_national_cycle(board, secretary, phase) -> float:
    from workflows import services

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
    started = time.perf_counter()
    services.cycle_open(cycle=cycle, actor=secretary)
    return time.perf_counter() - started


def add_commendations(seed: int) -> int:
    """An issuing body for the country and each province; 60,000 award events spread over
    the communes and hamlets, issued by their province (or the country, one in ten)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from core.models import (
        AwardType,
        IssuerKind,
        IssuingBody,
        Phase,
        RecipientKind,
        Unit,
        UnitKind,
    )

    rng = random.Random(seed + 1)
    root = Unit.objects.get(code="VN")
    provinces = list(Unit.objects.filter(kind=UnitKind.PROVINCE).order_by("pk"))
    national = IssuingBody.objects.create(
        code="ubnd-trung-uong", name="Ban Chỉ đạo Trung ương", kind=IssuerKind.STEERING_BOARD,
        unit=root, abbreviation="BCĐ",
    )  # fmt: skip
    by_province = {
        p.pk: IssuingBody.objects.create(
            code=f"ubnd-{p.code.lower()}", name=f"UBND {p.name}",
            kind=IssuerKind.PEOPLE_COMMITTEE, unit=p, abbreviation="UBND",
        ).pk
        for p in provinces
    }  # fmt: skip
    # A recipient unit and its province: the communes and hamlets below each province.
    kinds = {}
    parents = {}
    for pk, kind, parent_id in Unit.objects.values_list("pk", "kind", "parent_id"):
        kinds[pk] = kind
        parents[pk] = parent_id

    def province_of(pk):
        while kinds[pk] != UnitKind.PROVINCE:
            pk = parents[pk]
        return pk

    units = [pk for pk, kind in kinds.items() if kind in (UnitKind.COMMUNE, UnitKind.HAMLET)]
    phases = list(Phase.objects.order_by("starts_on"))
    awards = [AwardType.PRAISE] * 5 + [AwardType.CERTIFICATE_OF_MERIT] * 4
    awards += [AwardType.COMMENDATION_CERTIFICATE]
    now = timezone.now()

    def rows():
        for i in range(COMMENDATIONS):
            unit_id = rng.choice(units)
            issuer = national.pk if i % 10 == 0 else by_province[province_of(unit_id)]
            phase = phases[i % len(phases)]
            year = rng.randint(phase.starts_on.year, phase.ends_on.year)
            yield (
                awards[i % len(awards)],
                RecipientKind.COLLECTIVE if i % 3 else RecipientKind.INDIVIDUAL,
                f"Người nhận {i}",
                unit_id,
                issuer,
                f"{i // 40 + 1}/QĐ-UBND",
                dt.date(year, 9, 30),
                "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo”",
                phase.pk,
                None,
                now,
            )

    with transaction.atomic(), connection.cursor() as wrapper:
        count = copy_rows(
            wrapper.cursor,
            "core_commendation",
            [
                "award",
                "recipient_kind",
                "recipient_name",
                "unit_id",
                "issuer_id",
                "decision_number",
                "decision_date",
                "citation",
                "phase_id",
                "initiative_id",
                "created_at",
            ],
            rows(),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_commendation")
    return count


def add_boards(seed: int) -> None:
    """A province board (secretary) with registrations to review; a commune board of five
    with its 2025 cycle open and a dozen reports submitted by the commune's official."""
    from core.models import (
        BoardMember,
        Field,
        InitiativeKind,
        Phase,
        Role,
        SteeringBoard,
        Unit,
        UnitKind,
        UnitRole,
        User,
    )
    from workflows import services
    from workflows.models import AnnualReport

    province = Unit.objects.filter(kind=UnitKind.PROVINCE).order_by("pk").first()
    commune = Unit.objects.filter(parent=province, kind=UnitKind.COMMUNE).order_by("pk").first()
    phase = Phase.objects.get(code="2021-2025")

    province_board = SteeringBoard.objects.create(
        unit=province, name=f"Ban Chỉ đạo {province.name}", quorum=3
    )
    secretary = User.objects.create(username=PROVINCE_SECRETARY, full_name="Thường trực tỉnh")
    BoardMember.objects.create(board=province_board, user=secretary, role=Role.SECRETARY)
    official = User.objects.create(username=PROVINCE_OFFICIAL, full_name="Cán bộ tỉnh")
    UnitRole.objects.create(unit=province, user=official, role=Role.OFFICIAL)

    commune_board = SteeringBoard.objects.create(
        unit=commune, name=f"Ban Chỉ đạo {commune.name}", quorum=3
    )
    members = {}
    for username, full_name, role in [
        ("xa-truong-ban", "Trưởng ban xã", Role.CHAIR),
        ("xa-thuong-truc", "Thường trực xã", Role.SECRETARY),
        (COMMUNE_MEMBER, "Ủy viên xã", Role.MEMBER),
        ("xa-uy-vien-2", "Ủy viên xã 2", Role.MEMBER),
        ("xa-pho-ban", "Phó ban xã", Role.DEPUTY),
    ]:
        members[username] = User.objects.create(username=username, full_name=full_name)
        BoardMember.objects.create(board=commune_board, user=members[username], role=role)
    commune_official = User.objects.create(username=COMMUNE_OFFICIAL, full_name="Cán bộ xã")
    UnitRole.objects.create(unit=commune, user=commune_official, role=Role.OFFICIAL)

    # Registrations in the province, outside the commune: the province secretary reviews.
    hamlets = list(
        Unit.objects.filter(path__startswith=province.path, kind=UnitKind.HAMLET)
        .exclude(path__startswith=commune.path)
        .order_by("pk")[:REGISTRATIONS]
    )
    fields = list(Field.objects.order_by("pk")[:1])
    for i, hamlet in enumerate(hamlets):
        services.initiative_register(
            actor=official, unit=hamlet, title=f"Mô hình mới {i}",
            kind=InitiativeKind.COLLECTIVE, fields=fields, phase=phase,
            registered_on=dt.date(2025, 3, 1),
        )  # fmt: skip

    cycle = services.cycle_create(
        actor=members["xa-thuong-truc"], board=commune_board, phase=phase, year=2025,
        opens_on=dt.date(2025, 2, 1), report_due=dt.date(2025, 10, 31),
        evaluation_due=dt.date(2025, 11, 30), decision_due=dt.date(2025, 12, 20),
    )  # fmt: skip
    services.cycle_open(cycle=cycle, actor=members["xa-thuong-truc"])
    reports = list(
        AnnualReport.objects.filter(cycle=cycle).select_related("initiative").order_by("pk")
    )
    rng = random.Random(seed + 2)
    for report in rng.sample(reports, min(SUBMITTED, len(reports))):
        services.annual_report_submit(
            actor=commune_official, report=report, text="Báo cáo năm 2025."
        )


# --- measuring ----------------------------------------------------------------------------


def timed(call, runs: int) -> tuple[float, float]:
    """Median and max in ms of ``runs`` calls, after one untimed warm-up."""
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def query_count(call) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        call()
    return len(ctx), [q["sql"] for q in ctx.captured_queries]


def main() -> int:
    args = parse_args()
    reuse = args.reuse and database_ready(args.dsn, args.database, args.n)
    if not reuse:
        recreate_database(args.dsn, args.database)
    setup_django(args.dsn, args.database)

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from core import reporting, selectors
    from core.models import Phase, Unit, UnitKind, User
    from workflows import selectors as wf_selectors

    if reuse:
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
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"added {count:,} commendations, the boards and their tasks "
            f"in {time.perf_counter() - started:.0f} s"
        )

    runs = max(args.runs, 7)
    rows: list[tuple[str, float, float, str, float | None]] = []  # label, med, max, note, target

    # --- movement_report --------------------------------------------------------------------
    province = Unit.objects.filter(kind=UnitKind.PROVINCE).order_by("pk").first()
    root = Unit.objects.get(code="VN")
    phase = Phase.objects.get(code="2021-2025")
    for unit, label, target in [
        (province, "province", PROVINCE_TARGET_MS),
        (root, "country", COUNTRY_TARGET_MS),
    ]:
        for period, kwargs in [("all time", {}), ("phase 2021-2025", {"phase": phase})]:
            report = selectors.movement_report(unit=unit, **kwargs)
            count, _sql = query_count(
                lambda u=unit, k=kwargs: selectors.movement_report(unit=u, **k)
            )
            med, worst = timed(
                lambda u=unit, k=kwargs: selectors.movement_report(unit=u, **k), runs
            )
            note = (
                f"{count} queries; {report['initiatives']['total']:,} initiatives, "
                f"{report['commendations']['total']:,} commendations"
            )
            rows.append((f"movement_report {label}, {period}", med, worst, note, target))
        med, worst = timed(
            lambda r=report: (reporting.render_text(r), reporting.render_json(r)), runs
        )
        rows.append((f"  render_text + render_json ({label})", med, worst, "", None))

    # --- queue pages ------------------------------------------------------------------------
    users = [
        (COMMUNE_MEMBER, "commune board member", True),
        (PROVINCE_SECRETARY, "province secretary", True),
        (COMMUNE_OFFICIAL, "commune official (info)", False),
        # Its web page is held to the target (keyset paging, capped count); the API keeps
        # its page numbers and exact count (its contract), for information.
        (PROVINCE_OFFICIAL, "province official", "/tasks/"),
        (NATIONAL_SECRETARY, "national secretary (info)", False),
    ]
    counts: dict[str, list[int]] = {}
    listings: dict[str, list[str]] = {}
    for username, label, held in users:
        user = User.objects.get(username=username)
        queue = wf_selectors.task_ids_for_user(user=user).count()
        client = Client()
        client.force_login(user)
        for url in ["/tasks/", "/api/v1/tasks/"]:

            def get(c=client, u=url):
                response = c.get(u)
                assert response.status_code == 200, (u, response.status_code)
                return response

            get()
            count, sql = query_count(get)
            page2 = ""
            if queue > 50:  # a second page on both (the web page shows 25, the API 50)
                second = f"{url}?page=2"
                if url == "/tasks/":  # the web page's next page is a keyset cursor
                    text = get().content.decode()
                    second = f"{url}?after={text.split('?after=', 1)[1].split(chr(34), 1)[0]}"
                count2, _sql = query_count(lambda c=client, u=second: c.get(u))
                med2, _worst2 = timed(lambda c=client, u=second: c.get(u), runs)
                page2 = f" (page 2: {count2} queries, {med2:.1f} ms)"
            if username == COMMUNE_MEMBER:
                listings[url] = sql
            counts.setdefault(url, []).append(count)
            med, worst = timed(get, runs)
            note = f"{count} queries{page2}; {queue:,} open tasks"
            held_here = held is True or held == url
            suffix = "" if held_here or "(info)" in label else " (info)"
            rows.append(
                (
                    f"GET {url} {label}{suffix}",
                    med,
                    worst,
                    note,
                    QUEUE_TARGET_MS if held_here else None,
                )
            )

    # --- the table ------------------------------------------------------------------------
    missed = []
    print()
    print(f"{'measure':<52} {'median':>9} {'max':>9} {'target':>9}  ok   notes")
    for label, med, worst, note, target in rows:
        ok = ""
        target_text = ""
        if target is not None:
            target_text = f"{target:,.0f} ms"
            ok = "yes" if med <= target else "NO"
            if med > target:
                missed.append(label)
        print(f"{label:<52} {med:>6.1f} ms {worst:>6.1f} ms {target_text:>9}  {ok:<4} {note}")
    for url, numbers in counts.items():
        print(f"queries of {url} per user: {numbers}")
    for url, sql in listings.items():
        print(f"the queries of {url} for the commune board member:")
        for statement in sql:
            print(f"  {statement[:150]}")
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
