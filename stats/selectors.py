"""The movement's statistics: one selector behind the command, the API, the dashboard and
the phase reports (PDF, XLSX), so they all show the same numbers.

``movement_statistics`` is ``core.selectors.movement_report`` (its keys unchanged) plus
``by_unit``, ``by_year``, ``recognised``, ``replication``, ``boards``, ``indicators`` and
``targets``. A fixed number of aggregate queries whatever the data size.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractYear
from django.utils import timezone

from core import selectors as core_selectors
from core.memo import memoised
from core.models import (
    ENDED_STATUSES,
    PATH_SEPARATOR,
    PATH_STEP_WIDTH,
    Commendation,
    CycleStatus,
    Field,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    Phase,
    RecognitionTally,
    ReviewCycle,
    Unit,
    UnitKind,
)
from core.selectors import count_since, in_subtree, movement_report_by_child, report_period
from core.tallies import WORKFLOW_RECOGNITION
from documents.models import DecisionStatus
from workflows.models import AnnualReport, AnnualReportStatus

from .models import SHARE_KINDS, Indicator, IndicatorValueKind, Target, TargetKind, UnitIndicator

TOP_REPLICATED = 10


def _branch_length(unit: Unit) -> int:
    return len(unit.path) + PATH_STEP_WIDTH + len(PATH_SEPARATOR)


def _ratio(numerator: float, denominator: float) -> float | None:
    if not denominator:
        return None
    return round(100 * float(numerator) / float(denominator), 1)


def phase_of(*, phase: Phase | None, year: int | None, today: dt.date) -> Phase | None:
    """The phase whose targets apply: the given one, else the one holding the year (or
    today)."""
    if phase is not None:
        return phase
    day = dt.date(year, 6, 30) if year is not None else today
    return Phase.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


def child_units(*, unit: Unit) -> list[Unit]:
    """The unit's children by name; once per page (the statistics and the dashboard's unit
    picker both list them)."""
    return memoised(
        ("stats.child_units", unit.pk, unit.path, unit.depth),
        lambda: list(
            Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by(
                "name", "code"
            )
        ),
    )


def movement_statistics(
    *,
    unit: Unit,
    phase: Phase | None = None,
    year: int | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Everything the leaders' surfaces show for ``unit``'s subtree and the period."""
    today = today or timezone.localdate()
    start, end = report_period(phase=phase, year=year)
    children = child_units(unit=unit)
    report, branches, new_by_year = movement_report_by_child(
        unit=unit, phase=phase, year=year, branches=[c.path for c in children] + [unit.path]
    )
    by_unit = []
    own = branches[unit.path]
    if own["initiatives"]["total"] or own["commendations"]["total"] or not children:
        by_unit.append(
            {"code": unit.code, "name": unit.name, "kind": unit.kind, "own": True, **own}
        )
    for child in children:
        by_unit.append(
            {
                "code": child.code,
                "name": child.name,
                "kind": child.kind,
                "own": False,
                **branches[child.path],
            }
        )
    reference_day = min(end, today) if end is not None else today
    boards = _boards(unit=unit, children=children, today=today, reference_day=reference_day)
    indicators = _indicators(
        unit=unit, units_by_kind=boards["units"], last_year=(end or today).year
    )
    recognitions = _recognitions_counted(unit=unit, start=start, end=end)
    statistics = {
        **report,
        "by_unit": by_unit,
        "by_year": _by_year(
            unit=unit,
            start=start,
            end=end,
            registered=new_by_year,
            recognised=recognitions.by_year,
        ),
        "recognised": _recognised(recognitions=recognitions),
        "replication": _replication(unit=unit, start=start, end=end),
        "boards": boards,
        "indicators": indicators,
    }
    statistics["targets"] = _targets(
        unit=unit,
        phase=phase_of(phase=phase, year=year, today=today),
        statistics=statistics,
        start=start,
        end=end,
    )
    return statistics


def _period_q(lookup: str, start: dt.date | None, end: dt.date | None) -> Q:
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{lookup}__gte": start})
    if end is not None:
        condition &= Q(**{f"{lookup}__lte": end})
    return condition


