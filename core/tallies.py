"""The tallies (``InitiativeTally``, ``FieldTally``): the counts ``movement_report`` rolls
up, kept by the initiatives' writers in their own transaction. This module is the tables'
one writer.

A row counts the initiatives of a unit's whole subtree (its own included) by status, kind
(or field) and registration year, so the roll-up of any unit reads the rows of the unit and
of its children (a few hundred rows for the country) instead of every initiative below it.

Every write of an initiative's owner unit, status, kind, registration date or fields goes
through ``initiative_tallies_follow`` (around a change: the difference is applied) or
``initiative_tallies_add`` (after a creation, before a deletion), or, for the bulk status
writer, ``initiative_tallies_set_status`` (the moves rolled up in SQL). What writes in bulk
without the services (the benchmarks' COPY) calls ``initiative_tallies_rebuild``; so does
``units_rebuild_paths`` when units move in the tree. ``rebuild_tallies --check`` compares
them with a count from scratch (``initiative_tallies_mismatches``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Max, QuerySet
from django.db.models.functions import ExtractYear, Length, Substr

from .bulk import chunks, insert_rows
from .models import (
    PATH_SEPARATOR,
    PATH_STEP_WIDTH,
    FieldTally,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    InitiativeTally,
    RecognitionTally,
    Unit,
)

STEP = PATH_STEP_WIDTH + len(PATH_SEPARATOR)
INITIATIVE_KEY = ("unit_id", "status", "kind", "year")
FIELD_KEY = ("unit_id", "field_id", "status", "year")
RECOGNITION_KEY = ("unit_id", "field", "years")
# The history ``source`` of a recognition the workflow made: its decision's date counts.
WORKFLOW_RECOGNITION = "recognition_decision_issue"

Tallies = tuple[Counter[tuple], Counter[tuple], Counter[tuple]]


def _ancestors(path: str) -> list[int]:
    """The ids of the units on a tree path (its steps are the units' ids in hex), the unit
    itself last."""
    return [int(step, 16) for step in path.split(PATH_SEPARATOR) if step]


def _links(initiatives: QuerySet) -> QuerySet:
    return Initiative.fields.through.objects.filter(initiative__in=initiatives)


def _id_chunks(ids: list[int]) -> Iterator[list[int]]:
    """Slices of ids for ``IN (...)``: a 10,000-id slice costs PostgreSQL a scan of the
    initiatives like the whole list would, so there the slices are 50,000 (client-side
    parameters: no limit of 65,535); elsewhere ``core.bulk.chunks``."""
    if connection.vendor != "postgresql":
        yield from chunks(ids)
        return
    for start in range(0, len(ids), 50_000):
        yield ids[start : start + 50_000]


def _counts(
    initiative_ids: Collection[int], *, statuses: bool = True, recognitions: bool = True
) -> Tallies:
    """The tallies' rows the given initiatives make up: each counted in every unit above
    its owner unit, and in it. ``statuses``: the initiatives' and fields' rows;
    ``recognitions``: the recognitions' (each left empty when not asked for)."""
    initiatives: Counter[tuple] = Counter()
    fields: Counter[tuple] = Counter()
    recognised: Counter[tuple] = Counter()
    for chunk in _id_chunks(sorted(set(initiative_ids))):
        if recognitions:
            recognised.update(_recognition_counts(chunk))
        if not statuses:
            continue
        subset = Initiative.objects.filter(pk__in=chunk).order_by()
        for path, status, kind, year, n in (
            subset.annotate(year=ExtractYear("registered_on"))
            .values_list("owner_unit__path", "status", "kind", "year")
            .annotate(n=Count("id"))
        ):
            for unit_id in _ancestors(path):
                initiatives[(unit_id, status, kind, year)] += n
        for path, field_id, status, year, n in (
            Initiative.fields.through.objects.filter(initiative_id__in=chunk)
            .order_by()
            .annotate(year=ExtractYear("initiative__registered_on"))
            .values_list("initiative__owner_unit__path", "field_id", "initiative__status", "year")
            .annotate(n=Count("initiative_id"))
        ):
            for unit_id in _ancestors(path):
                fields[(unit_id, field_id, status, year)] += n
    return initiatives, fields, recognised


def _recognition_counts(initiative_ids: Collection[int] | None) -> Counter[tuple]:
    """``RecognitionTally`` rows of the given initiatives (``None``: all of them): each
    recognised one counted, with the set of years of its recognitions, in every unit above
    its owner unit and in it, in all and in each of its fields. The recognitions are those
    the statistics count (``stats.selectors``): an issued recognition decision's date, or
    the history line's for one recorded outside the workflow."""
    from documents.models import DecisionStatus  # the workflow's apps sit above core
    from workflows.models import AnnualReport

    decided = AnnualReport.objects.filter(recognition_decision__status=DecisionStatus.ISSUED)
    recorded = InitiativeStatusChange.objects.filter(to_status=InitiativeStatus.RECOGNISED).exclude(
        source=WORKFLOW_RECOGNITION
    )
    if initiative_ids is not None:
        decided = decided.filter(initiative_id__in=initiative_ids)
        recorded = recorded.filter(initiative_id__in=initiative_ids)
    columns = ("initiative_id", "y", "initiative__owner_unit__path", "initiative__fields")
    found: dict[int, tuple[str, set[int], set[int]]] = {}
    for pk, year, path, field_id in (
        decided.order_by()
        .annotate(y=ExtractYear("recognition_decision__issued_on"))
        .values_list(*columns)
        .union(recorded.order_by().annotate(y=ExtractYear("at")).values_list(*columns))
    ):
        _path, years, fields = found.setdefault(pk, (path, set(), set()))
        years.add(year)
        if field_id is not None:
            fields.add(field_id)
    counts: Counter[tuple] = Counter()
    for path, years, fields in found.values():
        key = ",".join(str(year) for year in sorted(years))
        for unit_id in _ancestors(path):
            counts[(unit_id, 0, key)] += 1
            for field_id in fields:
                counts[(unit_id, field_id, key)] += 1
    return counts


def _upsert(model: type, key: tuple[str, ...], delta: Counter[tuple]) -> None:
    """Add ``delta`` to the rows (created at need); rows that fall to zero go. Sorted, so
    that concurrent writers lock shared rows (the root's, a province's) in one order."""
    rows = sorted((k, n) for k, n in delta.items() if n)
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in key)
    # Up to 1,000 rows a statement (SQLite's old builds allow 999 parameters).
    size = min(1000, (connection.features.max_query_params or 5000) // (len(key) + 1))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            values = ", ".join(["(" + ", ".join(["%s"] * (len(key) + 1)) + ")"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} ({columns}, n) VALUES {values} "
                f"ON CONFLICT ({columns}) DO UPDATE SET n = {table}.n + excluded.n",
                [value for k, n in batch for value in (*k, n)],
            )
    fallen = sorted({k[0] for k, n in rows if n < 0})
    for chunk in chunks(fallen):
        model.objects.filter(unit_id__in=chunk, n=0).delete()


