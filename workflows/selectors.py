"""Reads of the lifecycle shared by flows, views, the API and reminders.

Every list here is one query (two or three with its prefetches) whatever its length.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core.models import (
    PATH_SEPARATOR,
    BoardMember,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    ReviewCycle,
    Role,
    SteeringBoard,
    Unit,
    UnitRole,
    User,
)
from documents.models import Decision, DecisionEntry

from .models import AnnualReport, AnnualReportStatus, Evaluation, LifecycleProcess
from .roles import Taker


def report_evaluators(*, report: AnnualReport) -> QuerySet[User]:
    """Who evaluates a report: the members of the cycle's board (any role), minus those
    recused because they belong to the owner unit (their unit, or a role in it)."""
    owner_unit_id = report.initiative.owner_unit_id
    return (
        User.objects.filter(
            pk__in=BoardMember.objects.filter(board_id=report.cycle.board_id).values("user_id")
        )
        .exclude(unit_id=owner_unit_id)
        .exclude(pk__in=UnitRole.objects.filter(unit_id=owner_unit_id).values("user_id"))
        .order_by("full_name", "pk")
    )


def evaluation_queue(*, user: User) -> QuerySet[AnnualReport]:
    """Reports awaiting this user's evaluation: submitted, in a cycle of a board the user
    sits on, not owned by a unit the user belongs to, not yet scored by the user."""
    reports = AnnualReport.objects.filter(
        status=AnnualReportStatus.SUBMITTED,
        cycle__board_id__in=BoardMember.objects.filter(user=user).values("board_id"),
        initiative__status=InitiativeStatus.MONITORED,
    ).exclude(Exists(Evaluation.objects.filter(annual_report=OuterRef("pk"), evaluator=user)))
    reports = reports.exclude(
        initiative__owner_unit_id__in=UnitRole.objects.filter(user=user).values("unit_id")
    )
    if user.unit_id is not None:
        reports = reports.exclude(initiative__owner_unit_id=user.unit_id)
    return reports.select_related(
        "initiative", "initiative__owner_unit", "cycle", "cycle__board"
    ).order_by("due_on", "submitted_at", "pk")


def decision_list(*, cycle: ReviewCycle, undecided_only: bool = False) -> QuerySet[AnnualReport]:
    """The cycle's closed evaluations for the chair, highest score first."""
    statuses = [AnnualReportStatus.EVALUATION_CLOSED]
    if not undecided_only:
        statuses.append(AnnualReportStatus.DECIDED)
    return (
        AnnualReport.objects.filter(cycle=cycle, status__in=statuses)
        .select_related("initiative", "initiative__owner_unit")
        .annotate(evaluation_count=Count("evaluations"))
        .order_by(F("score").desc(nulls_last=True), "initiative__code", "pk")
    )


def _covering_paths(paths: list[str]) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if path and not any(path.startswith(top) for top in kept):
            kept.append(path)
    return kept


def initiatives_for_user(*, user: User) -> QuerySet[Initiative]:
    """Initiatives in the subtree of every unit where the user holds a unit role or sits on
    the unit's (active) board. Two queries for the paths and the list, one for fields."""
    paths = list(
        UnitRole.objects.filter(user=user)
        .values_list("unit__path", flat=True)
        .union(
            BoardMember.objects.filter(user=user, board__is_active=True).values_list(
                "board__unit__path", flat=True
            )
        )
    )
    covering = _covering_paths(paths)
    if not covering:
        return Initiative.objects.none()
    scope = Q()
    for path in covering:
        scope |= Q(owner_unit__path__startswith=path)
    return (
        Initiative.objects.filter(scope)
        .select_related("owner_unit", "phase")
        .prefetch_related("fields")
    )


def initiative_records(*, initiative_id: int) -> Initiative:
    """One initiative with everything a task page shows: history, progress reports,
    monitoring visits, annual reports with their evaluations. A fixed number of queries."""
    return (
        Initiative.objects.select_related("owner_unit", "phase", "replicated_from")
        .prefetch_related(
            "fields",
            Prefetch(
                "history",
                queryset=InitiativeStatusChange.objects.select_related("actor").order_by(
                    "at", "pk"
                ),
            ),
            "progress_reports__author",
            "monitoring_visits__recorded_by",
            Prefetch(
                "annual_reports",
                queryset=AnnualReport.objects.select_related("cycle").prefetch_related(
                    "evaluations__evaluator"
                ),
            ),
        )
        .get(pk=initiative_id)
    )


