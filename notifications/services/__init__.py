"""Every outgoing message, split by noun:

- ``outbox``: what is due and whom it concerns, written once (the reminder scan, the
  notices of lifecycle events);
- ``delivery``: handing the outbox to the broker, sending each delivery on its channel, the
  sweeper;
- ``inbox``: the reader's marks.
"""

from .delivery import (
    SendReport,
    deliveries_queue,
    deliveries_send,
    deliveries_send_all,
    deliveries_sweep,
)
from .inbox import message_mark_read, messages_mark_all_read
from .outbox import (
    ScanResult,
    batch_size,
    before_reason,
    cycle_opened_notify,
    max_attempts,
    notify_decision_issued,
    overdue_round,
    parse_moment,
    reminder_offsets,
    reminders_scan,
    report_reason,
)

__all__ = [
    "ScanResult",
    "SendReport",
    "batch_size",
    "before_reason",
    "cycle_opened_notify",
    "deliveries_queue",
    "deliveries_send",
    "deliveries_send_all",
    "deliveries_sweep",
    "max_attempts",
    "message_mark_read",
    "messages_mark_all_read",
    "notify_decision_issued",
    "overdue_round",
    "parse_moment",
    "reminder_offsets",
    "reminders_scan",
    "report_reason",
]
