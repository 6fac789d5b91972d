"""Settings, read from the environment (django-environ).

With nothing set, the embedded default: SQLite in ``var/`` and a Celery broker that needs
no server (kombu's ``filesystem://`` transport). With ``DATABASE_URL`` / ``REDIS_URL``:
PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("DVK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env.str("SECRET_KEY", default="insecure-embedded-default-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Absolute base of links in emails and QR codes (the public verification page). Kept in each
# certificate's snapshot with its QR code; a new value re-encodes the code when printed.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# The name of the movement this deployment serves (GLOSSARY: one deployment, one movement).
MOVEMENT_NAME = env.str("MOVEMENT_NAME", default="Dân vận khéo")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "django_tables2",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_celery_beat",
    "viewflow",
    # viewflow's Process and Task models live in this app (label "viewflow").
    "viewflow.workflow",
    "core",
    "workflows",
    "notifications",
    "documents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files from gunicorn, with DEBUG off too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: lists and filters answer htmx requests with the part that changes.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "notifications.context_processors.unread_count",
                # The base layout's menu, by the user's roles.
                "core.context_processors.navigation",
            ],
        },
    },
]

# The most rows one export of a web list (?export=xlsx|csv) writes; more asks to narrow the
# filters (a national list holds hundreds of thousands).
LIST_EXPORT_MAX_ROWS = env.int("LIST_EXPORT_MAX_ROWS", default=50_000)

# Every form renders with the Bootstrap classes and an error summary (core/forms_rendering.py).
FORM_RENDERER = "core.forms_rendering.BootstrapFormRenderer"

# --- Database -----------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
else:
    # Embedded default: web, worker and beat write one SQLite file at once. WAL, a busy
    # timeout and IMMEDIATE transactions keep them from failing with "database is locked".
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env.str("SQLITE_PATH", default=str(VAR_DIR / "dvk.sqlite3")),
            "OPTIONS": {
                "timeout": 30,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The covering (INCLUDE) index on initiatives is a PostgreSQL speed-up; SQLite builds the
# same index without the extra columns, which is what W040 says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- Redis, cache, Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # A broker that needs no server: processes exchange messages through a folder.
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "out").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # Exchange tables for broadcasts (worker remote control); kombu's default is
        # "control" in the current directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_RESULT_BACKEND = None  # results are read from the database, not from Celery
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The time zone of beat's crontab schedules (the reminder scan runs in local working hours);
# notifications/beat.py writes it on the schedules it creates.
CELERY_TIMEZONE = env.str("CELERY_TIMEZONE", default="Asia/Ho_Chi_Minh")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email --------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Dân vận khéo <no-reply@localhost>")

# --- Notifications (notifications/) -------------------------------------------------------
# The channels that carry messages, by dotted path (notifications/channels.py); the first
# transactional one (the in-app inbox) fills /notifications/.
NOTIFICATION_CHANNELS = env.list(
    "NOTIFICATION_CHANNELS",
    default=["notifications.channels.InAppChannel", "notifications.channels.EmailChannel"],
)
# Deliveries handed to one Celery task.
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=500)
# Sending attempts of one delivery before it is marked failed.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# An overdue report is reminded again every this many days (overdue round 1, 2, ...).
NOTIFICATION_OVERDUE_EVERY_DAYS = env.int("NOTIFICATION_OVERDUE_EVERY_DAYS", default=7)
# The daily digest lists the tasks that have waited longer than this many days.
NOTIFICATION_TASK_AGE_DAYS = env.int("NOTIFICATION_TASK_AGE_DAYS", default=3)
# How far back the scan catches up on event notices (cycle opened, decision issued) that
# the event receivers missed.
NOTIFICATION_EVENT_WINDOW_DAYS = env.int("NOTIFICATION_EVENT_WINDOW_DAYS", default=7)
# Items a list message (the chair's missing reports, a digest) carries; it also gives the
# total.
NOTIFICATION_LIST_LIMIT = env.int("NOTIFICATION_LIST_LIMIT", default=200)
# Seconds an email claimed by a worker may stay "sending" before the sweeper sends it again
# (the worker is presumed dead).
NOTIFICATION_SENDING_LEASE = env.int("NOTIFICATION_SENDING_LEASE", default=900)
# Seconds after which the sweeper queues a still-pending delivery again.
NOTIFICATION_REQUEUE_AFTER = env.int("NOTIFICATION_REQUEUE_AFTER", default=600)
# Deliveries one sweep queues at most.
NOTIFICATION_SWEEP_LIMIT = env.int("NOTIFICATION_SWEEP_LIMIT", default=100_000)

# --- Documents (documents/) ---------------------------------------------------------------
# Liberation Serif 2 (Times New Roman metrics, Vietnamese letters): Debian's
# fonts-liberation2. Decisions and certificates embed these fonts.
DOCUMENTS_FONT_DIR = env.str("DOCUMENTS_FONT_DIR", default="/usr/share/fonts/truetype/liberation2")
# A print job's parts (50 certificates each) run as Celery tasks of their own, so every
# worker takes a share; off, the job's task renders them one after the other.
DOCUMENTS_PRINT_FAN_OUT = env.bool("DOCUMENTS_PRINT_FAN_OUT", default=True)

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing folder
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Evidence (photos, minutes, PDFs attached to initiatives) lives outside the web root and is
# served only through a view that checks who may read the initiative.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
# The largest evidence file accepted, in bytes, and the longest side of a stored photo.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_IMAGE_MAX_SIDE = env.int("ATTACHMENT_IMAGE_MAX_SIDE", default=2000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "core.storage.PrivateStorage"},
    # Gzip copies made by collectstatic (config/staticfiles.py); no manifest, so templates
    # render before (and in tests without) a collectstatic run.
    "staticfiles": {"BACKEND": "config.staticfiles.GzipStaticFilesStorage"},
}

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/tasks/"

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dân vận khéo API",
    "DESCRIPTION": "API của hệ thống quản lý phong trào thi đua “Dân vận khéo”.",
    "VERSION": "1.0.0",
    # /api/schema/ itself is not an operation of the API.
    "SERVE_INCLUDE_SCHEMA": False,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
