"""Accent-insensitive text search, the same in Python, PostgreSQL and SQLite: "dan van"
finds "Dân vận", "DÂN VẬN" and "Dân Vận"."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db.backends.signals import connection_created
from django.db.models import CharField, Q, QuerySet, Value
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


def _register_sqlite_fold(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("dvk_fold", 1, fold, deterministic=True)


def connect() -> None:
    """Register ``dvk_fold`` on every new SQLite connection (called from ``CoreConfig.ready``,
    before any connection opens)."""
    connection_created.connect(_register_sqlite_fold, dispatch_uid="dvk_fold")


def search(queryset: QuerySet, q: str, fields: tuple[str, ...]) -> QuerySet:
    """Rows where every word of ``q`` appears, accents and case aside, in one of
    ``fields`` (joined into one text)."""
    words = fold(q).split()[:MAX_QUERY_WORDS]
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
