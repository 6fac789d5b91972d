"""Channels that carry messages: the in-app inbox, email, and whatever is added later.

A channel is a class with a ``name`` (stored on each ``Delivery``) and ``send_batch``. The
channels in use are listed by dotted path in ``settings.NOTIFICATION_CHANNELS`` (default:
in-app and email), so an SMS or chat gateway is one class and one line of settings::

    class SmsChannel(Channel):
        name = "sms"

        def reaches(self):
            return ~Q(phone="")

        def send_batch(self, messages):
            for message in messages:
                ...  # call the gateway
                yield message, None

A channel whose sending is a database write (``transactional = True``, the inbox) is claimed,
sent and marked sent in one transaction: exactly once. Any other channel is claimed
("sending"), sent, then marked sent message by message; a crash between a send and its mark
leaves that one message "sending", and the sweeper sends it again after a lease: at least once
(see ``notifications.services``).
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator, Sequence
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils.module_loading import import_string

from .models import Message


class MessageRef:
    """What a channel that does not read messages (``reads_messages = False``) gets."""

    __slots__ = ("pk",)

    def __init__(self, pk: int) -> None:
        self.pk = pk


class TransientChannelError(Exception):
    """The channel is unavailable as a whole (server down, connection lost): the messages
    not yet sent stay pending and the task retries later."""


class Channel:
    #: stored on ``Delivery.channel``; unique among the configured channels
    name: str = ""
    #: sending is a write to this database, done in the transaction that marks it sent
    transactional: bool = False
    #: ``send_batch`` reads the messages (text, recipient); False: it gets bare ids
    reads_messages: bool = True

    def reaches(self) -> Q:
        """Which users this channel can reach, as a condition on the user model."""
        return Q()

    def send_batch(self, messages: Sequence[Message]) -> Iterator[tuple[Message, str | None]]:
        """Send each message; yield ``(message, None)`` once it is sent, or
        ``(message, error)`` when this message cannot be sent (a refused address). Raise
        ``TransientChannelError`` when the channel itself is unavailable."""
        raise NotImplementedError


class InAppChannel(Channel):
    """The inbox at /notifications/ and the unread count in the page header. The message row
    is the inbox item: marking its delivery sent is what puts it in the inbox."""

    name = "inapp"
    transactional = True
    reads_messages = False

    def send_batch(self, messages: Sequence[Message]) -> Iterator[tuple[Message, str | None]]:
        for message in messages:
            yield message, None


# SMTP answers that concern one message only; anything else is the server or the network.
PERMANENT_SMTP_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPNotSupportedError)


class EmailChannel(Channel):
    """Email through Django's email backend (``EMAIL_URL``: SMTP in a deployment, the file
    or locmem backend in tests), in the recipient's language."""

    name = "email"

    def reaches(self) -> Q:
        return ~Q(email="")

    def send_batch(self, messages: Sequence[Message]) -> Iterator[tuple[Message, str | None]]:
        from .rendering import render_for_recipient

        connection = get_connection(fail_silently=False)
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientChannelError(f"{type(exc).__name__}: {exc}") from exc
        try:
            for message in messages:
                rendered = render_for_recipient(message)
                email = EmailMessage(
                    subject=rendered.subject,
                    body=f"{rendered.body}\n\n{rendered.link}\n",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[message.recipient.email],
                    headers={
                        "Auto-Submitted": "auto-generated",
                        "X-DVK-Notification": str(message.pk),
                    },
                    connection=connection,
                )
                try:
                    email.send()
                except PERMANENT_SMTP_ERRORS as exc:
                    yield message, f"{type(exc).__name__}: {exc}"
                    continue
                except smtplib.SMTPDataError as exc:
                    if exc.smtp_code >= 500:  # refused for good: this message only
                        yield message, f"SMTPDataError {exc.smtp_code}: {exc.smtp_error!r}"
                        continue
                    raise TransientChannelError(f"SMTPDataError: {exc}") from exc
                except (smtplib.SMTPException, OSError) as exc:
                    raise TransientChannelError(f"{type(exc).__name__}: {exc}") from exc
                except ValueError as exc:  # an address or header Django refuses
                    yield message, f"{type(exc).__name__}: {exc}"
                    continue
                yield message, None
        finally:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                pass


@lru_cache(maxsize=8)
def _load(paths: tuple[str, ...]) -> dict[str, Channel]:
    channels: dict[str, Channel] = {}
    for path in paths:
        channel = import_string(path)()
        if not channel.name or channel.name in channels:
            raise ValueError(f"notification channel {path} needs a unique name")
        channels[channel.name] = channel
    return channels


def get_channels() -> dict[str, Channel]:
    """The configured channels by name, in the order of ``NOTIFICATION_CHANNELS``."""
    return _load(tuple(settings.NOTIFICATION_CHANNELS))
