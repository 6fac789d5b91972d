"""Hot queries built once per process for each *shape* of their inputs, then run with new
values.

Building and compiling a queryset costs a page 0.2-4 ms of CPU per query (the task queue's
union of branches: 4 ms), several times what PostgreSQL spends running it. A
``CompiledQuery`` calls its builder once per shape with stand-in values (placeholders
nobody's data can hold), keeps the SQL and where each stand-in went in its parameters,
and afterwards runs that SQL with the caller's values through Django's own compiler (its
result converters included). What runs is exactly what the ORM built: the builder is the
only definition of the query.

The shape of a value is its type, and for a tuple or list its length and the shapes of its
items: ``("a", "b")`` and ``("c", "d")`` share their SQL, ``("a",)`` does not. Booleans and
``None`` are part of the shape (a builder may branch on them); integers, strings and aware
datetimes are stand-ins. A builder must use a stand-in only as a query's value (a filter's
argument, an ``IN`` list's item, a ``startswith`` prefix), never in Python logic beyond
its presence: a stand-in that does not reach the SQL's parameters is refused when the
query is first compiled.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable

# Two sets of stand-ins: the query is built with each and both must give the same SQL,
# with each parameter either equal in both (a constant) or the two stand-ins of one value.
# Integers stay within a small integer field's range (Django drops a condition whose value
# lies outside its field's range); strings are of private-use characters no path or code
# holds, with a letter and spaces around so that a builder's ``upper()`` or ``strip()``
# shows; instants lie before the movement existed.
# Plans kept per query (a shape is a number of seats, paths, ids: a few dozen in practice);
# beyond, a new shape is compiled for its call and not kept.
MAX_PLANS = 256

_VARIANTS = (
    (32_767, " \ue000a{}\ue001 ", dt.datetime(1901, 1, 1, tzinfo=dt.UTC)),
    (31_767, " \ue002b{}\ue003 ", dt.datetime(1902, 1, 1, tzinfo=dt.UTC)),
)


def _shape(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int
    if isinstance(value, str):
        return str
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return dt.datetime
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(_shape(item) for item in value))
    if is_dataclass(value):
        return (type(value), tuple((f.name, _shape(getattr(value, f.name))) for f in fields(value)))
    raise TypeError(f"CompiledQuery cannot stand in for {type(value).__name__}")


class _StandIns:
    """Replaces a value's leaves by stand-ins, remembering which leaf each stands for."""

    def __init__(self, variant: int) -> None:
        self.top, self.text, self.epoch = _VARIANTS[variant]
        self.by_path: dict[tuple, Any] = {}  # path of a leaf in the values -> its stand-in

    def make(self, value: Any, path: tuple) -> Any:
        if value is None or isinstance(value, bool):
            return value
        n = len(self.by_path)
        if isinstance(value, int):
            stand_in: Any = self.top - n
        elif isinstance(value, str):
            stand_in = self.text.format(n)
        elif isinstance(value, dt.datetime):
            stand_in = self.epoch + dt.timedelta(seconds=n)
        elif is_dataclass(value):
            return replace(
                value,
                **{
                    f.name: self.make(getattr(value, f.name), (*path, f.name))
                    for f in fields(value)
                },
            )
        else:  # a tuple or a list
            return type(value)(self.make(item, (*path, i)) for i, item in enumerate(value))
        self.by_path[path] = stand_in
        return stand_in


def _leaf(values: dict[str, Any], path: tuple) -> Any:
    value: Any = values
    for step in path:
        value = getattr(value, step) if is_dataclass(value) else value[step]
    return value


@dataclass(frozen=True)
class _Plan:
    queryset: QuerySet  # built with the first stand-ins (its model, related objects)
    compiler: Any  # the compiler that made ``sql`` (its select list gives the converters)
    sql: str | None
    # Per parameter: ("const", value) | ("leaf", path) | ("datetime", path) (adapted by the
    # backend) | ("text", template, {stand-in: path}); sql None: the query selects nothing.
    params: tuple[tuple, ...]

    def bind(self, values: dict[str, Any]) -> list[Any]:
        ops = connections[self.compiler.using].ops
        bound = []
        for kind, *rest in self.params:
            if kind == "const":
                bound.append(rest[0])
            elif kind == "leaf":
                bound.append(_leaf(values, rest[0]))
            elif kind == "datetime":
                bound.append(ops.adapt_datetimefield_value(_leaf(values, rest[0])))
            else:  # a stand-in inside a longer string: a LIKE pattern, escaped as Django does
                text, paths = rest
                for stand_in, path in paths.items():
                    text = text.replace(stand_in, ops.prep_for_like_query(_leaf(values, path)))
                bound.append(text)
        return bound


