"""Rules on the movement's data that more than one way in checks (the registration service
behind the web and the API, and the importers): each lives here once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _


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
