"""PUBLIC_BASE_URL is required with DEBUG off: the web, the worker and ``check --deploy``
refuse to start while it is unset or points at this machine (QR codes would lead nowhere)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from config.checks import public_base_url_error, public_base_url_problem

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "url",
    [
        "",
        "  ",
        "http://127.0.0.1:8000",
        "http://127.0.0.2",
        "http://localhost:8000",
        "https://app.localhost",
        "http://[::1]:8000",
        "http://0.0.0.0:8000",
        "ftp://dvk.example.vn",
        "dvk.example.vn",
    ],
)
def test_unset_loopback_or_not_http_is_a_problem(url):
    assert public_base_url_problem(url)


@pytest.mark.parametrize(
    "url", ["https://thidua.caobang.gov.vn", "http://10.0.0.5:8000", "https://dvk.example.vn/app"]
)
def test_a_public_address_is_accepted(url):
    assert public_base_url_problem(url) is None


def test_debug_allows_a_loopback_address(settings):
    settings.DEBUG = True
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    assert public_base_url_error() is None
    settings.DEBUG = False
    assert "PUBLIC_BASE_URL" in public_base_url_error()


def test_check_deploy_fails_on_a_loopback_address_and_passes_a_public_one(settings):
    settings.DEBUG = False
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    with pytest.raises(SystemCheckError, match=r"dvk\.E001.*loopback"):
        call_command("check", "--deploy", "--tag", "security")
    settings.PUBLIC_BASE_URL = "https://thidua.caobang.gov.vn"
    call_command("check", "--deploy", "--tag", "security", "--fail-level", "ERROR")


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "PUBLIC_BASE_URL")}
    env.update(values)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return env


def test_the_web_refuses_to_start_with_a_loopback_address():
    command = [sys.executable, "-c", "import config.wsgi"]
    refused = subprocess.run(
        command,
        cwd=ROOT,
        env=_env(DEBUG="false", PUBLIC_BASE_URL="http://127.0.0.1:8000"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "ImproperlyConfigured" in refused.stderr and "PUBLIC_BASE_URL" in refused.stderr
    started = subprocess.run(
        command,
        cwd=ROOT,
        env=_env(DEBUG="false", PUBLIC_BASE_URL="https://thidua.caobang.gov.vn"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr


def test_the_worker_refuses_to_start_without_a_public_address():
    celery = Path(sys.executable).with_name("celery")
    refused = subprocess.run(
        [str(celery), "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        cwd=ROOT,
        env=_env(DEBUG="false", PUBLIC_BASE_URL=""),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "PUBLIC_BASE_URL is not set" in refused.stderr + refused.stdout
