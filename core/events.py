"""Domain events: typed, explicit, delivered after the transaction that caused them commits.

A service announces what happened with ``emit_on_commit(<an event>)``; each event
is a frozen dataclass of ids and values (never model instances), declared beside the app that
emits it (``workflows.events``, ``core.events``). Handlers subscribe with ``@handles(...)`` in
the modules listed in ``HANDLER_MODULES``, imported when the apps are ready. Nothing is sent
when the transaction rolls back (Zulip's ``send_event_on_commit``).

A handler that fails is logged with its traceback and re-queued as a Celery task that retries
with backoff (``core.tasks.event_handle``); when even that cannot be queued (broker down), the
notifications scan catches up on the notices the event would have written. The tests fail on
any handler error logged here (``conftest.py``), so a broken handler cannot hide.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)

# Modules whose import registers handlers (``@handles``); imported by ``load_handlers``.
HANDLER_MODULES = ("workflows.handlers", "notifications.handlers")


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every domain event. ``name`` is the event's stable name (logs, the retry
    task); the payload is the dataclass's fields."""

    name: ClassVar[str] = ""

    def payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]

_handlers: dict[type[Event], list[Handler]] = defaultdict(list)


def event_types() -> list[type[Event]]:
    """Every concrete event class defined in the project."""

    def walk(cls: type[Event]) -> Iterator[type[Event]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    return sorted({cls for cls in walk(Event) if cls.name}, key=lambda cls: cls.name)


def event_type(name: str) -> type[Event]:
    for cls in event_types():
        if cls.name == name:
            return cls
    raise LookupError(f"unknown event {name!r}")


def handles(*types: type[Event]) -> Callable[[Handler], Handler]:
    """Register the decorated function as a handler of each event type."""

    def register(handler: Handler) -> Handler:
        for cls in types:
            if handler not in _handlers[cls]:
                _handlers[cls].append(handler)
        return handler

    return register


def handlers_of(cls: type[Event]) -> list[Handler]:
    return list(_handlers.get(cls, ()))


def handler_path(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def handler_named(path: str) -> Handler:
    module, _dot, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)


def emit_on_commit(event: Event) -> None:
    """Deliver ``event`` to its handlers once the current transaction commits (at once when
    none is open)."""
    transaction.on_commit(lambda: dispatch(event))


def dispatch(event: Event) -> None:
    """Run every handler of the event, each on its own: one failing does not stop the others."""
    for handler in handlers_of(type(event)):
        try:
            handler(event)
        except Exception:  # noqa: BLE001 - logged loudly and re-queued, never swallowed
            log.exception("handler %s failed on %s %r", handler_path(handler), event.name, event)
            _requeue(handler, event)


def _requeue(handler: Handler, event: Event) -> None:
    from .tasks import event_handle

    try:
        event_handle.delay(handler_path(handler), event.name, event.payload())
    except Exception:  # noqa: BLE001 - the broker is down: the scan catches up
        log.exception("could not re-queue %s for %s", handler_path(handler), event.name)


def run_handler(path: str, name: str, payload: dict[str, Any]) -> None:
    """Run one handler on an event rebuilt from its payload (the retry task)."""
    cls = event_type(name)
    fields = {f.name: f.type for f in dataclasses.fields(cls)}
    values = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in payload.items()
        if key in fields
    }
    handler_named(path)(cls(**values))


# --- core's own events --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BoardMembersChanged(Event):
    """Members joined or left a steering board (the admin, an import, a service): the
    evaluation tasks of the reports the board evaluates follow."""

    name = "board_members_changed"
    board_id: int
