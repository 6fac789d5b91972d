from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        # Registers the deploy check of PUBLIC_BASE_URL (QR codes on certificates).
        import config.checks  # noqa: F401
