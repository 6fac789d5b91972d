"""Where a message sends its reader.

Emails link to the message's own address (``/notifications/<id>/go``), which marks it read
and redirects to the task as it is at that moment: the annual report's open "report" task
when there is one, else the page the kind of message is about. That link stays valid
whatever the task pages become; each page is the first of the URL names below that the
project defines, and the message's own page when none is.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .models import Message, MessageKind

# Pages, best first.
TASK_PAGES = ("workflows:task-detail",)  # kwargs: pk of the viewflow task
INITIATIVE_PAGES = ("workflows:initiative-detail",)  # kwargs: pk of the initiative
TASK_LIST_PAGES = ("workflows:task-list",)
CYCLE_PAGES = ("workflows:cycle-detail",)  # kwargs: pk of the cycle
CYCLE_LIST_PAGES = ("workflows:cycle-list",)
DECISION_PAGES = ("documents:decision",)  # kwargs: pk of the decision


def absolute_url(path: str) -> str:
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return f"{base}{path}"


def _first(names: tuple[str, ...], **kwargs) -> str | None:
    for name in names:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return None


def message_page(message: Message) -> str:
    return reverse("notifications:detail", kwargs={"pk": message.pk})


def open_link(message: Message) -> str:
    """The absolute link a message carries: marks it read, then goes to the task."""
    return absolute_url(reverse("notifications:open", kwargs={"pk": message.pk}))


def _open_task_page(message: Message, task_id: int | None) -> str | None:
    """The task's page, when the task is still open and in the recipient's inbox or queue."""
    from workflows.selectors import tasks_for_user

    if task_id is None or not tasks_for_user(user=message.recipient).filter(pk=task_id).exists():
        return None
    return _first(TASK_PAGES, pk=task_id)


def _report_task_id(annual_report_id: int) -> int | None:
    """The open "submit the annual report" task of the report's review process."""
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from workflows.flows import AnnualReviewFlow

    return (
        Task.objects.filter(
            process__lifecycleprocess__annual_report_id=annual_report_id,
            flow_task=AnnualReviewFlow.report,
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def _initiative_page(message: Message, initiative_id: int | None) -> str | None:
    """The initiative's page, when the recipient may read it."""
    from workflows.selectors import initiatives_for_user

    if initiative_id is None:
        return None
    if not initiatives_for_user(user=message.recipient).filter(pk=initiative_id).exists():
        return None
    return _first(INITIATIVE_PAGES, pk=initiative_id)


def _decision_page(message: Message, decision_id: int | None) -> str | None:
    """The decision's page, when the recipient may open it (its issuer's clerks)."""
    from documents.models import Decision
    from documents.selectors import user_can_manage_issuer

    decision = Decision.objects.select_related("issuer__unit").filter(pk=decision_id).first()
    if decision is None or not user_can_manage_issuer(message.recipient, decision.issuer):
        return None
    return _first(DECISION_PAGES, pk=decision.pk)


def target_path(message: Message) -> str:
    """The page a message leads its recipient to: the task while it waits for them, else
    the initiative or decision it is about when they may read it, else their task list, or
    the message itself. Never a page that would answer them 404."""
    context = message.context or {}
    kind = message.kind
    path: str | None = None
    if kind == MessageKind.REPORT_DUE:
        path = _open_task_page(message, _report_task_id(message.subject_id))
    elif kind == MessageKind.TASK_WAITING:
        path = _open_task_page(message, message.subject_id)
    elif kind in (MessageKind.DECISION_ISSUED, MessageKind.NOMINATION_DECIDED):
        path = _decision_page(message, context.get("decision_id"))
    elif kind in (MessageKind.CYCLE_OPENED, MessageKind.CYCLE_CLOSED) and (
        message.reason in ("board", "closed")
    ):
        path = _first(CYCLE_PAGES, pk=message.cycle_id) or _first(CYCLE_LIST_PAGES)
    if path is None:
        path = _initiative_page(message, message.initiative_id)
    if path is None and kind not in (MessageKind.DECISION_ISSUED, MessageKind.NOMINATION_DECIDED):
        path = _first(TASK_LIST_PAGES)
    return path or message_page(message)
