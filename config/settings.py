"""Settings, read from the environment (django-environ).

With nothing set, the embedded default: SQLite in ``var/`` and a Celery broker that needs
no server (kombu's ``filesystem://`` transport). With ``DATABASE_URL`` / ``REDIS_URL``:
PostgreSQL and Redis.
"""

import datetime as dt
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("DVK_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)
# The production switch (behind a TLS-terminating proxy): HSTS, the redirect to https,
# secure cookies and the proxy's X-Forwarded-Proto header. README, "Security".
HTTPS = env.bool("HTTPS", default=False)

# Keys that sign sessions, CSRF tokens and password-reset links. Unset on the embedded
# default (a laptop, `./dvk run`): a random key made once and kept in var/secret_key, never a
# key known from the source. Set in production (every web process must share it); with
# DEBUG off a short or known key refuses to start (config/secret_key.py).
SECRET_KEY = secret_key.resolve(
    env.str("SECRET_KEY", default=""), var_dir=VAR_DIR, debug=DEBUG, https=HTTPS
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# The proxy (nginx, a load balancer) says the original request was https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
# One year of HSTS once HTTPS is on (check --deploy's W004, W005, W021).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Absolute base of links in emails and QR codes (the public verification page). Kept in each
# certificate's snapshot with its QR code; a new value re-encodes the code when printed.
# Required with DEBUG off: the web, the worker and `check --deploy` refuse to start while it
# is unset or a loopback address (config/checks.py); the default only serves DEBUG runs.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
if HTTPS and not PUBLIC_BASE_URL.startswith("https://"):
    # Production prints this address into QR codes: the default would send them nowhere.
    raise ImproperlyConfigured("HTTPS=true needs PUBLIC_BASE_URL=https://<the public host>.")

# The name of the movement this deployment serves (GLOSSARY: one deployment, one movement).
MOVEMENT_NAME = env.str("MOVEMENT_NAME", default="Dân vận khéo")
# The earliest registration date accepted (core/rules.py): the movement was launched in 2009.
MOVEMENT_RECORDS_BEGIN = dt.date.fromisoformat(
    env.str("MOVEMENT_RECORDS_BEGIN", default="2009-01-01")
)

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
    # Swagger UI's files served from here (offices run closed networks; no CDN, and the CSP
    # allows only this site's scripts).
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Locks an account and a source address out after repeated failed logins (issue 9).
    "axes",
    "viewflow",
    # viewflow's Process and Task models live in this app (label "viewflow").
    "viewflow.workflow",
    "core",
    "workflows",
    "notifications",
    "documents",
    "stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header; inline scripts and styles carry
    # {{ request.csp_nonce }}.
    "csp.middleware.CSPMiddleware",
    # Serves collected static files from gunicorn, with DEBUG off too.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One page's repeated look-ups of the user's roles and scope, once per GET (core/memo.py).
    "core.memo.RequestMemoMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx: lists and filters answer htmx requests with the part that changes.
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: answers a locked-out login with its lock-out page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out account or address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend; the signed-in user comes with their unit (the page header's).
    "core.auth.UserWithUnitBackend",
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
    # A persistent connection is checked before a request reuses it: after a database
    # restart (or a terminated backend) the request reconnects instead of answering 500.
    DATABASES["default"].setdefault(
        "CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True)
    )
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

# --- Login lock-out (django-axes) -----------------------------------------------------------
# After AXES_FAILURE_LIMIT failed logins (web, admin and API token alike) the account, and
# separately the source address, are refused for AXES_COOLOFF_TIME; the right password does
# not open them before. `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`
# unlock at once. Attempts are kept in the database (axes' tables).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# 429 with Retry-After: JSON for the API, the lock-out page for the web.
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"
# Behind a reverse proxy (HTTPS=true) the client's address is the proxy's first hop.
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_VERBOSE = False

# --- Redis, cache, Celery -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        # The API's throttle counters (workflows/api/throttling.py), shared by every web
        # process.
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "throttle",
        },
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    # Sessions read from Redis (written through to the database): one query less on every
    # page. Only with a shared cache: a per-process one would keep a logged-out session
    # alive in the other gunicorn workers.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
        },
    }
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
# A broker outage of any length: the worker keeps trying to reconnect (Celery's default
# gives up after 100 attempts and exits). Workers run without gossip, mingle and heartbeat
# (./dvk, docker-compose.yml): gossip's restart after a lost Redis connection fails inside
# kombu ("'NoneType' object has no attribute ...": celery/kombu#582) and none is used here.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Keep remote control on: besides `celery inspect ping` (docker-compose's health check), its
# consumer is what notices a lost Redis connection when an ack fails first; without it the
# worker hangs after the outage, alive and deaf (seen here with kombu 5.7).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = True

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
# Digital signatures (documents/signing.py). The roots a signer's certificate must chain to
# for an uploaded signed decision to be accepted: a PEM file of one or many certificates
# (Vietnam's government CA, licensed public CAs). Unset, no uploaded signature is trusted.
DOCUMENTS_TRUSTED_CA_FILE = env.str("DOCUMENTS_TRUSTED_CA_FILE", default="")
# Each issuing body's seal key, by the body's code, as JSON: {"ubnd-hoa-an": {"pkcs12":
# "/run/secrets/hoa-an.p12", "password_env": "SEAL_HOA_AN_PASSWORD"}} or, on a token,
# {"pkcs11_module": "/usr/lib/.../libtoken.so", "pkcs11_slot": 0, "pkcs11_key_label":
# "seal", "pin_env": "SEAL_HOA_AN_PIN"}; "seal_decisions": true also seals its decisions.
# Secrets stay in the environment variables named here. A body without a key seals nothing.
DOCUMENTS_SEAL_KEYS = env.json("DOCUMENTS_SEAL_KEYS", default={})
# A timestamping authority (RFC 3161): set, seals are PAdES B-T; unset, B-B.
DOCUMENTS_TSA_URL = env.str("DOCUMENTS_TSA_URL", default="")
# Fetch CRLs/OCSP answers when validating a signature (needs the network); off, revocation
# is not checked ("soft-fail").
DOCUMENTS_SIGNATURE_FETCH_REVOCATION = env.bool(
    "DOCUMENTS_SIGNATURE_FETCH_REVOCATION", default=False
)
# Retries of a print-job part after a transient error (a database restart, a dropped
# connection), with exponential backoff (1, 2, 4, ... s, at most 60 s between them).
DOCUMENTS_PRINT_PART_RETRIES = env.int("DOCUMENTS_PRINT_PART_RETRIES", default=5)
# Seconds without progress after which the sweeper (beat) finishes a print job whose parts
# are all done, or fails it visibly (the clerk then prints the missing parts again).
DOCUMENTS_PRINT_STALL_AFTER = env.int("DOCUMENTS_PRINT_STALL_AFTER", default=600)

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
        "core.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "workflows.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    # Per user (a token or a session) and per address for anonymous callers; over the rate
    # the API answers 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": [
        "workflows.api.throttling.AnonThrottle",
        "workflows.api.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
}
# An API token (POST /api/v1/auth/token/) works this many hours after it was issued; a new
# request after that issues a new one. POST /api/v1/auth/logout/, the admin's "revoke API
# tokens" action and `manage.py revoke_tokens` end one before.
API_TOKEN_LIFETIME_HOURS = env.int("API_TOKEN_LIFETIME_HOURS", default=24 * 7)
SPECTACULAR_SETTINGS = {
    "TITLE": "Dân vận khéo API",
    "DESCRIPTION": "API của hệ thống quản lý phong trào thi đua “Dân vận khéo”.",
    "VERSION": "1.0.0",
    # /api/schema/ itself is not an operation of the API.
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get components of their own, where a required text says minLength 1.
    "COMPONENT_SPLIT_REQUEST": True,
    # Only JSON bodies are documented (forms still parse, for browsers and old clients).
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "workflows.api.schema.document_common_answers",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Content Security Policy (django-csp) -------------------------------------------------------
# Only this site's scripts, styles, images and fonts; inline <script> and <style> carry the
# request's nonce (tests/test_production_settings.py refuses a template without it).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# --- Imports (core/importing/) --------------------------------------------------------------
# What one import reads at most, checked before it is read (core/importing/limits.py); the
# defaults hold the national files (100,000 units, 500,000 initiatives) with room to spare.
# Bytes of the file itself.
IMPORT_MAX_FILE_BYTES = env.int("IMPORT_MAX_FILE_BYTES", default=256 * 1024 * 1024)
# Bytes of XML an XLSX unpacks to (its sheet and shared strings): a decompression bomb stops
# here.
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=2 * 1024 * 1024 * 1024)
# Rows (lines), the header included.
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=1_000_000)
# Cells in one row (the widest import has 12 columns).
IMPORT_MAX_COLUMNS = env.int("IMPORT_MAX_COLUMNS", default=100)
# Cells in the whole sheet.
IMPORT_MAX_CELLS = env.int("IMPORT_MAX_CELLS", default=20_000_000)
# Characters in one cell (Excel's own limit).
IMPORT_MAX_CELL_CHARS = env.int("IMPORT_MAX_CELL_CHARS", default=32_767)
# Errors printed: the first ones in file order, then how many more.
IMPORT_MAX_ERRORS = env.int("IMPORT_MAX_ERRORS", default=200)
