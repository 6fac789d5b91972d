"""Who may act on what: roles read from the organisation tree.

A unit's materialised path lists its ancestors' primary keys (``core.models.path_step``), so
the ids of a unit and all its ancestors come from the path itself and each question below
costs one query.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.models import (
    PATH_SEPARATOR,
    BoardMember,
    Initiative,
    Role,
    SteeringBoard,
    Unit,
    UnitRole,
    User,
)


def ancestor_ids(unit: Unit) -> list[int]:
    """The ids of ``unit`` and of every unit above it, root first (no query)."""
    return [int(step, 16) for step in unit.path.split(PATH_SEPARATOR) if step] or [unit.pk]


def responsible_board(unit: Unit) -> SteeringBoard | None:
    """The active steering board of ``unit`` itself or of its nearest ancestor."""
    return (
        SteeringBoard.objects.filter(unit_id__in=ancestor_ids(unit), is_active=True)
        .select_related("unit")
        .order_by("-unit__depth")
        .first()
    )


def is_official_for(user: User, unit: Unit) -> bool:
    """The user is an official of ``unit`` or of a unit above it."""
    return UnitRole.objects.filter(
        user=user, role=Role.OFFICIAL, unit_id__in=ancestor_ids(unit)
    ).exists()


def board_role(user: User, board: SteeringBoard) -> set[str]:
    """The roles the user holds on ``board`` (empty when not a member)."""
    return set(BoardMember.objects.filter(board=board, user=user).values_list("role", flat=True))


def holds_board_role_above(user: User, unit: Unit, roles: Iterable[str] | None = None) -> bool:
    """The user holds one of ``roles`` (any board role when None) on the active board of
    ``unit`` or of a unit above it: the responsible board or any board over it."""
    members = BoardMember.objects.filter(
        user=user, board__unit_id__in=ancestor_ids(unit), board__is_active=True
    )
    if roles is not None:
        members = members.filter(role__in=list(roles))
    return members.exists()


def recused(user: User, initiative: Initiative) -> bool:
    """A board member belonging to the owner unit does not evaluate its initiative."""
    if user.unit_id is not None and user.unit_id == initiative.owner_unit_id:
        return True
    return UnitRole.objects.filter(user=user, unit_id=initiative.owner_unit_id).exists()


class Taker:
    """Who may take a task; the same names key the set-based queue filters of
    ``workflows.selectors.tasks_for_user``. Stored on each task as its ``owner_permission``
    (``workflows.<taker>``), a permission nobody holds, so viewflow's stock queue, which
    trusts Django permissions, shows these tasks to no one but a superuser."""

    OWNER_OFFICIAL = "owner_official"  # an official of the owner unit or of a unit above it
    RESPONSIBLE_SECRETARY = "responsible_secretary"  # secretary of the responsible board
    EVALUATOR = "evaluator"  # the board member the task was created for
    CYCLE_SECRETARY = "cycle_secretary"  # secretary of the review cycle's board
    CYCLE_CHAIR = "cycle_chair"  # chair of the review cycle's board
    BOARD_CLERK = "board_clerk"  # clerk of the review cycle's board's unit
    AWARDING_CLERK = "awarding_clerk"  # clerk of the awarding body's unit

    @staticmethod
    def permission(taker: str) -> str:
        return f"workflows.{taker}"
