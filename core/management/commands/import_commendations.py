"""``manage.py import_commendations FILE [--dry-run]``: see core.importing for the file format."""

from django.utils.translation import gettext_lazy as _

from core.importing import CommendationImporter, ImportCommand


class Command(ImportCommand):
    help = _("Import commendations from a CSV or XLSX file; the whole file or nothing.")
    importer_class = CommendationImporter
