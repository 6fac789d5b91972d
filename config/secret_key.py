"""The secret key: a production one from the environment, checked; else one made for this
installation and kept in its var/ folder. No key known from the source ever signs anything."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

MIN_LENGTH = 50  # Django's own bar (security.W009)
MIN_UNIQUE = 5
# Keys that were defaults somewhere (this project's old one, Django's startproject prefix).
KNOWN_PREFIXES = ("insecure-embedded-default", "django-insecure-", "change-me", "changeme")


def weak(key: str) -> str | None:
    """Why ``key`` is too weak to sign anything in production, or None."""
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_LENGTH}"
    if len(set(key)) < MIN_UNIQUE:
        return f"it has fewer than {MIN_UNIQUE} different characters"
    if key.lower().startswith(KNOWN_PREFIXES):
        return "it is a known default key"
    return None


def resolve(given: str, *, var_dir: Path, debug: bool, https: bool) -> str:
    if given:
        problem = weak(given)
        if problem and not debug:
            raise ImproperlyConfigured(
                f"SECRET_KEY is unsafe: {problem}. Set a long random one, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
            )
        return given
    if https:
        # Production (several web processes, maybe several machines) shares one key.
        raise ImproperlyConfigured("HTTPS=true needs SECRET_KEY: set a long random string.")
    return _installation_key(var_dir / "secret_key")


def _installation_key(path: Path) -> str:
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key and not weak(key):
        return key
    key = secrets.token_urlsafe(64)
    # Written once, readable by this user only; a concurrent first start keeps the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip() or key
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
