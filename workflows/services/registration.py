"""Registration: an official registers an initiative; the responsible board's secretary
accepts, returns or rejects it; a returned one is edited and resubmitted; the owner may
withdraw it and a responsible board may discontinue it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, NotAllowed, WrongState
from core.events import emit_on_commit
from core.models import (
    Field,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    Phase,
    Role,
    Unit,
    User,
)
from core.rules import registered_on_problem
from core.services import initiative_record_status
from core.tallies import initiative_tallies_add, initiative_tallies_follow

from .. import events, flows, takers
from ..models import LifecycleProcess, ProcessKind
from ._common import (
    adopt,
    cancel_open_processes,
    lock_initiative,
    lock_open_processes,
    require_not_final,
    required,
    required_reason,
    task_step,
)


def _validate_initiative_data(
    *, title: str, kind: str, owner_name: str, fields: Sequence[Field]
) -> tuple[str, str]:
    title = required(title, _("The title is required."))
    if kind not in InitiativeKind.values:
        raise InvalidInput(_("Unknown kind of initiative: %(kind)s") % {"kind": kind})
    owner_name = (owner_name or "").strip()
    if kind == InitiativeKind.INDIVIDUAL and not owner_name:
        raise InvalidInput(_("An individual initiative needs the owner's name."))
    if not fields:
        raise InvalidInput(_("Choose at least one field."))
    return title, owner_name


def registration_process(initiative: Initiative) -> LifecycleProcess | None:
    """The initiative's registration process; started for a registered or returned
    initiative that has none (imported)."""

    def find():
        return LifecycleProcess.objects.filter(
            kind=ProcessKind.REGISTRATION, initiative_id=initiative.pk
        ).first()

    process = find()
    if process is None and initiative.status in (
        InitiativeStatus.REGISTERED,
        InitiativeStatus.RETURNED,
    ):
        process = adopt(find, lambda: flows.RegistrationFlow.start.run(initiative=initiative))
    return process


@transaction.atomic
def initiative_register(
    *,
    actor: User,
    unit: Unit,
    title: str,
    kind: str,
    fields: Sequence[Field],
    phase: Phase,
    registered_on: dt.date | None = None,
    owner_name: str = "",
    description: str = "",
    goals: str = "",
    replicated_from: Initiative | None = None,
) -> Initiative:
    """An official registers an initiative for their unit or a unit below it; its review
    waits in the responsible board secretary's queue."""
    takers.require(takers.Taker.OWNER_OFFICIAL, actor, takers.Subject(unit_path=unit.path))
    title, owner_name = _validate_initiative_data(
        title=title, kind=kind, owner_name=owner_name, fields=fields
    )
    if replicated_from is not None and not any(
        replicated_from.owner_unit.path.startswith(path)
        for path in takers.user_roles(user=actor).scope_paths
    ):
        # Any initiative the official may see (nhân rộng): nothing outside their subtrees.
        raise InvalidInput(_("The initiative it replicates is not one you can see."))
    if registered_on is not None:
        # A date the caller gives is bounded (core.rules); left out, it is today's.
        if problem := registered_on_problem(registered_on, phase_ends_on=phase.ends_on):
            raise InvalidInput(problem[:1].upper() + problem[1:] + ".")
    registered_on = registered_on or timezone.localdate()
    initiative = Initiative.objects.create(
        # A placeholder until the primary key, which the code is made of, exists.
        code=f"new-{uuid.uuid4().hex}",
        title=title,
        owner_unit=unit,
        kind=kind,
        owner_name=owner_name if kind == InitiativeKind.INDIVIDUAL else "",
        phase=phase,
        registered_on=registered_on,
        description=description.strip(),
        goals=goals.strip(),
        replicated_from=replicated_from,
        status=InitiativeStatus.REGISTERED,
        created_by=actor,
    )
    initiative.code = f"MH-{registered_on.year}-{initiative.pk:06d}"
    Initiative.objects.filter(pk=initiative.pk).update(code=initiative.code)
    initiative.fields.set(fields)
    initiative_tallies_add(initiative_ids=[initiative.pk])
    # The first history line reads "∅ → registered".
    initiative.status = ""
    initiative_record_status(
        initiative=initiative,
        to_status=InitiativeStatus.REGISTERED,
        actor=actor,
        source="initiative_register",
    )
    flows.RegistrationFlow.start.run(initiative=initiative)
    emit_on_commit(events.InitiativeRegistered(initiative_id=initiative.pk))
    return initiative


def _review(
    *,
    actor: User,
    initiative: Initiative,
    to_status: str,
    reason: str,
    source: str,
    event,
    then=None,
) -> Initiative:
    with task_step(
        node=flows.RegistrationFlow.review,
        process=registration_process(initiative),
        actor=actor,
    ):
        locked = lock_initiative(initiative)
        takers.require(
            takers.Taker.RESPONSIBLE_SECRETARY,
            actor,
            takers.Subject(unit_path=locked.owner_unit.path),
        )
        if locked.status != InitiativeStatus.REGISTERED:
            raise WrongState(_("Already done: this registration has already been handled."))
        initiative_record_status(
            initiative=locked, to_status=to_status, actor=actor, reason=reason, source=source
        )
        emit_on_commit(event(initiative_id=locked.pk, reason=reason))
        if then is not None:
            then(locked)
    return locked


