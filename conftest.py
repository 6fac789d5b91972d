import os

import pytest


@pytest.fixture(autouse=True)
def _vietnamese_by_default(settings):
    settings.LANGUAGE_CODE = "vi"
    yield


def pytest_report_header(config):
    db = os.environ.get("DATABASE_URL") or "SQLite (embedded default)"
    broker = os.environ.get("REDIS_URL") or "filesystem:// (embedded default)"
    return [f"database: {db}", f"broker: {broker}"]
