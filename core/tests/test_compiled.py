"""``core.compiled.CompiledQuery``: a query built once per shape of its values gives, for
any values, the rows the ORM gives for them; a builder whose SQL depends on its values
beyond their shape is refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from core.compiled import CompiledQuery
from core.models import Unit, UnitKind, User
from core.tests.factories import UnitFactory, UserFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Wanted:
    prefixes: tuple[str, ...]
    deeper_than: int
    codes: tuple[str, ...]


def units(*, wanted: Wanted):
    """Units under any prefix, deeper than a depth (a small integer field: Django drops a
    condition whose value lies outside its range), or with one of the codes."""
    under = Q(pk__in=[])
    for prefix in wanted.prefixes:
        under |= Q(path__startswith=prefix)
    return (
        Unit.objects.filter(under | Q(code__in=wanted.codes), depth__gt=wanted.deeper_than)
        .order_by("path")
        .values_list("code", "depth")
    )


@pytest.fixture
def tree():
    root = UnitFactory(code="R", kind=UnitKind.PROVINCE)
    a = UnitFactory(code="A", parent=root)
    b = UnitFactory(code="B", parent=root)
    a1 = UnitFactory(code="A1", parent=a, kind=UnitKind.HAMLET)
    UnitFactory(code="B1", parent=b, kind=UnitKind.HAMLET)
    UnitFactory(code="C_%", parent=root)  # LIKE's special characters in data
    return root, a, b, a1


def test_rows_match_the_orm_for_every_value_of_a_shape(tree):
    root, a, b, a1 = tree
    query = CompiledQuery(units)
    cases = [
        Wanted(prefixes=(a.path,), deeper_than=0, codes=()),
        Wanted(prefixes=(b.path,), deeper_than=1, codes=()),
        Wanted(prefixes=(root.path,), deeper_than=2, codes=()),
        Wanted(prefixes=(a.path, b.path), deeper_than=0, codes=("R",)),
        Wanted(prefixes=(b.path, a1.path), deeper_than=1, codes=("R", "C_%")),
        Wanted(prefixes=(), deeper_than=0, codes=("C_%",)),
        Wanted(prefixes=("no-such-path",), deeper_than=0, codes=()),
        Wanted(prefixes=("%",), deeper_than=0, codes=()),  # a value with LIKE's wildcard
    ]
    for wanted in cases:
        expected = list(units(wanted=wanted))
        assert query.rows(wanted=wanted) == expected, wanted
        assert query.count(wanted=wanted) == len(expected)
    # "%" is a character, not a wildcard: nothing's path starts with it.
    assert query.rows(wanted=cases[-1]) == []
    assert query.rows(wanted=cases[0]) == [("A", 1), ("A1", 2)]
    # One plan per shape: 4 shapes among the 8 cases (prefixes and codes of 1 and 0, 2 and
    # 1, 2 and 2, 0 and 1).
    assert len(query._plans) == 4


def test_the_second_call_builds_nothing(tree):
    root, a, b, a1 = tree
    built = []

    def counted(*, wanted):
        built.append(wanted)
        return units(wanted=wanted)

    query = CompiledQuery(counted)
    query.rows(wanted=Wanted(prefixes=(a.path,), deeper_than=0, codes=()))
    assert len(built) == 2  # the two sets of stand-ins, once
    with CaptureQueriesContext(connection) as queries:
        rows = query.rows(wanted=Wanted(prefixes=(b.path,), deeper_than=0, codes=()))
    assert len(built) == 2
    assert rows == [("B", 1), ("B1", 2)]
    assert len(queries) == 1


def test_datetimes_and_fixed_values():
    UserFactory(username="old", date_joined=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    UserFactory(username="new", date_joined=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))

    def joined_after(*, after, limit):
        return (
            User.objects.filter(date_joined__gt=after)
            .order_by("username")
            .values_list("username", "date_joined")[:limit]
        )

    query = CompiledQuery(joined_after)
    since = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    rows = query.rows({"limit": 5}, after=since)
    assert rows == list(joined_after(after=since, limit=5))
    assert [name for name, _joined in rows] == ["new"]
    assert rows[0][1] == dt.datetime(2025, 6, 1, tzinfo=dt.UTC)  # converted as the ORM does
    assert [
        r[0] for r in query.rows({"limit": 5}, after=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))
    ] == [
        "new",
        "old",
    ]
    assert len(query.rows({"limit": 1}, after=dt.datetime(2019, 1, 1, tzinfo=dt.UTC))) == 1


def test_an_empty_in_list_selects_nothing(tree):
    def by_codes(*, codes):
        return Unit.objects.filter(code__in=codes).values_list("code")

    query = CompiledQuery(by_codes)
    assert query.rows(codes=()) == []
    assert query.count(codes=()) == 0
    assert query.raw(codes=()) is None
    assert query.rows(codes=("A",)) == [("A",)]


def test_a_builder_whose_sql_depends_on_a_value_is_refused(tree):
    def branching(*, depth):
        # Python logic on the value: its stand-in would choose the branch for every caller.
        if depth > 32_000:
            return Unit.objects.filter(depth__gt=depth).values_list("code")
        return Unit.objects.filter(depth=depth).values_list("code")

    with pytest.raises(ValueError, match="depends on its values"):
        CompiledQuery(branching).rows(depth=1)


def test_a_value_that_does_not_reach_the_sql_is_refused(tree):
    def ignoring(*, code, unused):
        return Unit.objects.filter(code=code).values_list("code")

    with pytest.raises(ValueError, match="unused"):
        CompiledQuery(ignoring).rows(code="A", unused="x")


def test_a_transformed_value_is_refused(tree):
    def upper(*, code):
        return Unit.objects.filter(code=code.upper()).values_list("code")

    with pytest.raises(ValueError, match="transformed|reach"):
        CompiledQuery(upper).rows(code="a")


def test_a_plan_compiled_in_another_thread_runs_on_this_threads_connection(tree):
    """gthread workers and Celery threads share the plans; a connection serves only the
    thread that opened it."""
    import threading

    root, a, b, a1 = tree
    query = CompiledQuery(units)
    wanted = Wanted(prefixes=(a.path,), deeper_than=0, codes=())

    def compile_only():
        query._plan({"wanted": wanted}, {})  # builds the SQL, runs nothing

    thread = threading.Thread(target=compile_only)
    thread.start()
    thread.join()
    assert len(query._plans) == 1
    # The plan holds no connection (the ended thread's would stay open with it).
    assert all(plan.compiler.connection is None for plan in query._plans.values())
    assert query.rows(wanted=wanted) == [("A", 1), ("A1", 2)]


def test_objects_are_the_querysets_instances_with_their_related_rows(tree):
    root, a, b, a1 = tree
    alice = UserFactory(username="alice", unit=a1)
    bob = UserFactory(username="bob", unit=None)

    def user_with_unit(*, user_id):
        return User.objects.select_related("unit").filter(pk=user_id)

    query = CompiledQuery(user_with_unit)
    [found] = query.objects(user_id=alice.pk)
    assert isinstance(found, User) and found.pk == alice.pk and found.username == "alice"
    with CaptureQueriesContext(connection) as queries:
        assert found.unit.code == "A1"  # loaded with the user
        [other] = query.objects(user_id=bob.pk)
    assert len(queries) == 1
    assert other.username == "bob" and other.unit is None
    assert found._state.db == "default" and not found._state.adding
    assert query.objects(user_id=10**9) == []
