"""``manage.py import_members FILE [--dry-run] [--update-passwords]``: see core.importing
for the file format."""

from django.utils.translation import gettext_lazy as _

from core.importing import ImportCommand, MemberImporter


class Command(ImportCommand):
    help = _("Import members from a CSV or XLSX file; the whole file or nothing.")
    importer_class = MemberImporter

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--update-passwords",
            action="store_true",
            help=_("Set the file's password on existing accounts too (they keep theirs)."),
        )

    def importer_options(self, options):
        return {"update_passwords": options["update_passwords"]}
