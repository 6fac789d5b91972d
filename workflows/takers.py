"""Who may take a lifecycle task: one rule, in three shapes that a test proves agree.

- ``users_for(taker, subjects)``: who may take the task about each subject (set-based: a few
  queries for any number of subjects). ``may_take`` / ``require`` (the services and the web)
  and ``takers_of`` (the notices and the digest) are this one function.
- ``queue_branches(roles)``: the tasks one user may take (``selectors.task_queue``), in SQL,
  one index path per kind of taker.
- ``eligible_evaluators`` / ``recused``: who evaluates a report; an evaluation task is
  created for each of them and assigned, so its taker is its owner.

A subject is what a task is about, reduced to what the rule reads: the initiative's owner
unit, the review cycle's board, the awarding body's unit.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import CharField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core import selectors as core_selectors
from core.errors import NotAllowed
from core.memo import memoised
from core.models import (
    PATH_SEPARATOR,
    BoardMember,
    Initiative,
    InitiativeKind,
    Role,
    SteeringBoard,
    Unit,
    UnitRole,
    User,
)


class Taker:
    """Who may take a task. Stored on each task as its ``owner_permission``
    (``workflows.<taker>``), a permission nobody holds, so viewflow's stock queue, which
    trusts Django permissions, shows these tasks to no one but a superuser."""

    OWNER_OFFICIAL = "owner_official"  # an official of the owner unit or of a unit above it
    RESPONSIBLE_SECRETARY = "responsible_secretary"  # secretary of the responsible board
    EVALUATOR = "evaluator"  # the board member the task was created for
    CYCLE_SECRETARY = "cycle_secretary"  # secretary of the review cycle's board
    CYCLE_CHAIR = "cycle_chair"  # chair of the review cycle's board
    BOARD_CLERK = "board_clerk"  # clerk of the review cycle's board's unit
    AWARDING_CLERK = "awarding_clerk"  # clerk of the awarding body's unit

    ALL = (
        OWNER_OFFICIAL,
        RESPONSIBLE_SECRETARY,
        EVALUATOR,
        CYCLE_SECRETARY,
        CYCLE_CHAIR,
        BOARD_CLERK,
        AWARDING_CLERK,
    )

    @staticmethod
    def permission(taker: str) -> str:
        return f"workflows.{taker}"

    @staticmethod
    def of_permission(permission: str | None) -> str | None:
        prefix = "workflows."
        if permission and permission.startswith(prefix):
            return permission.removeprefix(prefix)
        return None


# Why a user who may not take the task is refused, per taker.
REFUSALS = {
    Taker.OWNER_OFFICIAL: _("Only an official of the unit or of a unit above it may do this."),
    Taker.RESPONSIBLE_SECRETARY: _(
        "Only the secretary of the responsible steering board may do this."
    ),
    Taker.EVALUATOR: _("Only a member of the review cycle's steering board may evaluate."),
    Taker.CYCLE_SECRETARY: _("Only the secretary of the steering board may do this."),
    Taker.CYCLE_CHAIR: _("Only the chair of the review cycle's steering board may decide."),
    Taker.BOARD_CLERK: _(
        "Only a clerk of the steering board's unit may issue the recognition decision."
    ),
    Taker.AWARDING_CLERK: _(
        "Only a clerk of the awarding body's unit may issue the commendation decision."
    ),
}


@dataclass(frozen=True)
class Subject:
    """What a task is about, as the rule reads it."""

    unit_path: str = ""  # the initiative's owner unit (officials, responsible secretary)
    board_id: int | None = None  # the review cycle's board (secretary, chair)
    clerk_unit_id: int | None = None  # the unit whose clerk issues (board's or awarding body's)
    owner_id: int | None = None  # an evaluation task's evaluator


def ancestor_ids(path: str) -> list[int]:
    """Unit ids of a materialised path, root first (no query)."""
    return [int(step, 16) for step in path.split(PATH_SEPARATOR) if step]


def _unit_of(path: str) -> int | None:
    """The id of the unit a path leads to (its last step)."""
    ids = ancestor_ids(path)
    return ids[-1] if ids else None


def subject_of_process(process) -> Subject:
    """The subject of a ``LifecycleProcess`` (its related rows loaded on demand)."""
    unit_path = process.unit.path if process.unit_id else ""
    board_id = clerk_unit_id = None
    if process.cycle_id:
        board_id = process.cycle.board_id
        clerk_unit_id = process.cycle.board.unit_id
    if process.nomination_id:
        clerk_unit_id = process.nomination.awarding_body.unit_id
    return Subject(unit_path=unit_path, board_id=board_id, clerk_unit_id=clerk_unit_id)


def subject_of_task(task: Task) -> Subject:
    subject = subject_of_process(task.process.lifecycleprocess)
    if Taker.of_permission(task.owner_permission) == Taker.EVALUATOR:
        return Subject(owner_id=task.owner_id)
    return subject


# --- the rule, set-based ------------------------------------------------------------------------


def _active(user_ids: Iterable[int]) -> set[int]:
    ids = set(user_ids)
    if not ids:
        return set()
    return set(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))


def _unit_roles(role: str, unit_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    rows = UnitRole.objects.filter(
        role=role, unit_id__in=set(unit_ids), user__is_active=True
    ).values_list("unit_id", "user_id")
    for unit_id, user_id in rows:
        found[unit_id].add(user_id)
    return found


def _board_roles(role: str, board_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    rows = BoardMember.objects.filter(
        role=role, board_id__in=set(board_ids), user__is_active=True
    ).values_list("board_id", "user_id")
    for board_id, user_id in rows:
        found[board_id].add(user_id)
    return found


def responsible_boards(paths: Iterable[str]) -> dict[str, SteeringBoard | None]:
    """The active board of each path's unit or of its nearest ancestor: {path: board}.
    One query for any number of paths."""
    paths = set(paths)
    units = {unit for path in paths for unit in ancestor_ids(path)}
    boards = {
        board.unit_id: board
        for board in SteeringBoard.objects.filter(unit_id__in=units, is_active=True).select_related(
            "unit"
        )
    }
    return {
        path: next((boards[u] for u in reversed(ancestor_ids(path)) if u in boards), None)
        for path in paths
    }


def responsible_board(unit: Unit) -> SteeringBoard | None:
    """The active steering board of ``unit`` itself or of its nearest ancestor."""
    return responsible_boards([unit.path])[unit.path]


def users_for(taker: str, subjects: Sequence[Subject]) -> list[set[int]]:
    """The active users who may take a ``taker`` task about each subject, in order."""
    if taker == Taker.EVALUATOR:
        owners = _active(s.owner_id for s in subjects if s.owner_id)
        return [{s.owner_id} & owners if s.owner_id else set() for s in subjects]
    if taker == Taker.OWNER_OFFICIAL:
        officials = _unit_roles(
            Role.OFFICIAL, {u for s in subjects for u in ancestor_ids(s.unit_path)}
        )
        return [
            set().union(*(officials.get(u, set()) for u in ancestor_ids(s.unit_path)))
            for s in subjects
        ]
    if taker == Taker.RESPONSIBLE_SECRETARY:
        boards = responsible_boards(s.unit_path for s in subjects if s.unit_path)
        board_ids = {path: board.pk for path, board in boards.items() if board}
        secretaries = _board_roles(Role.SECRETARY, set(board_ids.values()))
        return [set(secretaries.get(board_ids.get(s.unit_path), set())) for s in subjects]
    if taker in (Taker.CYCLE_SECRETARY, Taker.CYCLE_CHAIR):
        role = Role.SECRETARY if taker == Taker.CYCLE_SECRETARY else Role.CHAIR
        people = _board_roles(role, {s.board_id for s in subjects if s.board_id})
        return [set(people.get(s.board_id, set())) for s in subjects]
    if taker in (Taker.BOARD_CLERK, Taker.AWARDING_CLERK):
        clerks = _unit_roles(Role.CLERK, {s.clerk_unit_id for s in subjects if s.clerk_unit_id})
        return [set(clerks.get(s.clerk_unit_id, set())) for s in subjects]
    raise ValueError(f"unknown taker {taker!r}")


def holds_board_role_above(user: User, unit: Unit, roles: Iterable[str] | None = None) -> bool:
    """The user holds one of ``roles`` (any board role when None) on the active board of
    ``unit`` or of a unit above it: the responsible board or any board over it (who may
    discontinue an initiative or record a monitoring visit). Read from the user's seats:
    a seat's board unit (the last step of its path) among the unit's ancestors."""
    above = set(ancestor_ids(unit.path))
    held = {
        seat.role
        for seat in core_selectors.user_seats(user=user).boards
        if seat.active and _unit_of(seat.path) in above
    }
    return bool(held if roles is None else held & set(roles))


def may_take(taker: str, user: User | None, subject: Subject) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if taker == Taker.OWNER_OFFICIAL:
        # ``users_for``'s rule (an official of the unit or of a unit above it), read from
        # the user's seats instead of a query.
        above = set(ancestor_ids(subject.unit_path))
        return any(
            seat.role == Role.OFFICIAL and seat.unit_id in above
            for seat in core_selectors.user_seats(user=user).units
        )
    return memoised(
        ("may_take", taker, user.pk, subject), lambda: user.pk in users_for(taker, [subject])[0]
    )


def require(taker: str, user: User, subject: Subject) -> None:
    """Refuse (``NotAllowed``, with the taker's reason) a user who may not take the task."""
    if not may_take(taker, user, subject):
        raise NotAllowed(str(REFUSALS[taker]))


def takers_of(tasks: Sequence[Task]) -> dict[int, set[int]]:
    """Who may take each task: ``{task id: user ids}``; the assigned owner only, once a task
    is assigned (an evaluation is assigned when it is created). A few queries per kind of
    taker, whatever the number of tasks."""
    by_taker: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        taker = Taker.of_permission(task.owner_permission)
        if taker is not None:
            by_taker[taker].append(task)
    result: dict[int, set[int]] = {task.pk: set() for task in tasks}
    for taker, group in by_taker.items():
        subjects = [subject_of_task(task) for task in group]
        for task, users in zip(group, users_for(taker, subjects), strict=True):
            result[task.pk] = {task.owner_id} & users if task.owner_id else users
    return result


# --- evaluators -------------------------------------------------------------------------------


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name or "").casefold().split())


