import pytest

from .scenario import build_scenario


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password for every user; the production hasher takes ~0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://dvk.example.vn"


@pytest.fixture
def queued(monkeypatch):
    """Batches handed to the broker during the test (the broker itself is not used)."""
    from notifications import tasks

    batches: list[list[int]] = []
    monkeypatch.setattr(tasks.deliver_batch, "delay", lambda ids: batches.append(list(ids)))
    return batches


@pytest.fixture
def scenario(db):
    return build_scenario()
