"""Backup and restore of a deployment: the database and the stored files (decision PDFs,
print jobs, attachments: everything under ``MEDIA_ROOT``), with a manifest of checksums.

- PostgreSQL: ``pg_dump --format=custom`` (restored with ``pg_restore``); the embedded
  default (SQLite): the online backup API, a consistent copy while web, worker and beat
  write.
- ``manifest.json`` lists every file of the backup with its size and SHA-256; a restore
  checks them all before it writes anything.
- A restore goes into an empty database only (no table at all: a new PostgreSQL database,
  or a missing or empty SQLite file), and never overwrites a stored file that differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import environ
from django.conf import settings
from django.db import connections
from django.utils import timezone

from core.errors import InvalidInput, WrongState

MANIFEST = "manifest.json"
FORMAT = 1
PG_DUMP = "database.dump"
SQLITE_COPY = "database.sqlite3"
MEDIA = "media"


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    vendor: str
    files: int  # stored files, the database not counted
    size: int  # bytes, everything


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(folder: Path, path: Path) -> dict:
    return {
        "path": path.relative_to(folder).as_posix(),
        "size": path.stat().st_size,
        "sha256": _sha256(path),
    }


def _database(url: str | None) -> dict:
    """Django's settings dict of the database to back up or restore into."""
    if url is None:
        return connections["default"].settings_dict
    if url.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.split("sqlite:///", 1)[1]}
    return environ.Env.db_url_config(url)


def _is_postgres(db: dict) -> bool:
    return "postgresql" in db["ENGINE"]


def _pg_env(db: dict) -> dict[str, str]:
    env = {**os.environ, "PGDATABASE": db["NAME"]}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise WrongState(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


def backup_create(*, folder: Path, database_url: str | None = None) -> BackupResult:
    """Write a backup into ``folder`` (created; it must be empty)."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInput(f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    db = _database(database_url)
    if _is_postgres(db):
        vendor = "postgresql"
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-acl", "-f", str(folder / PG_DUMP)],
            _pg_env(db),
        )
        database_file = folder / PG_DUMP
    else:
        vendor = "sqlite"
        database_file = folder / SQLITE_COPY
        source = sqlite3.connect(db["NAME"])
        target = sqlite3.connect(database_file)
        try:
            with target:
                source.backup(target)  # consistent while others write (online backup API)
        finally:
            target.close()
            source.close()

    media_root = Path(settings.MEDIA_ROOT)
    copied = []
    if media_root.is_dir():
        for path in sorted(p for p in media_root.rglob("*") if p.is_file()):
            destination = folder / MEDIA / path.relative_to(media_root)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied.append(destination)

    entries = [_entry(folder, database_file)] + [_entry(folder, p) for p in copied]
    manifest = {
        "format": FORMAT,
        "created_at": timezone.now().isoformat(),
        "database": {"vendor": vendor, "path": database_file.name},
        "files": entries,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return BackupResult(
        folder=folder, vendor=vendor, files=len(copied), size=sum(e["size"] for e in entries)
    )


def backup_verify(*, folder: Path) -> dict:
    """The manifest, once every file it lists is present with its size and SHA-256."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{folder / MANIFEST}: {error}") from error
    if manifest.get("format") != FORMAT:
        raise InvalidInput(f"unknown backup format {manifest.get('format')!r}")
    problems = []
    for entry in manifest["files"]:
        path = folder / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']}: missing")
        elif path.stat().st_size != entry["size"] or _sha256(path) != entry["sha256"]:
            problems.append(f"{entry['path']}: checksum differs")
    if problems:
        raise InvalidInput("the backup is damaged: " + "; ".join(problems[:20]))
    return manifest


def _pg_is_empty(db: dict) -> bool:
    done = subprocess.run(
        [
            "psql",
            "-Atc",
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', "
            "'information_schema')",
        ],
        env=_pg_env(db),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise WrongState(f"psql failed: {done.stderr.strip()}")
    return done.stdout.strip() == "0"


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    with sqlite3.connect(path) as db:
        return (
            db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
        )


def backup_restore(
    *, folder: Path, database_url: str | None = None, media_root: Path | None = None
) -> BackupResult:
    """Restore ``folder`` into an empty database and the media folder."""
    folder = Path(folder)
    manifest = backup_verify(folder=folder)
    db = _database(database_url)
    vendor = manifest["database"]["vendor"]
    if vendor != ("postgresql" if _is_postgres(db) else "sqlite"):
        raise InvalidInput(f"a {vendor} backup cannot be restored into this database")
    media_root = Path(media_root or settings.MEDIA_ROOT)
    files = [e for e in manifest["files"] if e["path"].startswith(f"{MEDIA}/")]
    for entry in files:
        target = media_root / entry["path"][len(MEDIA) + 1 :]
        if target.exists() and _sha256(target) != entry["sha256"]:
            raise WrongState(f"{target} exists and differs from the backup: refusing")

    if vendor == "postgresql":
        if not _pg_is_empty(db):
            raise WrongState(f"the database {db['NAME']} is not empty: restore into a new one")
        _run(
            ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "-d", db["NAME"]]
            + [str(folder / manifest["database"]["path"])],
            _pg_env(db),
        )
    else:
        path = Path(db["NAME"])
        if not _sqlite_is_empty(path):
            raise WrongState(f"the database {path} is not empty: restore into a new file")
        path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(folder / manifest["database"]["path"])
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()

    for entry in files:
        target = media_root / entry["path"][len(MEDIA) + 1 :]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / entry["path"], target)
    return BackupResult(
        folder=folder,
        vendor=vendor,
        files=len(files),
        size=sum(e["size"] for e in manifest["files"]),
    )
