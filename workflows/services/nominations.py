"""Nominations for commendation (step 8 of the lifecycle): a board's secretary proposes the
owners of recognised initiatives to an awarding body; the clerk of that body's unit approves
all or some of them in one numbered commendation decision with its certificates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, NotAllowed, WrongState
from core.events import emit_on_commit
from core.models import (
    AwardType,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    IssuingBody,
    RecipientKind,
    ReviewCycle,
    SteeringBoard,
    User,
)
from core.rules import award_authority_problem
from core.services import initiative_record_status
from documents.models import Decision, DecisionKind
from documents.services import (
    CERTIFICATE_AWARDS,
    EntryInput,
    certificates_issue,
    decision_issue,
    decision_preview_pdf,
)

from .. import events, flows, takers
from ..models import LifecycleProcess, Nomination, NominationItem, NominationStatus
from ._common import adopt, lock_initiatives, required, stored_text, task_step


def nomination_proposal(nomination: Nomination) -> str:
    """Who proposes a commendation: the nominating board."""
    return nomination.board.name


def nomination_process(nomination: Nomination) -> LifecycleProcess | None:
    """The nomination's process; started for a submitted nomination that has none (made
    outside the flows)."""

    def find():
        return LifecycleProcess.objects.filter(nomination_id=nomination.pk).first()

    process = find()
    if process is None and nomination.status == NominationStatus.SUBMITTED:
        process = adopt(find, lambda: flows.NominationFlow.start.run(nomination=nomination))
    return process


@transaction.atomic
def nomination_create(
    *,
    actor: User,
    board: SteeringBoard,
    awarding_body: IssuingBody,
    items: Sequence[Initiative],
    citation: str,
    cycle: ReviewCycle | None = None,
) -> Nomination:
    """The board's secretary proposes recognised initiatives' owners to an awarding body:
    the owner unit for a collective initiative, the owner for an individual one. The
    awarding body unit's clerk gets the ``commend`` task."""
    takers.require(takers.Taker.CYCLE_SECRETARY, actor, takers.Subject(board_id=board.pk))
    citation = required(citation, _("The citation is required."))
    if not items:
        raise InvalidInput(_("Choose at least one initiative."))
    ids = [item.pk for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidInput(_("An initiative is listed more than once."))
    if cycle is not None and cycle.board_id != board.pk:
        raise InvalidInput(_("The review cycle belongs to another board."))
    board_unit = board.unit
    if awarding_body.unit_id is not None and not board_unit.is_in_subtree_of(awarding_body.unit):
        raise InvalidInput(_("The awarding body must be at the board's level or above."))
    # Lock in primary-key order so concurrent nominations cannot deadlock.
    locked = list(
        Initiative.objects.select_for_update(of=("self",))
        .select_related("owner_unit")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    for initiative in locked:
        if not initiative.owner_unit.is_in_subtree_of(board_unit):
            raise NotAllowed(
                _("Initiative %(code)s is outside the board's units.") % {"code": initiative.code}
            )
        if initiative.status != InitiativeStatus.RECOGNISED:
            raise WrongState(
                _("Initiative %(code)s is not recognised.") % {"code": initiative.code}
            )
    nomination = Nomination.objects.create(
        board=board,
        cycle=cycle,
        awarding_body=awarding_body,
        citation=citation,
        status=NominationStatus.SUBMITTED,
        proposed_by=actor,
    )
    by_pk = {initiative.pk: initiative for initiative in locked}
    NominationItem.objects.bulk_create(
        NominationItem(
            nomination=nomination,
            initiative=by_pk[pk],
            recipient_kind=(
                RecipientKind.INDIVIDUAL
                if by_pk[pk].kind == InitiativeKind.INDIVIDUAL
                else RecipientKind.COLLECTIVE
            ),
            recipient_name=(
                by_pk[pk].owner_name
                if by_pk[pk].kind == InitiativeKind.INDIVIDUAL
                else by_pk[pk].owner_unit.name
            ),
            unit=by_pk[pk].owner_unit,
        )
        for pk in ids
    )
    flows.NominationFlow.start.run(nomination=nomination)
    emit_on_commit(events.NominationSubmitted(nomination_id=nomination.pk))
    return nomination


def _commend_document(
    *,
    nomination: Nomination,
    initiatives,
    actor: User,
    award: str,
    approved_item_ids: Sequence[int] | None,
    issued_on: dt.date | None,
    citation: str | None,
    title: str | None,
    legal_bases: Sequence[str] | None,
    proposal: str | None,
    signer_role: str | None,
    signer_name: str | None,
):
    """Check a commendation of ``nomination`` and say what it decides: the approved items,
    their initiatives by id (loaded by ``initiatives``: locked when issuing) and the
    arguments of ``decision_issue``."""
    locked = nomination
    body = locked.awarding_body
    if locked.status == NominationStatus.DECIDED:
        raise WrongState(_("Already done: this nomination has already been decided."))
    if locked.status != NominationStatus.SUBMITTED:
        raise WrongState(_("This nomination has not been submitted."))
    if award not in AwardType.values:
        raise InvalidInput(_("Unknown award: %(award)s") % {"award": award})
    problem = award_authority_problem(award, body)
    if problem:
        raise InvalidInput(problem)
    items = list(locked.items.select_related("unit").order_by("pk"))
    if approved_item_ids is None:
        approved = items
    else:
        wanted = list(approved_item_ids)
        known = {item.pk for item in items}
        unknown = [str(pk) for pk in wanted if pk not in known]
        if unknown:
            raise InvalidInput(
                _("Not in this nomination: %(items)s.") % {"items": ", ".join(unknown)}
            )
        approved = [item for item in items if item.pk in set(wanted)]
    if not approved:
        raise InvalidInput(_("Approve at least one nominated recipient."))
    by_pk = {i.pk: i for i in initiatives([item.initiative_id for item in approved])}
    for item in approved:
        initiative = by_pk[item.initiative_id]
        if initiative.status != InitiativeStatus.RECOGNISED:
            raise WrongState(
                _("Initiative %(code)s is not recognised.") % {"code": initiative.code}
            )
    citation = (citation or "").strip() or locked.citation
    issued_on = issued_on or timezone.localdate()
    document = dict(
        issuer=body,
        kind=DecisionKind.COMMENDATION,
        issued_on=issued_on,
        title=(title or "").strip()
        or f"Về việc khen thưởng trong phong trào thi đua “Dân vận khéo” năm {issued_on.year}",
        entries=[
            EntryInput.for_initiative(
                by_pk[item.initiative_id],
                unit=item.unit,
                recipient_kind=item.recipient_kind,
                recipient_name=item.recipient_name,
                award=award,
                citation=citation,
            )
            for item in approved
        ],
        actor=actor,
        legal_bases=legal_bases,
        proposal=nomination_proposal(locked) if proposal is None else proposal,
        signer_role=signer_role,
        signer_name=signer_name,
    )
    return approved, by_pk, document


def nomination_commend(
    *,
    actor: User,
    nomination: Nomination,
    award: str,
    approved_item_ids: Sequence[int] | None = None,
    issued_on: dt.date | None = None,
    citation: str | None = None,
    title: str | None = None,
    legal_bases: Sequence[str] | None = None,
    proposal: str | None = None,
    signer_role: str | None = None,
    signer_name: str | None = None,
) -> Decision:
    """The clerk of the awarding body's unit approves all (``approved_item_ids`` None) or
    some of a nomination's recipients into one numbered commendation decision with one
    award; the approved initiatives → commended, with their ``Commendation`` rows and, for
    a Giấy khen or Bằng khen, their certificates. The other items are refused. The awarding
    clerk's ``commend`` task completes with it. ``legal_bases`` default to the body's;
    ``proposal`` ("Theo đề nghị của …") to the proposing board."""
    with task_step(
        node=flows.NominationFlow.commend,
        process=nomination_process(nomination),
        actor=actor,
    ):
        locked = (
            Nomination.objects.select_for_update(of=("self",))
            .select_related("awarding_body", "awarding_body__unit", "board")
            .get(pk=nomination.pk)
        )
        body = locked.awarding_body
        takers.require(
            takers.Taker.AWARDING_CLERK, actor, takers.Subject(clerk_unit_id=body.unit_id)
        )
        approved, by_pk, document = _commend_document(
            nomination=locked,
            initiatives=lock_initiatives,
            actor=actor,
            award=award,
            approved_item_ids=approved_item_ids,
            issued_on=issued_on,
            citation=citation,
            title=title,
            legal_bases=legal_bases,
            proposal=proposal,
            signer_role=signer_role,
            signer_name=signer_name,
        )
        decision = decision_issue(**document)
        if award in CERTIFICATE_AWARDS:
            certificates_issue(decision=decision, actor=actor)
        approved_ids = [item.pk for item in approved]
        locked.items.filter(pk__in=approved_ids).update(approved=True)
        locked.items.exclude(pk__in=approved_ids).update(approved=False)
        locked.status = NominationStatus.DECIDED
        locked.decision = decision
        locked.save(update_fields=["status", "decision"])
        award_label = AwardType(award).label
        reason = stored_text(
            lambda: (
                _("Commended (%(award)s) by decision %(number)s of %(issuer)s.")
                % {"award": str(award_label), "number": decision.number, "issuer": body.name}
            )
        )
        now = timezone.now()
        for initiative in by_pk.values():
            initiative_record_status(
                initiative=initiative,
                to_status=InitiativeStatus.COMMENDED,
                actor=actor,
                reason=reason,
                source="nomination_commend",
                at=now,
            )
        emit_on_commit(
            events.DecisionIssued(
                decision_id=decision.pk,
                kind=DecisionKind.COMMENDATION,
                initiative_ids=tuple(sorted(by_pk)),
                cycle_id=locked.cycle_id,
                nomination_id=locked.pk,
            )
        )

    return decision


def nomination_commend_preview(
    *,
    actor: User,
    nomination: Nomination,
    award: str,
    approved_item_ids: Sequence[int] | None = None,
    issued_on: dt.date | None = None,
    citation: str | None = None,
    title: str | None = None,
    legal_bases: Sequence[str] | None = None,
    proposal: str | None = None,
    signer_role: str | None = None,
    signer_name: str | None = None,
) -> bytes:
    """The PDF ``nomination_commend`` would issue with the same arguments, marked "DỰ THẢO"
    (draft), its number blank: a read; nothing is stored, no number taken, the task stays
    open. Refused as the commendation would be."""
    nomination = Nomination.objects.select_related(
        "awarding_body", "awarding_body__unit", "board"
    ).get(pk=nomination.pk)
    takers.require(
        takers.Taker.AWARDING_CLERK,
        actor,
        takers.Subject(clerk_unit_id=nomination.awarding_body.unit_id),
    )
    _approved, _by_pk, document = _commend_document(
        nomination=nomination,
        initiatives=lambda ids: (
            Initiative.objects.select_related("owner_unit", "phase")
            .filter(pk__in=list(ids))
            .order_by("pk")
        ),
        actor=actor,
        award=award,
        approved_item_ids=approved_item_ids,
        issued_on=issued_on,
        citation=citation,
        title=title,
        legal_bases=legal_bases,
        proposal=proposal,
        signer_role=signer_role,
        signer_name=signer_name,
    )
    return decision_preview_pdf(**document)
