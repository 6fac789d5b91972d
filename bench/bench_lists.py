"""Benchmark: the web initiative list at national size, and the weight of its page.

On PostgreSQL with ``bench_cycle_open``'s tree (34 provinces, 3,321 communes, about 60,000
hamlets and agencies) and N initiatives (500,000 by default), the national secretary (who
sees the whole country) and a province's official open ``GET /initiatives/``: the first page,
a search without accents (``q=dan van``), a sort by title, a province's subtree, a deep page,
and a province's CSV export of one year. Timed warm (one untimed run first), median and max
of ``--runs`` runs; the server time of the response, which is what the first paint waits
for (the page's static files are cached after the first visit). Also the page weight: the
HTML and the static files the page loads, raw and gzipped (whitenoise serves the gzip).

    .venv/bin/python bench/bench_lists.py              # 500,000 initiatives, a few minutes
    .venv/bin/python bench/bench_lists.py --reuse      # keep the database built last time
    .venv/bin/python bench/bench_lists.py --n 50000
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cycle_open import ROOT, recreate_database, setup_django  # noqa: E402
from bench_cycle_open import build as build_tree  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500_000, help="initiatives")
    parser.add_argument("--database", default="dvk_bench_lists")
    parser.add_argument("--dsn", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    return parser.parse_args()


def database_ready(dsn: str, name: str, n: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{dsn}/{name}") as conn:
            return conn.execute("SELECT count(*) FROM core_initiative").fetchone()[0] >= n
    except psycopg.Error:
        return False


def timed(call, runs: int) -> tuple[float, float]:
    call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def page_weight(html: bytes) -> list[tuple[str, int, int]]:
    """(file, bytes, gzipped bytes) of the HTML and each static file it links."""
    rows = [("HTML of the page", len(html), len(gzip.compress(html, 9)))]
    for path in re.findall(rb'(?:href|src)="/static/([^"]+)"', html):
        name = path.decode()
        for folder in ROOT.glob("*/static"):
            file = folder / name
            if file.exists():
                data = file.read_bytes()
                rows.append((name, len(data), len(gzip.compress(data, 9))))
                break
    return rows


def main() -> int:
    args = parse_args()
    reuse = args.reuse and database_ready(args.dsn, args.database, args.n)
    if not reuse:
        recreate_database(args.dsn, args.database)
    setup_django(args.dsn, args.database)

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from core.models import Role, Unit, UnitKind, UnitRole, User

    settings.ALLOWED_HOSTS = ["*"]
    # On a database kept from a previous run, this adds what later migrations bring.
    call_command("migrate", verbosity=0)
    if reuse:
        print(f"reusing {args.database} ({args.n:,} initiatives)")
    else:
        started = time.perf_counter()
        _board, _secretary, _phase, unit_count, total = build_tree(args.n, args.seed)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(
            f"built {unit_count:,} units, {total:,} initiatives in {time.perf_counter() - started:.0f} s"
        )

    province = Unit.objects.filter(kind=UnitKind.PROVINCE).order_by("pk").first()
    official, _ = User.objects.get_or_create(username="bench-tinh-can-bo")
    UnitRole.objects.get_or_create(user=official, unit=province, role=Role.OFFICIAL)
    national = User.objects.get(username="thuong-truc")

    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rows = []
    for user, who in ((national, "national secretary"), (official, "province official")):
        client = Client(HTTP_ACCEPT_LANGUAGE="vi")
        client.force_login(user)
        cases = [
            ("first page", {}),
            ("q=dan van (every row)", {"q": "dan van"}),
            ("q=12345 (a few rows)", {"q": "12345"}),
            ("q=xom 603 (unit name)", {"q": "xom 603"}),
            ("sort=title", {"sort": "title"}),
            (f"unit={province.code}", {"unit": province.code}),
            ("page 200", {"page": "200"}),
            ("CSV, one province, 2023", {"unit": province.code, "year": "2023", "export": "csv"}),
        ]
        for label, query in cases:
            response = client.get("/initiatives/", query)
            assert response.status_code in (200, 400), (label, response.status_code)
            median, worst = timed(lambda q=query, c=client: c.get("/initiatives/", q), args.runs)
            note = "" if response.status_code == 200 else "refused: too many rows"
            count = re.search(rb'id="list-count">([^<]+)<', response.content)
            shown = count.group(1).decode().strip() if count else f"{len(response.content):,} bytes"
            rows.append((who, label, median, worst, shown, note))

    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\n{'who':<20} {'request':<28} {'median ms':>10} {'max ms':>8}  result")
    for who, label, median, worst, shown, note in rows:
        print(f"{who:<20} {label:<28} {median:>10.0f} {worst:>8.0f}  {shown} {note}")

    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(national)
    weight = page_weight(client.get("/initiatives/").content)
    print(f"\n{'page weight':<48} {'bytes':>9} {'gzip':>8}")
    for name, size, packed in weight:
        print(f"{name:<48} {size:>9,} {packed:>8,}")
    fonts = sorted((ROOT / "core/static/vendor/fonts").glob("*.woff2"))
    used = [f for f in fonts if "-400-" in f.name or "-700-" in f.name or "-600-" in f.name]
    font_bytes = sum(f.stat().st_size for f in used)
    print(f"{'fonts (woff2, loaded as the page uses them), at most':<48} {font_bytes:>9,} {'':>8}")
    total = sum(size for _n, size, _p in weight) + font_bytes
    packed = sum(p for _n, _s, p in weight) + font_bytes
    print(f"{'total':<48} {total:>9,} {packed:>8,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
