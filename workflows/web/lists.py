"""The web lists: initiatives, decisions, commendations, units and review cycles. Each one is
scoped by a selector to the user's subtree, then searched (``q``), filtered, sorted, paged
and exported by ``core.listing``."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from viewflow.workflow.models import Task

from core import listing
from core.forms import CleanTextForm
from core.models import (
    AwardType,
    CycleStatus,
    IssuingBody,
    RecipientKind,
    Role,
    SteeringBoard,
    Unit,
    UnitKind,
)
from core.search import search, search_initiatives
from documents.models import DecisionKind, DecisionStatus
from workflows import selectors
from workflows.takers import PROCESS

from . import forms as f
from . import tables as t
from .views import _due_dates, _lifecycle

UNIT_PICKER_SIZE = 20
# The task list's sortable columns (the default is oldest first, by keyset; a sorted list
# pages by offset). The due date is an expression, ordered by selectors.task_ids_by_due.
TASK_SORTS = {
    "code": (gettext_lazy("Initiative"), (f"{PROCESS}initiative__code",)),
    "unit": (gettext_lazy("Unit"), (f"{PROCESS}unit__name",)),
    "due": (gettext_lazy("Due"), ()),
    "since": (gettext_lazy("Since"), ("created",)),
}
TASK_SEARCH = (
    f"{PROCESS}initiative__code",
    f"{PROCESS}initiative__title",
    f"{PROCESS}initiative__owner_name",
    f"{PROCESS}unit__name",
)


def _unit_field() -> forms.CharField:
    return forms.CharField(
        label=gettext_lazy("Unit (and the units below it)"),
        required=False,
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "list": "unit-options",
                "autocomplete": "off",
                "placeholder": gettext_lazy("Type a unit's name or code"),
                "hx-get": "/units/options/",
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#unit-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )


def _year_field() -> forms.IntegerField:
    return forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        min_value=1990,
        max_value=2100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _unit_path(code: str) -> str | None:
    return Unit.objects.filter(code=code).values_list("path", flat=True).first()


def _unit_notice(code: str) -> str:
    return _("No unit has the code “%(code)s”; nothing is listed.") % {"code": code}


def _in_subtree(queryset, code: str, lookup: str, state):
    """``queryset`` cut to the subtree of the unit ``code`` (``lookup``: the path field to
    match); an unknown code lists nothing and says so."""
    path = _unit_path(code.strip())
    if path is None:
        state.notices.append(_unit_notice(code))
        return queryset.none()
    return queryset.filter(**{f"{lookup}__startswith": path})


def _render_list(
    request: HttpRequest,
    *,
    table,
    state,
    controls,
    filter_form,
    template: str,
    export_name: str,
    **extra,
) -> HttpResponse:
    response = listing.export_response(request, table, name=export_name)
    if response is not None:
        return response
    listing.configure(request, table, state)
    return render(
        request,
        template,
        listing.list_context(
            request, table, state, controls=controls, filter_form=filter_form, **extra
        ),
    )


# --- initiatives ----------------------------------------------------------------------------


class InitiativeListForm(f.InitiativeFilterForm):
    """The initiative list's filters: the existing ones (status, field, phase, kind and those
    the statistics' links carry) plus the unit picker and the year of registration."""

    unit = _unit_field()
    year = _year_field()

    def filters(self) -> dict:
        filters = super().filters()
        data = self.cleaned_data if self.is_valid() else {}
        filters["unit"] = (data.get("unit") or "").strip() or None
        return filters


@login_required
def initiative_list(request: HttpRequest) -> HttpResponse:
    controls, state = listing.list_controls(request)
    form = InitiativeListForm(request.GET or None)
    state.notices += listing.filter_notices(form)
    filters = form.filters() if request.GET else {}
    if filters.get("unit") and _unit_path(filters["unit"]) is None:
        state.notices.append(_unit_notice(filters["unit"]))
    initiatives = selectors.initiative_list(user=request.user, **filters)
    year = form.cleaned_data.get("year") if form.is_bound and form.is_valid() else None
    if year:
        initiatives = initiatives.filter(registered_on__year=year)
    initiatives = search_initiatives(initiatives, state.q)
    table = t.InitiativeTable(initiatives.order_by("-registered_on", "-pk"))
    return _render_list(
        request,
        table=table,
        state=state,
        controls=controls,
        filter_form=form,
        template="workflows/initiative_list.html",
        export_name="mo-hinh",
        search_hint=_("Code, title, owner or unit"),
    )


# --- decisions ------------------------------------------------------------------------------


class DecisionFilterForm(CleanTextForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=listing.any_of(DecisionStatus.choices),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=listing.any_of(DecisionKind.choices)
    )
    year = _year_field()
    unit = _unit_field()


