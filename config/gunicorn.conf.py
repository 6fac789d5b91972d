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

# The garbage collector, once a worker has loaded Django: the objects of the loaded code
# (about half a million) move out of its reach (gc.freeze: collections no longer walk them,
# and the pages they share with the master stay shared), and the youngest generation is
# collected every 50,000 allocations rather than 700 (a page allocates tens of thousands of
# short-lived objects, nearly all freed by reference counting). Measured: 10-15 % less CPU
# per request over the load benchmark's pages (README, "Web throughput").
GC_THRESHOLDS = (50_000, 20, 20)


def post_worker_init(worker):
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
