"""Every setting the code reads is declared in ``config/settings.py`` (or is one of Django's
own), so its default and meaning live in one place; code reads ``settings.X``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import global_settings

import config.settings as project_settings

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "core", "workflows", "notifications", "documents", "bench", "scripts")
READ = re.compile(r"\bsettings\.([A-Z][A-Z0-9_]*)\b")
READ_WITH_DEFAULT = re.compile(r"getattr\(\s*settings\s*,\s*[\"']([A-Z][A-Z0-9_]*)[\"']")


def sources() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "tests" not in path.parts
    )


def read_settings(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(READ.findall(text)) | set(READ_WITH_DEFAULT.findall(text))


def test_every_setting_read_is_declared():
    undeclared = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in sources()
        for name in read_settings(path)
        if not hasattr(project_settings, name) and not hasattr(global_settings, name)
    }
    assert undeclared == set()


def test_the_notification_and_document_settings_are_declared_with_their_defaults():
    expected = {
        "NOTIFICATION_BATCH_SIZE": 500,
        "NOTIFICATION_MAX_ATTEMPTS": 5,
        "NOTIFICATION_OVERDUE_EVERY_DAYS": 7,
        "NOTIFICATION_TASK_AGE_DAYS": 3,
        "NOTIFICATION_EVENT_WINDOW_DAYS": 7,
        "NOTIFICATION_LIST_LIMIT": 200,
        "NOTIFICATION_SENDING_LEASE": 900,
        "NOTIFICATION_REQUEUE_AFTER": 600,
        "NOTIFICATION_SWEEP_LIMIT": 100_000,
        "NOTIFICATION_CHANNELS": [
            "notifications.channels.InAppChannel",
            "notifications.channels.EmailChannel",
        ],
        "DOCUMENTS_FONT_DIR": "/usr/share/fonts/truetype/liberation2",
        "DOCUMENTS_PRINT_FAN_OUT": True,
        "DOCUMENTS_TRUSTED_CA_FILE": "",
        "DOCUMENTS_SEAL_KEYS": {},
        "DOCUMENTS_TSA_URL": "",
        "DOCUMENTS_SIGNATURE_FETCH_REVOCATION": False,
        "CELERY_TIMEZONE": "Asia/Ho_Chi_Minh",
        "MOVEMENT_NAME": "Dân vận khéo",
    }
    # The environment of this run may set some of them; compare the unset ones.
    declared = {
        name: getattr(project_settings, name) for name in expected if name not in os.environ
    }
    assert declared == {name: expected[name] for name in declared}


def test_no_module_reads_a_setting_with_its_own_default():
    found = {
        str(path.relative_to(ROOT))
        for path in sources()
        if READ_WITH_DEFAULT.search(path.read_text(encoding="utf-8"))
    }
    assert found == set()


def test_the_check_finds_a_setting_read_nowhere_declared(tmp_path):
    """The scan above can fail: it sees both ways of reading a setting."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        'x = settings.NOT_DECLARED_ANYWHERE\ny = getattr(settings, "ALSO_MISSING", 3)\n',
        encoding="utf-8",
    )
    assert read_settings(sample) == {"NOT_DECLARED_ANYWHERE", "ALSO_MISSING"}
    assert not hasattr(project_settings, "NOT_DECLARED_ANYWHERE")
