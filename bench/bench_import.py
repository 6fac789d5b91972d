"""Benchmark: ``import_initiatives`` of a national-size file (README: 100,000 initiatives in
about 12-14 s, a re-import in 3-4 s).

Builds, in a scratch database of its own (PostgreSQL, dropped and created again each run, or
a throw-away SQLite file with ``--sqlite``), the units of a country (34 provinces and 3,321
communes, imported with ``import_units``), writes a CSV of N initiatives (one or two fields
each, some individual, a mix of historic statuses) and times, through the management
command as a script calls it: the first import, a re-import of the same file (nothing
changes) and the import of a file where one row in ten changes its status. It checks what
each run wrote, the history lines included.

    .venv/bin/python bench/bench_import.py               # 100,000 initiatives, PostgreSQL
    .venv/bin/python bench/bench_import.py --n 500000
    .venv/bin/python bench/bench_import.py --sqlite

PostgreSQL on 127.0.0.1 (user postgres); ``--database`` names the scratch database (default
dvk_bench_import), ``--dsn`` the server. Exits 1 when the first import misses ``--target``
seconds (default: 0.2 s per 1,000 rows, the README's figure with some room).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = 34
COMMUNES = 3321
FIELDS = [
    "economy",
    "culture_society",
    "defence_security",
    "political_system",
    "new_rural",
    "Cải cách hành chính, xây dựng cơ quan, công sở",
]
STATUSES = ["registered"] * 6 + ["monitored"] * 2 + ["recognised", "commended"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="initiatives in the file")
    parser.add_argument("--database", default="dvk_bench_import")
    parser.add_argument("--dsn", default="postgres://postgres:postgres@127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--target", type=float, default=None, help="seconds for the import")
    return parser.parse_args()


def setup_django(args: argparse.Namespace, scratch: Path) -> None:
    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(scratch / "bench.sqlite3")
    else:
        import psycopg

        with psycopg.connect(f"{args.dsn}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.database}"')
        os.environ["DATABASE_URL"] = f"{args.dsn}/{args.database}"
    os.environ["DVK_VAR_DIR"] = str(scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def write_units(path: Path) -> list[str]:
    lines = ["code,name,kind,parent_code"]
    lines += [f"T{p:02d},Tỉnh {p},province," for p in range(PROVINCES)]
    communes = [f"X{c:05d}" for c in range(COMMUNES)]
    lines += [f"{code},Xã {c},commune,T{c % PROVINCES:02d}" for c, code in enumerate(communes)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return communes


def write_initiatives(path: Path, n: int, communes: list[str], seed: int, changed: int = 0):
    """The file; with ``changed``, every tenth row has the next status instead."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as file:
        file.write("code,title,unit_code,kind,fields,phase,registered_on,owner_name,status\n")
        for number in range(1, n + 1):
            individual = rng.random() < 0.3
            fields = ";".join(rng.sample(FIELDS, rng.choice((1, 1, 2))))
            status = STATUSES[rng.randrange(len(STATUSES))]
            if changed and number % 10 == 0:
                status = STATUSES[(STATUSES.index(status) + 7) % len(STATUSES)]
            file.write(
                f"MH-{number:07d},Mô hình “Dân vận khéo” số {number},"
                f"{rng.choice(communes)},{'individual' if individual else 'collective'},"
                f'"{fields}",2021-2025,{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2022,'
                f"{f'Người số {number}' if individual else ''},{status}\n"
            )


def timed(command: str, path: Path) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command(command, str(path), stdout=out, stderr=sys.stderr)
    return time.perf_counter() - started, out.getvalue().strip()


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="dvk-bench-import-") as scratch_name:
        scratch = Path(scratch_name)
        setup_django(args, scratch)
        from django.core.management import call_command
        from django.db import connection

        from core.models import Initiative, InitiativeStatusChange

        call_command("migrate", verbosity=0)
        communes = write_units(scratch / "units.csv")
        seconds, summary = timed("import_units", scratch / "units.csv")
        print(f"import_units ({len(communes) + PROVINCES:,} units): {seconds:.1f} s")

        data = scratch / "initiatives.csv"
        write_initiatives(data, args.n, communes, args.seed)
        first, summary = timed("import_initiatives", data)
        assert Initiative.objects.count() == args.n
        assert InitiativeStatusChange.objects.count() == args.n
        print(f"import_initiatives, {args.n:,} new: {first:.1f} s ({summary})")

        again, summary = timed("import_initiatives", data)
        assert InitiativeStatusChange.objects.count() == args.n, summary
        print(f"the same file again: {again:.1f} s ({summary})")

        changed_file = scratch / "changed.csv"
        write_initiatives(changed_file, args.n, communes, args.seed, changed=1)
        changed, summary = timed("import_initiatives", changed_file)
        lines = InitiativeStatusChange.objects.count() - args.n
        assert lines == args.n // 10, (lines, summary)
        print(f"one row in ten with a new status: {changed:.1f} s ({summary})")
        connection.close()

    target = args.target if args.target is not None else 0.2 * args.n / 1000
    vendor = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"{vendor}: first import {first:.1f} s (target {target:.0f} s)")
    if first > target:
        sys.exit(1)


if __name__ == "__main__":
    main()
