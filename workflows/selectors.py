"""Reads of the lifecycle shared by flows, views, the API and reminders.

Every list here is one query (two or three with its prefetches) whatever its length.
"""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet

from core.models import (
    BoardMember,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    ReviewCycle,
    UnitRole,
    User,
)

from .models import AnnualReport, AnnualReportStatus, Evaluation


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
