"""The Django admin for the movement's data, in Vietnamese (English msgids, locale/vi).

Thin: it edits reference data and corrects records. Tree paths are the service's job
(``units_rebuild_paths``); an initiative's status and history change only through the
workflow, so the admin shows them read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .forms import CleanTextModelForm
from .models import (
    BoardMember,
    Commendation,
    Criterion,
    Field,
    Initiative,
    InitiativeStatusChange,
    IssuingBody,
    Phase,
    ReviewCycle,
    SteeringBoard,
    Unit,
    UnitRole,
    User,
)
from .selectors import scope_filter, scope_paths
from .services import board_members_changed, units_rebuild_paths
from .tallies import initiative_tallies_add
from .tokens import tokens_revoke

admin.site.site_header = _("Administration of the “Dân vận khéo” emulation movement")
admin.site.site_title = _("“Dân vận khéo” administration")
admin.site.index_title = _("Administration")


# Where each model's tree path is: the admin shows and links a non-superuser only the rows
# of their scope (core.selectors.scope_paths, the rule the web, the API and the documents
# follow). A model not listed here is reference data (fields, phases) or personal data
# read through its owner.
SCOPE_LOOKUPS = {
    "core.unit": "path",
    "core.user": "unit__path",
    "core.steeringboard": "unit__path",
    "core.reviewcycle": "board__unit__path",
    "core.initiative": "owner_unit__path",
    "core.initiativestatuschange": "initiative__owner_unit__path",
    "core.issuingbody": "unit__path",
    "core.commendation": "unit__path",
    "core.unitrole": "unit__path",
    "core.boardmember": "board__unit__path",
    "notifications.message": "recipient__unit__path",
    "notifications.delivery": "message__recipient__unit__path",
    "stats.unitindicator": "unit__path",
    "stats.target": "board__unit__path",
}


def scoped(queryset, request):
    """``queryset`` cut to the requesting user's scope, when its model lives in the tree."""
    lookup = SCOPE_LOOKUPS.get(queryset.model._meta.label_lower)
    if lookup is None:
        return queryset
    return queryset.filter(scope_filter(user=request.user, lookup=lookup))


class ScopedAdminMixin:
    """Staff status opens the admin, not the country: every changelist, change page and
    foreign-key choice of a non-superuser is cut to their subtree; an id outside it answers
    like an unknown one. Its forms refuse control characters like every other form."""

    form = CleanTextModelForm

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request)
        return field


class LargeTableAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """A changelist of national size (100,000 units, 500,000 initiatives): no COUNT(*) of
    the whole table on every filtered page."""

    show_full_result_count = False
    list_per_page = 50


# --- Units ----------------------------------------------------------------------------------
class UnitAdminForm(CleanTextModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "parent", "successor", "valid_from", "valid_to"]

    def clean(self):
        cleaned = super().clean()
        tree_parent = cleaned.get("successor") or cleaned.get("parent")
        unit = self.instance
        # The tree follows the successor first, then the parent: neither may hang the unit
        # under itself or under a unit of its own subtree.
        if unit.pk and tree_parent is not None and tree_parent.is_in_subtree_of(unit):
            raise forms.ValidationError(
                _("A unit cannot be placed under itself or under a unit below it.")
            )
        return cleaned


