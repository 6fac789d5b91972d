"""``manage.py backup`` / ``restore`` (``./dvk backup DIR`` / ``./dvk restore DIR``): a
backup restored into an empty database answers as the original did: every decision's
stored SHA-256 matches its PDF and a certificate's verification page answers, checked by
a separate process on the restored database and files. On SQLite (pass 1) and PostgreSQL
(pass 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from documents import services
from documents.models import Decision
from documents.tests.factories import clerk_of, district_committee, issue_commendation
from notifications.tests.live import database_env, sqlite_file_database

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)

CHECK = """
import hashlib, json
import django
django.setup()
from django.test import Client
from documents.models import Certificate, Decision
decisions = [
    (d.number, d.sha256, hashlib.sha256(d.pdf.open("rb").read()).hexdigest())
    for d in Decision.objects.exclude(sha256="")
]
certificate = Certificate.objects.order_by("pk").first()
page = Client().get(f"/verify/{certificate.code}/")
print(json.dumps({
    "decisions": decisions,
    "verify_status": page.status_code,
    "verify_names_recipient": certificate.content["recipient_line"] in page.content.decode(),
}))
"""


@pytest.fixture
def live(tmp_path, settings):
    """The test database as another process sees it, and the media folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "http://testserver"
    if connection.vendor == "sqlite":
        with sqlite_file_database(tmp_path / "test.sqlite3"):
            yield database_env()
    else:
        yield database_env()


@contextmanager
def empty_database(tmp_path):
    """A new, empty database: its URL for restore, and its environment for a process."""
    if connection.vendor == "sqlite":
        path = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{path}", {"DATABASE_URL": "", "SQLITE_PATH": str(path)}
        return
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:6]}"
    url = database_env()["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield url, {"DATABASE_URL": url}
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def check_restored(env: dict[str, str], media_root: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "MEDIA_ROOT": str(media_root),
            "PUBLIC_BASE_URL": "http://testserver",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_restored_backup_keeps_every_decision_pdf_and_answers_verification(live, tmp_path):
    issuer = district_committee()
    clerk = clerk_of(issuer, username="clerk")
    for count in (3, 2):
        decision = issue_commendation(issuer, clerk, count=count)
        services.certificates_issue(decision=decision, actor=clerk)
    stored = list(Decision.objects.exclude(sha256="").values_list("number", "sha256"))
    assert len(stored) == 2 and all(Decision.objects.values_list("pdf", flat=True))

    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=open(os.devnull, "w"))
    manifest = json.loads((backup / "manifest.json").read_text())
    pdfs = [f for f in manifest["files"] if f["path"].endswith(".pdf")]
    assert len(pdfs) == 2 and all(len(f["sha256"]) == 64 for f in manifest["files"])

    with empty_database(tmp_path) as (url, env):
        media = tmp_path / "restored-media"
        call_command(
            "restore", str(backup), database_url=url, media_root=media, stdout=open(os.devnull, "w")
        )
        result = check_restored(env, media)
        assert sorted((n, s) for n, s, _ in result["decisions"]) == sorted(stored)
        assert all(expected == actual for _n, expected, actual in result["decisions"])
        assert result["verify_status"] == 200 and result["verify_names_recipient"]

        # A database that is not empty is refused, and left as it was.
        with pytest.raises(CommandError, match="not empty"):
            call_command("restore", str(backup), database_url=url, media_root=tmp_path / "m2")
        assert not (tmp_path / "m2").exists()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(backup), media_root=tmp_path / "m3")  # the live database


def test_a_damaged_backup_is_refused_before_anything_is_written(live, tmp_path):
    issuer = district_committee()
    clerk = clerk_of(issuer, username="clerk")
    issue_commendation(issuer, clerk, count=1)
    backup = tmp_path / "backup"
    call_command("backup", str(backup), stdout=open(os.devnull, "w"))
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", str(backup))  # never into a folder that holds something

    pdf = next(backup.rglob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes()[:-10])
    with pytest.raises(CommandError, match="checksum differs"):
        call_command("restore", str(backup), verify_only=True)
    with empty_database(tmp_path) as (url, _env):
        with pytest.raises(CommandError, match="damaged"):
            call_command("restore", str(backup), database_url=url, media_root=tmp_path / "m")
        assert not (tmp_path / "m").exists()
