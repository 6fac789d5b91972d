"""Reads of the lifecycle shared by flows, views, the API and reminders.

Every list here is one query (two or three with its prefetches) whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.expressions import RawSQL
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from core import selectors as core_selectors
from core.compiled import CompiledQuery
from core.models import (
    ENDED_STATUSES,
    PATH_SEPARATOR,
    Commendation,
    Criterion,
    Field,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    ReviewCycle,
    Unit,
    User,
)
from documents.models import Certificate, Decision, DecisionEntry

from . import takers
from .models import AnnualReport, AnnualReportStatus, LifecycleProcess
from .takers import PROCESS, any_path, user_roles


def report_evaluators(*, report: AnnualReport) -> QuerySet[User]:
    """Who evaluates a report: the members of its evaluating board (the cycle's, or the board
    above it took the evaluation over) who are not recused (``workflows.takers``)."""
    board = report.evaluation_board or report.cycle.board
    eligible = takers.eligible_evaluators(board=board, initiative=report.initiative)
    return User.objects.filter(pk__in=eligible).order_by("full_name", "pk")


def evaluation_queue(*, user: User) -> QuerySet[AnnualReport]:
    """Reports awaiting this user's evaluation: those with an open evaluation task of theirs
    (created for each member who may evaluate, when the report was submitted)."""
    waiting = Task.objects.filter(
        flow_task_type="HUMAN",
        owner=user,
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
        owner_permission=takers.Taker.permission(takers.Taker.EVALUATOR),
    ).values("process__lifecycleprocess__annual_report_id")
    return (
        AnnualReport.objects.filter(
            pk__in=waiting,
            status=AnnualReportStatus.SUBMITTED,
            initiative__status=InitiativeStatus.MONITORED,
        )
        .select_related("initiative", "initiative__owner_unit", "cycle", "cycle__board")
        .order_by("due_on", "submitted_at", "pk")
    )


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


def initiatives_for_user(*, user: User) -> QuerySet[Initiative]:
    """Initiatives in the subtree of every unit where the user holds a unit role or sits on
    the unit's (active) board. Queries for the user's seats (once per page), the list and
    its fields."""
    covering = core_selectors.user_seats(user=user).scope
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


def _field_names_query(*, initiative_ids: tuple[int, ...]) -> QuerySet:
    return (
        Initiative.fields.through.objects.filter(initiative_id__in=initiative_ids)
        # The order of ``initiative.fields.all()``: the fields' own.
        .order_by("initiative_id", *(f"field__{key}" for key in Field._meta.ordering))
        .values_list("initiative_id", "field__name")
    )


# A list page's fields column: its SQL is built once per page length (core.compiled).
_FIELD_NAMES = CompiledQuery(_field_names_query)


def initiative_field_names(*, initiative_ids: Sequence[int]) -> dict[int, str]:
    """Each initiative's fields' names, "; "-joined in the fields' order (as
    ``initiative.fields.all()`` gives them). One query."""
    names: dict[int, list[str]] = {}
    for initiative_id, name in _FIELD_NAMES.rows(initiative_ids=tuple(initiative_ids)):
        names.setdefault(initiative_id, []).append(name)
    return {pk: "; ".join(found) for pk, found in names.items()}


def initiative_records(*, initiative_id: int, visible_to: User | None = None) -> Initiative:
    """One initiative with everything a task page shows: history, progress reports,
    monitoring visits, annual reports with their evaluations. A fixed number of queries.
    ``visible_to``: only within that user's ``initiatives_for_user`` (else
    ``Initiative.DoesNotExist``), checked by the same query."""
    initiatives = (
        Initiative.objects if visible_to is None else initiatives_for_user(user=visible_to)
    )
    return (
        initiatives.select_related("owner_unit", "phase", "replicated_from")
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
                    "evaluations__evaluator",
                    # Scores are shown under the criteria's names, never their codes.
                    Prefetch(
                        "cycle__criteria", queryset=Criterion.objects.order_by("position", "pk")
                    ),
                ),
            ),
        )
        .get(pk=initiative_id)
    )


# --- tasks and processes ----------------------------------------------------------------------


def _task_rows(tasks: QuerySet[Task]) -> QuerySet[Task]:
    return tasks.select_related(
        "owner", "process", f"{PROCESS}unit", f"{PROCESS}initiative"
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


def _assigned_to(user_id: int) -> QuerySet:
    return (
        Task.objects.filter(flow_task_type="HUMAN", owner_id=user_id, status=STATUS.ASSIGNED)
        .order_by()
        .values("pk")
    )


def task_inbox(*, user: User) -> QuerySet[Task]:
    """Open tasks assigned to the user (evaluations are assigned when they are created)."""
    return _tasks([_assigned_to(user.pk)])


def task_queue(*, user: User) -> QuerySet[Task]:
    """Unassigned tasks the user may take. Two queries: the roles, the list."""
    return _tasks(takers.queue_branches(user_roles(user=user)))


def _branches(*, user_id: int, roles: takers.UserRoles) -> list[QuerySet]:
    """My inbox and each kind of taker I can be, as queries of task ids."""
    return [_assigned_to(user_id), *takers.queue_branches(roles)]


def _selection(*, user_id: int, roles: takers.UserRoles) -> QuerySet:
    branches = _branches(user_id=user_id, roles=roles)
    return branches[0].union(*branches[1:], all=True) if len(branches) > 1 else branches[0]


# Every task page and the API's task list ask for these: their SQL is built once per shape
# of the user's roles (core.compiled), not on every request.
_SELECTION = CompiledQuery(_selection)


def _queue_roles(user: User) -> takers.UserRoles:
    """The roles the queue's rule reads (its scope is not one of them: a value the compiled
    queries do not use would make them refuse it)."""
    return replace(user_roles(user=user), scope_paths=())


def _for_user(user: User) -> QuerySet[Task]:
    sql, params = _SELECTION.raw(user_id=user.pk, roles=_queue_roles(user))
    return Task.objects.filter(pk__in=RawSQL(sql, params))


def tasks_for_user(*, user: User) -> QuerySet[Task]:
    """My inbox and the queue I may take from, oldest first. Two queries: the roles, the
    list."""
    return _task_rows(_for_user(user))


def task_ids_for_user(*, user: User) -> QuerySet:
    """The ids of ``tasks_for_user``, in its order: a long list is paged on these (no
    join), then ``tasks_by_ids`` loads the page."""
    return _for_user(user).order_by("created", "pk").values_list("pk", flat=True)


# A queue page counts its tasks up to this many (8 pages); beyond, it says "more than": an
# exact count of a province official's 15,000 waiting tasks is what made the page slow.
TASK_COUNT_CAP = 200


@dataclass(frozen=True)
class TaskPage:
    """One page of ``tasks_for_user``, found by keyset (after the last task of the page
    before, never by an offset) with a capped count: the same few queries whether the
    queue holds ten tasks or fifteen thousand."""

    ids: list[int]
    next_after: str | None  # the cursor of the next page, None on the last one
    total: int  # the queue's size, at most ``count_cap``
    total_is_capped: bool  # the queue holds more than ``total``


def _cursor(created: dt.datetime, pk: int) -> str:
    return f"{created.isoformat()}~{pk}"


def _position(after: str | None) -> tuple[dt.datetime, int] | None:
    """The (created, pk) a cursor stands for; None for a missing or malformed one."""
    if not after or "~" not in after:
        return None
    created, _sep, pk = after.rpartition("~")
    try:
        moment = dt.datetime.fromisoformat(created)
        return (moment, int(pk)) if moment.tzinfo else None
    except ValueError:
        return None


def task_page(
    *, user: User, after: str | None = None, size: int = 25, count_cap: int = TASK_COUNT_CAP
) -> TaskPage:
    """The page of my inbox and queue that follows the cursor ``after`` (the first page
    without one). Three queries: the roles, the page's ids, the capped count (not
    when the first page holds the whole list); ``tasks_by_ids`` then loads the rows.

    On PostgreSQL each branch (my inbox, each kind of taker I can be) walks the waiting
    tasks in order on the partial index ``workflows_task_waiting_order`` and stops after a
    page: a province official's 15,000 report tasks cost a page's worth of rows, not all
    of them. SQLite cannot order and limit inside a UNION: there the branches are merged
    first (the embedded default is not national-size).
    """
    position = _position(after)
    roles = _queue_roles(user)
    rows = _PAGE.rows({"size": size}, user_id=user.pk, roles=roles, position=position)
    # When the first page holds the whole list, counting adds nothing.
    counted = (
        len(rows)
        if position is None and len(rows) <= size
        else _PAGE_COUNT.count({"cap": count_cap}, user_id=user.pk, roles=roles)
    )
    return TaskPage(
        ids=[pk for _created, pk in rows[:size]],
        next_after=_cursor(*rows[size - 1]) if len(rows) > size else None,
        total=min(counted, count_cap),
        total_is_capped=counted > count_cap,
    )


def _page_query(
    *,
    user_id: int,
    roles: takers.UserRoles,
    position: tuple[dt.datetime, int] | None,
    size: int,
) -> QuerySet:
    """The (created, pk) of the page after ``position`` and one more task (is there a next
    page?)."""
    branches = _branches(user_id=user_id, roles=roles)

    def after_position(tasks: QuerySet) -> QuerySet:
        if position is None:
            return tasks
        created, pk = position
        return tasks.filter(Q(created__gt=created) | Q(created=created, pk__gt=pk))

    if connection.features.supports_slicing_ordering_in_compound and len(branches) > 1:
        parts = [
            after_position(b).values_list("created", "pk").order_by("created", "pk")[: size + 1]
            for b in branches
        ]
        ids = parts[0].union(*parts[1:], all=True).order_by("created", "pk")
    else:
        ids = after_position(_selected(branches)).order_by("created", "pk")
        ids = ids.values_list("created", "pk")
    return ids[: size + 1]


def _page_count_query(*, user_id: int, roles: takers.UserRoles, cap: int) -> QuerySet:
    """The queue's tasks up to ``cap`` + 1 (to count them)."""
    branches = _branches(user_id=user_id, roles=roles)
    if connection.features.supports_slicing_ordering_in_compound and len(branches) > 1:
        return branches[0][: cap + 1].union(*[b[: cap + 1] for b in branches[1:]], all=True)
    return _selected(branches).order_by().values("pk")[: cap + 1]


