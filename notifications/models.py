"""The outbox: every message the movement sends, and its delivery on each channel.

A ``Message`` is written once per (recipient, kind, subject, reason, due date): the unique
constraint turns a second scan, a redelivered task or two workers racing into no-ops
(``INSERT … ON CONFLICT DO NOTHING``). Each message then gets one ``Delivery`` per channel
(email, in-app, …), also unique, which records whether it went out. Messages are written to
the database first and delivered afterwards, so a broker outage or a worker killed mid-batch
loses nothing: the sweeper (``deliver_pending``) delivers whatever is still pending.

Only ``notifications`` writes these models; other apps call ``notifications.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    # To an official of the owner unit, about one annual report (before, on and after the
    # due date).
    REPORT_DUE = "report_due", _("Annual report due")
    # To the board's secretary, from the second overdue round on: the cycle's overdue reports.
    REPORTS_OVERDUE = "reports_overdue", _("Annual reports overdue")
    # To the board's chair, once, after the evaluation deadline: the reports still missing.
    REPORTS_MISSING = "reports_missing", _("Annual reports still missing")
    # To a board member with reports to evaluate, before the evaluation deadline.
    EVALUATION_DUE = "evaluation_due", _("Evaluations due")
    # To a secretary, chair or clerk whose queue has old tasks: one a day for all of them.
    TASK_DIGEST = "task_digest", _("Tasks waiting")
    # To the chair and secretary of each board in scope, and to each owner's officials.
    CYCLE_OPENED = "cycle_opened", _("Review cycle opened")
    # To the officials of a unit named in a recognition or commendation decision.
    DECISION_ISSUED = "decision_issued", _("Decision issued")
    # To the owner's officials: their registration was accepted, returned, rejected; the
    # initiative was not recognised, or discontinued. To the responsible secretary: withdrawn.
    INITIATIVE_STATUS = "initiative_status", _("Initiative status changed")
    # A progress report (to the secretary), a visit's findings (to the owner's officials),
    # an evaluation passed to the board above (to both boards' secretaries).
    INITIATIVE_UPDATE = "initiative_update", _("Initiative update")
    # To each person who may take a task that just appeared (or became ready).
    TASK_WAITING = "task_waiting", _("Task waiting")
    # To the nominating board's secretary and chair: the awarding body decided.
    NOMINATION_DECIDED = "nomination_decided", _("Nomination decided")
    # To the chair and secretary of the cycle's board.
    CYCLE_CLOSED = "cycle_closed", _("Review cycle closed")


class Message(models.Model):
    """One message to one person. Its in-app delivery, once sent, puts it in their inbox."""

    # No index of their own: the unique key and the inbox index start with the recipient;
    # a content type alone selects nothing worth an index. (Fewer indexes: a faster scan.)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    subject_type = models.ForeignKey(
        ContentType,
        verbose_name=_("about (type)"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    subject_id = models.PositiveBigIntegerField(_("about (id)"))
    subject = GenericForeignKey("subject_type", "subject_id")
    # Which reminder of the subject this is: "before:14", "overdue:2", "owner", "daily"...
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    # The deadline the message is about (the date of the event for a notice).
    due_on = models.DateField(_("due on"))
    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    cycle = models.ForeignKey(
        "core.ReviewCycle",
        verbose_name=_("review cycle"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # What the message lists, as it was when written (the chair's missing reports...).
    context = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "subject_type", "subject_id", "reason", "due_on"],
                name="notification_message_once",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id} ({self.reason or '-'})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Claimed by a worker that is talking to a non-transactional channel (SMTP).
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One message on one channel: the delivery log."""

    # Indexed by the unique key (message, channel).
    message = models.ForeignKey(
        Message,
        verbose_name=_("message"),
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=32)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When a delivery task for it was last handed to the broker (None: never, or it failed).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # When a worker claimed it for a non-transactional channel (status "sending").
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "channel"], name="notification_delivery_once"
            ),
        ]
        indexes = [
            # The sweeper's work list stays small however long the log grows.
            models.Index(
                fields=["status", "id"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="notification_delivery_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} via {self.channel}: {self.status}"