# --- tasks and processes ----------------------------------------------------------------------


@dataclass(frozen=True)
class UserRoles:
    """What a user holds, read in two queries: unit roles and board seats."""

    official_paths: tuple[str, ...]
    clerk_unit_ids: tuple[int, ...]
    # (unit path, unit depth) of the active boards the user is secretary of
    secretary_boards: tuple[tuple[str, int], ...]
    secretary_board_ids: tuple[int, ...]
    chair_board_ids: tuple[int, ...]
    scope_paths: tuple[str, ...]  # covering paths of every unit and active board held


def user_roles(*, user: User) -> UserRoles:
    unit_roles = list(
        UnitRole.objects.filter(user=user).values_list("role", "unit_id", "unit__path")
    )
    seats = list(
        BoardMember.objects.filter(user=user).values_list(
            "role", "board_id", "board__unit__path", "board__unit__depth", "board__is_active"
        )
    )
    scope = [path for _role, _unit, path in unit_roles]
    scope += [path for _role, _board, path, _depth, active in seats if active]
    return UserRoles(
        official_paths=tuple(path for role, _unit, path in unit_roles if role == Role.OFFICIAL),
        clerk_unit_ids=tuple(unit for role, unit, _path in unit_roles if role == Role.CLERK),
        secretary_boards=tuple(
            (path, depth)
            for role, _board, path, depth, active in seats
            if role == Role.SECRETARY and active
        ),
        secretary_board_ids=tuple(board for role, board, *_rest in seats if role == Role.SECRETARY),
        chair_board_ids=tuple(board for role, board, *_rest in seats if role == Role.CHAIR),
        scope_paths=tuple(_covering_paths(scope)),
    )


def _any_path(lookup: str, paths: Iterable[str]) -> Q:
    """``lookup`` starts with one of ``paths``; matches nothing for no path."""
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


_PROCESS = "process__lifecycleprocess__"


def _taker_is(taker: str) -> Q:
    return Q(owner_permission=Taker.permission(taker))


