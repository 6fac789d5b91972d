"""``/dashboard/``: the leaders' statistics for a unit's subtree and a period, with the phase
report to download (PDF, XLSX). Thin: parse the URL, call the selector, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, InvalidInput
from core.forms import CleanTextForm
from core.models import Phase, SteeringBoard, Unit, UnitKind
from core.text import refuse_control_characters

from . import presentation, reports, scope, selectors, services
from .models import Indicator, TargetKind, UnitIndicator


class DashboardForm(CleanTextForm):
    unit = forms.CharField(label=_("Unit code"), required=False, max_length=64)
    phase = forms.ModelChoiceField(
        label=_("Phase"),
        required=False,
        queryset=Phase.objects.order_by("starts_on"),
        to_field_name="code",
        empty_label=_("All time"),
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2200)


def _query(request: HttpRequest):
    form = DashboardForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None, None, None
    data = form.cleaned_data if request.GET else {}
    try:
        unit = scope.visible_unit(user=request.user, code=data.get("unit") or None)
    except scope.OutOfScope as error:
        raise Http404(str(error)) from error
    phase = data.get("phase")
    year = data.get("year")
    try:
        scope.resolve_period(phase_code=phase.code if phase else None, year=year)
    except InvalidInput as error:
        form.add_error("year", str(error))
        return form, unit, None, None
    return form, unit, phase, year


def _ancestors_in_scope(request: HttpRequest, unit: Unit) -> list[Unit]:
    paths = scope.scope_paths(user=request.user)
    steps = [step for step in unit.path.split("/") if step]
    ids = [int(step, 16) for step in steps[:-1]]
    # The unit itself too, so the root's page runs the same query as any other.
    above = {u.pk: u for u in Unit.objects.filter(Q(pk__in=ids) | Q(pk=unit.pk))}
    return [
        above[pk]
        for pk in ids
        if pk in above and (paths is None or any(above[pk].path.startswith(p) for p in paths))
    ]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, unit, phase, year = _query(request)
    context = {"form": form, "unit": unit}
    if form.is_bound and form.errors:
        return render(request, "stats/dashboard.html", context, status=400)
    if unit is None:
        raise Http404
    statistics = selectors.movement_statistics(unit=unit, phase=phase, year=year)
    query = {"unit": unit.code}
    if phase:
        query["phase"] = phase.code
    if year:
        query["year"] = year
    encoded = urlencode(query)
    context.update(
        {
            "statistics": statistics,
            "tables": {t.key: t for t in presentation.tables(statistics)},
            "heading": presentation.heading(statistics),
            "ancestors": _ancestors_in_scope(request, unit),
            "children": selectors.child_units(unit=unit),
            "query": encoded,
            "pdf_url": f"{reverse('stats:report-pdf')}?{encoded}",
            "xlsx_url": f"{reverse('stats:report-xlsx')}?{encoded}",
            "period_query": "&".join(
                part for part in encoded.split("&") if not part.startswith("unit=")
            ),
        }
    )
    return render(request, "stats/dashboard.html", context)


def _report_file(request: HttpRequest, kind: str) -> HttpResponse:
    form, unit, phase, year = _query(request)
    if unit is None or (form.is_bound and form.errors):
        raise Http404
    if kind == "pdf":
        body = reports.render_pdf(unit=unit, phase=phase, year=year)
        content_type = "application/pdf"
    else:
        body = reports.render_xlsx(unit=unit, phase=phase, year=year)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    period = phase.code if phase else (str(year) if year else "all")
    if phase and year:
        period = f"{phase.code}-{year}"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="bao-cao-{unit.code}-{period}.{kind}"'
    return response


@login_required
def report_pdf(request: HttpRequest) -> HttpResponse:
    return _report_file(request, "pdf")


@login_required
def report_xlsx(request: HttpRequest) -> HttpResponse:
    return _report_file(request, "xlsx")


# --- targets and indicators -------------------------------------------------------------------


class TargetForm(CleanTextForm):
    phase = forms.ModelChoiceField(
        label=_("Phase"), queryset=Phase.objects.order_by("starts_on"), to_field_name="code"
    )
    kind = forms.ChoiceField(label=_("Kind of target"), choices=TargetKind.choices)
    unit_kind = forms.ChoiceField(
        label=_("Kind of unit"), required=False, choices=[("", _("Any")), *UnitKind.choices]
    )
    indicator = forms.ModelChoiceField(
        label=_("Indicator"),
        required=False,
        queryset=Indicator.objects.filter(is_active=True),
        to_field_name="code",
    )
    value = forms.DecimalField(
        label=_("Target value"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("A percentage for shares, a number for counts."),
    )


class IndicatorForm(CleanTextForm):
    unit = forms.CharField(label=_("Unit code"), max_length=64)
    indicator = forms.ModelChoiceField(
        label=_("Indicator"),
        queryset=Indicator.objects.filter(is_active=True),
        to_field_name="code",
    )
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2200)
    value = forms.DecimalField(
        label=_("Value"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("1 for yes and 0 for no; else the number."),
    )


def _visible_or_404(request: HttpRequest, code: str | None) -> Unit:
    try:
        # A form field's checks (length, no control character) before the code reaches SQL.
        field = forms.CharField(max_length=64, required=False)
        field.validators.append(refuse_control_characters)
        code = field.clean(code)
        return scope.visible_unit(user=request.user, code=code or None)
    except (forms.ValidationError, scope.OutOfScope) as error:
        raise Http404(str(error)) from error


@login_required
@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    """The phase's targets of a unit's board, each with its measure; its secretary or chair
    sets them."""
    unit = _visible_or_404(request, request.GET.get("unit"))
    board = SteeringBoard.objects.filter(unit=unit).first()
    may_set = board is not None and services.may_set_targets(user=request.user, board=board)
    form = TargetForm(request.POST or None)
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.target_set(
                    actor=request.user,
                    board=board,
                    phase=data["phase"],
                    kind=data["kind"],
                    value=data["value"],
                    unit_kind=data["unit_kind"],
                    indicator=data["indicator"],
                )
            except DomainError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("The target is set."))
                return redirect(f"{reverse('stats:targets')}?unit={unit.code}")
    rows = []
    for phase in Phase.objects.filter(targets__board=board).distinct().order_by("starts_on"):
        statistics = selectors.movement_statistics(unit=unit, phase=phase)
        table = {t.key: t for t in presentation.tables(statistics, charts_on=False)}["targets"]
        rows.append({"phase": phase, "table": table})
    return render(
        request,
        "stats/targets.html",
        {"unit": unit, "board": board, "may_set": may_set, "form": form, "phases": rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
def indicators(request: HttpRequest) -> HttpResponse:
    """A unit's recorded indicators; its officials (or a board above it) record them."""
    unit = _visible_or_404(request, request.GET.get("unit"))
    form = IndicatorForm(request.POST or None, initial={"unit": unit.code})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target_unit = _visible_or_404(request, data["unit"])
        try:
            services.indicator_record(
                actor=request.user,
                unit=target_unit,
                indicator=data["indicator"],
                year=data["year"],
                value=data["value"],
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The indicator is recorded."))
            return redirect(f"{reverse('stats:indicators')}?unit={target_unit.code}")
    values = (
        UnitIndicator.objects.filter(unit=unit)
        .select_related("indicator")
        .order_by("-year", "indicator__position")
    )
    return render(
        request,
        "stats/indicators.html",
        {
            "unit": unit,
            "values": values,
            "form": form,
            "may_record": services.may_record_indicators(user=request.user, unit=unit),
        },
    )
