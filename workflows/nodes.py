"""The two node types the lifecycle's flows add to viewflow's.

- ``Step``: a human task defined once. Its declaration in ``workflows.flows`` says who may
  take it (``taker``: the one rule of ``workflows.takers``), its words (``Annotation``: the
  title and what completing it does), its input (``form``: a ``StepForm`` that builds the web
  page and calls the step's one service), the API calls that complete it (``api``) and the
  date it is due (``due``). The web task page, the API task list's ``actions``, the queues,
  the digest and the notices are derived from it.
- ``FanOut``: a parallel split whose branch runs once per item of a data source
  (viewflow's open-source ``Split`` ignores ``data_source``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import NoReverseMatch, reverse
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.nodes.split import SplitActivation

from . import takers

# What a step's ``due`` names: the report's own date or one of its cycle's deadlines.
DUE_DATES = ("report_due", "evaluation_due", "decision_due")


class Step(flow.View):
    def __init__(
        self,
        taker: str,
        *,
        form: type | None = None,
        api: tuple[str, ...] = (),
        due: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(None, **kwargs)
        if taker not in takers.Taker.ALL:
            raise ValueError(f"unknown taker {taker!r}")
        if due is not None and due not in DUE_DATES:
            raise ValueError(f"unknown due date {due!r}")
        self.taker = taker
        self.form = form
        self.api = api
        self.due = due
        self.Permission(takers.Taker.permission(taker))

    def may_take(self, user, task: Task) -> bool:
        return takers.may_take(self.taker, user, takers.subject_of_task(task))

    def can_assign(self, user, task: Task) -> bool:
        return task.owner_id is None and self.may_take(user, task)

    def can_execute(self, user, task: Task) -> bool:
        return task.owner_id == getattr(user, "pk", None) and self.may_take(user, task)

    def api_urls(self, process) -> list[str]:
        """The API calls that complete this step for ``process``."""
        urls = []
        for name in self.api:
            try:
                urls.append(reverse(name, kwargs={"pk": process.initiative_id}))
            except NoReverseMatch:
                urls.append(reverse(name))
        return urls

    def due_on(self, report) -> dt.date | None:
        """The step's due date, read from the process's annual report (None without)."""
        if self.due is None or report is None:
            return None
        if self.due == "report_due":
            return report.due_on
        return getattr(report.cycle, self.due)


class FanOutActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        for node, case, data_source in self.flow_task._branches:
            if case and not case(self):
                continue
            if data_source is None:
                self.next_tasks.append((node, None))
            else:
                self.next_tasks.extend((node, item) for item in data_source(self))


class FanOut(flow.Split):
    """A parallel split whose branch may run once per item of ``data_source(activation)``,
    each task getting the item as its ``data``."""

    activation_class = FanOutActivation

    def Next(self, node, case=None, data_source=None):  # noqa: N802 - viewflow's naming
        self._activate_next.append((node, case, data_source))
        return self