@login_required
def decision_list(request: HttpRequest) -> HttpResponse:
    controls, state = listing.list_controls(request)
    form = DecisionFilterForm(request.GET or None)
    state.notices += listing.filter_notices(form)
    decisions = selectors.decisions_for_user(user=request.user).prefetch_related(None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("status"):
        decisions = decisions.filter(status=data["status"])
    if data.get("kind"):
        decisions = decisions.filter(kind=data["kind"])
    if data.get("year"):
        decisions = decisions.filter(year=data["year"])
    if data.get("unit"):
        decisions = _in_subtree(decisions, data["unit"], "issuer__unit__path", state)
    decisions = search(decisions, state.q, ("number", "title", "issuer__name"))
    table = t.DecisionTable(decisions.order_by("-issued_on", "-pk"))
    return _render_list(
        request,
        table=table,
        state=state,
        controls=controls,
        filter_form=form,
        template="workflows/decision_list.html",
        export_name="quyet-dinh",
        search_hint=_("Number, subject or issuing body"),
    )


# --- commendations --------------------------------------------------------------------------


class CommendationFilterForm(CleanTextForm):
    award = forms.ChoiceField(
        label=gettext_lazy("Award"), required=False, choices=listing.any_of(AwardType.choices)
    )
    recipient_kind = forms.ChoiceField(
        label=gettext_lazy("Recipient kind"),
        required=False,
        choices=listing.any_of(RecipientKind.choices),
    )
    issuer = forms.ModelChoiceField(
        label=gettext_lazy("Issuing body"),
        required=False,
        empty_label=listing.ANY_LABEL,
        queryset=IssuingBody.objects.none(),
    )
    year = _year_field()
    unit = _unit_field()

    def __init__(self, *args, issuers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers


@login_required
def commendation_list(request: HttpRequest) -> HttpResponse:
    """The register of commendations (sổ theo dõi khen thưởng) of the user's units: filter
    by issuing body and year for one body's register of one year."""
    controls, state = listing.list_controls(request)
    commendations = selectors.commendations_for_user(user=request.user)
    issuers = IssuingBody.objects.filter(
        pk__in=commendations.order_by().values("issuer_id")
    ).order_by("name")
    form = CommendationFilterForm(request.GET or None, issuers=issuers)
    state.notices += listing.filter_notices(form)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("award"):
        commendations = commendations.filter(award=data["award"])
    if data.get("recipient_kind"):
        commendations = commendations.filter(recipient_kind=data["recipient_kind"])
    if data.get("issuer"):
        commendations = commendations.filter(issuer=data["issuer"])
    if data.get("year"):
        commendations = commendations.filter(decision_date__year=data["year"])
    if data.get("unit"):
        commendations = _in_subtree(commendations, data["unit"], "unit__path", state)
    commendations = search(
        commendations,
        state.q,
        ("recipient_name", "unit__name", "issuer__name", "decision_number", "initiative__code"),
    )
    table = t.CommendationTable(commendations.order_by("-decision_date", "-pk"))
    return _render_list(
        request,
        table=table,
        state=state,
        controls=controls,
        filter_form=form,
        template="workflows/commendation_list.html",
        export_name="khen-thuong",
        search_hint=_("Recipient, unit, issuing body or decision"),
    )


# --- units ----------------------------------------------------------------------------------


class UnitFilterForm(CleanTextForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=listing.any_of(UnitKind.choices)
    )
    unit = _unit_field()
    current = forms.BooleanField(label=gettext_lazy("Current units only"), required=False)


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    controls, state = listing.list_controls(request)
    form = UnitFilterForm(request.GET or None)
    state.notices += listing.filter_notices(form)
    units = selectors.units_for_user(user=request.user).select_related("parent")
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("kind"):
        units = units.filter(kind=data["kind"])
    if data.get("current"):
        units = units.filter(valid_to__isnull=True)
    if data.get("unit"):
        units = _in_subtree(units, data["unit"], "path", state)
    units = search(units, state.q, ("code", "name"))
    table = t.UnitTable(units.order_by("path"))
    return _render_list(
        request,
        table=table,
        state=state,
        controls=controls,
        filter_form=form,
        template="workflows/unit_list.html",
        export_name="don-vi",
        search_hint=_("Name or code"),
    )


@login_required
def unit_options(request: HttpRequest) -> HttpResponse:
    """The unit picker's suggestions (htmx): the user's units whose name or code matches what
    was typed, shallowest first."""
    typed = (request.GET.get("unit") or request.GET.get("q") or "").strip()[:100]
    units = selectors.units_for_user(user=request.user)
    units = search(units, typed, ("code", "name")) if typed else units
    units = units.order_by("depth", "name")[:UNIT_PICKER_SIZE]
    return render(request, "workflows/_unit_options.html", {"units": units})


# --- review cycles --------------------------------------------------------------------------


class CycleFilterForm(CleanTextForm):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=listing.any_of(CycleStatus.choices)
    )
    year = _year_field()


def _secretary_board_ids(user) -> set[int]:
    """The active boards the user is secretary of (who may set up a cycle)."""
    return set(
        SteeringBoard.objects.filter(
            members__user=user, members__role=Role.SECRETARY, is_active=True
        ).values_list("pk", flat=True)
    )


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    controls, state = listing.list_controls(request)
    form = CycleFilterForm(request.GET or None)
    state.notices += listing.filter_notices(form)
    cycles = selectors.cycles_for_user(user=request.user).annotate(
        report_count=Count("annual_reports")
    )
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if data.get("status"):
        cycles = cycles.filter(status=data["status"])
    if data.get("year"):
        cycles = cycles.filter(year=data["year"])
    cycles = search(cycles, state.q, ("board__name", "board__unit__name"))
    table = t.CycleTable(cycles.order_by("-year", "board__name", "pk"))
    secretary_of = _secretary_board_ids(request.user)
    return _render_list(
        request,
        table=table,
        state=state,
        controls=controls,
        filter_form=form,
        template="workflows/cycle_list.html",
        export_name="dot-binh-xet",
        search_hint=_("Board or unit"),
        secretary_of=secretary_of,
    )


# --- my tasks -------------------------------------------------------------------------------


def _task_rows(user, tasks) -> list[dict]:
    due = _due_dates(tasks)
    return [
        {
            "task": task,
            "process": _lifecycle(task),
            "due": due.get(task.pk),
            "mine": task.owner_id == user.pk,
        }
        for task in tasks
    ]


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """My inbox and the queue I may take from, grouped by kind of task; searched by the
    initiative's code, title, owner or unit, and exported."""
    controls, state = listing.list_controls(request)
    user = request.user
    sort = listing.sort_choice(request, state, TASK_SORTS)
    fmt = request.GET.get("export", "")
    # The first page of the plain list is read by keyset (below); the other forms of the
    # list page on the ids, which cost the user's roles to build, so only they build them.
    if state.q or sort.order or fmt:
        ids = selectors.task_ids_for_user(user=user)
    if state.q:
        found = search(Task.objects.filter(pk__in=ids), state.q, TASK_SEARCH)
        ids = found.order_by("created", "pk").values_list("pk", flat=True)
    if sort.key.removeprefix("-") == "due":
        ids = selectors.task_ids_by_due(ids=ids, descending=sort.key.startswith("-"))
    elif sort.order:
        ids = Task.objects.filter(pk__in=ids).order_by(*sort.order).values_list("pk", flat=True)
    if fmt:
        refused = listing.export_format_error(fmt) or listing.too_many_rows(ids.count())
        if refused is not None:
            return refused
        rows = _task_rows(user, selectors.tasks_by_ids(list(ids)))
        return listing.rows_response(
            fmt,
            [_("Task"), _("Code"), _("Initiative"), _("Unit"), _("Due"), _("Since")],
            (
                [
                    str(row["task"].flow_task.task_title),
                    row["process"].initiative.code if row["process"].initiative else "",
                    row["process"].initiative.title if row["process"].initiative else "",
                    row["process"].unit.name if row["process"].unit else "",
                    row["due"],
                    row["task"].created,
                ]
                for row in rows
            ),
            name="viec-cua-toi",
        )
    after = None
    if state.q or sort.order:
        page = listing.paginate(request, ids, state)
        page_ids = list(page.object_list)
    else:
        # Keyset paging with a capped count: the same few queries for a queue of 15,000.
        after = request.GET.get("after") or None
        page = selectors.task_page(user=user, after=after, size=state.per_page)
        page_ids = page.ids
    groups: dict[str, list] = {}
    for row in _task_rows(user, selectors.tasks_by_ids(page_ids)):
        groups.setdefault(str(row["task"].flow_task.task_title), []).append(row)
    return render(
        request,
        "workflows/task_list.html",
        {
            "page": page,
            "after": after,
            "keyset": not (state.q or sort.order),
            "groups": list(groups.items()),
            "sort": sort,
            "controls": controls,
            "notices": state.notices,
            "per_page": state.per_page,
            "per_page_choices": listing.PER_PAGE_CHOICES,
            "export": listing.export_links(request),
            "query": listing.page_query(request),
            "search_hint": _("Code, title, owner or unit"),
        },
    )
