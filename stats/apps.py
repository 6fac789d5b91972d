from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_indicators(sender, **kwargs):
    from .models import Indicator
    from .reference_data import seed_indicators

    seed_indicators(Indicator)


class StatsConfig(AppConfig):
    name = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        # The indicator catalogue is there again after a test's flush.
        post_migrate.connect(_seed_indicators, sender=self, dispatch_uid="stats-indicators")
