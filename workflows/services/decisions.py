"""Recognition decisions (step 6 of the lifecycle): the clerk of the board's unit issues one
numbered decision recognising what the chair chose in a review cycle. The decision itself is
numbered, snapshotted and rendered by ``documents.services.decision_issue``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.status import PROCESS

from core.errors import InvalidInput, WrongState
from core.events import emit_on_commit
from core.models import (
    InitiativeStatus,
    IssuerKind,
    IssuingBody,
    ReviewCycle,
    Unit,
    User,
)
from core.services import initiative_record_status
from core.tallies import initiative_tallies_follow
from documents.models import Decision, DecisionKind
from documents.services import EntryInput, decision_issue, decision_preview_pdf

from .. import events, flows, takers
from ..models import AnnualReport, AnnualReportStatus, LifecycleProcess, ProcessKind
from ._common import lock_initiatives, stored_text, task_step

# The default issuer of a recognition decision: the first issuing body attached to the
# board's own unit in this order of kinds (the board itself, then the unit's People's
# Committee, then its party committee); the lowest id wins within a kind.
RECOGNITION_ISSUER_KINDS = (
    IssuerKind.STEERING_BOARD,
    IssuerKind.PEOPLE_COMMITTEE,
    IssuerKind.PARTY_COMMITTEE,
)


def recognition_issuer(*, unit: Unit) -> IssuingBody | None:
    """The default issuer of the recognition decisions of ``unit``'s board."""
    bodies = list(IssuingBody.objects.filter(unit=unit, kind__in=RECOGNITION_ISSUER_KINDS))
    bodies.sort(key=lambda body: (RECOGNITION_ISSUER_KINDS.index(body.kind), body.pk))
    return bodies[0] if bodies else None


def recognition_proposal(board) -> str:
    """Who proposes a recognition: the board's standing secretariat (Thường trực)."""
    return f"Thường trực {board.name}"


def recognition_process(cycle: ReviewCycle) -> LifecycleProcess | None:
    """The cycle's open recognition process (its ``recognition_decision`` task waits for
    the clerk), if the chair has recognised an initiative not yet in a decision."""
    return LifecycleProcess.objects.filter(
        kind=ProcessKind.RECOGNITION, cycle_id=cycle.pk, status=PROCESS.NEW
    ).first()


