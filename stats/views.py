"""``/dashboard/``: the leaders' statistics for a unit's subtree and a period, with the phase
report to download (PDF, XLSX). Thin: parse the URL, call the selector, render."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from core.models import Phase, Unit

from . import presentation, reports, scope, selectors


class DashboardForm(forms.Form):
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
    above = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    return [
        above[pk]
        for pk in ids
        if pk in above and any(above[pk].path.startswith(path) for path in paths)
    ]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, unit, phase, year = _query(request)
    if unit is None:
        raise Http404
    context = {"form": form, "unit": unit}
    if form.is_bound and form.errors:
        return render(request, "stats/dashboard.html", context, status=400)
    statistics = selectors.movement_statistics(unit=unit, phase=phase, year=year)
    query = {"unit": unit.code}
    if phase:
        query["phase"] = phase.code
    if year:
        query["year"] = year
    from urllib.parse import urlencode

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
