"""The API's pagination counts a first page that holds the whole list from its rows (no
COUNT query) and every other list with COUNT, with the same answer either way."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Unit
from core.tests.factories import UnitFactory
from workflows.api.pagination import FirstPageCountingPaginator


def _count_queries(queries) -> int:
    return sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


@pytest.mark.django_db
def test_a_list_that_fits_on_its_first_page_is_counted_without_a_count_query():
    for _ in range(3):
        UnitFactory()
    units = Unit.objects.order_by("pk")
    with CaptureQueriesContext(connection) as queries:
        page = FirstPageCountingPaginator(units, 10).page("1")
        rows = list(page)
    assert page.paginator.count == len(rows) == units.count()
    assert page.paginator.num_pages == 1 and not page.has_next()
    assert len(queries) == 1 and _count_queries(queries) == 0


@pytest.mark.django_db
def test_a_longer_list_and_later_pages_are_counted():
    for _ in range(5):
        UnitFactory()
    units = Unit.objects.order_by("pk")
    total = units.count()
    first = FirstPageCountingPaginator(units, 2).page(1)
    assert first.paginator.count == total and first.has_next()
    assert list(first) == list(units[:2])
    last = FirstPageCountingPaginator(units, 2).page(first.paginator.num_pages)
    assert list(last) == list(units[(first.paginator.num_pages - 1) * 2 :])
    empty = FirstPageCountingPaginator(Unit.objects.none(), 2).page(1)
    assert empty.paginator.count == 0 and list(empty) == []
