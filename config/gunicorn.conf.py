"""gunicorn as every way of running the web starts it: ``./dvk web``, ``./dvk run``,
docker-compose.yml and the Dockerfile (``--config config/gunicorn.conf.py``). Flags given
on the command line override it (bench/bench_web_load.py compares worker models that way).

The worker model was chosen on measurements (README, "Web throughput"): the pages are
CPU-bound Python, so threads (gthread) only take turns at one interpreter lock and cost the
same CPU per request; sync workers, three per two cores, so that while one waits on
PostgreSQL the other two keep both cores busy.
"""

import os

worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
