"""Accent-insensitive text search, the same in Python, PostgreSQL and SQLite: "dan van"
finds "Dân vận", "DÂN VẬN" and "Dân Vận"."""

from __future__ import annotations

import unicodedata
from functools import cache
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


@cache
def _fold_table() -> tuple[str, str]:
    """The character map SQL's ``translate()`` applies: every precomposed Latin letter that
    folds to one ASCII letter (all of Vietnamese), upper-case ASCII to lower case, and the
    combining marks of decomposed text removed (they come last, with nothing to map to)."""
    source, target = [], []
    ranges = [(0x41, 0x5A), (0xC0, 0x24F), (0x1E00, 0x1EFF)]
    for start, end in ranges:
        for code in range(start, end + 1):
            char = chr(code)
            folded = fold(char)
            if folded != char and len(folded) == 1 and folded.isascii():
                source.append(char)
                target.append(folded)
    marks = [chr(code) for code in range(0x300, 0x370)]
    return "".join(source) + "".join(marks), "".join(target)


class Fold(Func):
    """``fold()`` in SQL: PostgreSQL's ``translate()``; on SQLite a function registered on
    each connection (``dvk_fold``)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        source, target = _fold_table()
        sql, params = compiler.compile(self.source_expressions[0])
        return f"translate({sql}, %s, %s)", (*params, source, target)

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