# While a bulk writer runs (``initiative_tallies_deferred``), the differences of its batches
# add up here and are written once at its end: a national cycle's opening moves 150,000
# initiatives in 30 batches whose rows (the root's, the provinces', ...) mostly repeat.
@dataclass
class _Pending:
    counts: list[Counter[tuple]] = field(default_factory=lambda: [Counter(), Counter(), Counter()])
    moving: bool = False  # the status moves' tables exist (``_moves_begin``)


_pending: ContextVar[_Pending | None] = ContextVar("dvk_tallies_pending", default=None)


def _apply(delta: Tallies) -> None:
    pending = _pending.get()
    if pending is not None:
        for total, part in zip(pending.counts, delta, strict=True):
            total.update(part)
        return
    _upsert(InitiativeTally, INITIATIVE_KEY, delta[0])
    _upsert(FieldTally, FIELD_KEY, delta[1])
    _upsert(RecognitionTally, RECOGNITION_KEY, delta[2])


# Status moves (``initiative_tallies_set_status``) never come to Python: each batch's moves,
# grouped by the owner unit, kind (or field) and year they had when they moved, wait in a
# temporary table; at the end one statement a table rolls them up to the units above the
# owners and adds them to the tallies. Moving 150,000 initiatives to another status changes
# some 400,000 rows of the tallies: counted in Python and sent 1,000 rows a statement, that
# was a minute of a national cycle's opening.
MOVES = (
    # (tally, its key, the moves' table, the moves' columns besides the owner and statuses)
    (InitiativeTally, INITIATIVE_KEY, "dvk_tally_moves", ("kind", "year")),
    (FieldTally, FIELD_KEY, "dvk_tally_field_moves", ("field_id", "year")),
)
MOVE_COLUMNS = {"kind": "varchar(16)", "field_id": "bigint", "year": "integer"}
DELTA = "dvk_tally_delta"


def _moves_begin() -> None:
    with connection.cursor() as cursor:
        for _model, _key, table, columns in MOVES:
            typed = ", ".join(f"{c} {MOVE_COLUMNS[c]} NOT NULL" for c in columns)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} (unit_id bigint NOT NULL, {typed}, "
                "from_status varchar(16) NOT NULL, to_status varchar(16) NOT NULL, "
                "n integer NOT NULL)"
            )


