"""Settings for a Celery worker started by a test (tests/test_notifications_worker.py): the
project's settings, with a queue of the test's own (so it never takes another process's
tasks, nor they its), a broker folder polled often, and the email backend, channels and
timings the test asks for through the environment."""

import os

from config.settings import *  # noqa: F403
from config.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_TASK_DEFAULT_QUEUE = os.environ["DVK_TEST_QUEUE"]
# Off by default (broadcasts would cross between tests on a shared Redis); on, as in
# production, for a test with a redis-server of its own.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = os.environ.get("DVK_TEST_REMOTE_CONTROL") == "1"
CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "polling_interval": 0.1}

EMAIL_BACKEND = "notifications.tests.backends.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["DVK_TEST_EMAIL_DIR"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A production-like worker refuses a loopback public URL (config/checks.py).
PUBLIC_BASE_URL = "https://dvk.example.vn"

if os.environ.get("DVK_TEST_CHANNELS"):
    NOTIFICATION_CHANNELS = os.environ["DVK_TEST_CHANNELS"].split(",")
NOTIFICATION_BATCH_SIZE = int(os.environ.get("DVK_TEST_BATCH_SIZE", "500"))
NOTIFICATION_REQUEUE_AFTER = int(os.environ.get("DVK_TEST_REQUEUE_AFTER", "600"))
NOTIFICATION_SENDING_LEASE = int(os.environ.get("DVK_TEST_SENDING_LEASE", "900"))
