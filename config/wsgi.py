import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# With DEBUG off the web refuses to start without a public address (QR codes, e-mail links).
from config.checks import require_public_base_url  # noqa: E402

require_public_base_url()
