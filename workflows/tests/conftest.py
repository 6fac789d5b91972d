from collections import defaultdict

import pytest

from core import events as bus

from .factories import build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password for every user; the production hasher takes ~0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def events(monkeypatch):
    """The events delivered (after commit) during the test, as (name, payload) pairs."""
    sent: list[tuple[str, dict]] = []

    def record(event):
        sent.append((event.name, event.payload()))

    handlers = defaultdict(list, {cls: list(found) for cls, found in bus._handlers.items()})
    for cls in bus.event_types():
        handlers[cls].append(record)
    monkeypatch.setattr(bus, "_handlers", handlers)
    return sent