class CompiledQuery:
    """``build(**values)`` returns a queryset; ``rows(**values)`` its rows (as the
    queryset's iteration gives them for ``values_list``), ``count(**values)`` its length,
    ``raw(**values)`` its SQL and parameters (to nest it in another query with
    ``RawSQL``), each built and compiled once per shape of ``values``. ``fixed``: arguments
    passed to the builder as they are, the SQL compiled once per value (a ``LIMIT``, which
    Django writes into the SQL rather than as a parameter)."""

    def __init__(self, build: Callable[..., QuerySet], *, using: str = "default") -> None:
        self._build = build
        self._using = using
        self._plans: dict[Any, _Plan] = {}
        self._lock = threading.Lock()

    def _plan(self, values: dict[str, Any], fixed: dict[str, Any]) -> _Plan:
        key = (
            tuple(sorted(fixed.items())),
            connections[self._using].vendor,
            tuple(sorted((name, _shape(value)) for name, value in values.items())),
        )
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key) or self._compile(values, fixed)
                if len(self._plans) < MAX_PLANS:
                    self._plans[key] = plan
        return plan

    def _build_with(self, variant: int, values: dict[str, Any], fixed: dict[str, Any]):
        stand_ins = _StandIns(variant)
        queryset = self._build(
            **fixed, **{name: stand_ins.make(value, (name,)) for name, value in values.items()}
        )
        compiler = queryset.query.get_compiler(using=self._using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            sql, params = None, ()
        return stand_ins, queryset, compiler, sql, tuple(params)

    def _compile(self, values: dict[str, Any], fixed: dict[str, Any]) -> _Plan:
        a, queryset, compiler, sql, params = self._build_with(0, values, fixed)
        b, _queryset, _compiler, sql_b, params_b = self._build_with(1, values, fixed)
        if sql != sql_b or len(params) != len(params_b):
            raise ValueError(f"CompiledQuery: {self._build.__name__}'s SQL depends on its values")
        if sql is None:
            return _Plan(queryset=queryset, compiler=compiler, sql=None, params=())
        ops = connections[self._using].ops

        def adapt(value: Any) -> Any:
            return ops.adapt_datetimefield_value(value) if isinstance(value, dt.datetime) else value

        plan_params: list[tuple] = []
        used: set[tuple] = set()
        for pa, pb in zip(params, params_b, strict=True):
            leaf = next((p for p, s in a.by_path.items() if pa == s and pb == b.by_path[p]), None)
            adapted = next(
                (
                    p
                    for p, s in a.by_path.items()
                    if isinstance(s, dt.datetime) and pa == adapt(s) and pb == adapt(b.by_path[p])
                ),
                None,
            )
            inside = {
                s: p
                for p, s in a.by_path.items()
                if isinstance(s, str) and isinstance(pa, str) and s in pa
            }
            if leaf is not None:
                plan_params.append(("leaf", leaf))
                used.add(leaf)
            elif adapted is not None:  # a datetime as the backend writes it (SQLite)
                plan_params.append(("datetime", adapted))
                used.add(adapted)
            elif inside:  # e.g. a LIKE pattern: the same text around each value
                text = pa
                for stand_in, path in inside.items():
                    text = text.replace(stand_in, b.by_path[path])
                if text != pb:
                    raise ValueError(
                        f"CompiledQuery: {self._build.__name__}: a value is transformed"
                    )
                plan_params.append(("text", pa, inside))
                used |= set(inside.values())
            elif pa == pb:
                plan_params.append(("const", pa))
            else:
                raise ValueError(f"CompiledQuery: {self._build.__name__}: a value is transformed")
        missing = set(a.by_path) - used
        if missing:
            raise ValueError(
                "CompiledQuery: values that do not reach the SQL's parameters: "
                + ", ".join(".".join(map(str, path)) for path in sorted(missing, key=str))
            )
        # The plan keeps no connection: each run takes its caller's (``_compiler``), and a
        # thread that ends must not leave its connection held here.
        compiler.connection = None
        return _Plan(queryset=queryset, compiler=compiler, sql=sql, params=tuple(plan_params))

    def raw(self, fixed: dict | None = None, **values: Any) -> tuple[str, list[Any]] | None:
        """None when the query selects nothing (an empty ``IN`` list)."""
        plan = self._plan(values, fixed or {})
        return None if plan.sql is None else (plan.sql, plan.bind(values))

    def _compiler(self, plan: _Plan, values: dict[str, Any]):
        """A copy of the plan's compiler that runs its SQL with ``values``."""
        sql, params = plan.sql, plan.bind(values)
        compiler = copy.copy(plan.compiler)
        # This thread's connection: the plan may have been compiled in another thread (a
        # connection serves only the thread that opened it).
        compiler.connection = connections[self._using]
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        return compiler

    def rows(self, fixed: dict | None = None, **values: Any) -> list[tuple]:
        """The rows, through the compiler that built the SQL (its converters: SQLite's
        dates and booleans come back as the ORM gives them)."""
        plan = self._plan(values, fixed or {})
        if plan.sql is None:
            return []
        return list(self._compiler(plan, values).results_iter(tuple_expected=True))

    def objects(self, fixed: dict | None = None, **values: Any) -> list[Model]:
        """The model instances, as iterating the queryset gives them (``select_related``
        objects included; not ``prefetch_related``)."""
        plan = self._plan(values, fixed or {})
        if plan.sql is None:
            return []
        compiler = self._compiler(plan, values)
        queryset = plan.queryset._chain()
        query = copy.copy(queryset.query)
        query.get_compiler = lambda *args, **kwargs: compiler
        queryset.query = query
        return list(ModelIterable(queryset))

    def count(self, fixed: dict | None = None, **values: Any) -> int:
        raw = self.raw(fixed, **values)
        if raw is None:
            return 0
        sql, params = raw
        with connections[self._using].cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql}) counted", params)
            return cursor.fetchone()[0]
