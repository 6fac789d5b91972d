"""Server-rendered pages for the lifecycle: queues, initiatives and the task forms.

Thin views: they parse a form, call ``workflows.tasks_layer`` (which completes the same
viewflow task the API completes) or a selector, and render. Everything a user can reach is
scoped by the selectors to their subtree: anything outside it answers 404. A refused step
(``core.errors``) shows its message and changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.errors import DomainError
from core.models import Initiative, ReviewCycle, Role, SteeringBoard, UnitRole
from workflows import selectors, services, tasks_layer
from workflows.models import AnnualReport, Evaluation

from . import forms as f

PAGE_SIZE = 25

# What each task asks for and what completing it does, in the user's words.
TASK_TITLES = {
    "review": gettext_lazy("Review a registration"),
    "resubmit": gettext_lazy("Edit and resubmit a returned registration"),
    "report": gettext_lazy("Submit the annual report"),
    "evaluate": gettext_lazy("Evaluate an annual report"),
    "close": gettext_lazy("Close the evaluation"),
    "decide": gettext_lazy("Decide on recognition"),
    "recognition_decision": gettext_lazy("Issue the recognition decision"),
    "commend": gettext_lazy("Issue the commendation decision"),
}
TASK_EFFECTS = {
    "review": gettext_lazy(
        "Accepting puts the initiative under monitoring (status “monitored”). Returning sends "
        "it back to the owner unit's official with your reason, to edit and resubmit. "
        "Rejecting ends it for good."
    ),
    "resubmit": gettext_lazy(
        "Your changes are saved and the registration goes back to the board secretary's "
        "queue for review."
    ),
    "report": gettext_lazy(
        "The report is sent to the board: each board member who is not recused gets a task "
        "to evaluate it."
    ),
    "evaluate": gettext_lazy(
        "Your scores are saved (the weighted score is computed from the weights below) and "
        "count towards the initiative's result. You cannot change them afterwards."
    ),
    "close": gettext_lazy(
        "The result becomes the mean of the submitted weighted scores; the initiative becomes "
        "“evaluated” and the chair gets the decision. Evaluations not yet submitted are "
        "cancelled."
    ),
    "decide": gettext_lazy(
        "Recognised initiatives go into the cycle's recognition decision, issued by the "
        "clerk. Not recognised ones go back to monitoring."
    ),
    "recognition_decision": gettext_lazy(
        "This step is done by the documents service; it is not yet available on this page."
    ),
    "commend": gettext_lazy(
        "This step is done by the documents service; it is not yet available on this page."
    ),
}


def _lifecycle(task: Task):
    return task.process.lifecycleprocess


def _due_dates(tasks: list[Task]) -> dict[int, object]:
    """The due date of each task, in one query for the page's annual reports."""
    report_ids = {_lifecycle(t).annual_report_id for t in tasks} - {None}
    reports = {
        r.pk: r for r in AnnualReport.objects.filter(pk__in=report_ids).select_related("cycle")
    }
    due = {}
    for task in tasks:
        report = reports.get(_lifecycle(task).annual_report_id)
        if report is None:
            continue
        name = task.flow_task.name
        due[task.pk] = (
            report.due_on
            if name == "report"
            else report.cycle.evaluation_due
            if name in ("evaluate", "close")
            else report.cycle.decision_due
        )
    return due


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """My inbox and the queue I may take from, grouped by kind of task."""
    page = Paginator(selectors.task_ids_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    tasks = selectors.tasks_by_ids(page.object_list)
    due = _due_dates(tasks)
    groups: OrderedDict[str, list] = OrderedDict()
    for task in tasks:
        name = task.flow_task.name
        groups.setdefault(name, []).append(
            {
                "task": task,
                "process": _lifecycle(task),
                "due": due.get(task.pk),
                "mine": task.owner_id == request.user.pk,
            }
        )
    return render(
        request,
        "workflows/task_list.html",
        {
            "page": page,
            "groups": [(TASK_TITLES.get(name, name), rows) for name, rows in groups.items()],
        },
    )


# --- initiatives --------------------------------------------------------------------------


@login_required
def initiative_list(request: HttpRequest) -> HttpResponse:
    form = f.InitiativeFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    initiatives = selectors.initiative_list(user=request.user, **filters).order_by(
        "-registered_on", "-pk"
    )
    page = Paginator(initiatives, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workflows/initiative_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _visible_initiative(request: HttpRequest, pk: int) -> Initiative:
    if not selectors.initiatives_for_user(user=request.user).filter(pk=pk).exists():
        raise Http404
    return selectors.initiative_records(initiative_id=pk)


@login_required
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _visible_initiative(request, pk)
    return render(request, "workflows/initiative_detail.html", {"initiative": initiative})


@login_required
@require_http_methods(["GET", "POST"])
def initiative_register(request: HttpRequest) -> HttpResponse:
    form = f.InitiativeRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            initiative = tasks_layer.initiative_register(
                actor=request.user,
                unit=data["unit_code"],
                title=data["title"],
                kind=data["kind"],
                fields=list(data["fields"]),
                phase=data["phase"],
                registered_on=data["registered_on"],
                owner_name=data["owner_name"],
                description=data["description"],
                goals=data["goals"],
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Registered %(code)s; it is waiting for the board secretary's review.")
                % {"code": initiative.code},
            )
            return redirect("workflows:initiative-detail", pk=initiative.pk)
    my_units = UnitRole.objects.filter(user=request.user, role=Role.OFFICIAL).select_related("unit")
    return render(
        request,
        "workflows/initiative_form.html",
        {"form": form, "my_units": [role.unit for role in my_units]},
    )


# --- task forms -----------------------------------------------------------------------------


def _task_for(request: HttpRequest, task_pk: int) -> Task:
    """An open task in the user's inbox or queue; anything else is 404."""
    task = selectors.tasks_for_user(user=request.user).filter(pk=task_pk).first()
    if task is None:
        raise Http404
    return task


def _report(task: Task) -> AnnualReport:
    return AnnualReport.objects.select_related("cycle", "cycle__board").get(
        pk=_lifecycle(task).annual_report_id
    )


def _form_and_perform(request: HttpRequest, task: Task):
    """The task's form, and the service call that performs it with the form's data."""
    name = task.flow_task.name
    data = request.POST if request.method == "POST" else None
    user = request.user
    process = _lifecycle(task)
    context: dict = {}
    if name == "review":
        form = f.ReviewForm(data)
        initiative = process.initiative
        steps = {
            f.REVIEW_ACCEPT: services.initiative_accept,
            f.REVIEW_RETURN: services.initiative_return,
            f.REVIEW_REJECT: services.initiative_reject,
        }

        def perform():
            step = steps[form.cleaned_data["action"]]
            return step(actor=user, initiative=initiative, reason=form.cleaned_data["reason"])

    elif name == "resubmit":
        initiative = process.initiative
        form = f.ResubmitForm(
            data,
            initial={
                "title": initiative.title,
                "description": initiative.description,
                "goals": initiative.goals,
            },
        )

        def perform():
            return services.initiative_resubmit(
                actor=user, initiative=initiative, **form.cleaned_data
            )

    elif name == "report":
        report = _report(task)
        form = f.AnnualReportForm(data)
        context["report"] = report

        def perform():
            return services.annual_report_submit(
                actor=user, report=report, text=form.cleaned_data["text"]
            )

    elif name == "evaluate":
        report = _report(task)
        criteria = report.cycle.criteria.order_by("position", "pk")
        form = f.EvaluationForm(data, criteria=criteria)
        context.update(report=report, criteria=form.criteria)

        def perform():
            return services.evaluation_submit(
                actor=user,
                report=report,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )

    elif name == "close":
        report = _report(task)
        form = f.CloseEvaluationForm(data)
        scored = Evaluation.objects.filter(annual_report=report).count()
        eligible = selectors.report_evaluators(report=report).count()
        context.update(
            report=report,
            scored=scored,
            eligible=eligible,
            quorum=max(1, min(report.cycle.board.quorum, eligible)),
        )

        def perform():
            return services.evaluation_close(actor=user, report=report)

    elif name == "decide":
        report = _report(task)
        form = f.DecideForm(data)
        context.update(report=report, cycle_list=selectors.decision_list(cycle=report.cycle))

        def perform():
            return services.initiative_decide(
                actor=user, report=report, recognise=form.cleaned_data["recognise"]
            )

    else:
        form, perform = None, None
    return form, perform, context


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    form, perform, context = _form_and_perform(request, task)
    status = 200
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This step cannot be completed on this page yet."))
        elif form.is_valid():
            try:
                tasks_layer.task_complete(actor=request.user, task=task, perform=perform)
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
                task.refresh_from_db()
            else:
                messages.success(request, _("Done: %(task)s.") % {"task": _task_title(task)})
                return redirect("workflows:task-list")
    process = _lifecycle(task)
    initiative = (
        selectors.initiative_records(initiative_id=process.initiative_id)
        if process.initiative_id
        else None
    )
    return render(
        request,
        "workflows/task_form.html",
        {
            **context,
            "task": task,
            "process": process,
            "title": _task_title(task),
            "effect": TASK_EFFECTS.get(task.flow_task.name, ""),
            "form": form,
            "initiative": initiative,
            "waiting_in_queue": task.status == STATUS.NEW,
        },
        status=status,
    )


def _task_title(task: Task) -> str:
    name = task.flow_task.name
    return str(TASK_TITLES.get(name, name))


# --- review cycles --------------------------------------------------------------------------


def _secretary_boards(request: HttpRequest):
    return SteeringBoard.objects.select_related("unit").filter(
        members__user=request.user, members__role=Role.SECRETARY, is_active=True
    )


@login_required
def cycle_list(request: HttpRequest) -> HttpResponse:
    cycles = (
        selectors.cycles_for_user(user=request.user)
        .annotate(report_count=Count("annual_reports"))
        .order_by("-year", "board__name", "pk")
    )
    page = Paginator(cycles, PAGE_SIZE).get_page(request.GET.get("page"))
    secretary_of = set(_secretary_boards(request).values_list("pk", flat=True))
    return render(
        request,
        "workflows/cycle_list.html",
        {"page": page, "secretary_of": secretary_of},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request: HttpRequest) -> HttpResponse:
    boards = list(_secretary_boards(request))
    if not boards:
        raise PermissionDenied(
            _("Only the secretary of a steering board may set up a review cycle.")
        )
    form = f.CycleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        board = next((b for b in boards if str(b.pk) == request.POST.get("board")), boards[0])
        try:
            cycle = services.cycle_create(actor=request.user, board=board, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Review cycle %(cycle)s set up (draft).") % {"cycle": cycle}
            )
            return redirect("workflows:cycle-list")
    return render(request, "workflows/cycle_form.html", {"form": form, "boards": boards})


@login_required
@require_http_methods(["POST"])
def cycle_open(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycles_for_user(user=request.user).filter(pk=pk).first()
    if cycle is None:
        raise Http404
    try:
        created = services.cycle_open(cycle=ReviewCycle.objects.get(pk=pk), actor=request.user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Review cycle opened: %(count)s annual report tasks created.") % {"count": created},
        )
    return redirect("workflows:cycle-list")