def _grouped_moves(rows, via: str, other: str, chunk: list[int], status: str) -> QuerySet:
    """Of ``rows`` (initiatives, or their field links through ``via``), those of ``chunk``
    not yet at ``status``, counted by owner unit, ``other`` (kind or field), year and status."""
    return (
        rows.filter(**{f"{via}pk__in": chunk})
        .exclude(**{f"{via}status": status})
        .order_by()
        .values(
            m_unit=F(f"{via}owner_unit_id"),
            m_other=F(other),
            m_year=ExtractYear(f"{via}registered_on"),
            m_from=F(f"{via}status"),
        )
        .annotate(m_n=Count(f"{via}pk"))
    )


def _moves_record(initiative_ids: list[int], status: str) -> None:
    """Note the moves of these initiatives to ``status`` (before they are written)."""
    with connection.cursor() as cursor:
        for chunk in _id_chunks(initiative_ids):
            queries = (
                _grouped_moves(Initiative.objects, "", "kind", chunk, status),
                _grouped_moves(
                    Initiative.fields.through.objects, "initiative__", "field_id", chunk, status
                ),
            )
            for (_model, _key, table, columns), query in zip(MOVES, queries, strict=True):
                sql, params = query.query.sql_with_params()
                cursor.execute(
                    f"INSERT INTO {table} (unit_id, {', '.join(columns)}, from_status, "
                    f"to_status, n) SELECT q.m_unit, q.m_other, q.m_year, q.m_from, %s, q.m_n "
                    f"FROM ({sql}) q",
                    (status, *params),
                )


def _moves_apply() -> None:
    """Add the noted moves to the tallies (each counted in its owner unit and every unit
    above it: the units whose paths begin its path) and drop their tables. In key order,
    so that concurrent writers lock shared rows (the root's, a province's) in one order."""
    qn = connection.ops.quote_name
    longest = Unit.objects.aggregate(longest=Max(Length("path")))["longest"] or 0
    widths = (
        " UNION ALL ".join(
            f"SELECT {level * STEP} AS width" for level in range(1, longest // STEP + 1)
        )
        or "SELECT 0 AS width WHERE 1 = 0"
    )
    units = qn(Unit._meta.db_table)
    with connection.cursor() as cursor:
        for model, key, table, columns in MOVES:
            names = ", ".join(qn(c) for c in key)
            cursor.execute(
                f"CREATE TEMPORARY TABLE {DELTA} AS "
                f"SELECT a.id AS unit_id, {', '.join(f'm.{c}' for c in key[1:])}, SUM(m.n) AS n "
                f"FROM (SELECT unit_id, {', '.join(columns)}, from_status AS status, -n AS n "
                f"FROM {table} UNION ALL "
                f"SELECT unit_id, {', '.join(columns)}, to_status, n FROM {table}) m "
                f"JOIN {units} o ON o.id = m.unit_id "
                f"JOIN ({widths}) w ON w.width <= LENGTH(o.path) "
                f"JOIN {units} a ON a.path = SUBSTR(o.path, 1, w.width) "
                f"GROUP BY a.id, {', '.join(f'm.{c}' for c in key[1:])} HAVING SUM(m.n) <> 0"
            )
            tally = qn(model._meta.db_table)
            cursor.execute(
                f"INSERT INTO {tally} ({names}, n) SELECT {', '.join(key)}, n FROM {DELTA} "
                f"WHERE 1 = 1 ORDER BY {', '.join(key)} "
                f"ON CONFLICT ({names}) DO UPDATE SET n = {tally}.n + excluded.n"
            )
            cursor.execute(
                f"DELETE FROM {tally} WHERE n = 0 "
                f"AND unit_id IN (SELECT unit_id FROM {DELTA} WHERE n < 0)"
            )
            cursor.execute(f"DROP TABLE {DELTA}")
            cursor.execute(f"DROP TABLE {table}")


@contextmanager
def initiative_tallies_deferred() -> Iterator[None]:
    """Inside a transaction of many changes: the tallies' differences are summed and
    written once when the block ends (nothing inside it may read the tallies). Nested, the
    outermost block writes."""
    if _pending.get() is not None:
        yield
        return
    pending = _Pending()
    token = _pending.set(pending)
    try:
        with transaction.atomic():
            yield
            _pending.reset(token)
            token = None
            _apply((pending.counts[0], pending.counts[1], pending.counts[2]))
            if pending.moving:
                _moves_apply()
    finally:
        if token is not None:
            _pending.reset(token)


@transaction.atomic
def initiative_tallies_add(*, initiative_ids: Collection[int], sign: int = 1) -> None:
    """Count the initiatives in (``sign`` 1: just created, their fields linked) or out
    (``sign`` -1: about to be deleted) of the tallies."""
    _apply(
        tuple(Counter({k: sign * n for k, n in part.items()}) for part in _counts(initiative_ids))
    )


@contextmanager
def initiative_tallies_follow(
    *, initiative_ids: Collection[int], statuses: bool = True, recognitions: bool = True
) -> Iterator[None]:
    """Around a change of these initiatives (status, kind, owner, date, fields, a
    recognition): the tallies move by the difference between after and before, in the
    same transaction. A change that cannot move the recognitions' rows (no recognition
    recorded, no field or owner changed) says ``recognitions=False``; one that moves only
    them (a recognition decision linked) ``statuses=False``. Not around another writer
    that follows the same rows itself (the history writer): the change would count twice."""
    ids = sorted(set(initiative_ids))
    with transaction.atomic():
        before = _counts(ids, statuses=statuses, recognitions=recognitions)
        yield
        after = _counts(ids, statuses=statuses, recognitions=recognitions)
        delta = []
        for old, new in zip(before, after, strict=True):
            change = Counter(new)
            change.subtract(old)
            delta.append(change)
        _apply((delta[0], delta[1], delta[2]))


@contextmanager
def initiative_tallies_set_status(
    *, initiative_ids: Collection[int], status: str
) -> Iterator[None]:
    """Around setting these initiatives' status to ``status`` (and nothing else): their
    rows move to it. The moves are noted before, grouped in SQL, and reach the tallies in
    SQL at the end of the outermost ``initiative_tallies_deferred`` (its own when there is
    none around it)."""
    with initiative_tallies_deferred():
        pending = _pending.get()
        if not pending.moving:
            _moves_begin()
            pending.moving = True
        _moves_record(sorted(set(initiative_ids)), status)
        yield


def _levels(model: type) -> Iterator[list[tuple]]:
    """The rows of ``model`` counted from scratch, one tree level at a time (grouped by the
    path prefix of that level: each prefix is a unit's path, its last step the unit's id);
    each row its key (``INITIATIVE_KEY`` or ``FIELD_KEY``) and its count."""
    depth = Unit.objects.aggregate(depth=Max("depth"))["depth"]
    for level in range(depth + 1 if depth is not None else 0):
        length = (level + 1) * STEP
        initiatives = Initiative.objects.filter(owner_unit__depth__gte=level).exclude(
            owner_unit__path=""
        )
        if model is InitiativeTally:
            rows = (
                initiatives.order_by()
                .annotate(branch=Substr("owner_unit__path", 1, length))
                .annotate(year=ExtractYear("registered_on"))
                .values_list("branch", "status", "kind", "year")
                .annotate(n=Count("id"))
            )
        else:
            rows = (
                _links(initiatives)
                .order_by()
                .annotate(branch=Substr("initiative__owner_unit__path", 1, length))
                .annotate(year=ExtractYear("initiative__registered_on"))
                .values_list("branch", "field_id", "initiative__status", "year")
                .annotate(n=Count("initiative_id"))
            )
        yield [(_ancestors(prefix)[-1], *rest) for prefix, *rest in rows]


TABLES = ((InitiativeTally, INITIATIVE_KEY), (FieldTally, FIELD_KEY))


@transaction.atomic
def initiative_tallies_rebuild() -> int:
    """Recount the tallies from scratch; returns the rows written."""
    written = 0
    for model, key in TABLES:
        model.objects.all().delete()
        columns = [c.removesuffix("_id") for c in key] + ["n"]
        for rows in _levels(model):
            written += insert_rows(model, columns, rows)
    RecognitionTally.objects.all().delete()
    written += insert_rows(
        RecognitionTally,
        ["unit", "field", "years", "n"],
        [(*key, n) for key, n in _recognition_counts(None).items()],
    )
    return written


def _stored(model: type, key: tuple[str, ...]) -> Counter[tuple]:
    return Counter({row[:-1]: row[-1] for row in model.objects.values_list(*key, "n").iterator()})


def initiative_tallies_mismatches(*, limit: int = 20) -> list[str]:
    """How the stored tallies differ from a count from scratch (empty: they match)."""
    problems = []
    comparisons = [
        (model, key, Counter({row[:-1]: row[-1] for rows in _levels(model) for row in rows}))
        for model, key in TABLES
    ]
    comparisons.append((RecognitionTally, RECOGNITION_KEY, _recognition_counts(None)))
    for model, key, expected in comparisons:
        stored = _stored(model, key)
        for row in sorted(expected.keys() | stored.keys()):
            if expected[row] != stored[row]:
                problems.append(
                    f"{model.__name__} {dict(zip(key, row, strict=True))}: "
                    f"stored {stored[row]}, counted {expected[row]}"
                )
    return problems[:limit]
