"""``manage.py import_initiatives FILE [--dry-run]``: see core.importing for the file format."""

from django.utils.translation import gettext_lazy as _

from core.importing import ImportCommand, InitiativeImporter


class Command(ImportCommand):
    help = _("Import initiatives from a CSV or XLSX file; the whole file or nothing.")
    importer_class = InitiativeImporter