def members_belonging(user_ids: Iterable[int], unit_id: int) -> set[int]:
    """Of these users, those who belong to the unit: it is their unit, or they hold a role
    in it."""
    ids = set(user_ids)
    if not ids:
        return set()
    own = set(User.objects.filter(pk__in=ids, unit_id=unit_id).values_list("pk", flat=True))
    roles = set(
        UnitRole.objects.filter(user_id__in=ids, unit_id=unit_id).values_list("user_id", flat=True)
    )
    return own | roles


def recused_among(
    user_ids: Iterable[int], *, initiative: Initiative, board: SteeringBoard
) -> set[int]:
    """The members recused from evaluating ``initiative`` on ``board``: the individual owner
    (same name, and belonging to the owner unit), and anyone belonging to the owner unit when
    that unit lies below the board's unit."""
    ids = set(user_ids)
    belonging = members_belonging(ids, initiative.owner_unit_id)
    recused: set[int] = set()
    if initiative.owner_unit_id != board.unit_id:
        recused |= belonging
    if initiative.kind == InitiativeKind.INDIVIDUAL and initiative.owner_name:
        owner = _name_key(initiative.owner_name)
        names = User.objects.filter(pk__in=belonging).values_list("pk", "full_name")
        recused |= {pk for pk, name in names if _name_key(name) == owner}
    return recused


