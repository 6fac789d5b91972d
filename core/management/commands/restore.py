from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.backup import backup_restore, backup_verify
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Restore a backup (manage.py backup) into an EMPTY database and MEDIA_ROOT, after "
        "checking every file against manifest.json. A database with any table is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)
        parser.add_argument("--database-url", help="another database than the configured one")
        parser.add_argument("--media-root", type=Path, help="another folder than MEDIA_ROOT")
        parser.add_argument(
            "--verify-only", action="store_true", help="only check the backup's checksums"
        )

    def handle(self, *args, folder, database_url, media_root, verify_only, **options):
        try:
            if verify_only:
                manifest = backup_verify(folder=folder)
                self.stdout.write(f"{len(manifest['files'])} files match manifest.json")
                return
            result = backup_restore(folder=folder, database_url=database_url, media_root=media_root)
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"restored {result.vendor} and {result.files} stored files from {result.folder}"
        )
