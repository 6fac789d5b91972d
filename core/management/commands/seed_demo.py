"""Build the demo province (Cao Bằng, 2016 - 2020) and print the demo logins."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import number_format
from django.utils.translation import pgettext
from django.utils.translation import pgettext_lazy as _p

from core import demo
from core.errors import DomainError
from core.reporting import display_width

CONTEXT = "demo data"

ROLE_LABELS = {
    "superuser": _p(CONTEXT, "System administrator"),
    "chair": _p(CONTEXT, "Board chair"),
    "deputy": _p(CONTEXT, "Board deputy chair"),
    "secretary": _p(CONTEXT, "Board secretary"),
    "member": _p(CONTEXT, "Board member"),
    "clerk": _p(CONTEXT, "Clerk"),
    "leader": _p(CONTEXT, "Leader"),
    "official": _p(CONTEXT, "Official"),
}
COUNT_LABELS = {
    "units": _p(CONTEXT, "Units"),
    "steering_boards": _p(CONTEXT, "Steering boards"),
    "issuing_bodies": _p(CONTEXT, "Issuing bodies"),
    "initiatives": _p(CONTEXT, "Initiatives"),
    "status_changes": _p(CONTEXT, "Status history lines"),
    "commendations": _p(CONTEXT, "Commendations"),
    "replications": _p(CONTEXT, "Replications (nhân rộng)"),
    "users": _p(CONTEXT, "Demo accounts"),
}


def _pad(text: str, width: int) -> str:
    return str(text) + " " * (width - display_width(text))


def logins_table(logins: list[dict]) -> list[str]:
    header = (
        pgettext(CONTEXT, "Username"),
        pgettext(CONTEXT, "Role"),
        pgettext(CONTEXT, "Full name"),
        pgettext(CONTEXT, "Unit"),
    )
    rows = [
        (
            login["username"],
            str(ROLE_LABELS.get(login["role"], login["role"])),
            login["full_name"],
            f"{login['unit_name']} ({login['unit_code']})",
        )
        for login in logins
    ]
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


class Command(BaseCommand):
    help = (
        "Build a demo province shaped like Cao Bằng in 2016 - 2020 (units, boards, 4,086 "
        "initiatives, 437 commendations, demo logins). Does nothing if it exists; --reset "
        "deletes the demo data and builds it again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo data first, then rebuild it."
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            result = demo.demo_seed(reset=options["reset"])
            # The published unit figures and the 2021-2025 targets (stats owns them).
            from stats.demo import demo_statistics_seed

            demo_statistics_seed()
        except DomainError as error:
            raise CommandError(error.message) from error
        seconds = time.perf_counter() - started

        if not result["created"]:
            self.stdout.write(
                pgettext(
                    CONTEXT,
                    "The demo province %(name)s (%(code)s) already exists: nothing was changed. "
                    "Use --reset to delete and rebuild it.",
                )
                % {"name": demo.PROVINCE_NAME, "code": demo.PROVINCE_CODE}
            )
        else:
            if options["reset"]:
                self.stdout.write(
                    pgettext(CONTEXT, "Deleted %(count)s rows of old demo data.")
                    % {"count": number_format(result["deleted"], force_grouping=True)}
                )
            self.stdout.write(
                pgettext(CONTEXT, "Built the demo province %(name)s (%(code)s) in %(seconds)s s:")
                % {
                    "name": demo.PROVINCE_NAME,
                    "code": demo.PROVINCE_CODE,
                    "seconds": number_format(seconds, decimal_pos=1),
                }
            )
            counts = result["counts"]
            width = max(display_width(label) for label in COUNT_LABELS.values()) + 2
            for key, label in COUNT_LABELS.items():
                shown = number_format(counts.get(key, 0), force_grouping=True)
                self.stdout.write(f"  {_pad(label, width)}{shown:>7}")

        self.stdout.write("")
        self.stdout.write(
            pgettext(CONTEXT, "Demo logins (password for all: %(password)s)")
            % {"password": demo.DEMO_PASSWORD}
        )
        for line in logins_table(demo.demo_logins()):
            self.stdout.write("  " + line)
