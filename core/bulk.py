"""Bulk reads and writes for the services and importers of ``core``: national imports and
status changes touch hundreds of thousands of rows, which the ORM's one-object-at-a-time
paths (and even ``bulk_create`` for rows whose ids are not needed back) make slow."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection, models


def chunks(items: Sequence) -> Iterator[Sequence]:
    """Slices small enough for one ``IN (...)`` each."""
    # SQLite allows 999 parameters a query in old builds; PostgreSQL far more.
    size = min(connection.features.max_query_params or 10_000, 10_000) - 9
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch(queryset: models.QuerySet, key: str, keys: Iterable, *fields: str) -> list[tuple]:
    """``values_list(*fields)`` of the rows whose ``key`` is one of ``keys``, chunked."""
    rows: list[tuple] = []
    for chunk in chunks(sorted(set(keys))):
        rows.extend(queryset.filter(**{f"{key}__in": chunk}).values_list(*fields))
    return rows


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    constants: Mapping[str, Any] | None = None,
) -> int:
    """Insert rows whose ids are not needed back; returns how many.

    ``rows`` hold the values of ``columns`` (field names) in that order; ``constants`` are
    the same for every row and converted once. Every value goes through its field's own
    conversion. COPY on PostgreSQL, one prepared INSERT executed many times elsewhere: far
    lighter than building a model instance per row for ``bulk_create``.
    """
    constants = constants or {}
    meta = model._meta
    varying = [meta.get_field(name) for name in columns]
    fixed = [meta.get_field(name) for name in constants]
    tail = [f.get_db_prep_save(constants[f.name], connection) for f in fixed]
    prepared = [
        [
            *(f.get_db_prep_save(value, connection) for f, value in zip(varying, row, strict=True)),
            *tail,
        ]
        for row in rows
    ]
    if not prepared:
        return 0
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    names = ", ".join(quote(f.column) for f in (*varying, *fixed))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * (len(varying) + len(fixed)))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values})", prepared)
    return len(prepared)
