"""The authentication backend: Django's ``ModelBackend``, loading the signed-in user of
every request with their unit (which every page's header shows) by a query built once
(``core.compiled``)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet

from .compiled import CompiledQuery


def _user_with_unit(*, user_id: int) -> QuerySet:
    from .models import User

    return User._default_manager.select_related("unit").filter(pk=user_id)


_USER = CompiledQuery(_user_with_unit)


class UserWithUnitBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            found = _USER.objects(user_id=int(user_id))
        except (TypeError, ValueError):  # a session holding no number
            return None
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None
