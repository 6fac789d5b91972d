"""The text of a message: a subject and a body template per kind, in the reader's language.

Messages are rendered when they are read (the inbox) or sent (email), from the message's
links (initiative, cycle) and its ``context`` snapshot, so a scan that writes half a million
reminders renders none of them.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from core.models import AwardType
from documents.models import Certificate, CertificateStatus

from .links import absolute_url, open_link
from .models import Message, MessageKind

REASON_BEFORE = "before:"
REASON_OVERDUE = "overdue:"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    link: str


def display_date(value: dt.date | str | None) -> str:
    """A date in the active language: "ngày 30 tháng 9 năm 2023" in Vietnamese."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return date_format(value, "DATE_FORMAT")


def language_of(user) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    return language if language in languages else settings.LANGUAGE_CODE


@contextmanager
def recipient_language(user):
    with translation.override(language_of(user)):
        yield


def _items(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for item in raw:
        item = dict(item)
        if item.get("since"):
            item["since_text"] = display_date(item["since"][:10])
        if item.get("task"):
            node = step_node(item.get("flow", ""), item["task"])
            item["task_label"] = str(node.task_title) if node else item["task"]
        items.append(item)
    return items


def message_context(message: Message) -> dict[str, Any]:
    """What the templates of ``message.kind`` read."""
    data = dict(message.context or {})
    recipient = message.recipient
    initiative = message.initiative
    cycle = message.cycle
    reason = message.reason or ""
    context: dict[str, Any] = {
        "message": message,
        "name": recipient.full_name or recipient.get_username(),
        "due_date": display_date(message.due_on),
        "link": open_link(message),
        "data": data,
        "items": _items(data.get("items", [])),
        "count": data.get("count", 0),
        "more": max(0, int(data.get("count", 0)) - len(data.get("items", []))),
    }
    if initiative is not None:
        context.update(
            code=initiative.code,
            title=initiative.title,
            unit=initiative.owner_unit.name,
        )
    if cycle is not None:
        context.update(year=cycle.year, board=cycle.board.name)
        context.update(
            report_date=display_date(cycle.report_due),
            evaluation_date=display_date(cycle.evaluation_due),
            decision_date=display_date(cycle.decision_due),
        )
    if reason.startswith(REASON_BEFORE):
        context["days_left"] = int(reason.removeprefix(REASON_BEFORE))
    if reason.startswith(REASON_OVERDUE):
        context["overdue_round"] = int(reason.removeprefix(REASON_OVERDUE))
    if message.kind == MessageKind.TASK_WAITING:
        node = step_node(data.get("flow", ""), data.get("task", ""))
        context.update(
            task_title=str(node.task_title) if node else data.get("task", ""),
            task_effect=str(node.task_description) if node else "",
            task_due=display_date(data.get("due") or None),
        )
    if message.kind == MessageKind.DECISION_ISSUED:
        award = data.get("award") or ""
        context.update(
            award=str(AwardType(award).label) if award in AwardType.values else award,
            decision_date=display_date(data.get("issued_on")),
            certificates=[absolute_url(path) for path in _certificate_paths(message)],
        )
    return context


def step_node(flow_name: str, node_name: str):
    """A lifecycle step's node (``workflows.flows``) by its flow's class name and its name."""
    from workflows.flows import FLOWS

    for flow_class in FLOWS:
        if flow_class.__name__ == flow_name:
            return getattr(flow_class, node_name, None)
    return None


def _certificate_paths(message: Message) -> list[str]:
    """The public verification pages of the entry's valid certificates (issued after the
    decision, so read when the message is rendered)."""
    codes = Certificate.objects.filter(
        entry_id=message.subject_id, status=CertificateStatus.VALID
    ).values_list("code", flat=True)
    return [reverse("documents:verify", kwargs={"code": code}) for code in codes]


def _render(template: str, context: dict[str, Any]) -> str:
    # render_to_string returns SafeString; the str methods give back a plain str, so the
    # text is escaped again wherever it is put into HTML.
    text = render_to_string(template, context)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render_message(message: Message) -> Rendered:
    """Subject, body and link of ``message`` in the active language."""
    context = message_context(message)
    subject = " ".join(
        _render(f"notifications/messages/{message.kind}_subject.txt", context).split()
    )
    body = _render(f"notifications/messages/{message.kind}_body.txt", context)
    return Rendered(subject=subject, body=body, link=context["link"])


def render_for_recipient(message: Message) -> Rendered:
    """``render_message`` in the recipient's language (User.language)."""
    with recipient_language(message.recipient):
        return render_message(message)