def initiative_accept(*, actor: User, initiative: Initiative, reason: str = "") -> Initiative:
    """The responsible board's secretary accepts a registration: → monitored. When its
    board's review cycle of the year is already open, it gets its annual report at once."""
    from .cycles import annual_report_for_late_acceptance

    return _review(
        actor=actor,
        initiative=initiative,
        to_status=InitiativeStatus.MONITORED,
        reason=(reason or "").strip(),
        source="initiative_accept",
        event=events.InitiativeAccepted,
        then=lambda accepted: annual_report_for_late_acceptance(initiative=accepted),
    )


def initiative_return(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """Send a registration back to the owner to edit and resubmit: → returned."""
    return _review(
        actor=actor,
        initiative=initiative,
        to_status=InitiativeStatus.RETURNED,
        reason=required_reason(reason),
        source="initiative_return",
        event=events.InitiativeReturned,
    )


def initiative_reject(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """Refuse a registration for good: → rejected."""
    return _review(
        actor=actor,
        initiative=initiative,
        to_status=InitiativeStatus.REJECTED,
        reason=required_reason(reason),
        source="initiative_reject",
        event=events.InitiativeRejected,
    )


def initiative_resubmit(
    *,
    actor: User,
    initiative: Initiative,
    title: str | None = None,
    kind: str | None = None,
    owner_name: str | None = None,
    fields: Sequence[Field] | None = None,
    phase: Phase | None = None,
    description: str | None = None,
    goals: str | None = None,
    reason: str = "",
) -> Initiative:
    """The owner edits a returned initiative and sends it again: returned → registered.
    Arguments left as None keep their current value."""
    with task_step(
        node=flows.RegistrationFlow.resubmit,
        process=registration_process(initiative),
        actor=actor,
    ):
        locked = lock_initiative(initiative)
        takers.require(
            takers.Taker.OWNER_OFFICIAL, actor, takers.Subject(unit_path=locked.owner_unit.path)
        )
        if locked.status != InitiativeStatus.RETURNED:
            raise WrongState(_("Only a returned initiative can be resubmitted."))
        new_fields = list(fields) if fields is not None else list(locked.fields.all())
        new_kind = kind if kind is not None else locked.kind
        new_title, new_owner_name = _validate_initiative_data(
            title=title if title is not None else locked.title,
            kind=new_kind,
            owner_name=owner_name if owner_name is not None else locked.owner_name,
            fields=new_fields,
        )
        # The kind and the fields are counted in the tallies.
        with initiative_tallies_follow(initiative_ids=[locked.pk]):
            locked.title = new_title
            locked.kind = new_kind
            locked.owner_name = new_owner_name if new_kind == InitiativeKind.INDIVIDUAL else ""
            if phase is not None:
                locked.phase = phase
            if description is not None:
                locked.description = description.strip()
            if goals is not None:
                locked.goals = goals.strip()
            locked.save(
                update_fields=[
                    "title",
                    "kind",
                    "owner_name",
                    "phase",
                    "description",
                    "goals",
                    "updated_at",
                ]
            )
            if fields is not None:
                locked.fields.set(new_fields)
        initiative_record_status(
            initiative=locked,
            to_status=InitiativeStatus.REGISTERED,
            actor=actor,
            reason=(reason or "").strip(),
            source="initiative_resubmit",
        )
        emit_on_commit(events.InitiativeResubmitted(initiative_id=locked.pk))
    return locked


@transaction.atomic
def initiative_withdraw(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """The owner withdraws the initiative: → withdrawn, for good; its open processes are
    cancelled with it."""
    reason = required_reason(reason)
    lock_open_processes(initiative.pk)
    locked = lock_initiative(initiative)
    takers.require(
        takers.Taker.OWNER_OFFICIAL, actor, takers.Subject(unit_path=locked.owner_unit.path)
    )
    require_not_final(locked)
    initiative_record_status(
        initiative=locked,
        to_status=InitiativeStatus.WITHDRAWN,
        actor=actor,
        reason=reason,
        source="initiative_withdraw",
    )
    cancel_open_processes(locked.pk)
    emit_on_commit(events.InitiativeWithdrawn(initiative_id=locked.pk, reason=reason))
    return locked


@transaction.atomic
def initiative_discontinue(*, actor: User, initiative: Initiative, reason: str) -> Initiative:
    """The secretary or chair of the responsible board (or of any board above it) stops the
    initiative: → discontinued, for good; its open processes are cancelled with it."""
    reason = required_reason(reason)
    lock_open_processes(initiative.pk)
    locked = lock_initiative(initiative)
    if not takers.holds_board_role_above(actor, locked.owner_unit, (Role.SECRETARY, Role.CHAIR)):
        raise NotAllowed(
            _(
                "Only the secretary or the chair of a responsible steering board may "
                "discontinue an initiative."
            )
        )
    require_not_final(locked)
    initiative_record_status(
        initiative=locked,
        to_status=InitiativeStatus.DISCONTINUED,
        actor=actor,
        reason=reason,
        source="initiative_discontinue",
    )
    cancel_open_processes(locked.pk)
    emit_on_commit(events.InitiativeDiscontinued(initiative_id=locked.pk, reason=reason))
    return locked