def _recognitions(unit: Unit, start: dt.date | None, end: dt.date | None) -> QuerySet:
    """Annual reports of the subtree recognised by a decision issued in the period."""
    return AnnualReport.objects.filter(
        _period_q("recognition_decision__issued_on", start, end),
        initiative__owner_unit__path__startswith=unit.path,
        recognition_decision__status=DecisionStatus.ISSUED,
    )


def _recorded_recognitions(unit: Unit, start: dt.date | None, end: dt.date | None) -> QuerySet:
    """Recognitions recorded outside the workflow (imports of historic records, the demo):
    their history line's date stands for the decision's. The workflow's own lines are left
    out: their decision's date counts (``_recognitions``)."""
    zone = timezone.get_current_timezone()
    lines = InitiativeStatusChange.objects.filter(
        initiative__owner_unit__path__startswith=unit.path,
        to_status=InitiativeStatus.RECOGNISED,
    ).exclude(source=WORKFLOW_RECOGNITION)
    if start is not None:
        lines = lines.filter(at__gte=dt.datetime.combine(start, dt.time(), zone))
    if end is not None:
        lines = lines.filter(
            at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
        )
    return lines


def _by_year(
    *,
    unit: Unit,
    start: dt.date | None,
    end: dt.date | None,
    registered: dict[int, int],
    recognised: Counter[int],
) -> list[dict[str, int]]:
    """Per calendar year of the period: initiatives registered (not withdrawn or
    discontinued, as ``new``), recognised (by the decision's date, each initiative once a
    year) and commendations decided."""
    commended = dict(
        Commendation.objects.filter(
            _period_q("decision_date", start, end), in_subtree("unit", unit)
        )
        .order_by()
        .annotate(y=ExtractYear("decision_date"))
        .values("y")
        .annotate(n=Count("id"))
        .values_list("y", "n")
    )
    years = set(registered) | set(recognised) | set(commended)
    if start is not None and end is not None:
        years |= set(range(start.year, end.year + 1))
    if not years:
        return []
    return [
        {
            "year": y,
            "registered": registered.get(y, 0),
            "recognised": recognised.get(y, 0),
            "commended": commended.get(y, 0),
        }
        for y in range(min(years), max(years) + 1)
    ]


def _recognition_rows(
    *, unit: Unit, start: dt.date | None, end: dt.date | None
) -> list[tuple[int, int, int | None]]:
    """(initiative, year, field) of every recognition in the period, from both sources,
    distinct (field ``None`` for an initiative without fields): one UNION query (each side
    through its own indexes, the fields through the link table's unique index), not an OR
    of two IN lists, and the fields without a second pass over the recognitions."""
    return list(
        _recognitions(unit, start, end)
        .order_by()
        .annotate(y=ExtractYear("recognition_decision__issued_on"))
        .values_list("initiative_id", "y", "initiative__fields")
        .union(
            _recorded_recognitions(unit, start, end)
            .order_by()
            .annotate(y=ExtractYear("at"))
            .values_list("initiative_id", "y", "initiative__fields")
        )
    )


@dataclass
class _Recognitions:
    """The initiatives recognised in the period: in all, per field and per year (each
    initiative once in each, whatever its recognitions)."""

    total: int = 0
    by_field: Counter[int] = dc_field(default_factory=Counter)
    by_year: Counter[int] = dc_field(default_factory=Counter)


def _recognitions_counted(
    *, unit: Unit, start: dt.date | None, end: dt.date | None
) -> _Recognitions:
    """From the tallies (``RecognitionTally``: the subtree's initiatives by the set of years
    they were recognised in) when the period is whole years, else from the recognitions."""
    found = _Recognitions()
    if core_selectors.whole_years(start, end):
        first = start.year if start is not None else None
        last = end.year if end is not None else None
        for field_id, years, n in RecognitionTally.objects.filter(unit=unit).values_list(
            "field", "years", "n"
        ):
            inside = [
                y
                for y in map(int, years.split(","))
                if (first is None or y >= first) and (last is None or y <= last)
            ]
            if not inside:
                continue
            if field_id:
                found.by_field[field_id] += n
                continue
            found.total += n
            for y in inside:
                found.by_year[y] += n
        return found
    rows = _recognition_rows(unit=unit, start=start, end=end)
    found.total = len({initiative for initiative, _year, _field in rows})
    found.by_field = Counter(
        field_id for _i, field_id in {(i, f) for i, _year, f in rows} if field_id is not None
    )
    found.by_year = Counter(year for _i, year in {(i, year) for i, year, _field in rows})
    return found


