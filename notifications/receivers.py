"""Lifecycle events that write notices into the outbox (``workflows.events``).

Receivers run after the causing transaction committed: whatever goes wrong here is logged and
never reaches the person who opened the cycle; the scan catches up on missed notices
(``NOTIFICATION_EVENT_WINDOW_DAYS``).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def on_lifecycle_event(sender: str, **data: Any) -> None:
    from core.models import ReviewCycle
    from documents.models import Decision

    from . import services

    try:
        if sender == "cycle_opened" and data.get("cycle_id"):
            cycle = ReviewCycle.objects.filter(pk=data["cycle_id"]).first()
            if cycle is not None:
                services.cycle_opened_notify(cycle=cycle)
        elif sender in (
            "decision_issued",
            "recognition_decision_issued",
            "nomination_commended",
        ) and data.get("decision_id"):
            decision = Decision.objects.filter(pk=data["decision_id"]).first()
            if decision is not None:
                services.notify_decision_issued(decision)
    except Exception:  # after the commit: never the caller's problem; the scan catches up
        log.exception("notifications for the %s event %r failed", sender, data)
