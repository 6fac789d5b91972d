import pytest

from workflows.events import lifecycle_event

from .factories import build_world


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The factories hash a password for every user; the production hasher takes ~0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def events():
    """The lifecycle events sent (after commit) during the test, as (name, data) pairs."""
    sent: list[tuple[str, dict]] = []

    def receiver(sender, **data):
        data.pop("signal", None)
        sent.append((sender, data))

    lifecycle_event.connect(receiver, weak=False)
    yield sent
    lifecycle_event.disconnect(receiver)
