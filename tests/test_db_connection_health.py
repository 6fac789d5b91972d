"""A database restart costs no error: a persistent connection whose server backend was
terminated is noticed before a request reuses it (``CONN_HEALTH_CHECKS``), on real
PostgreSQL. Requests go through Django's own WSGI handler, as under gunicorn, so the
request_started signal (``close_old_connections``) runs; the test client disconnects it."""

from __future__ import annotations

import psycopg
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from core.tests.factories import UserFactory

from .api_support import fast_password_hashing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgresql(settings):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: set DATABASE_URL"
    fast_password_hashing(settings)


def wsgi_get(path: str, token: str) -> int:
    """GET ``path`` through a WSGI handler, as gunicorn would; returns the status code."""
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Token {token}").environ
    statuses: list[str] = []
    body = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    body.close()  # request_finished: the connection is kept (CONN_MAX_AGE), not closed
    return int(statuses[0].split()[0])


def terminate_backend() -> int:
    """End this process's database session from another connection, as a server restart
    would; returns the terminated backend's pid."""
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    return pid


def persistent_connection(settings) -> None:
    database = settings.DATABASES["default"]
    assert database["CONN_MAX_AGE"] > 0, "the connection must outlive a request"
    connection.settings_dict["CONN_MAX_AGE"] = database["CONN_MAX_AGE"]


def test_health_checks_are_on_by_default(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize("checks", [True, False], ids=["health-checks", "no-health-checks"])
def test_a_request_after_the_backend_was_terminated(settings, checks):
    """With the checks, the request after the termination reconnects and answers 200;
    without them (the old behaviour) it answers 500: the test can tell them apart."""
    persistent_connection(settings)
    connection.settings_dict["CONN_HEALTH_CHECKS"] = checks
    user = UserFactory()
    token = Token.objects.create(user=user).key
    try:
        assert wsgi_get("/api/v1/notifications/", token) == 200
        old_pid = connection.connection.info.backend_pid
        terminate_backend()

        status = wsgi_get("/api/v1/notifications/", token)
        if checks:
            assert status == 200
            assert connection.connection.info.backend_pid != old_pid
        else:
            assert status == 500
        # Either way the one after answers.
        assert wsgi_get("/api/v1/notifications/", token) == 200
    finally:
        connection.settings_dict["CONN_HEALTH_CHECKS"] = True
