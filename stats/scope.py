"""Which units a user may read statistics of: their units' subtrees, the whole tree for a
superuser (the product's one scope rule: ``core.selectors.scope_paths``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core import selectors as core_selectors
from core.errors import DomainError, InvalidInput
from core.models import Phase, Unit, User
from core.selectors import report_period


class OutOfScope(DomainError):
    """A unit the user may not read, or that does not exist: answered as 404."""

    status = 404


def scope_paths(*, user: User) -> tuple[str, ...] | None:
    """The covering paths the user may see; ``None``: the whole tree."""
    return core_selectors.scope_paths(user=user)


def default_unit(*, user: User) -> Unit | None:
    """The top of the user's first subtree (the highest of their units); for a superuser,
    the first root of the tree."""
    paths = scope_paths(user=user)
    if paths is None:
        return Unit.objects.filter(depth=0).exclude(path="").order_by("path").first()
    paths = sorted(paths, key=lambda p: (len(p), p))
    if not paths:
        return None
    return Unit.objects.filter(path=paths[0]).first()


def visible_unit(*, user: User, code: str | None) -> Unit:
    """The unit of ``code`` (the user's default without one) when it lies in the user's
    subtree; anything else is ``OutOfScope``."""
    if not code:
        unit = default_unit(user=user)
    else:
        unit = Unit.objects.filter(code=code).first()
    if unit is None or not unit.path or not core_selectors.unit_in_scope(user=user, unit=unit):
        raise OutOfScope(_("No such unit in your units."))
    return unit


def resolve_period(*, phase_code: str | None, year: int | None) -> tuple[Phase | None, int | None]:
    phase = None
    if phase_code:
        phase = Phase.objects.filter(code=phase_code).first()
        if phase is None:
            raise InvalidInput(_("Unknown phase: %(phase)s") % {"phase": phase_code})
    report_period(phase=phase, year=year)  # refuses a year outside the phase
    return phase, year