def _recognised(*, recognitions: _Recognitions) -> dict[str, Any]:
    """Initiatives recognised in the period (each once, whatever its recognitions), by field."""
    counts = recognitions.by_field
    by_field = {}
    for field_id, code, is_active in Field.objects.order_by("position", "code").values_list(
        "id", "code", "is_active"
    ):
        if is_active or counts.get(field_id):
            by_field[code] = counts.get(field_id, 0)
    return {"total": recognitions.total, "by_field": by_field}


def _replication(*, unit: Unit, start: dt.date | None, end: dt.date | None) -> dict[str, Any]:
    """Replicas (nhân rộng) registered in the period in the subtree, and the ten initiatives
    replicated most often in the whole subtree up to the period's end."""
    replicas = Initiative.objects.filter(
        in_subtree("owner_unit", unit), replicated_from__isnull=False
    ).exclude(status__in=ENDED_STATUSES)
    if end is not None:
        replicas = replicas.filter(registered_on__lte=end)
    rows = list(
        replicas.order_by()
        .values(
            "replicated_from_id",
            "replicated_from__code",
            "replicated_from__title",
            "replicated_from__owner_unit__name",
        )
        # Up to the period's end already: "new" needs only its start.
        .annotate(n=Count("id"), new=count_since(start, "registered_on"))
    )
    new = sum(row["new"] for row in rows)
    top = sorted(rows, key=lambda row: (-row["n"], row["replicated_from__code"]))[:TOP_REPLICATED]
    return {
        "total": new,
        "top": [
            {
                "code": row["replicated_from__code"],
                "title": row["replicated_from__title"],
                "unit": row["replicated_from__owner_unit__name"],
                "replicas": row["n"],
            }
            for row in top
        ],
    }


def _boards(
    *, unit: Unit, children: list[Unit], today: dt.date, reference_day: dt.date
) -> dict[str, Any]:
    """Units with and without a steering board (by kind, as of the period's end), the open
    cycles, and the queues of the subtree's boards now: what waits, what is overdue, the
    oldest due date, and what is overdue by the branch of the board's unit."""
    units_by_kind = {}
    for row in (
        Unit.objects.subtree_of(unit)
        .active_on(reference_day)
        .order_by()
        .values("kind")
        .annotate(
            n=Count("id"),
            with_board=Count("board", filter=Q(board__is_active=True)),
        )
    ):
        units_by_kind[row["kind"]] = {
            "total": row["n"],
            "with_board": row["with_board"],
            "without_board": row["n"] - row["with_board"],
        }
    units = {kind: units_by_kind[kind] for kind in UnitKind.values if kind in units_by_kind}
    # The queues of the subtree's boards: their open cycles (a few rows) first, then the
    # reports of those cycles through the (cycle, status) index, grouped by cycle.
    cycles = {
        pk: (path[: _branch_length(unit)], evaluation_due, decision_due)
        for pk, path, evaluation_due, decision_due in ReviewCycle.objects.filter(
            board__unit__path__startswith=unit.path, status=CycleStatus.OPEN
        ).values_list("pk", "board__unit__path", "evaluation_due", "decision_due")
    }
    cycles_open = len(cycles)
    names = {
        AnnualReportStatus.PENDING: "reports",
        AnnualReportStatus.SUBMITTED: "evaluations",
        AnnualReportStatus.EVALUATION_CLOSED: "decisions",
    }
    queues = {name: {"waiting": 0, "overdue": 0, "oldest_due": None} for name in names.values()}
    overdue_by_branch: dict[str, Counter[str]] = defaultdict(Counter)
    # Always one query (an empty IN list would skip it): cycle ids are positive.
    rows = (
        AnnualReport.objects.filter(cycle_id__in=list(cycles) or [0])
        .exclude(status=AnnualReportStatus.DECIDED)
        .order_by()
        .values("cycle_id", "status")
        .annotate(
            n=Count("id"),
            late=Count("id", filter=Q(due_on__lt=today)),
            oldest=Min("due_on"),
        )
    )
    for row in rows:
        name = names[row["status"]]
        branch, evaluation_due, decision_due = cycles[row["cycle_id"]]
        queue = queues[name]
        queue["waiting"] += row["n"]
        # A report's own due date; an evaluation's and a decision's are the cycle's.
        if name == "reports":
            late, oldest = row["late"], row["oldest"]
        else:
            due = evaluation_due if name == "evaluations" else decision_due
            late, oldest = (row["n"] if due < today else 0), due
        queue["overdue"] += late
        overdue_by_branch[branch][name] += late
        if oldest is not None and (queue["oldest_due"] is None or oldest < queue["oldest_due"]):
            queue["oldest_due"] = oldest
    for queue in queues.values():
        if queue["oldest_due"] is not None:
            queue["oldest_due"] = queue["oldest_due"].isoformat()
    overdue_by_unit = []
    for branch_unit in [unit, *children]:
        late = overdue_by_branch.get(branch_unit.path, Counter())
        if branch_unit is unit and not late:
            continue
        overdue_by_unit.append(
            {
                "code": branch_unit.code,
                "name": branch_unit.name,
                **{name: late[name] for name in names.values()},
            }
        )
    return {
        "units": units,
        "cycles_open": cycles_open,
        "queues": queues,
        "overdue_by_unit": overdue_by_unit,
    }


def _latest_values(*, unit: Unit, last_year: int) -> dict[int, dict[int, Decimal]]:
    """Per indicator, each unit's latest value recorded up to ``last_year``."""
    latest: dict[int, dict[int, tuple[int, Decimal]]] = defaultdict(dict)
    for unit_id, indicator_id, year, value in (
        UnitIndicator.objects.filter(in_subtree("unit", unit), year__lte=last_year)
        .order_by()
        .values_list("unit_id", "indicator_id", "year", "value")
    ):
        known = latest[indicator_id].get(unit_id)
        if known is None or known[0] < year:
            latest[indicator_id][unit_id] = (year, value)
    return {
        indicator_id: {unit_id: value for unit_id, (_y, value) in values.items()}
        for indicator_id, values in latest.items()
    }


def _indicators(
    *, unit: Unit, units_by_kind: dict[str, dict[str, int]], last_year: int
) -> list[dict[str, Any]]:
    """Each active indicator of the catalogue: yes/no ones as "n of the units of the kind"
    ("140/161 communes"), the others as the mean of the units' latest values."""
    values = _latest_values(unit=unit, last_year=last_year)
    out = []
    for indicator in Indicator.objects.filter(is_active=True).order_by("position", "code"):
        recorded = values.get(indicator.pk, {})
        entry: dict[str, Any] = {
            "code": indicator.code,
            "name": indicator.name,
            "value_kind": indicator.value_kind,
            "unit_kind": indicator.unit_kind or None,
            "units_reporting": len(recorded),
        }
        if indicator.value_kind == IndicatorValueKind.YES_NO:
            if indicator.unit_kind:
                units = units_by_kind.get(indicator.unit_kind, {}).get("total", 0)
            else:
                units = sum(kind["total"] for kind in units_by_kind.values())
            yes = sum(1 for value in recorded.values() if value)
            entry.update({"yes": yes, "units": units, "share": _ratio(yes, units)})
        else:
            entry["value"] = (
                round(float(sum(recorded.values()) / len(recorded)), 1) if recorded else None
            )
        out.append(entry)
    return out


def _registering_units(*, unit: Unit, start: dt.date | None, end: dt.date | None) -> dict[str, int]:
    """Units of each kind that registered an initiative in the period: one probe of the
    (owner unit, status) index per unit, not a DISTINCT over every initiative."""
    registered = Initiative.objects.filter(
        _period_q("registered_on", start, end), owner_unit=OuterRef("pk")
    )
    return dict(
        Unit.objects.subtree_of(unit)
        .filter(Exists(registered))
        .order_by()
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )


def _targets(
    *,
    unit: Unit,
    phase: Phase | None,
    statistics: dict[str, Any],
    start: dt.date | None,
    end: dt.date | None,
) -> list[dict[str, Any]]:
    """The targets the unit's board set for the phase, each with its measured value."""
    if phase is None:
        return []
    targets = list(
        Target.objects.filter(board__unit=unit, phase=phase)
        .select_related("indicator")
        .order_by("kind", "unit_kind", "id")
    )
    if not targets:
        return []
    # Only a "units that registered" target needs this count (a scan of the subtree).
    registering = (
        _registering_units(unit=unit, start=start, end=end)
        if any(t.kind == TargetKind.REGISTERING_SHARE for t in targets)
        else {}
    )
    units_by_kind = statistics["boards"]["units"]
    indicators = {entry["code"]: entry for entry in statistics["indicators"]}
    out = []
    for target in targets:
        out.append(
            target_measure(
                target=target,
                statistics=statistics,
                units_by_kind=units_by_kind,
                indicators=indicators,
                registering=registering,
            )
        )
    return out


def _units_of(units_by_kind: dict[str, dict[str, int]], kind: str, key: str = "total") -> int:
    if kind:
        return units_by_kind.get(kind, {}).get(key, 0)
    return sum(entry[key] for entry in units_by_kind.values())


def target_measure(
    *,
    target: Target,
    statistics: dict[str, Any],
    units_by_kind: dict[str, dict[str, int]],
    indicators: dict[str, dict[str, Any]],
    registering: dict[str, int],
) -> dict[str, Any]:
    """A target with its measured value: for shares ``numerator`` of ``denominator`` and the
    percentage, for counts the number; ``progress`` is the measure as a percentage of the
    target."""
    numerator: float | None
    denominator: float | None = None
    measured: float | None
    kind = target.kind
    if kind == TargetKind.BOARD_SHARE:
        numerator = _units_of(units_by_kind, target.unit_kind, "with_board")
        denominator = _units_of(units_by_kind, target.unit_kind)
    elif kind == TargetKind.INDICATOR_SHARE:
        entry = indicators.get(target.indicator.code) if target.indicator else None
        if entry is None:
            numerator = None
        elif entry["value_kind"] == IndicatorValueKind.YES_NO:
            numerator = entry["yes"]
            denominator = (
                _units_of(units_by_kind, target.unit_kind) if target.unit_kind else entry["units"]
            )
        else:
            numerator = entry["value"]  # already a percentage
    elif kind == TargetKind.REGISTERING_SHARE:
        if target.unit_kind:
            numerator = registering.get(target.unit_kind, 0)
        else:
            numerator = sum(registering.values())
        denominator = _units_of(units_by_kind, target.unit_kind)
    elif kind == TargetKind.INITIATIVES:
        numerator = statistics["initiatives"]["new"]["total"]
    elif kind == TargetKind.RECOGNISED_SHARE:
        numerator = statistics["recognised"]["total"]
        denominator = statistics["initiatives"]["total"]
    else:  # COMMENDATIONS
        numerator = statistics["commendations"]["total"]
    if denominator is not None:
        measured = _ratio(numerator or 0, denominator)
    else:
        measured = float(numerator) if numerator is not None else None
    goal = float(target.value)
    progress = None
    if measured is not None and goal:
        progress = round(100 * measured / goal, 1)
    elif measured is not None:
        progress = 100.0
    return {
        "kind": kind,
        "unit_kind": target.unit_kind or None,
        "indicator": target.indicator.code if target.indicator else None,
        "is_share": kind in SHARE_KINDS,
        "target": goal,
        "numerator": numerator,
        "denominator": denominator,
        "measured": measured,
        "progress": progress,
        "met": measured is not None and measured >= goal,
    }


def commended_list(
    *, unit: Unit, phase: Phase | None = None, year: int | None = None
) -> QuerySet[Commendation]:
    """The commendations the report counts (same rule as ``movement_report``), for the phase
    report's list of commended collectives and individuals."""
    commendations = Commendation.objects.filter(unit__path__startswith=unit.path)
    if phase is not None:
        commendations = commendations.filter(phase=phase)
    if year is not None:
        commendations = commendations.filter(
            decision_date__gte=dt.date(year, 1, 1), decision_date__lte=dt.date(year, 12, 31)
        )
    return commendations.select_related("issuer", "unit").order_by(
        "-award", "recipient_kind", "decision_date", "recipient_name", "pk"
    )
