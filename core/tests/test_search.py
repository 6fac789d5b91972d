"""The accent-insensitive search of initiatives: the same rows on SQLite and PostgreSQL, and
on PostgreSQL through the trigram indexes of the folded text (core migration 0009)."""

from __future__ import annotations

import pytest
from django.db import connection

from core.models import Initiative, Unit
from core.search import FoldedText, fold, search_initiatives
from core.tests.factories import InitiativeFactory, UnitFactory


@pytest.fixture
def initiatives(db):
    commune = UnitFactory(name="Xã Đồng Văn", code="DONG-VAN")
    other = UnitFactory(name="Thị trấn Bến Thành", code="BEN-THANH")
    return {
        "road": InitiativeFactory(owner_unit=other, title="Dân vận khéo làm đường"),
        "water": InitiativeFactory(
            owner_unit=other, title="Nước sạch", owner_name="Lương Thị Hường"
        ),
        "market": InitiativeFactory(owner_unit=commune, title="Chợ văn minh"),
    }


def found(q: str) -> set[str]:
    return set(search_initiatives(Initiative.objects.all(), q).values_list("title", flat=True))


def test_every_word_is_found_in_the_initiative_or_its_unit_without_accents(initiatives):
    assert found("dan van") == {"Dân vận khéo làm đường"}
    assert found("HUONG") == {"Nước sạch"}
    # "van" is in a title and in a unit's name: both; "dong van cho" needs the unit and title.
    assert found("van") == {"Dân vận khéo làm đường", "Chợ văn minh"}
    assert found("dong van cho") == {"Chợ văn minh"}
    assert found("ben-thanh sach") == {"Nước sạch"}
    code = initiatives["market"].code
    assert found(code.lower()) == {"Chợ văn minh"}
    assert found("khong co") == set()
    assert found("   ") == {i.title for i in initiatives.values()}


def test_the_folded_text_in_sql_equals_fold_in_python(initiatives):
    rows = Initiative.objects.annotate(text=FoldedText("code", "title", "owner_name"))
    for initiative in rows:
        expected = fold(f"{initiative.code} {initiative.title} {initiative.owner_name}")
        assert initiative.text == expected
    assert (
        Unit.objects.annotate(text=FoldedText("name", "code")).get(code="DONG-VAN").text
        == "xa dong van dong-van"
    )


@pytest.mark.postgres
def test_the_search_query_uses_the_trigram_indexes_on_postgresql(initiatives):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: set DATABASE_URL"
    queryset = search_initiatives(Initiative.objects.order_by(), "dan van")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # The tables are tiny: forbid the sequential and the ordered index scans to see
        # whether the trigram index matches the query's expression (a bitmap scan).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        units = Unit.objects.alias(text=FoldedText("name", "code")).filter(text__contains="van")
        sql, params = units.order_by().values("pk").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        unit_plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "core_initiative_search_trgm" in plan, plan
    assert "core_unit_search_trgm" in unit_plan, unit_plan
