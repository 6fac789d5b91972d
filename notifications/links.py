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


def target_path(message: Message) -> str:
    """The page of the message's task (one or two queries), or the message's own page."""
    path: str | None = None
    if message.kind == MessageKind.REPORT_DUE:
        task_id = _report_task_id(message.subject_id)
        if task_id is not None:
            path = _first(TASK_PAGES, pk=task_id)
        if path is None and message.initiative_id:
            path = _first(INITIATIVE_PAGES, pk=message.initiative_id)
    elif message.kind == MessageKind.DECISION_ISSUED:
        decision_id = (message.context or {}).get("decision_id")
        if decision_id:
            path = _first(DECISION_PAGES, pk=decision_id)
    elif message.kind == MessageKind.CYCLE_OPENED and message.reason == "board":
        path = _first(CYCLE_PAGES, pk=message.cycle_id) or _first(CYCLE_LIST_PAGES)
    if path is None and message.kind != MessageKind.DECISION_ISSUED:
        path = _first(TASK_LIST_PAGES)
    return path or message_page(message)
