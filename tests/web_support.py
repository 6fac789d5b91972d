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


def submit_task(user, task, data: dict, *, expect_done: bool = True):
    """GET the task page, then POST its form; when ``expect_done``, assert the task was
    completed by ``user`` and the page sent them back to their tasks."""
    from viewflow.workflow.status import STATUS

    client = browser(user)
    url = f"/tasks/{task.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, data)
    if expect_done:
        assert response.status_code == 302, messages_of(response) or response.content[:2000]
        assert response["Location"] == "/tasks/"
        task.refresh_from_db()
        assert task.status == STATUS.DONE
        assert task.owner_id == user.pk
    return page, response
