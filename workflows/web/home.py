"""The home page of a logged-in user, by the roles they hold: my tasks with their due dates
(overdue first), my units' latest initiatives, my unread notices; the review cycles of the
boards I serve as secretary; the latest decisions for a clerk."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.models import CycleStatus
from notifications import selectors as notices
from notifications.rendering import render_message
from workflows import selectors
from workflows.takers import user_roles

from .views import _due_dates, _lifecycle

HOME_TASKS = 10
HOME_INITIATIVES = 8
HOME_NOTICES = 5


def _my_tasks(user) -> tuple[list[dict], int]:
    ids = selectors.task_ids_for_user(user=user)
    total = ids.count()
    # The oldest open tasks are the likeliest to be due first; a page of them is sorted by
    # due date, overdue on top.
    tasks = selectors.tasks_by_ids(list(ids[: HOME_TASKS * 5]))
    due = _due_dates(tasks)
    today = timezone.localdate()
    rows = [
        {
            "task": task,
            "process": _lifecycle(task),
            "due": due.get(task.pk),
            "overdue": bool(due.get(task.pk) and due[task.pk] < today),
            "mine": task.owner_id == user.pk,
        }
        for task in tasks
    ]
    rows.sort(key=lambda row: (row["due"] is None, row["due"] or dt.date.max, row["task"].pk))
    return rows[:HOME_TASKS], total


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    roles = user_roles(user=user)
    tasks, task_total = _my_tasks(user)
    initiatives = selectors.initiative_list(user=user).order_by("-registered_on", "-pk")
    unread = notices.inbox(user=user).filter(read_at__isnull=True)
    context = {
        "tasks": tasks,
        "task_total": task_total,
        "initiatives": initiatives[:HOME_INITIATIVES],
        "initiative_total": initiatives.count(),
        "my_unit": user.unit,
        "unread": [(m, render_message(m)) for m in unread[:HOME_NOTICES]],
        "unread_total": unread.count(),
    }
    if roles.secretary_board_ids:
        context["cycles"] = (
            selectors.cycles_for_user(user=user)
            .filter(
                board_id__in=roles.secretary_board_ids,
                status__in=[CycleStatus.DRAFT, CycleStatus.OPEN],
            )
            .order_by("-year", "board__name")[:5]
        )
    if roles.clerk_unit_ids:
        context["decisions"] = (
            selectors.decisions_for_user(user=user)
            .prefetch_related(None)
            .order_by("-issued_on", "-pk")[:5]
        )
    return render(request, "workflows/home.html", context)
