from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_reference_data(sender, **kwargs):
    # A flush (after a transactional test, say) empties the reference tables; put them back.
    from .models import Field, Phase
    from .reference_data import seed_reference_data

    seed_reference_data(Field, Phase)


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Movement data")

    def ready(self) -> None:
        from .events import load_handlers
        from .search import connect as connect_search

        connect_search()

        post_migrate.connect(_seed_reference_data, sender=self, dispatch_uid="core-reference-data")
        # core is listed first in INSTALLED_APPS, but handler modules import the other apps'
        # models: Django has loaded every model before any ready() runs.
        load_handlers()
