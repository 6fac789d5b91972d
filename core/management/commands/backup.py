from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import backup_create
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format on PostgreSQL, SQLite's online backup) "
        "and the stored files (MEDIA_ROOT) into an empty folder, with manifest.json (SHA-256 "
        "of every file)."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--database-url", help="another database than the configured one")

    def handle(self, *args, folder: Path, database_url: str | None, **options):
        try:
            result = backup_create(folder=folder, database_url=database_url)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"backup of {result.vendor} and {result.files} stored files in {result.folder} "
            f"({result.size / 1e6:.1f} MB); manifest.json lists their SHA-256"
        )
