"""The inbox's writes: marking messages read."""

from __future__ import annotations

import logging

from django.utils import timezone

from core.models import User

from .. import selectors
from ..models import Message

log = logging.getLogger(__name__)


# --- the inbox ------------------------------------------------------------------------------


def message_mark_read(*, user: User, message: Message) -> Message:
    """The recipient has read the message (a no-op for anyone else or a second time)."""
    if message.recipient_id == user.pk and message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


def messages_mark_all_read(*, user: User) -> int:
    return (
        Message.objects.filter(pk__in=selectors.inbox(user=user).values("pk"))
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )
