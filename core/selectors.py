"""Selectors: reads shared by views, the API, commands and reports.

A module of plain functions; each takes keyword-only, typed arguments and only reads.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import ExtractYear, Substr
from django.utils.translation import gettext as _

from .compiled import CompiledQuery
from .errors import InvalidInput
from .memo import memoised
from .models import (
    ENDED_STATUSES,
    PATH_SEPARATOR,
    PATH_STEP_WIDTH,
    AwardType,
    BoardMember,
    Commendation,
    Field,
    FieldTally,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeTally,
    IssuingBody,
    Phase,
    RecipientKind,
    Unit,
    UnitRole,
)

# --- The scope rule ---------------------------------------------------------------------------
# One rule for the web, the API, the admin and the documents: a user sees the subtrees of the
# units where they hold a unit role or sit on an active board. Staff status opens the admin's
# door, nothing more; only a superuser (the operator) has the whole tree.
# ``user_seats`` reads the roles once per page; the scope, ``workflows.takers.user_roles``
# (the queue's rule) and the menu derive from it; tests/test_scope_rule.py holds them equal.


@dataclass(frozen=True)
class UnitSeat:
    """A unit role the user holds."""

    role: str
    unit_id: int
    path: str


@dataclass(frozen=True)
class BoardSeat:
    """A seat on a steering board (active or not)."""

    role: str
    board_id: int
    path: str  # the board's unit's
    depth: int
    active: bool


@dataclass(frozen=True)
class UserSeats:
    units: tuple[UnitSeat, ...]
    boards: tuple[BoardSeat, ...]

    @property
    def scope(self) -> list[str]:
        """The covering paths of every unit role and active board seat."""
        paths = {seat.path for seat in self.units}
        paths |= {seat.path for seat in self.boards if seat.active}
        return covering_paths(paths)

    @property
    def role_names(self) -> set[str]:
        """The roles held anywhere: unit roles and active board roles."""
        return {seat.role for seat in self.units} | {s.role for s in self.boards if s.active}


def covering_paths(paths) -> list[str]:
    """Drop paths that lie inside another path of the list."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if path and not any(path.startswith(top) for top in kept):
            kept.append(path)
    return kept


def user_seats(*, user: Any) -> UserSeats:
    """The user's unit roles and board seats: one query, once per page (``core.memo``); the
    scope, the menu and the task queue's rule all read them."""
    return memoised(("user_seats", user.pk), lambda: _user_seats(user))


def _seats_query(*, user_id: int) -> QuerySet:
    def seats(model, kind: str, unit: str, ref: str, active) -> QuerySet:
        """One kind of seat as (kind, role, id, path, depth, active) rows."""
        return (
            model.objects.filter(user_id=user_id)
            .annotate(
                seat=Value(kind, output_field=CharField()),
                ref=F(ref),
                at=F(f"{unit}path"),
                level=F(f"{unit}depth"),
                on=active,
            )
            .values_list("seat", "role", "ref", "at", "level", "on")
        )

    units = seats(UnitRole, "unit", "unit__", "unit_id", Value(True, output_field=BooleanField()))
    boards = seats(BoardMember, "board", "board__unit__", "board_id", F("board__is_active"))
    return units.union(boards, all=True)


# Asked on every page: its SQL is built once (core.compiled).
_SEATS = CompiledQuery(_seats_query)


def _user_seats(user: Any) -> UserSeats:
    rows = _SEATS.rows(user_id=user.pk)
    return UserSeats(
        units=tuple(
            UnitSeat(role, ref, at) for seat, role, ref, at, _l, _o in rows if seat == "unit"
        ),
        boards=tuple(
            BoardSeat(role, ref, at, level, bool(on))
            for seat, role, ref, at, level, on in rows
            if seat == "board"
        ),
    )


def scope_paths(*, user: Any) -> tuple[str, ...] | None:
    """The covering tree paths the user may see; ``None`` means the whole tree (a
    superuser), an empty tuple nothing (anonymous, inactive, or no role)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    if user.is_superuser:
        return None
    return tuple(user_seats(user=user).scope)


def scope_filter(*, user: Any, lookup: str) -> Q:
    """A filter keeping the rows whose ``lookup`` (a tree path) lies in the user's scope."""
    paths = scope_paths(user=user)
    if paths is None:
        return Q()
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


def unit_in_scope(*, user: Any, unit: Unit | None) -> bool:
    """Whether ``unit`` lies in the user's scope (a unit of no place in the tree: never,
    except for a superuser)."""
    paths = scope_paths(user=user)
    if paths is None:
        return True
    return unit is not None and bool(unit.path) and any(unit.path.startswith(p) for p in paths)


def report_period(
    *, phase: Phase | None = None, year: int | None = None
) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day a report covers: the year if given, else the phase, else
    ``(None, None)`` (no bound). A year must lie inside the phase when both are given."""
    if year is not None:
        if phase is not None and not (phase.starts_on.year <= year <= phase.ends_on.year):
            raise InvalidInput(
                _("The year %(year)s does not lie in the phase %(phase)s.")
                % {"year": year, "phase": phase.code}
            )
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if phase is not None:
        return phase.starts_on, phase.ends_on
    return None, None


def count_since(start: dt.date | None, lookup: str, column: str = "id") -> Count:
    """Rows on or after ``start`` (all rows when there is no start)."""
    if start is None:
        return Count(column)
    return Count(column, filter=Q(**{f"{lookup}__gte": start}))


class _InSubquery(Func):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))``."""

    arity = 2
    arg_joiner = " IN "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            arg_joiner=" = ANY(ARRAY",
            template="(%(expressions)s))",
            **extra_context,
        )


def in_subtree(relation: str, unit: Unit) -> Q | _InSubquery:
    """A filter: the rows whose ``relation`` (a foreign key to ``Unit``) is a unit of
    ``unit``'s subtree.

    Below the root, the subtree's ids as an array: PostgreSQL cannot estimate its length,
    so it probes the key's index for a province's few thousand units instead of hashing
    them and reading the whole table (a province's commendations by year 7 -> 4 ms on the
    national benchmark). The root's subtree is the whole table: a join on the path reads it
    once (the array made the country's statistics 0.85 -> 1.4 s)."""
    if unit.depth == 0:
        return Q(**{f"{relation}__path__startswith": unit.path})
    return _InSubquery(
        F(f"{relation}_id"),
        Subquery(Unit.objects.filter(path__startswith=unit.path).values("pk")),
    )


def movement_report(
    *, unit: Unit, phase: Phase | None = None, year: int | None = None
) -> dict[str, Any]:
    """The roll-up of the movement for ``unit``'s whole subtree (a public, stable contract).

    Initiatives are counted as of the end of the period (their current status): ``total``
    those registered up to its end and not withdrawn or discontinued, ``new`` the same for
    those registered inside it, ``by_status`` all of them, ended ones included. An initiative
    counts once in each of its fields. Commendations are award events (lượt): with a phase
    those recorded for it, with a year those decided in it, with both, both.

    Four aggregate queries whatever the data size: initiatives by status and kind, the field
    link table by field, the field catalogue, commendations by issuer, award and recipient.
    """
    return movement_report_by_child(unit=unit, phase=phase, year=year)[0]


def movement_report_by_child(
    *,
    unit: Unit,
    phase: Phase | None = None,
    year: int | None = None,
    branches: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[int, int]]:
    """``movement_report`` and the same figures for each branch below ``unit``: a dict from
    the tree path of each child unit (and ``unit.path`` itself for what the unit owns
    directly) to its ``{"initiatives", "commendations"}`` figures. The branches add up to
    the whole; the same four queries, grouped by the path prefix one level down. The paths in
    ``branches`` are in the answer even when they count nothing. Third, the initiatives
    registered in the period and still going (``new``) per calendar year."""
    if not unit.path:
        # An empty path would make the prefix filter select the whole country.
        raise InvalidInput(_("The unit %(code)s has no tree path.") % {"code": unit.code})
    start, end = report_period(phase=phase, year=year)
    branch_length = len(unit.path) + PATH_STEP_WIDTH + len(PATH_SEPARATOR)
    buckets: dict[str, _Bucket] = {path: _Bucket() for path in branches}

    def bucket(key: str) -> _Bucket:
        if key not in buckets:
            buckets[key] = _Bucket()
        return buckets[key]

    # --- Initiatives and their fields: from the tallies when the period is whole years ---
    if whole_years(start, end):
        new_by_year = _tallied_initiatives(unit=unit, start=start, end=end, bucket=bucket)
    else:
        new_by_year = _counted_initiatives(
            unit=unit, start=start, end=end, branch_length=branch_length, bucket=bucket
        )
    catalogue = list(
        Field.objects.order_by("position", "code").values_list("id", "code", "is_active")
    )

    # --- Commendations: one GROUP BY branch, issuer, award, recipient kind ------------------
    commendations = Commendation.objects.filter(in_subtree("unit", unit))
    if phase is not None:
        commendations = commendations.filter(phase=phase)
    if year is not None:
        commendations = commendations.filter(
            decision_date__gte=dt.date(year, 1, 1), decision_date__lte=dt.date(year, 12, 31)
        )
    for row in (
        commendations.order_by()
        .annotate(branch=Substr("unit__path", 1, branch_length))
        .values("branch", "issuer__name", "award", "recipient_kind")
        .annotate(n=Count("id"))
    ):
        b = bucket(row["branch"])
        b.by_award[row["award"]] += row["n"]
        b.by_recipient_kind[row["recipient_kind"]] += row["n"]
        b.by_issuer[row["issuer__name"]] += row["n"]

    whole = _Bucket()
    for b in buckets.values():
        whole.add(b)
    report = {
        "unit": {"code": unit.code, "name": unit.name},
        "phase": phase.code if phase is not None else None,
        "year": year,
        **whole.figures(catalogue),
    }
    return (
        report,
        {key: b.figures(catalogue) for key, b in buckets.items()},
        {year: n for year, n in sorted(new_by_year.items()) if n},
    )


def whole_years(start: dt.date | None, end: dt.date | None) -> bool:
    """Whether the period starts on a 1 January and ends on a 31 December (either open):
    the tallies count by registration year."""
    return (start is None or (start.month, start.day) == (1, 1)) and (
        end is None or (end.month, end.day) == (12, 31)
    )


def _tallied_initiatives(
    *, unit: Unit, start: dt.date | None, end: dt.date | None, bucket: Any
) -> Counter[int]:
    """The initiatives' and fields' counts of each branch from the tallies: the rows of
    ``unit`` (its whole subtree) and of its children; what the unit owns directly is the
    difference. Two queries of a few hundred rows whatever the subtree's size."""
    first = start.year if start is not None else None
    last = end.year if end is not None else None
    # The unit and its children first (an index probe of the tree), then their rows: an OR
    # across the join would read every tally row.
    rows = Q(
        unit__in=Unit.objects.filter(
            Q(pk=unit.pk) | Q(path__startswith=unit.path, depth=unit.depth + 1)
        ).values("pk")
    )
    whole, children = _Bucket(), []
    new_by_year: Counter[int] = Counter()
    own_id = unit.pk  # read once: a model's pk is a property, and a province has 2,000 rows
    for unit_id, path, status, kind, year, n in InitiativeTally.objects.filter(rows).values_list(
        "unit_id", "unit__path", "status", "kind", "year", "n"
    ):
        if last is not None and year > last:
            continue
        new = n if first is None or year >= first else 0
        if unit_id == own_id:
            whole.count_initiatives(status=status, kind=kind, n=n, new=new)
            if status not in ENDED_STATUSES:
                new_by_year[year] += new
        else:
            bucket(path).count_initiatives(status=status, kind=kind, n=n, new=new)
            children.append(path)
    for unit_id, path, field_id, year, n in (
        FieldTally.objects.filter(rows)
        .exclude(status__in=ENDED_STATUSES)
        .values_list("unit_id", "unit__path", "field_id", "year", "n")
    ):
        if last is not None and year > last:
            continue
        new = n if first is None or year >= first else 0
        if unit_id == own_id:
            whole.count_field(field_id=field_id, n=n, new=new)
        else:
            bucket(path).count_field(field_id=field_id, n=n, new=new)
            children.append(path)
    own = whole.minus([bucket(path) for path in set(children)])
    if not own.is_empty():
        bucket(unit.path).add(own)
    return new_by_year


def _counted_initiatives(
    *,
    unit: Unit,
    start: dt.date | None,
    end: dt.date | None,
    branch_length: int,
    bucket: Any,
) -> Counter[int]:
    """The same counts from the initiatives and their field links themselves (a period
    that is not whole years): a GROUP BY branch over the subtree."""
    # --- Initiatives: one GROUP BY branch, status, kind over the subtree --------------------
    initiatives = Initiative.objects.filter(owner_unit__path__startswith=unit.path)
    if end is not None:
        initiatives = initiatives.filter(registered_on__lte=end)
    rows = (
        initiatives.order_by()
        .annotate(
            branch=Substr("owner_unit__path", 1, branch_length), year=ExtractYear("registered_on")
        )
        .values("branch", "status", "kind", "year")
        .annotate(n=Count("id"), new=count_since(start, "registered_on"))
    )
    new_by_year: Counter[int] = Counter()
    # At most |branches| x |statuses| x |kinds| x |years| rows; the year gives the
    # statistics' registrations per year from the same scan.
    for row in rows:
        bucket(row["branch"]).count_initiatives(
            status=row["status"], kind=row["kind"], n=row["n"], new=row["new"]
        )
        if row["status"] not in ENDED_STATUSES:
            new_by_year[row["year"]] += row["new"]

    # --- Fields: one GROUP BY branch, field over the M2M link table -------------------------
    links = Initiative.fields.through.objects.filter(
        initiative__owner_unit__path__startswith=unit.path
    ).exclude(initiative__status__in=ENDED_STATUSES)
    if end is not None:
        links = links.filter(initiative__registered_on__lte=end)
    for row in (
        links.order_by()
        .annotate(branch=Substr("initiative__owner_unit__path", 1, branch_length))
        .values("branch", "field_id")
        .annotate(
            # Counting a column of the (initiative, field) unique index keeps the link
            # table out of the heap (index-only scan) on PostgreSQL.
            n=Count("initiative_id"),
            new=count_since(start, "initiative__registered_on", "initiative_id"),
        )
    ):
        bucket(row["branch"]).count_field(field_id=row["field_id"], n=row["n"], new=row["new"])
    return new_by_year


# The choices' values, read once: ``TextChoices.values`` builds a new list on every read and
# ``_Bucket.figures`` runs for each child unit (a province's hundred communes).
_INITIATIVE_KINDS = tuple(InitiativeKind.values)
_INITIATIVE_STATUSES = tuple(InitiativeStatus.values)
_AWARDS = tuple(AwardType.values)
_RECIPIENT_KINDS = tuple(RecipientKind.values)


@dataclass
class _Bucket:
    """Counts of one branch of the tree, summed into the whole."""

    by_status: Counter[str] = dc_field(default_factory=Counter)
    by_kind: Counter[str] = dc_field(default_factory=Counter)
    new_by_kind: Counter[str] = dc_field(default_factory=Counter)
    fields: dict[int, tuple[int, int]] = dc_field(default_factory=dict)
    by_award: Counter[str] = dc_field(default_factory=Counter)
    by_recipient_kind: Counter[str] = dc_field(default_factory=Counter)
    by_issuer: Counter[str] = dc_field(default_factory=Counter)

    def count_initiatives(self, *, status: str, kind: str, n: int, new: int) -> None:
        """``n`` initiatives in this status and kind, ``new`` of them registered in the
        period (by status all of them, by kind those not withdrawn or discontinued)."""
        self.by_status[status] += n
        if status not in ENDED_STATUSES:
            self.by_kind[kind] += n
            self.new_by_kind[kind] += new

    def count_field(self, *, field_id: int, n: int, new: int) -> None:
        old_n, old_new = self.fields.get(field_id, (0, 0))
        self.fields[field_id] = (old_n + n, old_new + new)

    def minus(self, parts: list[_Bucket]) -> _Bucket:
        """The initiatives' counts of this bucket less those of ``parts`` (zeros left out)."""
        rest = _Bucket()
        for name in ("by_status", "by_kind", "new_by_kind"):
            counter = Counter(getattr(self, name))
            for part in parts:
                counter.subtract(getattr(part, name))
            setattr(rest, name, +counter)
        for field_id, (n, new) in self.fields.items():
            for part in parts:
                part_n, part_new = part.fields.get(field_id, (0, 0))
                n, new = n - part_n, new - part_new
            if n or new:
                rest.fields[field_id] = (n, new)
        return rest

    def is_empty(self) -> bool:
        return not (self.by_status or self.fields)

    def add(self, other: _Bucket) -> None:
        for name in ("by_status", "by_kind", "new_by_kind", "by_award", "by_recipient_kind"):
            getattr(self, name).update(getattr(other, name))
        self.by_issuer.update(other.by_issuer)
        for field_id, (n, new) in other.fields.items():
            self.count_field(field_id=field_id, n=n, new=new)

    def figures(self, catalogue: list[tuple[int, str, bool]]) -> dict[str, Any]:
        by_kind = {kind: self.by_kind[kind] for kind in _INITIATIVE_KINDS}
        new_by_kind = {kind: self.new_by_kind[kind] for kind in _INITIATIVE_KINDS}
        # Unknown values (a choice removed later) still count, after the known ones.
        for kind in self.by_kind.keys() - by_kind.keys():
            by_kind[kind] = self.by_kind[kind]
            new_by_kind[kind] = self.new_by_kind[kind]
        by_status = {status: self.by_status[status] for status in _INITIATIVE_STATUSES}
        for status in self.by_status.keys() - by_status.keys():
            by_status[status] = self.by_status[status]
        by_field: dict[str, int] = {}
        new_by_field: dict[str, int] = {}
        for field_id, code, is_active in catalogue:
            n, new = self.fields.get(field_id, (0, 0))
            if is_active or n:
                by_field[code] = n
                new_by_field[code] = new
        by_award = {award: self.by_award[award] for award in _AWARDS}
        for award in self.by_award.keys() - by_award.keys():
            by_award[award] = self.by_award[award]
        by_recipient_kind = {kind: self.by_recipient_kind[kind] for kind in _RECIPIENT_KINDS}
        return {
            "initiatives": {
                "total": sum(by_kind.values()),
                "by_field": by_field,
                "by_kind": by_kind,
                "by_status": by_status,
                "new": {
                    "total": sum(new_by_kind.values()),
                    "by_field": new_by_field,
                    "by_kind": new_by_kind,
                },
            },
            "commendations": {
                "total": sum(self.by_award.values()),
                "by_award": by_award,
                "by_recipient_kind": by_recipient_kind,
                # Largest first, then by name, so the order is stable.
                "by_issuer": dict(
                    sorted(self.by_issuer.items(), key=lambda item: (-item[1], item[0]))
                ),
            },
        }


def issuing_bodies_in(*, paths: Sequence[str], unit: Unit | None = None) -> QuerySet[IssuingBody]:
    """The issuing bodies of the units under ``paths`` (a user's scope), of the units above
    them (those a board proposes its nominations to) and the national ones (no unit), by
    name; with ``unit``, only those of that unit's subtree."""
    condition = Q(unit__isnull=True)
    above: set[int] = set()
    for path in paths:
        condition |= Q(unit__path__startswith=path)
        above |= {int(step, 16) for step in path.split(PATH_SEPARATOR) if step}
    if above:
        condition |= Q(unit_id__in=above)
    bodies = IssuingBody.objects.filter(condition)
    if unit is not None:
        bodies = bodies.filter(unit__path__startswith=unit.path)
    return bodies.select_related("unit").order_by("name", "pk")
