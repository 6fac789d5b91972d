from __future__ import annotations

from collections.abc import Callable
from functools import total_ordering

from . import selectors


@total_ordering
class LazyCount:
    """A number counted the first time a template uses it (``{{ }}``, ``{% if %}``)."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count
        self._value: int | None = None

    @property
    def value(self) -> int:
        if self._value is None:
            self._value = self._count()
        return self._value

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def __bool__(self) -> bool:
        return self.value > 0

    def __str__(self) -> str:
        return str(self.value)

    def __eq__(self, other: object) -> bool:
        return self.value == (int(other) if isinstance(other, LazyCount) else other)

    def __lt__(self, other: object) -> bool:
        return self.value < (int(other) if isinstance(other, LazyCount) else other)

    def __hash__(self) -> int:
        return hash(self.value)


def unread_count(request):
    """``notifications_unread``: the user's unread inbox count for the page header, counted
    (one query) only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}
    return {"notifications_unread": LazyCount(lambda: selectors.unread_count(user=user))}
