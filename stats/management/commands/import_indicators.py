"""``manage.py import_indicators FILE [--dry-run]``: see stats.importing for the format."""

from django.utils.translation import gettext_lazy as _

from core.importing import ImportCommand
from stats.importing import IndicatorImporter


class Command(ImportCommand):
    help = _("Import units' indicators from a CSV or XLSX file; the whole file or nothing.")
    importer_class = IndicatorImporter
