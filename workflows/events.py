"""Lifecycle events, sent after the transaction that caused them commits.

Services announce what happened (``initiative_returned``, ``annual_report_submitted``...);
``notifications`` (reminders, inbox, email) and the flows subscribe to ``lifecycle_event``.
Nothing is sent when the transaction rolls back (Zulip's ``send_event_on_commit``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# Receivers get ``sender=<event name>`` and the event's keyword data (ids, never objects).
lifecycle_event = Signal()


def send_event_on_commit(event: str, **data: Any) -> None:
    transaction.on_commit(lambda: lifecycle_event.send(sender=event, **data))
