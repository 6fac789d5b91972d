"""Server-rendered pages for the lifecycle: queues, initiatives and the task forms.

Thin views: they parse a form, call a service of ``workflows.services`` (which completes the same
viewflow task the API completes) or a selector, and render. Everything a user can reach is
scoped by the selectors to their subtree: anything outside it answers 404. A refused step
(``core.errors``) shows its message and changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.errors import DomainError
from core.forms import form_html
from core.models import (
    CycleStatus,
    Initiative,
    InitiativeStatus,
    IssuingBody,
    ReviewCycle,
    Role,
    SteeringBoard,
    UnitRole,
)
from documents.models import Decision
from workflows import selectors, services
from workflows.models import AnnualReport, Attachment, AttachmentKind
from workflows.takers import Subject, Taker, ancestor_ids, holds_board_role_above, may_take

from . import forms as f

PAGE_SIZE = 25
REPLICAS_SHOWN = 50


def _lifecycle(task: Task):
    return task.process.lifecycleprocess


def _due_dates(tasks: list[Task]) -> dict[int, object]:
    """The due date of each task (its step's ``due``), in one query for the page's annual
    reports."""
    report_ids = {_lifecycle(t).annual_report_id for t in tasks} - {None}
    reports = {}
    if report_ids:
        found = AnnualReport.objects.filter(pk__in=report_ids).select_related("cycle")
        reports = {r.pk: r for r in found}
    return {
        task.pk: task.flow_task.due_on(reports.get(_lifecycle(task).annual_report_id))
        for task in tasks
    }


# --- initiatives --------------------------------------------------------------------------


def _visible_initiative(request: HttpRequest, pk: int) -> Initiative:
    try:
        return selectors.initiative_records(initiative_id=pk, visible_to=request.user)
    except Initiative.DoesNotExist:
        raise Http404 from None


# The actions of the initiative page: (form class, form prefix, who may, service or
# service call, success message).
ACTIONS = ("withdraw", "discontinue", "progress", "visit")


def _allowed_actions(user, initiative: Initiative) -> set[str]:
    """Which of the page's forms to show; the services check again when one is posted."""
    if initiative.status in services.FINAL_STATUSES:
        return set()
    allowed = set()
    official = may_take(Taker.OWNER_OFFICIAL, user, Subject(unit_path=initiative.owner_unit.path))
    if official:
        allowed.add("withdraw")
    if holds_board_role_above(user, initiative.owner_unit, (Role.SECRETARY, Role.CHAIR)):
        allowed.add("discontinue")
    if initiative.status == InitiativeStatus.MONITORED:
        if official:
            allowed.add("progress")
        if holds_board_role_above(user, initiative.owner_unit):
            allowed.add("visit")
    return allowed


ACTION_FORMS = {
    "withdraw": f.EndInitiativeForm,
    "discontinue": f.EndInitiativeForm,
    "progress": f.ProgressReportForm,
    "visit": f.MonitoringVisitForm,
}


def _action_form(action: str, data):
    return ACTION_FORMS[action](data, auto_id=f"id_{action}_%s")


def _initiative_page(
    request: HttpRequest,
    initiative: Initiative,
    bound=None,
    status: int = 200,
    attachment_form=None,
) -> HttpResponse:
    allowed = _allowed_actions(request.user, initiative)
    action_forms = {
        action: (
            bound[1]
            if bound and bound[0] == action
            else form_html(ACTION_FORMS[action](auto_id=f"id_{action}_%s"))
        )
        for action in ACTIONS
        if action in allowed or (bound and bound[0] == action)
    }
    decisions = (
        selectors.decisions_for_user(user=request.user)
        .filter(entries__initiative=initiative)
        .prefetch_related(None)
        .distinct()
        .order_by("-issued_on", "-pk")
    )
    # Its replicas (nhân rộng) the reader may see; the source shows through the initiative.
    replicas = selectors.initiatives_for_user(user=request.user).filter(replicated_from=initiative)
    if attachment_form is None and services.may_attach(request.user, initiative):
        attachment_form = f.AttachmentForm(
            initiative=initiative, initial={"part": request.GET.get("part", "")}
        )
    return render(
        request,
        "workflows/initiative_detail.html",
        {
            "initiative": initiative,
            "action_forms": action_forms,
            "decisions": decisions,
            "attachments": initiative.attachments.select_related(
                "uploaded_by", "annual_report__cycle", "monitoring_visit"
            ),
            "attachment_form": None if attachment_form is None else form_html(attachment_form),
            "replicas": replicas.order_by("registered_on", "pk")[:REPLICAS_SHOWN],
            "replica_count": replicas.count(),
        },
        status=status,
    )


@login_required
def initiative_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _initiative_page(request, _visible_initiative(request, pk))


@login_required
@require_http_methods(["POST"])
def initiative_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Withdraw, discontinue, file a progress report or record a monitoring visit."""
    if action not in ACTIONS:
        raise Http404
    initiative = _visible_initiative(request, pk)
    form = _action_form(action, request.POST)
    if not form.is_valid():
        return _initiative_page(request, initiative, (action, form), status=400)
    data, user = form.cleaned_data, request.user
    after = ""
    try:
        if action == "withdraw":
            services.initiative_withdraw(actor=user, initiative=initiative, reason=data["reason"])
            done = _("The initiative has been withdrawn.")
        elif action == "discontinue":
            services.initiative_discontinue(
                actor=user, initiative=initiative, reason=data["reason"]
            )
            done = _("The initiative has been discontinued.")
        elif action == "progress":
            services.progress_report_submit(actor=user, initiative=initiative, text=data["text"])
            done = _("Progress report filed.")
        else:
            visit = services.monitoring_visit_record(actor=user, initiative=initiative, **data)
            done = _("Monitoring visit recorded.")
            # Straight to the evidence form, with the visit chosen.
            after = f"?part=visit-{visit.pk}#attach"
    except DomainError as error:
        messages.error(request, str(error))
        fresh = selectors.initiative_records(initiative_id=initiative.pk)
        return _initiative_page(request, fresh, (action, form), status=error.status)
    messages.success(request, done)
    return redirect(reverse("workflows:initiative-detail", args=[initiative.pk]) + after)


@login_required
@require_http_methods(["GET", "POST"])
def initiative_register(request: HttpRequest) -> HttpResponse:
    form = f.InitiativeRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            initiative = services.initiative_register(
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
                replicated_from=data["replicated_from"],
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


# --- evidence -------------------------------------------------------------------------------


@login_required
@require_http_methods(["POST"])
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    initiative = _visible_initiative(request, pk)
    form = f.AttachmentForm(request.POST, request.FILES, initiative=initiative)
    if not form.is_valid():
        return _initiative_page(request, initiative, attachment_form=form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        form.add_error(
            "file",
            _("The file is larger than %(limit)s MB.")
            % {"limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)},
        )
        return _initiative_page(request, initiative, attachment_form=form, status=400)
    try:
        services.attachment_add(
            actor=request.user,
            initiative=initiative,
            name=upload.name,
            data=upload.read(),
            caption=form.cleaned_data["caption"],
            **form.part_objects(),
        )
    except DomainError as error:
        form.add_error("file", str(error))
        return _initiative_page(request, initiative, attachment_form=form, status=error.status)
    messages.success(request, _("The file was attached."))
    return redirect("workflows:initiative-detail", pk=initiative.pk)


@login_required
def attachment_file(request: HttpRequest, pk: int, variant: str = "file") -> FileResponse:
    """An attachment's file or thumbnail, to those who may read its initiative (else 404)."""
    attachment = Attachment.objects.filter(pk=pk).select_related("initiative").first()
    if attachment is None:
        raise Http404
    _visible_initiative(request, attachment.initiative_id)
    field = attachment.thumbnail if variant == "thumb" else attachment.file
    if not field:
        raise Http404
    inline = attachment.kind in (AttachmentKind.IMAGE, AttachmentKind.PDF)
    response = FileResponse(
        field.open("rb"),
        as_attachment=not inline,
        filename=attachment.original_name if variant != "thumb" else field.name.rsplit("/", 1)[-1],
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- task forms -----------------------------------------------------------------------------


def _task_for(request: HttpRequest, task_pk: int) -> Task:
    """An open task in the user's inbox or queue; anything else is 404."""
    task = selectors.tasks_for_user(user=request.user).filter(pk=task_pk).first()
    if task is None:
        raise Http404
    return task


def _done_message(task: Task, result) -> str:
    done = _("Done: %(task)s.") % {"task": task.flow_task.task_title}
    if not isinstance(result, Decision):
        return done
    return format_html(
        '{} {} <a href="{}">{}</a> · <a href="{}">{}</a>',
        done,
        _("Decision number %(number)s.") % {"number": result.number},
        reverse("documents:decision-pdf", args=[result.pk]),
        _("Open the decision (PDF)"),
        reverse("documents:decision", args=[result.pk]),
        _("The decision's page"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task_for(request, pk)
    process = _lifecycle(task)
    node = task.flow_task
    form = node.form.for_process(process, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.previewable and "preview" in request.POST:
        # "Xem trước": the draft PDF of what this step would issue; nothing is written.
        if form.is_valid():
            try:
                pdf = form.preview(request.user)
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
            else:
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = 'inline; filename="du-thao.pdf"'
                response["Cache-Control"] = "no-store"
                return response
    elif request.method == "POST":
        if form.is_valid():
            try:
                # The step's one service checks, writes and completes this task.
                result = form.perform(request.user)
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
                task.refresh_from_db()
            else:
                messages.success(request, _done_message(task, result))
                return redirect("workflows:task-list")
    initiative = (
        selectors.initiative_records(initiative_id=process.initiative_id)
        if process.initiative_id
        else None
    )
    return render(
        request,
        "workflows/task_form.html",
        {
            **form.context(),
            "task": task,
            "process": process,
            "title": node.task_title,
            "effect": node.task_description,
            "form": form,
            "initiative": initiative,
            "waiting_in_queue": task.status == STATUS.NEW,
        },
        status=status,
    )


# --- review cycles --------------------------------------------------------------------------


def _secretary_boards(request: HttpRequest):
    return SteeringBoard.objects.select_related("unit").filter(
        members__user=request.user, members__role=Role.SECRETARY, is_active=True
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
            return redirect("workflows:cycle-detail", pk=cycle.pk)
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
    return redirect("workflows:cycle-detail", pk=pk)


@login_required
@require_http_methods(["POST"])
def cycle_close(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = selectors.cycles_for_user(user=request.user).filter(pk=pk).first()
    if cycle is None:
        raise Http404
    form = f.CycleCloseForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        work = services.cycle_close(
            actor=request.user,
            cycle=cycle,
            force=bool(data.get("force")),
            reason=data.get("reason", ""),
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _(
                "Review cycle closed. Still open when it closed: %(reports)s annual reports not "
                "submitted, %(evaluations)s evaluations, %(decisions)s decisions."
            )
            % {
                "reports": work.reports_pending,
                "evaluations": work.evaluations_open,
                "decisions": work.blocking,
            },
        )
    return redirect("workflows:cycle-detail", pk=pk)


def _visible_cycle(request: HttpRequest, pk: int) -> ReviewCycle:
    cycle = selectors.cycles_for_user(user=request.user).filter(pk=pk).first()
    if cycle is None:
        raise Http404
    return cycle


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A review cycle: its deadlines and rubric; while a draft, edit, delete or open it (the
    confirmation says how many tasks opening creates); once open, its progress per unit and
    closing."""
    cycle = _visible_cycle(request, pk)
    is_secretary = _secretary_boards(request).filter(pk=cycle.board_id).exists()
    context = {
        "cycle": cycle,
        "criteria": cycle.criteria.order_by("position", "pk"),
        "is_secretary": is_secretary,
        "progress": selectors.cycle_progress_by_unit(cycle=cycle),
    }
    if cycle.status == CycleStatus.DRAFT and is_secretary:
        context["tasks_to_create"] = selectors.cycle_open_preview(cycle=cycle)
    context["is_chair"] = cycle.board.members.filter(user=request.user, role=Role.CHAIR).exists()
    if context["is_chair"]:
        context["to_decide"] = selectors.decision_list(cycle=cycle, undecided_only=True).count()
    if cycle.status == CycleStatus.OPEN and is_secretary:
        context["work"] = services.cycle_open_work(cycle=cycle)
        context["close_form"] = f.CycleCloseForm()
    return render(request, "workflows/cycle_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _visible_cycle(request, pk)
    if not _secretary_boards(request).filter(pk=cycle.board_id).exists():
        raise PermissionDenied(_("Only the board's secretary may edit its review cycle."))
    initial = {
        name: getattr(cycle, name)
        for name in (
            "year",
            "opens_on",
            "report_due",
            "evaluation_due",
            "decision_due",
            "pass_mark",
        )
    }
    initial["phase"] = cycle.phase_id
    form = f.CycleCreateForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            try:
                services.cycle_update(actor=request.user, cycle=cycle, **form.cleaned_data)
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
            else:
                messages.success(request, _("Review cycle %(cycle)s saved.") % {"cycle": cycle})
                return redirect("workflows:cycle-detail", pk=cycle.pk)
    return render(
        request, "workflows/cycle_form.html", {"form": form, "cycle": cycle}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_rubric(request: HttpRequest, pk: int) -> HttpResponse:
    """A draft cycle's rubric: criteria with their weights (adding up to 100) and maximum
    scores, and the pass mark; the secretary edits it until the cycle opens."""
    cycle = _visible_cycle(request, pk)
    if not _secretary_boards(request).filter(pk=cycle.board_id).exists():
        raise PermissionDenied(_("Only the board's secretary may edit its review cycle."))
    initial = [
        {"code": c.code, "name": c.name, "weight": c.weight, "max_score": c.max_score}
        for c in cycle.criteria.order_by("position", "pk")
    ]
    formset = f.RubricFormSet(request.POST or None, initial=initial, prefix="criteria")
    pass_mark = f.PassMarkForm(request.POST or None, initial={"pass_mark": cycle.pass_mark})
    status = 200
    if request.method == "POST":
        if not (formset.is_valid() and pass_mark.is_valid()):
            status = 400
        else:
            try:
                services.cycle_update_criteria(
                    actor=request.user,
                    cycle=cycle,
                    criteria=formset.criteria(),
                    pass_mark=pass_mark.cleaned_data["pass_mark"],
                )
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
            else:
                messages.success(
                    request, _("The rubric of %(cycle)s was saved.") % {"cycle": cycle}
                )
                return redirect("workflows:cycle-detail", pk=cycle.pk)
    return render(
        request,
        "workflows/cycle_rubric.html",
        {"cycle": cycle, "formset": formset, "pass_mark": pass_mark},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair decides several initiatives of the cycle at once, highest score first: each
    choice completes that initiative's "decide" task through ``initiative_decide``, the
    service its task page calls. Nothing is decided unless every choice is accepted."""
    cycle = _visible_cycle(request, pk)
    is_chair = cycle.board.members.filter(user=request.user, role=Role.CHAIR).exists()
    if not is_chair:
        raise PermissionDenied(_("Only the board's chair decides on recognition."))
    reports = list(selectors.decision_list(cycle=cycle, undecided_only=True))
    status = 200
    if request.method == "POST":
        choices = {report.pk: request.POST.get(f"report-{report.pk}", "") for report in reports}
        chosen = {pk: value for pk, value in choices.items() if value in ("yes", "no")}
        if not chosen:
            messages.error(
                request, _("Choose “recognise” or “do not recognise” for at least one initiative.")
            )
            status = 400
        else:
            try:
                with transaction.atomic():
                    for report in reports:
                        if report.pk in chosen:
                            services.initiative_decide(
                                actor=request.user,
                                report=report,
                                recognise=chosen[report.pk] == "yes",
                            )
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
            else:
                recognised = sum(1 for value in chosen.values() if value == "yes")
                messages.success(
                    request,
                    _(
                        "Decided %(count)s initiatives: %(recognised)s recognised, %(not)s not recognised."
                    )
                    % {
                        "count": len(chosen),
                        "recognised": recognised,
                        "not": len(chosen) - recognised,
                    },
                )
                return redirect("workflows:cycle-detail", pk=cycle.pk)
    return render(
        request,
        "workflows/cycle_decide.html",
        {"cycle": cycle, "reports": reports, "posted": request.POST},
        status=status,
    )


@login_required
@require_http_methods(["POST"])
def cycle_delete(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _visible_cycle(request, pk)
    try:
        services.cycle_delete(actor=request.user, cycle=cycle)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("workflows:cycle-detail", pk=pk)
    messages.success(request, _("The draft review cycle was deleted."))
    return redirect("workflows:cycle-list")


# --- nominations ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def nomination_create(request: HttpRequest) -> HttpResponse:
    """The secretary proposes recognised initiatives of the board's units upward."""
    boards = _secretary_boards(request)
    board_list = list(boards)
    if not board_list:
        raise PermissionDenied(
            _("Only the secretary of a steering board may propose initiatives for commendation.")
        )
    in_subtree = Q()
    above = Q(unit__isnull=True)
    for board in board_list:
        in_subtree |= Q(owner_unit__path__startswith=board.unit.path)
        above |= Q(unit_id__in=ancestor_ids(board.unit.path))
    initiatives = (
        Initiative.objects.filter(in_subtree, status=InitiativeStatus.RECOGNISED)
        .select_related("owner_unit")
        .order_by("owner_unit__path", "code")
    )
    bodies = (
        IssuingBody.objects.filter(above).select_related("unit").order_by("unit__depth", "name")
    )
    form = f.NominationForm(
        request.POST or None,
        boards=boards,
        initiatives=initiatives,
        bodies=bodies,
        initial={"board": board_list[0].pk},
    )
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data
            try:
                nomination = services.nomination_create(
                    actor=request.user,
                    board=data["board"],
                    awarding_body=data["awarding_body"],
                    items=list(data["initiatives"]),
                    citation=data["citation"],
                )
            except DomainError as error:
                messages.error(request, str(error))
                status = error.status
            else:
                messages.success(
                    request,
                    _(
                        "Proposed %(count)s recipients to %(body)s; its clerk gets the "
                        "commendation task."
                    )
                    % {"count": nomination.items.count(), "body": nomination.awarding_body.name},
                )
                return redirect("workflows:task-list")
    return render(request, "workflows/nomination_form.html", {"form": form}, status=status)
