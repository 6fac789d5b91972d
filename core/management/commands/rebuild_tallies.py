"""Recount the tallies the roll-up reads (``core.tallies``) from the initiatives, or check
that they match a count from scratch."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.tallies import initiative_tallies_mismatches, initiative_tallies_rebuild


class Command(BaseCommand):
    help = "Recount the statistics' tallies from scratch (--check: compare only, write nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the tallies with a count from scratch; exit 1 when they differ",
        )

    def handle(self, *args, **options):
        if options["check"]:
            problems = initiative_tallies_mismatches()
            if problems:
                raise CommandError("The tallies differ:\n" + "\n".join(problems))
            self.stdout.write("The tallies match.")
            return
        rows = initiative_tallies_rebuild()
        self.stdout.write(f"{rows} tally row(s) written.")
