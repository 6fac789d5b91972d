"""Real processes for the notifications tests: a Celery worker on the test database, and a
Redis server of the test's own that it can stop and start again.

The worker is ``celery -A config worker`` with ``notifications.tests.worker_settings``, a
queue named for the test, and the test database: on PostgreSQL the test database by URL; on
SQLite a file, because the test database is in memory and another process cannot open it
(``sqlite_file_database`` moves this process onto a file copy for the test's duration).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections

ROOT = Path(settings.BASE_DIR)


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, log=None):
    """Poll ``predicate`` until it returns something true; fail (never skip) on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = f"\n--- worker log ---\n{log()}" if log else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")
        time.sleep(0.1)


def new_queue() -> str:
    return f"dvktest-{uuid.uuid4().hex[:12]}"


# --- the database the worker opens ----------------------------------------------------------


def database_env(alias: str = "default") -> dict[str, str]:
    """Environment that points ``config.settings`` at this process's test database."""
    connection = connections[alias]
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(s.get("USER") or "postgres")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"])
        host = s.get("HOST") or "127.0.0.1"
        port = s.get("PORT") or 5432
        return {"DATABASE_URL": f"postgres://{auth}@{host}:{port}/{s['NAME']}"}
    return {"DATABASE_URL": "", "SQLITE_PATH": str(s["NAME"])}


@contextmanager
def sqlite_file_database(path: Path, alias: str = "default") -> Iterator[Path]:
    """Copy the in-memory SQLite test database (schema and reference data) to ``path`` and
    use the copy in this process until the block ends, so a worker process can share it.

    The in-memory database lives as long as a connection to it is open: its connection is
    set aside (not closed) and put back afterwards, unchanged by the test.
    """
    connection = connections[alias]
    connection.ensure_connection()
    memory = connection.connection
    with sqlite3.connect(path) as target:
        memory.backup(target)
    target.close()
    name = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield path
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


# --- the broker the test process publishes to -----------------------------------------------


@contextmanager
def app_broker(*, queue: str, url: str | None = None) -> Iterator[None]:
    """Publish from this process to ``queue`` (and to the broker at ``url``) for the block."""
    from config.celery import app

    conf = app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_default_queue)
    conf.task_default_queue = queue
    if url is not None:
        conf.broker_url = url
        conf.broker_transport_options = {"visibility_timeout": 3600}
        _reset_pools(app)
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options, conf.task_default_queue = saved
        if url is not None:
            _reset_pools(app)


def _reset_pools(app) -> None:
    # Connections are pooled per broker URL: drop them so the next publish connects anew.
    # kombu keeps its producer pools in a registry of its own too: a pool closed here would
    # be handed out again to the next publish ("Acquire on closed pool").
    from kombu import pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    pools.reset()


def purge_queue(queue: str, url: str | None = None) -> None:
    """Drop what is left on the test's queue (tasks a stopped worker never took)."""
    from config.celery import app

    with app.connection_for_write(url) as conn:
        channel = conn.default_channel
        try:
            channel.queue_purge(queue)
        except Exception:  # a queue never declared on this broker: nothing to purge
            pass
        if conn.transport.driver_type == "redis":
            # kombu keeps the queue's bindings in Redis: leave nothing of the test behind.
            client = channel.client
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            # Messages a killed worker held are kept as "unacked" (to come back after the
            # visibility timeout): drop this queue's.
            for tag, raw in client.hscan_iter("unacked"):
                try:
                    routing_key = json.loads(raw)[2]
                except (ValueError, IndexError, TypeError):
                    continue
                if routing_key == queue:
                    client.hdel("unacked", tag)
                    client.zrem("unacked_index", tag)


# --- processes ------------------------------------------------------------------------------


def _stop_group(proc: subprocess.Popen, sig: int, timeout: float) -> bool:
    """Signal the process group the test started; True once it has exited."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


class Worker:
    """``celery -A config worker`` on one queue of the test's own, one process at a time."""

    def __init__(self, *, queue: str, env: dict[str, str], log_path: Path) -> None:
        self.queue = queue
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 90) -> None:
        assert self.proc is None or self.proc.poll() is not None, "worker already running"
        self.starts += 1
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "notifications.tests.worker_settings",
            "DVK_TEST_QUEUE": self.queue,
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }
        marker = f"--- start {self.starts} ---\n"
        with self.log_path.open("a") as log:
            log.write(marker)
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "--hostname",
                f"{self.queue}-{self.starts}@%h",
                "--concurrency",
                "1",
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
            start_new_session=True,  # its own process group: the test stops all of it
        )
        log.close()

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"the worker exited ({self.proc.returncode}):\n{self.log()}")
            return " ready." in self.log().split(marker, 1)[-1]

        wait_until(ready, timeout=timeout, what="the worker to be ready", log=self.log)

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes, as the OOM killer or a power cut would."""
        assert self.proc is not None
        assert _stop_group(self.proc, signal.SIGKILL, 30)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None and not _stop_group(self.proc, signal.SIGTERM, 20):
            _stop_group(self.proc, signal.SIGKILL, 20)
        # Whatever of its group outlived the main process (a pool child) goes too, so no
        # connection to the test database is left when pytest drops it.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def send(self, task, *, kwargs: dict | None = None) -> str:
        """Send ``task`` to this worker's queue (as beat would); returns its id."""
        task_id = f"{self.queue}-{uuid.uuid4().hex[:8]}"
        task.apply_async(kwargs=kwargs or {}, queue=self.queue, task_id=task_id)
        return task_id

    def run(self, task, *, kwargs: dict | None = None, timeout: float = 90) -> None:
        """Send ``task`` to this worker's queue and wait until the worker says it is done."""
        task_id = self.send(task, kwargs=kwargs)

        def finished():
            text = self.log()
            if re.search(rf"\[{re.escape(task_id)}\] (raised|failed)", text):
                raise AssertionError(f"task {task.name} failed in the worker:\n{text}")
            return f"[{task_id}] succeeded" in text

        wait_until(finished, timeout=timeout, what=f"{task.name} to run", log=self.log)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on a free port: the shared one is never touched."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=(self.folder / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self.answers, timeout=30, what=f"redis-server on port {self.port}")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            _stop_group(self.proc, signal.SIGKILL, 20)
        assert not self.answers()


# --- what the worker sent -------------------------------------------------------------------


def emails_by_message(folder: Path) -> Counter:
    """How many emails each notification got, from the files SlowFileBackend writes."""
    return Counter(
        int(path.name.split("-", 1)[0]) for path in folder.glob("*.eml") if path.name[0].isdigit()
    )
