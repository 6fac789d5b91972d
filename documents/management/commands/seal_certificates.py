"""Seal with its body's key the valid certificates of a body that are not sealed yet: those
issued before the body's key was configured (for operators).

    python manage.py seal_certificates --issuer ubnd-hoa-an [--dry-run] [--batch 200]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from documents import signatures, signing


class Command(BaseCommand):
    help = "Seal a body's valid certificates that have no seal yet, with the body's key."

    def add_arguments(self, parser):
        parser.add_argument("--issuer", required=True, help="The issuing body's code.")
        parser.add_argument("--dry-run", action="store_true", help="Only count them.")
        parser.add_argument("--batch", type=int, default=200, help="Certificates per round.")

    def handle(self, *args, issuer, dry_run=False, batch=200, **options):
        if signing.seal_key(issuer) is None:
            raise CommandError(f"The issuing body {issuer} has no key in DOCUMENTS_SEAL_KEYS.")
        ids = list(signatures.certificates_unsealed(issuer_code=issuer))
        if dry_run:
            self.stdout.write(f"{len(ids)} certificate(s) of {issuer} to seal.")
            return
        sealed = 0
        for start in range(0, len(ids), batch):
            sealed += signatures.certificates_seal(certificate_ids=ids[start : start + batch])
            self.stdout.write(f"{sealed} / {len(ids)}")
        self.stdout.write(self.style.SUCCESS(f"{sealed} certificate(s) of {issuer} sealed."))
