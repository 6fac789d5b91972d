"""The authentication backend: Django's ``ModelBackend``, loading the signed-in user with
their unit, which every page's header shows (one query a page less)."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class UserWithUnitBackend(ModelBackend):
    def get_user(self, user_id):
        user = self._user_with_unit(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _user_with_unit(user_id):
        from .models import User

        return User._default_manager.select_related("unit").filter(pk=user_id).first()
