"""Settings for benchmarks: the project's, with a broker that polls often and a queue of
their own. Point DVK_VAR_DIR (and SQLITE_PATH / DATABASE_URL) at a throw-away place."""

from config.settings import *  # noqa: F403
from config.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "polling_interval": 0.05}
CELERY_TASK_DEFAULT_QUEUE = "bench"