@admin.register(Unit)
class UnitAdmin(LargeTableAdmin):
    form = UnitAdminForm
    list_display = [
        "code",
        "name",
        "kind",
        "parent",
        "successor",
        "depth",
        "valid_from",
        "valid_to",
    ]
    list_select_related = ["parent", "successor"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "successor"]
    readonly_fields = ["depth", "path"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind"]}),
        (_("Place in the tree"), {"fields": ["parent", "successor", "depth", "path"]}),
        (_("Validity"), {"fields": ["valid_from", "valid_to"]}),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or {"parent", "successor"} & set(form.changed_data):
            units_rebuild_paths()
            obj.refresh_from_db(fields=["path", "depth"])


# --- People and boards ----------------------------------------------------------------------
class UnitRoleInline(ScopedAdminMixin, admin.TabularInline):
    model = UnitRole
    raw_id_fields = ["unit"]
    extra = 0


class BoardMembersFollowMixin:
    """Board seats edited here change who evaluates: announce the boards whose members
    changed (``core.services.board_members_changed``), so evaluation tasks follow."""

    def save_formset(self, request, form, formset, change):
        formset.save()
        if formset.model is BoardMember:
            changed = [
                *formset.new_objects,
                *formset.deleted_objects,
                *(member for member, _fields in formset.changed_objects),
            ]
            if changed:
                board_members_changed(board_ids={member.board_id for member in changed})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if isinstance(form.instance, SteeringBoard) and "is_active" in form.changed_data:
            board_members_changed(board_ids={form.instance.pk})


class UserBoardMemberInline(ScopedAdminMixin, admin.TabularInline):
    model = BoardMember
    raw_id_fields = ["board"]
    extra = 0


@admin.register(User)
class UserAdmin(BoardMembersFollowMixin, ScopedAdminMixin, DjangoUserAdmin):
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("Movement"), {"fields": ["full_name", "unit", "language"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("Movement"), {"fields": ["full_name", "unit", "language"]}),
    ]
    list_display = ["username", "full_name", "unit", "email", "is_staff", "is_active"]
    list_select_related = ["unit"]
    search_fields = ["username", "full_name", "email"]

    actions = ["revoke_api_tokens"]

    @admin.action(description=_("Revoke the API tokens of the selected users"))
    def revoke_api_tokens(self, request, queryset):
        count = tokens_revoke(users=queryset)
        self.message_user(request, _("%(count)d API tokens revoked.") % {"count": count})

    def get_readonly_fields(self, request, obj=None):
        # Only the operator makes staff, superusers or grants permissions.
        fields = list(super().get_readonly_fields(request, obj))
        if scope_paths(user=request.user) is not None:
            fields += ["is_staff", "is_superuser", "groups", "user_permissions"]
        return fields

    raw_id_fields = ["unit"]
    inlines = [UnitRoleInline, UserBoardMemberInline]


class BoardMemberInline(ScopedAdminMixin, admin.TabularInline):
    model = BoardMember
    raw_id_fields = ["user"]
    extra = 0


@admin.register(SteeringBoard)
class SteeringBoardAdmin(BoardMembersFollowMixin, LargeTableAdmin):
    list_display = ["name", "unit", "quorum", "is_active"]
    list_select_related = ["unit"]
    list_filter = ["is_active", "unit__kind"]
    search_fields = ["name", "unit__code", "unit__name"]
    raw_id_fields = ["unit"]
    inlines = [BoardMemberInline]


# --- Catalogues and review cycles -----------------------------------------------------------
@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "starts_on", "ends_on"]
    search_fields = ["code", "name"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


@admin.register(ReviewCycle)
class ReviewCycleAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "board",
        "year",
        "phase",
        "status",
        "report_due",
        "evaluation_due",
        "decision_due",
    ]
    list_select_related = ["board", "phase"]
    list_filter = ["status", "phase", "year"]
    search_fields = ["board__name", "board__unit__code"]
    raw_id_fields = ["board"]
    inlines = [CriterionInline]


# --- Initiatives and their history ----------------------------------------------------------
class ReadOnlyMixin:
    """Rows that only the services write (history, the outbox, recorded indicators and
    targets): the admin shows them and adds or edits none, superusers included. History is
    append-only, so nothing is deleted either unless a subclass says ``deletable = True``."""

    deletable = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


class HistoryInline(ReadOnlyMixin, admin.TabularInline):
    model = InitiativeStatusChange
    fields = ["at", "from_status", "to_status", "actor", "reason", "source"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Initiative)
class InitiativeAdmin(LargeTableAdmin):
    list_display = ["code", "title", "owner_unit", "kind", "phase", "status", "registered_on"]
    list_select_related = ["owner_unit", "phase"]
    list_filter = ["status", "kind", "phase", "fields"]
    search_fields = ["code", "title"]
    filter_horizontal = ["fields"]
    raw_id_fields = ["owner_unit", "replicated_from"]
    # The status moves only through the workflow, which writes the history line with it.
    readonly_fields = ["status", "created_at", "updated_at"]
    inlines = [HistoryInline]

    # The owner unit, kind, date and fields are counted in the tallies (``core.tallies``):
    # out before the change (the fields are saved after the row), in once it is saved.
    def save_model(self, request, obj, form, change):
        if change:
            initiative_tallies_add(initiative_ids=[obj.pk], sign=-1)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        initiative_tallies_add(initiative_ids=[form.instance.pk])

    def delete_model(self, request, obj):
        initiative_tallies_add(initiative_ids=[obj.pk], sign=-1)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        initiative_tallies_add(initiative_ids=list(queryset.values_list("pk", flat=True)), sign=-1)
        super().delete_queryset(request, queryset)


@admin.register(InitiativeStatusChange)
class InitiativeStatusChangeAdmin(ReadOnlyMixin, LargeTableAdmin):
    list_display = ["initiative", "from_status", "to_status", "actor", "at", "source"]
    list_select_related = ["initiative", "actor"]
    list_filter = ["to_status", "source"]
    search_fields = ["initiative__code"]


# --- Issuing bodies and commendations -------------------------------------------------------
@admin.register(IssuingBody)
class IssuingBodyAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "abbreviation", "unit"]
    list_select_related = ["unit"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "abbreviation"]
    raw_id_fields = ["unit"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a new body starts with its kind's legal bases
            from documents.services import legal_bases_create_defaults

            legal_bases_create_defaults(issuers=[obj])


@admin.register(Commendation)
class CommendationAdmin(LargeTableAdmin):
    list_display = [
        "recipient_name",
        "recipient_kind",
        "award",
        "unit",
        "issuer",
        "decision_number",
        "decision_date",
    ]
    list_select_related = ["unit", "issuer"]
    list_filter = ["award", "recipient_kind", "phase"]
    search_fields = ["recipient_name", "decision_number"]
    raw_id_fields = ["unit", "initiative"]