def _queue_branches(roles: UserRoles) -> list[QuerySet]:
    """The set-based twin of ``workflows.flows.may_take``: the ids of unassigned tasks the
    user may take, one query per kind of taker the user can be, each on its own index path
    (a single query OR-ing them all would scan every task)."""
    waiting = Task.objects.filter(
        flow_task_type="HUMAN", owner__isnull=True, status=STATUS.NEW
    ).order_by()
    unit_path = f"{_PROCESS}unit__path"
    branches = []
    if roles.official_paths:
        branches.append(
            waiting.filter(
                _taker_is(Taker.OWNER_OFFICIAL), _any_path(unit_path, roles.official_paths)
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
            branches.append(waiting.filter(_taker_is(taker), **{f"{_PROCESS}{lookup}": ids}))
    return [branch.values("pk") for branch in branches]


def _task_rows(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related(
        "owner", "process", f"{_PROCESS}unit", f"{_PROCESS}initiative"
    ).order_by("created", "pk")


def _selected(ids: list[QuerySet]) -> QuerySet[Task]:
    """The tasks whose ids the branch queries select (them as one subquery)."""
    if not ids:
        return Task.objects.none()
    selection = ids[0].union(*ids[1:], all=True) if len(ids) > 1 else ids[0]
    return Task.objects.filter(pk__in=selection)


def _tasks(ids: list[QuerySet]) -> QuerySet[Task]:
    # Few enough joins for PostgreSQL to plan them freely (join_collapse_limit is 8): it
    # then starts from the selected ids rather than from every task.
    return _task_rows(_selected(ids))


def _assigned_to(user: User) -> QuerySet:
    return (
        Task.objects.filter(flow_task_type="HUMAN", owner=user, status=STATUS.ASSIGNED)
        .order_by()
        .values("pk")
    )


def task_inbox(*, user: User) -> QuerySet[Task]:
    """Open tasks assigned to the user (evaluations are assigned when they are created)."""
    return _tasks([_assigned_to(user)])


def task_queue(*, user: User) -> QuerySet[Task]:
    """Unassigned tasks the user may take. Three queries: two for the roles, one list."""
    return _tasks(_queue_branches(user_roles(user=user)))


def _for_user_ids(user: User) -> list[QuerySet]:
    return [_assigned_to(user), *_queue_branches(user_roles(user=user))]


def tasks_for_user(*, user: User) -> QuerySet[Task]:
    """My inbox and the queue I may take from, oldest first. Three queries: two for the
    roles, one for the list."""
    return _tasks(_for_user_ids(user))


def task_ids_for_user(*, user: User) -> QuerySet:
    """The ids of ``tasks_for_user``, in its order: a long list is paged on these (no
    join), then ``tasks_by_ids`` loads the page."""
    return _selected(_for_user_ids(user)).order_by("created", "pk").values_list("pk", flat=True)


def tasks_by_ids(ids: Iterable[int]) -> list[Task]:
    """Tasks with what a task list shows, in the order of ``ids``; one query."""
    ids = list(ids)
    by_id = {task.pk: task for task in _task_rows(Task.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]


def task_archive(*, user: User) -> QuerySet[Task]:
    """Tasks the user completed."""
    done = Task.objects.filter(flow_task_type="HUMAN", owner=user, finished__isnull=False)
    return _tasks([done.order_by().values("pk")]).order_by("-finished", "-pk")


def processes_for_user(*, user: User) -> QuerySet[LifecycleProcess]:
    """Processes about the user's subtree: the units where they hold a role or sit on an
    active board, and everything below."""
    roles = user_roles(user=user)
    return (
        LifecycleProcess.objects.filter(_any_path("unit__path", roles.scope_paths))
        .select_related("unit", "initiative", "cycle", "nomination")
        .order_by("-created", "-pk")
    )


def initiative_list(
    *,
    user: User,
    status: str | None = None,
    field: str | None = None,
    unit: str | None = None,
    phase: str | None = None,
    kind: str | None = None,
) -> QuerySet[Initiative]:
    """The user's initiatives, filtered; ``unit`` (a code) keeps that unit's subtree."""
    initiatives = initiatives_for_user(user=user)
    if status:
        initiatives = initiatives.filter(status=status)
    if kind:
        initiatives = initiatives.filter(kind=kind)
    if field:
        initiatives = initiatives.filter(fields__code=field)
    if phase:
        initiatives = initiatives.filter(phase__code=phase)
    if unit:
        path = Unit.objects.filter(code=unit).values_list("path", flat=True).first()
        if path is None:
            return initiatives.none()
        initiatives = initiatives.filter(owner_unit__path__startswith=path)
    return initiatives


def _prefixes(path: str) -> list[str]:
    steps = [step for step in path.split(PATH_SEPARATOR) if step]
    return [PATH_SEPARATOR.join(steps[: n + 1]) + PATH_SEPARATOR for n in range(len(steps))]


def cycles_for_user(*, user: User) -> QuerySet[ReviewCycle]:
    """Review cycles of the boards over the user's units (where they report) and of the
    boards inside their subtree."""
    roles = user_roles(user=user)
    above = {prefix for path in roles.scope_paths for prefix in _prefixes(path)}
    return (
        ReviewCycle.objects.filter(
            _any_path("board__unit__path", roles.scope_paths) | Q(board__unit__path__in=above)
        )
        .select_related("board", "board__unit", "phase")
        .prefetch_related("criteria")
    )


def decisions_for_user(*, user: User) -> QuerySet[Decision]:
    """Decisions the user may read: those of an issuing body of a unit in the user's subtree
    (the units where they hold a unit role or sit on the active board), and those listing an
    entry of such a unit (a commune sees the district's decision that recognised it).
    Nothing else: a sibling district's decisions are out of sight."""
    paths = user_roles(user=user).scope_paths
    if not paths:
        return Decision.objects.none()
    listed = DecisionEntry.objects.filter(_any_path("unit__path", paths)).values("decision_id")
    return (
        Decision.objects.filter(_any_path("issuer__unit__path", paths) | Q(pk__in=listed))
        .select_related("issuer")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=DecisionEntry.objects.select_related("unit")
                .prefetch_related("certificates")
                .order_by("position"),
            )
        )
    )
