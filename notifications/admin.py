"""The outbox in the admin: to look up what was sent to whom, and why it failed. Read-only:
messages are written by the scan and the lifecycle events, deliveries by the workers."""

from __future__ import annotations

from django.contrib import admin

from core.admin import LargeTableAdmin, ReadOnlyMixin

from .models import Delivery, Message


class OutboxAdmin(ReadOnlyMixin, LargeTableAdmin):
    deletable = True  # a superuser may purge old messages; nothing else changes here


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(OutboxAdmin):
    list_display = ("created_at", "recipient", "kind", "reason", "due_on", "initiative", "read_at")
    list_filter = ("kind", "due_on")
    search_fields = ("recipient__username", "recipient__full_name", "initiative__code")
    list_select_related = ("recipient", "initiative")
    raw_id_fields = ("recipient", "initiative", "cycle")
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(OutboxAdmin):
    list_display = ("id", "message", "channel", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "channel")
    search_fields = ("message__recipient__username",)
    list_select_related = ("message",)
    raw_id_fields = ("message",)
