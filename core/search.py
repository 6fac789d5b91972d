"""Accent-insensitive text search, the same in Python, PostgreSQL and SQLite: "dan van"
finds "Dân vận", "DÂN VẬN" and "Dân Vận"."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.expressions import Func
from django.db.models.functions import Coalesce, Concat

MAX_QUERY_WORDS = 8


def fold(text: str) -> str:
    """Lower case without tone marks or diacritics: "Dân Vận" → "dan van", "Đường" →
    "duong"."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class Fold(Func):
    """``fold()`` in SQL: ``lower(unaccent(...))`` on PostgreSQL (the extension is created by
    core's migration 0005; a translate() of every accented letter was 100 times slower); on
    SQLite a function registered on each connection (``dvk_fold``)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"lower(unaccent({sql}))", params

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"dvk_fold({sql})", params


class FoldedText(Func):
    """The folded text of several NOT NULL text columns joined by spaces:
    ``dvk_fold(a || ' ' || b)``. On PostgreSQL ``dvk_fold`` is the IMMUTABLE wrapper of
    ``lower(unaccent())`` that core's migration 0009 indexes with trigrams, and this is written
    exactly as the index's expression, so that the planner matches it (a ``LIKE '%word%'`` on it
    is then a trigram index scan); on SQLite the same registered function as ``Fold``."""

    output_field = CharField()

    def __init__(self, *columns: str) -> None:
        super().__init__(*(F(column) for column in columns))

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, part_params = compiler.compile(expression)
            parts.append(sql)
            params += part_params
        function = "public.dvk_fold" if connection.vendor == "postgresql" else "dvk_fold"
        joined = " || ' ' || ".join(parts)
        return f"{function}({joined})", params


def _register_sqlite_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("dvk_fold", 1, fold, deterministic=True)


def connect() -> None:
    """Register ``dvk_fold`` on every new SQLite connection (called from ``CoreConfig.ready``,
    before any connection opens)."""
    connection_created.connect(_register_sqlite_fold, dispatch_uid="dvk_fold")


def query_words(q: str) -> list[str]:
    """The folded words of a query, at most ``MAX_QUERY_WORDS``."""
    return fold(q).split()[:MAX_QUERY_WORDS]


def search(queryset: QuerySet, q: str, fields: tuple[str, ...]) -> QuerySet:
    """Rows where every word of ``q`` appears, accents and case aside, in one of
    ``fields`` (joined into one text)."""
    words = query_words(q)
    if not words:
        return queryset
    parts: list[Any] = []
    for name in fields:
        parts += [Coalesce(name, Value(""), output_field=CharField()), Value(" ")]
    queryset = queryset.annotate(_haystack=Fold(Concat(*parts, output_field=CharField())))
    condition = Q()
    for word in words:
        condition &= Q(_haystack__contains=word)
    return queryset.filter(condition)


# The columns of the trigram indexes of core's migration 0009, in the indexes' order.
INITIATIVE_TEXT = ("code", "title", "owner_name")
UNIT_TEXT = ("name", "code")
# A word found in more units than this (a common word of unit names: "xa", "phuong") is
# matched through a subquery, not a list of ids: PostgreSQL then filters the rows it scans
# instead of ORing two index scans, which such a word would not narrow much anyway.
UNIT_ID_LIST_LIMIT = 2000


def search_initiatives(queryset: QuerySet, q: str) -> QuerySet:
    """Initiatives where every word of ``q`` appears, accents and case aside, in their code,
    title or owner's name, or in their owner unit's name or code. Each word is one indexed
    condition: the initiative's folded text (trigram index), or its owner unit among the
    units whose folded name or code holds the word (found first, on the units' trigram
    index), so PostgreSQL ORs two index scans instead of folding every row of the subtree."""
    from core.models import Unit

    words = query_words(q)
    if not words:
        return queryset
    queryset = queryset.alias(_text=FoldedText(*INITIATIVE_TEXT))
    units = Unit.objects.order_by().alias(_text=FoldedText(*UNIT_TEXT))
    condition = Q()
    for word in words:
        matching = units.filter(_text__contains=word).values_list("pk", flat=True)
        unit_ids = list(matching[: UNIT_ID_LIST_LIMIT + 1])
        if len(unit_ids) > UNIT_ID_LIST_LIMIT:
            unit_ids = matching
        condition &= Q(_text__contains=word) | Q(owner_unit_id__in=unit_ids)
    return queryset.filter(condition)
