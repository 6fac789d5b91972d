"""API tokens that expire and can be revoked.

A token (DRF's ``authtoken``) works ``settings.API_TOKEN_LIFETIME_HOURS`` after it was
issued; an expired one answers 401 like an unknown one. Revoking deletes it:
``POST /api/v1/auth/logout/``, the admin action on users, ``manage.py revoke_tokens``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)


def token_expired(token: Token) -> bool:
    return token_expires_at(token) <= timezone.now()


def token_issue(*, user) -> Token:
    """The user's live token, or a fresh one when theirs has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
    return token


def tokens_revoke(*, users: QuerySet | None = None, expired_only: bool = False) -> int:
    """Delete the tokens of ``users`` (every user when None); with ``expired_only`` only
    those past their lifetime. Returns how many were deleted."""
    tokens = Token.objects.all()
    if users is not None:
        tokens = tokens.filter(user__in=users)
    if expired_only:
        cutoff = timezone.now() - dt.timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)
        tokens = tokens.filter(created__lte=cutoff)
    deleted, _by_model = tokens.delete()
    return deleted


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(_("The token has expired; ask for a new one."))
        return user, token
