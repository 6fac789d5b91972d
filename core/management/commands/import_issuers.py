"""``manage.py import_issuers FILE [--dry-run]``: see core.importing for the file format."""

from django.utils.translation import gettext_lazy as _

from core.importing import ImportCommand, IssuerImporter


class Command(ImportCommand):
    help = _("Import issuing bodies from a CSV or XLSX file; the whole file or nothing.")
    importer_class = IssuerImporter
