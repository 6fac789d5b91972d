"""The task queue pages by keyset with a capped count: every task once across the pages,
in order, with the same number of queries on any page and for any queue size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import Field, Phase
from tests.web_support import browser
from workflows import selectors, services
from workflows.tests.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def registered(district, title):
    return services.initiative_register(
        actor=district.official,
        unit=district.commune,
        title=title,
        kind="collective",
        fields=[Field.objects.get(code="economy")],
        phase=Phase.objects.get(code="2021-2025"),
    )


def walk(user, size, count_cap=200):
    pages, after = [], None
    while True:
        page = selectors.task_page(user=user, after=after, size=size, count_cap=count_cap)
        pages.append(page)
        after = page.next_after
        if after is None:
            return pages


def test_pages_follow_each_other_without_gaps_or_repeats(world):
    secretary = world.district.secretary
    for n in range(7):
        registered(world.district, f"Mô hình {n}")
    expected = list(selectors.task_ids_for_user(user=secretary))
    assert len(expected) >= 7

    pages = walk(secretary, size=3)

    assert [pk for page in pages for pk in page.ids] == expected
    assert all(len(page.ids) == 3 for page in pages[:-1]) and pages[-1].ids
    assert {(page.total, page.total_is_capped) for page in pages} == {(len(expected), False)}


def test_the_count_is_capped_and_says_so(world):
    secretary = world.district.secretary
    for n in range(5):
        registered(world.district, f"Mô hình {n}")
    total = selectors.task_ids_for_user(user=secretary).count()
    page = selectors.task_page(user=secretary, size=2, count_cap=3)
    assert (page.total, page.total_is_capped) == (3, True) and total > 3
    page = selectors.task_page(user=secretary, size=2, count_cap=total)
    assert (page.total, page.total_is_capped) == (total, False)


def test_a_malformed_cursor_gives_the_first_page(world):
    secretary = world.district.secretary
    registered(world.district, "Mô hình 0")
    first = selectors.task_page(user=secretary)
    for bad in ("x", "2024-01-01~y", "~", "2024-13-01T00:00~3", "2024-01-01T00:00~3"):
        assert selectors.task_page(user=secretary, after=bad).ids == first.ids


def test_every_page_costs_the_same_queries(world):
    secretary = world.district.secretary
    for n in range(7):
        registered(world.district, f"Mô hình {n}")
    counts = []
    after = None
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            page = selectors.task_page(user=secretary, after=after, size=2)
        counts.append(len(queries))
        after = page.next_after
    assert counts == [3, 3, 3]


def test_the_web_page_links_the_next_page_and_counts(world):
    client = browser(world.district.secretary)
    for n in range(30):
        registered(world.district, f"Mô hình {n:02d}")
    first = client.get("/tasks/").content.decode()
    assert "việc đang chờ" in first and "?after=" in first
    after = first.split("?after=", 1)[1].split('"', 1)[0]
    second = client.get(f"/tasks/?after={after}").content.decode()
    assert "Trang đầu" in second
    assert "Mô hình 29" in second or "Mô hình 29" in first


def test_a_queue_that_fits_on_its_first_page_is_counted_without_a_count_query(world):
    secretary = world.district.secretary
    for n in range(3):
        registered(world.district, f"Mô hình {n}")
    with CaptureQueriesContext(connection) as queries:
        page = selectors.task_page(user=secretary, size=25)
    total = selectors.task_ids_for_user(user=secretary).count()
    assert (page.total, page.total_is_capped, page.next_after) == (total, False, None)
    assert len(page.ids) == total >= 3
    assert len(queries) == 2  # the roles and the page: no COUNT
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
