"""Print the movement's roll-up for a unit's subtree, as JSON or as a text report."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core import reporting, selectors
from core.errors import DomainError
from core.models import Phase, Unit


def parse_year(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise CommandError(
            _("The year must be a four-digit number, not “%(value)s”.") % {"value": value}
        )
    return int(text)


class Command(BaseCommand):
    help = (
        "Roll-up of the “Dân vận khéo” movement for a unit and everything below it: "
        "initiatives by field, kind and status, and commendations by award, recipient and "
        "issuer, for a phase, a year, or all time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="Code of the unit (e.g. CB).")
        parser.add_argument("--phase", help="Phase code, e.g. 2016-2020.")
        parser.add_argument("--year", help="A calendar year, e.g. 2023 (inside --phase if both).")
        parser.add_argument("--format", choices=["json", "text", "xlsx", "pdf"], default="text")
        parser.add_argument("--out", help="The file to write (xlsx and pdf only).")

    def handle(self, *args, **options):
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(_("No unit has the code “%(code)s”.") % {"code": options["unit"]})
        phase = None
        if options["phase"]:
            phase = Phase.objects.filter(code=options["phase"]).first()
            if phase is None:
                known = ", ".join(Phase.objects.values_list("code", flat=True))
                raise CommandError(
                    _("No phase has the code “%(code)s”. Known phases: %(codes)s.")
                    % {"code": options["phase"], "codes": known}
                )
        year = parse_year(options["year"])
        # The statistics (``stats``) extend the report: the same selector for every surface.
        from stats import reports
        from stats.selectors import movement_statistics

        kind = options["format"]
        if kind in ("xlsx", "pdf") and not options["out"]:
            raise CommandError(_("--format %(format)s needs --out FILE.") % {"format": kind})
        try:
            if kind == "json":
                report = movement_statistics(unit=unit, phase=phase, year=year)
            elif kind == "text":
                report = selectors.movement_report(unit=unit, phase=phase, year=year)
            else:
                render = reports.render_pdf if kind == "pdf" else reports.render_xlsx
                body = render(unit=unit, phase=phase, year=year)
        except DomainError as error:
            raise CommandError(error.message) from error
        if kind == "json":
            self.stdout.write(reporting.render_json(report))
        elif kind == "text":
            self.stdout.write(reporting.render_text(report), ending="")
        else:
            with open(options["out"], "wb") as out:
                out.write(body)
