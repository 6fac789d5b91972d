"""Helpers shared by the web UI tests (``test_web_*`` modules)."""

from __future__ import annotations

from django.test import Client
from viewflow.workflow.models import Task

from workflows import selectors


def browser(user, language: str = "vi") -> Client:
    """A logged-in test client whose pages come in ``language``."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def open_tasks(user, name: str | None = None) -> list[Task]:
    """The user's inbox and queue (the selector the task page uses), optionally one kind."""
    tasks = list(selectors.tasks_for_user(user=user))
    return [t for t in tasks if name is None or t.flow_task.name == name]


def only_task(user, name: str) -> Task:
    tasks = open_tasks(user, name)
    assert len(tasks) == 1, [t.flow_task.name for t in open_tasks(user)]
    return tasks[0]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