_PAGE = CompiledQuery(_page_query)
_PAGE_COUNT = CompiledQuery(_page_count_query)


def task_due_date() -> Case:
    """A task's due date in SQL, as its step's ``Step.due_on`` reads it: the annual report's
    ``due_on`` or a date of its cycle, by the step's ``due``; NULL for a step without one."""
    from .flows import FLOWS

    report = f"{PROCESS}annual_report__"
    columns = {"report_due": f"{report}due_on"}
    whens = []
    for flow_class in FLOWS:
        for node in flow_class.instance.nodes():
            due = getattr(node, "due", None)
            if due is not None:
                column = columns.get(due, f"{report}cycle__{due}")
                whens.append(When(flow_task=node, then=F(column)))
    return Case(*whens, default=None, output_field=DateField())


def task_ids_by_due(*, ids: QuerySet, descending: bool = False) -> QuerySet:
    """The ids of ``ids`` (a query of task ids) by due date, the earliest first (the latest
    with ``descending``), tasks without a due date last either way, then oldest first. Paged
    by offset: the keyset of ``task_page`` follows the creation order only."""
    due = task_due_date()
    order = due.desc(nulls_last=True) if descending else due.asc(nulls_last=True)
    return (
        Task.objects.filter(pk__in=ids)
        .order_by(order, "created", "pk")
        .values_list("pk", flat=True)
    )


