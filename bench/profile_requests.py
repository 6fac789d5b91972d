"""CPU per request of the pages the load benchmark hits, measured in one process with
Django's test client: the main evidence on a machine shared with other work (CPU time does
not grow with the machine's load the way wall time does).

For each URL: the median of ``--runs`` requests (after warm-ups) of CPU time
(``time.process_time``), wall time and SQL queries; ``--profile URL`` prints a pyinstrument
CPU profile (cProfile on CPU time) of that page instead.

    .venv/bin/python bench/profile_requests.py --database dvk_ops_web   # a seed_demo database
    .venv/bin/python bench/profile_requests.py --database dvk_ops_web --profile /tasks/
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER = "huyen.thuky"  # a district secretary: registrations to review, a district's initiatives


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dsn", default="postgres://postgres:postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="dvk_ops_web", help="a database seed_demo filled")
    parser.add_argument("--user", default=USER)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", metavar="URL", help="print a CPU profile of URL")
    parser.add_argument("--top", type=int, default=45, help="rows of the profile")
    parser.add_argument("--sort", default="cumulative", help="cumulative or tottime")
    return parser.parse_args()


def setup(dsn: str, database: str) -> None:
    os.environ["DATABASE_URL"] = f"{dsn}/{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def urls_for(user) -> list[str]:
    from workflows import selectors

    initiative = selectors.initiatives_for_user(user=user).order_by("pk").first()
    return ["/tasks/", "/initiatives/", f"/initiatives/{initiative.pk}/", "/api/v1/tasks/"]


def measure(client, url: str, runs: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        assert client.get(url).status_code == 200, url
    cpu, wall = [], []
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        response = client.get(url)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000, len(queries)


def main() -> int:
    args = parse_args()
    setup(args.dsn, args.database)
    from django.test import Client

    from core.models import User

    user = User.objects.get(username=args.user)
    client = Client()
    client.force_login(user)
    if args.profile:
        # CPU time, not wall time: on a busy machine the wall clock mostly measures waiting.
        import cProfile
        import pstats

        client.get(args.profile)
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.runs):
            client.get(args.profile)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
        return 0
    print(
        f"user {args.user}, {args.runs} runs each, medians; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'URL':<32} {'CPU ms':>8} {'wall ms':>8} {'queries':>8}")
    total = []
    for url in urls_for(user):
        cpu, wall, queries = measure(client, url, args.runs)
        total.append(cpu)
        print(f"{url:<32} {cpu:>8.1f} {wall:>8.1f} {queries:>8}")
    # The load benchmark's mix: /tasks/, /initiatives/, an initiative, /api/v1/tasks/ 3:3:2:3.
    mix = (3 * total[0] + 3 * total[1] + 2 * total[2] + 3 * total[3]) / 11
    print(f"{'mix 3:3:2:3 (CPU ms/request)':<32} {mix:>8.1f}")
    print(f"=> at most {2000 / mix:,.0f} requests/s on 2 idle cores (Django's share only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
