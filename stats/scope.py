"""Which units a user may read statistics of: their units' subtrees (one scope rule with the
rest of the product: ``workflows.takers.user_roles``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.errors import DomainError, InvalidInput
from core.models import Phase, Unit, User
from core.selectors import report_period
from workflows.takers import user_roles


class OutOfScope(DomainError):
    """A unit the user may not read, or that does not exist: answered as 404."""

    status = 404


def scope_paths(*, user: User) -> tuple[str, ...]:
    if not user.is_authenticated or not user.is_active:
        return ()
    return user_roles(user=user).scope_paths


def default_unit(*, user: User) -> Unit | None:
    """The top of the user's first subtree (the highest of their units)."""
    paths = sorted(scope_paths(user=user), key=lambda p: (len(p), p))
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
    if unit is None or not unit.path:
        raise OutOfScope(_("No such unit in your units."))
    if not any(unit.path.startswith(path) for path in scope_paths(user=user)):
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
