"""Write an issued decision and its certificates to a folder (for operators).

    python manage.py render_decision 12/QĐ-UBND --issuer ubnd-hoa-an --out /tmp/qd12 [--year 2023]

The decision is the stored PDF (never rendered again); the certificates are rendered from
their snapshots: one PDF with all of them and one PDF per recipient.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from documents import selectors, services


class Command(BaseCommand):
    help = "Write an issued decision's PDF and its certificates (one file and one per recipient)."

    def add_arguments(self, parser):
        parser.add_argument("number", help="The decision's number, e.g. 12/QĐ-UBND.")
        parser.add_argument("--issuer", required=True, help="The issuing body's code.")
        parser.add_argument("--out", required=True, help="The folder to write into.")
        parser.add_argument("--year", type=int, help="The year, when the number is ambiguous.")

    def handle(self, *args, number, issuer, out, year=None, **options):
        decisions = list(selectors.decision_find(number=number, issuer_code=issuer, year=year)[:2])
        if not decisions:
            raise CommandError(f"No issued decision {number} of {issuer}.")
        if len(decisions) > 1:
            years = ", ".join(str(d.year) for d in decisions)
            raise CommandError(f"Decision {number} exists in several years ({years}): use --year.")
        decision = decisions[0]
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"QD-{decision.year}-{decision.sequence:04d}"
        try:
            decision_path = folder / f"{stem}.pdf"
            decision_path.write_bytes(services.decision_pdf_bytes(decision=decision))
            self.stdout.write(str(decision_path))
            certificates = list(selectors.certificates_to_print(decision))
            if not certificates:
                self.stderr.write("The decision has no valid certificates.")
                return
            combined, files = services.certificates_render(certificates, per_recipient=True)
        except DomainError as error:
            raise CommandError(error.message) from error
        combined_path = folder / f"{stem}-{services.certificates_slug(certificates)}.pdf"
        combined_path.write_bytes(combined)
        self.stdout.write(str(combined_path))
        recipients = folder / f"{stem}-tung-nguoi"
        recipients.mkdir(exist_ok=True)
        for name, data in files:
            path = recipients / name
            path.write_bytes(data)
            self.stdout.write(str(path))
