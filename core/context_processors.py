"""``nav``: the navigation of the base layout, by the roles the user holds."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .models import BOARD_ROLES, Role
from .selectors import user_seats


@dataclass(frozen=True)
class NavItem:
    url: str
    label: str
    active: bool


def user_roles(request) -> set[str]:
    """The roles the user holds anywhere (unit roles and active board roles), from the seats
    the page reads once."""
    return user_seats(user=request.user).role_names


def _items(request) -> list[NavItem]:
    roles = user_roles(request)
    wanted = [
        ("core:home", _("Home"), True),
        ("workflows:task-list", _("My tasks"), True),
        ("workflows:initiative-list", _("Initiatives"), True),
        ("workflows:cycle-list", _("Review cycles"), bool(roles - {Role.OFFICIAL})),
        ("workflows:board-list", _("Boards"), bool(roles & {r.value for r in BOARD_ROLES})),
        ("stats:dashboard", _("Statistics"), True),
        ("workflows:decision-list", _("Decisions"), True),
        ("workflows:commendation-list", _("Commendations"), True),
        ("workflows:unit-list", _("Units"), True),
    ]
    path = request.path
    items = []
    for name, label, shown in wanted:
        if not shown:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # a page of an app not installed here
            continue
        active = path == url if url == "/" else path.startswith(url)
        items.append(NavItem(url=url, label=label, active=active))
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    return {
        "nav": SimpleLazyObject(lambda: _items(request)),
        "nav_roles": SimpleLazyObject(lambda: user_roles(request)),
    }
