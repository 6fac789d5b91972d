"""The deployment keeps its processes up: docker-compose restarts and health-checks web,
worker and beat, and every place that starts a worker gives it the options that survive a
broker outage (no gossip, mingle or heartbeat; the broker retried for ever)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_web_worker_and_beat_restart_and_have_health_checks():
    services = compose()["services"]
    for name in ("web", "worker", "beat", "postgres", "redis"):
        assert services[name]["restart"] in ("unless-stopped", "always"), name
        assert services[name]["healthcheck"]["test"], name
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert "check_beat" in services["beat"]["healthcheck"]["test"]


def test_every_worker_command_survives_a_broker_outage():
    worker = compose()["services"]["worker"]["command"]
    assert all(option in worker for option in OPTIONS)
    dvk = (ROOT / "dvk").read_text()
    declared = re.search(r"WORKER_OPTIONS=\(([^)]*)\)", dvk).group(1).split()
    assert declared == OPTIONS
    # ./dvk run and ./dvk worker both pass them.
    assert dvk.count('"${WORKER_OPTIONS[@]}"') == 2
    assert settings.CELERY_BROKER_CONNECTION_MAX_RETRIES is None


def test_every_web_command_runs_the_one_gunicorn_configuration():
    """./dvk web, ./dvk run, docker-compose.yml and the Dockerfile start gunicorn with the
    worker model of config/gunicorn.conf.py, and none sets its own."""
    config = {}
    exec((ROOT / "config" / "gunicorn.conf.py").read_text(), config)  # noqa: S102
    assert config["worker_class"] == "sync" and config["workers"] >= 2
    dvk = (ROOT / "dvk").read_text()
    commands = [
        " ".join(compose()["services"]["web"]["command"]),
        (ROOT / "Dockerfile").read_text().split("\nCMD ", 1)[1],
        *re.findall(r"gunicorn\" config\.wsgi[^\n]*\n[^\n]*", dvk),
    ]
    assert len(commands) == 4
    for command in commands:
        assert "config/gunicorn.conf.py" in command, command
        assert "--workers" not in command and "--worker-class" not in command, command


def test_a_gunicorn_worker_freezes_the_loaded_code_out_of_the_collectors_reach():
    """post_worker_init (run in a fresh interpreter, as a worker would after loading Django):
    the loaded objects are frozen and the youngest generation's threshold raised."""
    import subprocess
    import sys

    script = (
        "import gc, django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "django.setup()\n"
        "config = {}\n"
        "exec(open('config/gunicorn.conf.py').read(), config)\n"
        "assert gc.get_freeze_count() == 0\n"
        "config['post_worker_init'](None)\n"
        "print(gc.get_freeze_count(), *gc.get_threshold())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    frozen, *thresholds = map(int, done.stdout.split())
    assert frozen > 100_000  # Django and the project's modules
    assert tuple(thresholds) == (50_000, 20, 20)
