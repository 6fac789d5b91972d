"""Rules on the movement's data that more than one way in checks (the registration service
behind the web and the API, and the importers): each lives here once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.models import PATH_SEPARATOR, PATH_STEP_WIDTH, AwardType, IssuingBody, Unit, UnitKind


def registered_on_problem(
    registered_on: dt.date, *, phase_ends_on: dt.date | None, today: dt.date | None = None
) -> str | None:
    """Why a registration date is refused, or None: not in the future, not before the
    movement's records begin (``MOVEMENT_RECORDS_BEGIN``), not after the end of its phase
    (registered inside the phase, or before it and carried over)."""
    today = today or timezone.localdate()
    if registered_on > today:
        return _("the registration date %(date)s is in the future") % {
            "date": date_format(registered_on, "d/m/Y")
        }
    if registered_on < settings.MOVEMENT_RECORDS_BEGIN:
        return _(
            "the registration date %(date)s is before the movement's records begin (%(begin)s)"
        ) % {
            "date": date_format(registered_on, "d/m/Y"),
            "begin": date_format(settings.MOVEMENT_RECORDS_BEGIN, "d/m/Y"),
        }
    if phase_ends_on is not None and registered_on > phase_ends_on:
        return _("the registration date %(date)s is after the end of the phase (%(end)s)") % {
            "date": date_format(registered_on, "d/m/Y"),
            "end": date_format(phase_ends_on, "d/m/Y"),
        }
    return None


# Awards a body below a province may not give: a Bằng khen is given by a province's (or a
# higher) People's Committee or Party committee, a ministry or a central body (Law on
# Emulation and Commendation 2022); districts, communes and their agencies give a Giấy khen.
PROVINCE_LEVEL_AWARDS = frozenset({AwardType.COMMENDATION_CERTIFICATE})
BELOW_PROVINCE_KINDS = frozenset({UnitKind.DISTRICT, UnitKind.COMMUNE, UnitKind.HAMLET})


def award_authority_problem(award: str, body: IssuingBody) -> str | None:
    """Why ``body`` may not give ``award``, or None: an award of the
    province level needs a body whose unit is a province, above the provinces (the national
    root, a central body) or none."""
    if award not in PROVINCE_LEVEL_AWARDS or body.unit_id is None:
        return None

    unit = body.unit
    if unit.kind == UnitKind.PROVINCE:
        return None
    step = PATH_STEP_WIDTH + len(PATH_SEPARATOR)
    ancestors = [unit.path[:end] for end in range(step, len(unit.path), step)]
    below_a_province = (
        unit.kind in BELOW_PROVINCE_KINDS
        or Unit.objects.filter(path__in=ancestors, kind=UnitKind.PROVINCE).exists()
    )
    if not below_a_province:
        return None
    return _(
        "%(body)s cannot give a %(award)s: it is given by a province's (or a higher) "
        "People's Committee or Party committee."
    ) % {"body": body.name, "award": str(AwardType(award).label)}
