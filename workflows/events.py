"""The lifecycle's events: one class each, with a typed payload of ids and values.

Services emit them with ``core.events.emit_on_commit``; handlers live in
``workflows.handlers`` (the flows reacting) and ``notifications.handlers`` (the notices).
A test fails when an event has no handler or a handler waits for an event nobody emits.
Events of ``core`` (a board's members changed) are in ``core.events``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.events import Event

# --- registration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InitiativeRegistered(Event):
    name = "initiative_registered"
    initiative_id: int


@dataclass(frozen=True)
class InitiativeResubmitted(Event):
    name = "initiative_resubmitted"
    initiative_id: int


@dataclass(frozen=True)
class InitiativeAccepted(Event):
    name = "initiative_accepted"
    initiative_id: int
    reason: str


@dataclass(frozen=True)
class InitiativeReturned(Event):
    name = "initiative_returned"
    initiative_id: int
    reason: str


@dataclass(frozen=True)
class InitiativeRejected(Event):
    name = "initiative_rejected"
    initiative_id: int
    reason: str


@dataclass(frozen=True)
class InitiativeWithdrawn(Event):
    name = "initiative_withdrawn"
    initiative_id: int
    reason: str


@dataclass(frozen=True)
class InitiativeDiscontinued(Event):
    name = "initiative_discontinued"
    initiative_id: int
    reason: str


# --- monitoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgressReportSubmitted(Event):
    name = "progress_report_submitted"
    initiative_id: int
    report_id: int


@dataclass(frozen=True)
class MonitoringVisitRecorded(Event):
    name = "monitoring_visit_recorded"
    initiative_id: int
    visit_id: int


# --- review cycles and evaluation -------------------------------------------------------------


@dataclass(frozen=True)
class CycleOpened(Event):
    name = "cycle_opened"
    cycle_id: int
    reports: int


@dataclass(frozen=True)
class CycleClosed(Event):
    name = "cycle_closed"
    cycle_id: int
    forced: bool
    reason: str


@dataclass(frozen=True)
class EvaluationTasksCreated(Event):
    """Evaluation tasks appeared for these members: when a report is submitted, when a
    member joins the evaluating board, when the evaluation passes to a board above."""

    name = "evaluation_tasks_created"
    report_id: int
    evaluator_ids: tuple[int, ...]


@dataclass(frozen=True)
class EvaluationEscalated(Event):
    """Too few members of the cycle's board may evaluate: a board above evaluates."""

    name = "evaluation_escalated"
    report_id: int
    initiative_id: int
    from_board_id: int
    to_board_id: int


@dataclass(frozen=True)
class EvaluationSubmitted(Event):
    name = "evaluation_submitted"
    report_id: int
    evaluation_id: int
    # Whether this score completed the quorum: the secretary may now close the evaluation.
    quorum_reached: bool


@dataclass(frozen=True)
class EvaluationClosed(Event):
    name = "evaluation_closed"
    report_id: int
    initiative_id: int


@dataclass(frozen=True)
class InitiativeDecided(Event):
    name = "initiative_decided"
    report_id: int
    initiative_id: int
    recognise: bool


# --- nominations and decisions ----------------------------------------------------------------


@dataclass(frozen=True)
class NominationSubmitted(Event):
    name = "nomination_submitted"
    nomination_id: int


@dataclass(frozen=True)
class DecisionIssued(Event):
    """A recognition decision (``cycle_id``) or a commendation decision (``nomination_id``)
    was issued for these initiatives."""

    name = "decision_issued"
    decision_id: int
    kind: str
    initiative_ids: tuple[int, ...]
    cycle_id: int | None = None
    nomination_id: int | None = None
