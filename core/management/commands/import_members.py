"""``manage.py import_members FILE [--dry-run]``: see core.importing for the file format."""

from django.utils.translation import gettext_lazy as _

from core.importing import ImportCommand, MemberImporter


class Command(ImportCommand):
    help = _("Import members from a CSV or XLSX file; the whole file or nothing.")
    importer_class = MemberImporter