def tasks_by_ids(ids: Iterable[int]) -> list[Task]:
    """Tasks with what a task list shows, in the order of ``ids``; one query."""
    ids = list(ids)
    if not ids:
        return []  # an empty page: not even the rows' query to build
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
        LifecycleProcess.objects.filter(any_path("unit__path", roles.scope_paths))
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
    registered_from: dt.date | None = None,
    registered_to: dt.date | None = None,
    ongoing: bool = False,
    own: bool = False,
    replicas: bool = False,
    replicated_from: str | None = None,
) -> QuerySet[Initiative]:
    """The user's initiatives, filtered; ``unit`` (a code) keeps that unit's subtree (only
    the unit's own with ``own``). The statistics link here with the report's rules:
    registered in a date range, ``ongoing`` (not withdrawn or discontinued), replications."""
    initiatives = initiatives_for_user(user=user)
    if registered_from:
        initiatives = initiatives.filter(registered_on__gte=registered_from)
    if registered_to:
        initiatives = initiatives.filter(registered_on__lte=registered_to)
    if ongoing:
        initiatives = initiatives.exclude(status__in=ENDED_STATUSES)
    if replicas:
        initiatives = initiatives.filter(replicated_from__isnull=False)
    if replicated_from:
        initiatives = initiatives.filter(replicated_from__code=replicated_from)
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
        if own:
            initiatives = initiatives.filter(owner_unit__path=path)
        else:
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
            any_path("board__unit__path", roles.scope_paths) | Q(board__unit__path__in=above)
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
    listed = DecisionEntry.objects.filter(any_path("unit__path", paths)).values("decision_id")
    return (
        Decision.objects.filter(any_path("issuer__unit__path", paths) | Q(pk__in=listed))
        .select_related("issuer", "signature")
        .prefetch_related(
            Prefetch(
                "entries",
                queryset=DecisionEntry.objects.select_related("unit")
                .prefetch_related(
                    Prefetch(
                        "certificates", queryset=Certificate.objects.select_related("signature")
                    )
                )
                .order_by("position"),
            )
        )
    )


