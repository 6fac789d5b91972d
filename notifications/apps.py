from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from workflows.events import lifecycle_event

        from .receivers import on_lifecycle_event

        lifecycle_event.connect(
            on_lifecycle_event, weak=False, dispatch_uid="notifications-lifecycle"
        )
