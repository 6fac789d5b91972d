"""The admin extends the catalogue of unit indicators; recorded values and targets are
written through the web pages, the API and the importer (``stats.services``), so the admin
shows them read-only."""

from __future__ import annotations

from django.contrib import admin

from core.admin import LargeTableAdmin, ReadOnlyMixin

from .models import Indicator, Target, UnitIndicator


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "value_kind", "unit_kind", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["value_kind", "unit_kind", "is_active"]
    search_fields = ["code", "name", "name_en"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Recorded values and targets refer to it: retire it (not active) instead.
        return False


@admin.register(UnitIndicator)
class UnitIndicatorAdmin(ReadOnlyMixin, LargeTableAdmin):
    list_display = ["unit", "indicator", "year", "value", "recorded_by", "recorded_at"]
    list_select_related = ["unit", "indicator", "recorded_by"]
    list_filter = ["indicator", "year"]
    search_fields = ["unit__code", "unit__name"]


@admin.register(Target)
class TargetAdmin(ReadOnlyMixin, LargeTableAdmin):
    list_display = ["board", "phase", "kind", "unit_kind", "indicator", "value", "set_by"]
    list_select_related = ["board", "phase", "indicator", "set_by"]
    list_filter = ["phase", "kind"]
