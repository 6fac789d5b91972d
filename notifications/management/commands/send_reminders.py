"""``manage.py send_reminders [--now 2026-11-21T08:00]``: one reminder scan in the
foreground, delivered here (no worker, no broker), with one line per message sent."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import Delivery, DeliveryStatus
from notifications.rendering import display_date
from notifications.services import deliveries_send_all, parse_moment, reminders_scan


class Command(BaseCommand):
    help = "Run one reminder scan now (or at --now) and deliver what it writes."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="the moment to scan at, e.g. 2026-11-21T08:00 (local time); default: now",
        )

    def handle(self, *args, **options):
        try:
            now = parse_moment(options["now"]) or timezone.now()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with translation.override(settings.LANGUAGE_CODE):
            self._run(now)

    def _run(self, now):
        scan = reminders_scan(now=now, queue=False)
        ids = list(
            Delivery.objects.filter(message__created_at=scan.stamp, status=DeliveryStatus.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        deliveries_send_all(delivery_ids=ids)
        sent: dict[int, list[str]] = {}
        failed: dict[int, list[str]] = {}
        for message_id, channel, status in Delivery.objects.filter(pk__in=ids).values_list(
            "message_id", "channel", "status"
        ):
            target = sent if status == DeliveryStatus.SENT else failed
            target.setdefault(message_id, []).append(channel)
        moment = timezone.localtime(now).strftime("%H:%M %d/%m/%Y")
        self.stdout.write(
            _("Reminder scan at %(moment)s: %(count)s message(s) written.")
            % {"moment": moment, "count": scan.total}
        )
        messages = (
            scan.messages()
            .select_related("recipient", "initiative")
            .order_by("kind", "recipient__username", "pk")
        )
        for message in messages:
            recipient = message.recipient
            who = recipient.full_name or recipient.get_username()
            if recipient.email:
                who = f"{who} <{recipient.email}>"
            if message.initiative is not None:
                what = f"{message.initiative.code} “{message.initiative.title}”"
            else:
                what = _("%(count)s initiative(s)") % {
                    "count": (message.context or {}).get("count", 0)
                }
            line = " | ".join(
                [
                    who,
                    str(message.get_kind_display()),
                    what,
                    _("due %(date)s") % {"date": display_date(message.due_on)},
                    ", ".join(sorted(sent.get(message.pk, []))) or "-",
                ]
            )
            if message.pk in failed:
                line += " | " + _("not sent: %(channels)s") % {
                    "channels": ", ".join(sorted(failed[message.pk]))
                }
            self.stdout.write(line)
        self.stdout.write(
            _("Sent: %(sent)s message(s); not sent yet: %(failed)s.")
            % {"sent": len(sent), "failed": len(set(failed) - set(sent))}
        )
