import logging
import os

import pytest


@pytest.fixture(autouse=True)
def _vietnamese_by_default(settings):
    settings.LANGUAGE_CODE = "vi"
    yield


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "handler_errors: the test makes an event handler fail on purpose"
    )


def pytest_report_header(config):
    db = os.environ.get("DATABASE_URL") or "SQLite (embedded default)"
    broker = os.environ.get("REDIS_URL") or "filesystem:// (embedded default)"
    return [f"database: {db}", f"broker: {broker}"]


@pytest.fixture(autouse=True)
def _event_handlers_do_not_fail(request, caplog):
    """A handler that fails after the commit is only logged in production (and retried):
    here it fails the test, so a broken handler cannot hide."""
    yield
    if request.node.get_closest_marker("handler_errors"):
        return
    failures = [
        record.getMessage()
        for record in caplog.get_records("call")
        if record.name == "core.events" and record.levelno >= logging.ERROR
    ]
    assert not failures, f"event handlers failed: {failures}"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The API's throttle counters live in their own cache; each test starts at zero."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["throttle"]
    if isinstance(cache, RedisCache):
        # Only the throttle's keys: the Redis database also holds the cache and the broker.
        client = cache._cache.get_client(None, write=True)
        for key in client.scan_iter(match=f"{cache.key_prefix}:*"):
            client.delete(key)
    else:
        cache.clear()
    yield
