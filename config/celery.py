import os

from celery import Celery
from celery.signals import worker_init

# Registers the deploy check of PUBLIC_BASE_URL; this module loads with the settings.
from config import checks  # noqa: F401

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("danvankheo")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_without_public_address(**kwargs) -> None:
    """A worker renders certificates and sends e-mails: with DEBUG off it needs the public
    address. SystemExit, because Celery logs and ignores an Exception from a signal."""
    from config.checks import public_base_url_error

    message = public_base_url_error()
    if message:
        raise SystemExit(f"ImproperlyConfigured: {message}")