def recognition_decision_issue(
    *,
    actor: User,
    cycle: ReviewCycle,
    issued_on: dt.date | None = None,
    issuer: IssuingBody | None = None,
    title: str | None = None,
    legal_bases: Sequence[str] | None = None,
    proposal: str | None = None,
    signer_role: str | None = None,
    signer_name: str | None = None,
) -> Decision:
    """The clerk of the board's unit issues one numbered decision recognising every
    initiative the chair chose in the cycle and no decision recognised yet: → recognised;
    the clerk's ``recognition_decision`` task completes with it.

    A chair's later choice in the same cycle waits for a second decision; with nothing
    waiting the call is refused (``WrongState``), saying whether a decision was issued.
    ``issuer`` defaults to ``recognition_issuer`` of the board's unit; ``legal_bases`` to
    the issuer's, ``proposal`` ("Theo đề nghị của …") to the board's standing secretariat.
    """
    with task_step(
        node=flows.RecognitionFlow.recognition_decision,
        process=recognition_process(cycle),
        actor=actor,
    ):
        locked = (
            ReviewCycle.objects.select_for_update(of=("self",))
            .select_related("board", "board__unit")
            .get(pk=cycle.pk)
        )
        board_unit = locked.board.unit
        takers.require(takers.Taker.BOARD_CLERK, actor, takers.Subject(clerk_unit_id=board_unit.pk))
        if issuer is None:
            issuer = recognition_issuer(unit=board_unit)
            if issuer is None:
                raise InvalidInput(
                    _("No issuing body is set up for %(unit)s: add one first.")
                    % {"unit": board_unit.name}
                )
        elif issuer.unit_id != board_unit.pk:
            raise InvalidInput(
                _("The issuing body must belong to %(unit)s.") % {"unit": board_unit.name}
            )
        chosen = AnnualReport.objects.filter(
            cycle=locked,
            status=AnnualReportStatus.DECIDED,
            recognise=True,
            recognition_decision__isnull=True,
        )
        initiatives = [
            initiative
            for initiative in lock_initiatives(chosen.values_list("initiative_id", flat=True))
            if initiative.status == InitiativeStatus.EVALUATED
        ]
        if not initiatives:
            if AnnualReport.objects.filter(
                cycle=locked, recognition_decision__isnull=False
            ).exists():
                raise WrongState(
                    _(
                        "Already done: the recognition decision of this review cycle has "
                        "been issued."
                    )
                )
            raise WrongState(
                _("The chair has not chosen any initiative to recognise in this review cycle.")
            )
        issued_on = issued_on or timezone.localdate()
        decision = decision_issue(
            issuer=issuer,
            kind=DecisionKind.RECOGNITION,
            issued_on=issued_on,
            title=(title or "").strip()
            or f"Về việc công nhận mô hình “Dân vận khéo” năm {locked.year}",
            entries=[EntryInput.for_initiative(initiative) for initiative in initiatives],
            actor=actor,
            legal_bases=legal_bases,
            proposal=recognition_proposal(locked.board) if proposal is None else proposal,
            signer_role=signer_role,
            signer_name=signer_name,
        )
        recognised = [initiative.pk for initiative in initiatives]
        # The recognitions the statistics count, by the decision's date (core.tallies).
        with initiative_tallies_follow(initiative_ids=recognised, statuses=False):
            AnnualReport.objects.filter(cycle=locked, initiative__in=recognised).update(
                recognition_decision=decision
            )
        reason = stored_text(
            lambda: (
                _("Recognised by decision %(number)s of %(issuer)s.")
                % {"number": decision.number, "issuer": issuer.name}
            )
        )
        now = timezone.now()
        for initiative in initiatives:
            initiative_record_status(
                initiative=initiative,
                to_status=InitiativeStatus.RECOGNISED,
                actor=actor,
                reason=reason,
                source="recognition_decision_issue",
                at=now,
            )
        emit_on_commit(
            events.DecisionIssued(
                decision_id=decision.pk,
                kind=DecisionKind.RECOGNITION,
                initiative_ids=tuple(initiative.pk for initiative in initiatives),
                cycle_id=locked.pk,
            )
        )
    return decision


def recognition_decision_preview(
    *,
    actor: User,
    cycle: ReviewCycle,
    issued_on: dt.date | None = None,
    issuer: IssuingBody | None = None,
    title: str | None = None,
    legal_bases: Sequence[str] | None = None,
    proposal: str | None = None,
    signer_role: str | None = None,
    signer_name: str | None = None,
) -> bytes:
    """The PDF ``recognition_decision_issue`` would issue with the same arguments, marked
    "DỰ THẢO" (draft), its number blank: a read; nothing is stored, no number taken, the
    clerk's task stays open. Refused as the issue would be (not the clerk, no issuer,
    nothing the chair chose waiting)."""
    board = cycle.board
    takers.require(takers.Taker.BOARD_CLERK, actor, takers.Subject(clerk_unit_id=board.unit_id))
    if issuer is None:
        issuer = recognition_issuer(unit=board.unit)
        if issuer is None:
            raise InvalidInput(
                _("No issuing body is set up for %(unit)s: add one first.")
                % {"unit": board.unit.name}
            )
    elif issuer.unit_id != board.unit_id:
        raise InvalidInput(
            _("The issuing body must belong to %(unit)s.") % {"unit": board.unit.name}
        )
    initiatives = [
        report.initiative
        for report in AnnualReport.objects.filter(
            cycle=cycle,
            status=AnnualReportStatus.DECIDED,
            recognise=True,
            recognition_decision__isnull=True,
            initiative__status=InitiativeStatus.EVALUATED,
        )
        .select_related("initiative__owner_unit", "initiative__phase")
        .order_by("initiative_id")
    ]
    if not initiatives:
        raise WrongState(
            _("The chair has not chosen any initiative to recognise in this review cycle.")
        )
    return decision_preview_pdf(
        issuer=issuer,
        kind=DecisionKind.RECOGNITION,
        issued_on=issued_on or timezone.localdate(),
        title=(title or "").strip() or f"Về việc công nhận mô hình “Dân vận khéo” năm {cycle.year}",
        entries=[EntryInput.for_initiative(initiative) for initiative in initiatives],
        actor=actor,
        legal_bases=legal_bases,
        proposal=recognition_proposal(board) if proposal is None else proposal,
        signer_role=signer_role,
        signer_name=signer_name,
    )
