"""The public base URL: required, and not a loopback address, when ``DEBUG`` is off.

QR codes on printed certificates and links in e-mails carry ``PUBLIC_BASE_URL``; paper
printed with ``http://127.0.0.1:8000`` leads nowhere and cannot be taken back. The web
(``config.wsgi``), the Celery worker (``config.celery``) and ``check --deploy`` refuse to
start with such a value.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def public_base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public address of a deployment, or None."""
    url = (url or "").strip()
    if not url:
        return "PUBLIC_BASE_URL is not set."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"PUBLIC_BASE_URL={url!r} is not an http(s) address."
    host = parts.hostname.lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return f"PUBLIC_BASE_URL={url!r} is unset or points at this machine ({host})."
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if address.is_loopback or address.is_unspecified:
        return f"PUBLIC_BASE_URL={url!r} is unset or points at a loopback address ({host})."
    return None


HINT = (
    "Set PUBLIC_BASE_URL to the address the public reaches this site at, e.g. "
    "https://danvan.example.gov.vn: the QR codes printed on certificates and the links in "
    "e-mails carry it. Only with DEBUG=true may it be left unset or point at 127.0.0.1."
)


def public_base_url_error() -> str | None:
    """The message to refuse to start with, or None (also None with DEBUG on)."""
    if settings.DEBUG:
        return None
    problem = public_base_url_problem(settings.PUBLIC_BASE_URL)
    return f"{problem} {HINT}" if problem else None


def require_public_base_url() -> None:
    """Raise ImproperlyConfigured when a production process must not start."""
    message = public_base_url_error()
    if message:
        raise ImproperlyConfigured(message)


@checks.register(checks.Tags.security, deploy=True)
def check_public_base_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    problem = public_base_url_problem(settings.PUBLIC_BASE_URL)
    if settings.DEBUG or not problem:
        return []
    return [checks.Error(problem, hint=HINT, id="dvk.E001")]