# --- the web lists and the cycle page -------------------------------------------------------


def commendations_for_user(*, user: User) -> QuerySet[Commendation]:
    """Commendations of units in the user's subtree (the register a board or a clerk keeps),
    each with its certificate's place in the issuer's register of certificates: the latest
    certificate's ``register_number`` (``register_year``, ``register_sequence`` to sort by),
    its ``certificate_status``, ``revoked_reason`` and the number it ``replaces`` (NULL for
    a commendation recorded without a certificate, such as an imported one)."""
    paths = user_roles(user=user).scope_paths
    if not paths:
        return Commendation.objects.none()
    latest = Certificate.objects.filter(commendation=OuterRef("pk")).order_by("-issued_at", "-pk")
    return (
        Commendation.objects.filter(any_path("unit__path", paths))
        .select_related("unit", "issuer", "initiative")
        .annotate(
            register_number=Subquery(latest.values("register_number")[:1]),
            register_year=Subquery(latest.values("year")[:1]),
            register_sequence=Subquery(latest.values("register_sequence")[:1]),
            certificate_status=Subquery(latest.values("status")[:1]),
            revoked_reason=Subquery(latest.values("revoked_reason")[:1]),
            replaces_number=Subquery(latest.values("replaces__register_number")[:1]),
        )
    )


def units_for_user(*, user: User) -> QuerySet[Unit]:
    """The units of the user's subtree (where they hold a role or sit on an active board)."""
    paths = user_roles(user=user).scope_paths
    if not paths:
        return Unit.objects.none()
    return Unit.objects.filter(any_path("path", paths))


def cycle_open_preview(*, cycle: ReviewCycle) -> int:
    """How many annual report tasks opening ``cycle`` would create now: the monitored,
    recognised and commended initiatives of the board's subtree without a report that year
    (``cycle_open``'s selection)."""
    return (
        Initiative.objects.filter(
            owner_unit__path__startswith=cycle.board.unit.path,
            status__in=[
                InitiativeStatus.MONITORED,
                InitiativeStatus.RECOGNISED,
                InitiativeStatus.COMMENDED,
            ],
        )
        .exclude(annual_reports__year=cycle.year)
        .count()
    )


def cycle_progress_by_unit(*, cycle: ReviewCycle) -> list[dict]:
    """Per owning unit of the cycle's annual reports: reports, submitted, evaluated (closed
    or decided), decided, recognised. One grouped query."""
    submitted = [
        AnnualReportStatus.SUBMITTED,
        AnnualReportStatus.EVALUATION_CLOSED,
        AnnualReportStatus.DECIDED,
    ]
    evaluated = [AnnualReportStatus.EVALUATION_CLOSED, AnnualReportStatus.DECIDED]
    return list(
        AnnualReport.objects.filter(cycle=cycle)
        .order_by()
        .values("initiative__owner_unit__name", "initiative__owner_unit__code")
        .annotate(
            reports=Count("id"),
            submitted=Count("id", filter=Q(status__in=submitted)),
            evaluated=Count("id", filter=Q(status__in=evaluated)),
            decided=Count("id", filter=Q(status=AnnualReportStatus.DECIDED)),
            recognised=Count("id", filter=Q(recognise=True)),
        )
        .order_by("initiative__owner_unit__name")
    )