def board_member_ids(board: SteeringBoard) -> set[int]:
    return set(
        BoardMember.objects.filter(board=board, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def eligible_evaluators(*, board: SteeringBoard, initiative: Initiative) -> set[int]:
    """The active members of ``board`` who may evaluate ``initiative`` (not recused)."""
    members = board_member_ids(board)
    return members - recused_among(members, initiative=initiative, board=board)


@dataclass(frozen=True)
class EvaluatingBoard:
    board: SteeringBoard
    evaluators: frozenset[int]
    required: int  # evaluations needed to close


def evaluating_board(*, cycle_board: SteeringBoard, initiative: Initiative) -> EvaluatingBoard:
    """The board that evaluates ``initiative`` in a cycle of ``cycle_board``: that board
    when enough of its members may evaluate (at least its quorum), else the nearest active
    board above that has enough. When none has, the one with the most eligible members
    (nearest first) evaluates, and its quorum shrinks to them (at least one evaluation)."""
    candidates: list[SteeringBoard] = [cycle_board]
    above = ancestor_ids(cycle_board.unit.path)[:-1]
    if above:
        by_unit = {
            board.unit_id: board
            for board in SteeringBoard.objects.filter(
                unit_id__in=above, is_active=True
            ).select_related("unit")
        }
        candidates += [by_unit[u] for u in reversed(above) if u in by_unit]
    best: EvaluatingBoard | None = None
    for board in candidates:
        eligible = frozenset(eligible_evaluators(board=board, initiative=initiative))
        if len(eligible) >= max(1, board.quorum):
            return EvaluatingBoard(board, eligible, max(1, board.quorum))
        if best is None or len(eligible) > len(best.evaluators):
            best = EvaluatingBoard(board, eligible, max(1, min(board.quorum, len(eligible))))
    assert best is not None
    return best


# --- the queue: the tasks one user may take, in SQL -------------------------------------------


@dataclass(frozen=True)
class UserRoles:
    """What a user holds, read from its seats (``core.selectors.user_seats``, one query)."""

    official_paths: tuple[str, ...]
    clerk_unit_ids: tuple[int, ...]
    # (unit path, unit depth) of the active boards the user is secretary of
    secretary_boards: tuple[tuple[str, int], ...]
    secretary_board_ids: tuple[int, ...]
    chair_board_ids: tuple[int, ...]
    scope_paths: tuple[str, ...]  # covering paths of every unit and active board held


def user_roles(*, user: User) -> UserRoles:
    """The roles the queue's rule reads, from the user's seats (one query per page)."""
    seats = core_selectors.user_seats(user=user)
    boards = seats.boards
    return UserRoles(
        official_paths=tuple(s.path for s in seats.units if s.role == Role.OFFICIAL),
        clerk_unit_ids=tuple(s.unit_id for s in seats.units if s.role == Role.CLERK),
        secretary_boards=tuple(
            (s.path, s.depth) for s in boards if s.role == Role.SECRETARY and s.active
        ),
        secretary_board_ids=tuple(s.board_id for s in boards if s.role == Role.SECRETARY),
        chair_board_ids=tuple(s.board_id for s in boards if s.role == Role.CHAIR),
        scope_paths=tuple(seats.scope),
    )


def any_path(lookup: str, paths: Iterable[str]) -> Q:
    """``lookup`` starts with one of ``paths``; matches nothing for no path."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


PROCESS = "process__lifecycleprocess__"


def _taker_is(taker: str) -> Q:
    return Q(owner_permission=Taker.permission(taker))


def queue_branches(roles: UserRoles) -> list[QuerySet]:
    """The ids of unassigned tasks the user may take, one query per kind of taker the user
    can be, each on its own index path (a single query OR-ing them all would scan every
    task). The set-based twin of ``users_for``."""
    waiting = Task.objects.filter(
        flow_task_type="HUMAN", owner__isnull=True, status=STATUS.NEW
    ).order_by()
    unit_path = f"{PROCESS}unit__path"
    branches = []
    if roles.official_paths:
        branches.append(
            waiting.filter(
                _taker_is(Taker.OWNER_OFFICIAL), any_path(unit_path, roles.official_paths)
            )
        )
    for path, depth in roles.secretary_boards:
        # The board is responsible unless an active board sits between it and the unit.
        closer_board = (
            SteeringBoard.objects.filter(
                is_active=True, unit__depth__gt=depth, unit__path__startswith=path
            )
            .annotate(target=ExpressionWrapper(OuterRef(unit_path), output_field=CharField()))
            .filter(target__startswith=F("unit__path"))
        )
        branches.append(
            waiting.filter(
                _taker_is(Taker.RESPONSIBLE_SECRETARY),
                ~Exists(closer_board),
                **{f"{unit_path}__startswith": path},
            )
        )
    for taker, lookup, ids in (
        (Taker.CYCLE_SECRETARY, "cycle__board_id__in", roles.secretary_board_ids),
        (Taker.CYCLE_CHAIR, "cycle__board_id__in", roles.chair_board_ids),
        (Taker.BOARD_CLERK, "cycle__board__unit_id__in", roles.clerk_unit_ids),
        (Taker.AWARDING_CLERK, "nomination__awarding_body__unit_id__in", roles.clerk_unit_ids),
    ):
        if ids:
            branches.append(waiting.filter(_taker_is(taker), **{f"{PROCESS}{lookup}": ids}))
    return [branch.values("pk") for branch in branches]
