"""What every importer shares: columns and header mapping, rows read cell by cell, the
error list (``line N, column C: message``), the all-or-nothing run and the command."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import heapq
import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, models, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bulk import fetch
from core.text import control_character_problem

from .files import ImportFileError, read_sheet
from .limits import Limits
from .resolvers import PhaseResolver
from .text import Choices, cell_text, fold, parse_date

IMPORT_SOURCE = "import"


@dataclass(frozen=True)
class Column:
    """A column of an import file: its English name, Vietnamese aliases, and if it must be
    there. An optional column that is absent leaves the matching data of existing rows alone."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = True


@dataclass(order=True)
class RowError:
    line: int
    position: int
    column: str = field(compare=False)
    message: str = field(compare=False)

    def __str__(self) -> str:
        # The prefix is a contract: scripts parse "line N, column C: ".
        return f"line {self.line}, column {self.column}: {self.message}"


class Row:
    """One data line, read column by column; problems go to the importer's error list."""

    __slots__ = ("line", "cells", "importer")

    def __init__(self, line: int, cells: dict[str, Any], importer: Importer) -> None:
        self.line = line
        self.cells = cells
        self.importer = importer

    def error(self, column: str, message: str) -> None:
        self.importer.error(self.line, column, message)

    def text(self, column: str, *, required: bool = False, max_length: int = 0) -> str:
        value = cell_text(self.cells.get(column))
        if not value and required:
            self.error(column, _("a value is required"))
        elif max_length and len(value) > max_length:
            self.error(column, _("too long: at most %(max)d characters") % {"max": max_length})
        return value

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        raw = self.cells.get(column)
        if not cell_text(raw):
            if required:
                self.error(column, _("a value is required"))
            return None
        value = parse_date(raw)
        if value is None:
            self.error(
                column,
                _("“%(value)s” is not a date; write dd/mm/yyyy or yyyy-mm-dd")
                % {"value": cell_text(raw)},
            )
        return value

    def choice(self, column: str, choices: Choices, *, default: str | None = None) -> str | None:
        text = self.text(column, required=default is None)
        if not text:
            return default
        value = choices.get(text)
        if value is None:
            self.error(
                column,
                _("“%(value)s” is not one of: %(choices)s")
                % {"value": text, "choices": choices.listing},
            )
        return value

    def phase(self, column: str, phases: PhaseResolver, *, required: bool = True) -> str | None:
        text = self.text(column, required=required)
        if not text:
            return None
        code = phases.resolve(text)
        if code is None:
            self.error(
                column,
                _("“%(value)s” is not a phase; write it like 2021-2025 or “Giai đoạn 2021 - 2025”")
                % {"value": text},
            )
        return code


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportResult:
    errors: list[str]  # the first IMPORT_MAX_ERRORS, and a last line with how many more
    summary: str = ""
    error_count: int = 0  # all of them

    def __post_init__(self) -> None:
        self.error_count = max(self.error_count, len(self.errors))


class Importer:
    """One entity's import. Subclasses declare ``columns`` and implement the three steps."""

    columns: ClassVar[tuple[Column, ...]]
    # "Imported %(total)d units: ..." and its dry-run twin, with created/updated/unchanged.
    summary: ClassVar[str]
    dry_run_summary: ClassVar[str]

    def __init__(self, *, source_name: str, limits: Limits | None = None) -> None:
        self.source_name = source_name
        self.limits = limits or Limits.from_settings()
        # The first IMPORT_MAX_ERRORS errors in file order (a max-heap), and how many in all:
        # a file of 3 million bad rows keeps 200 messages, not 3 million.
        self._kept: list[tuple[int, int, int, RowError]] = []
        self._sequence = itertools.count()
        self.error_count = 0
        self.present: set[str] = set()
        self.header_names: dict[str, str] = {}
        self._positions: dict[str, int] = {}
        self._by_key = {fold(word): c for c in self.columns for word in (c.name, *c.aliases)}

    # -- the three steps of a subclass
    def parse(self, row: Row) -> Any:
        """Read one line into a record (fields that fail read as None)."""
        raise NotImplementedError

    def prepare(self, records: list) -> Outcome:
        """Check records against each other and the database; work out what would change."""
        raise NotImplementedError

    def write(self) -> None:
        """Write what ``prepare`` worked out. Runs inside the import's transaction."""
        raise NotImplementedError

    # -- shared machinery
    @property
    def errors(self) -> list[RowError]:
        """The errors kept (the first ``limits.errors`` in file order), sorted."""
        return [entry[3] for entry in sorted(self._kept, reverse=True, key=lambda e: e[:3])]

    def error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        position = self._positions.get(column, len(self._positions))
        entry = (-line, -position, -next(self._sequence), None)
        if len(self._kept) >= self.limits.errors and entry <= self._kept[0][:3] + (None,):
            return  # later in the file than every error kept
        error = RowError(
            line=line,
            position=position,
            column=self.header_names.get(column, column),
            message=message,
        )
        entry = (*entry[:3], error)
        if len(self._kept) < self.limits.errors:
            heapq.heappush(self._kept, entry)
        else:
            heapq.heapreplace(self._kept, entry)

    def error_lines(self) -> list[str]:
        lines = [str(e) for e in self.errors]
        more = self.error_count - len(lines)
        if more > 0:
            lines.append(
                _("… and %(more)d more errors (%(total)d in all); the first %(shown)d are above")
                % {"more": more, "total": self.error_count, "shown": len(lines)}
            )
        return lines

    def read_header(self, line: int, header: list[Any]) -> list[str | None]:
        """Map each header cell to a column name; report unknown, repeated, missing ones."""
        mapped: list[str | None] = []
        for position, raw in enumerate(header):
            title = cell_text(raw)
            column = self._by_key.get(fold(title)) if title else None
            if title and column is None:
                self.error(
                    line,
                    title,
                    _("unknown column; the columns are: %(columns)s")
                    % {"columns": ", ".join(c.name for c in self.columns)},
                )
            elif column and column.name in self.present:
                self.error(
                    line,
                    title,
                    _("this column appears twice (also as “%(other)s”)")
                    % {"other": self.header_names[column.name]},
                )
                column = None
            elif column:
                self.present.add(column.name)
                self.header_names[column.name] = title
                self._positions[column.name] = position
            mapped.append(column.name if column else None)
        for column in self.columns:
            if column.required and column.name not in self.present:
                self.error(line, column.name, _("this column is required but missing"))
        return mapped

    def read_rows(self, mapped: list[str | None], rows: Iterable[tuple[int, list[Any]]]) -> list:
        records = []
        width = len(mapped)
        for line, cells in rows:
            used = max((i + 1 for i, value in enumerate(cells) if cell_text(value)), default=0)
            if used > width:
                # The values have slipped out of their columns: reading them adds only noise.
                self.error(
                    line,
                    f"#{width + 1}",
                    _(
                        "this line has %(cells)d cells but the header has %(columns)d columns "
                        "(a value that contains the separator must be in double quotes)"
                    )
                    % {"cells": used, "columns": width},
                )
                continue
            values: dict[str, Any] = {}
            refused = False
            for position, (name, value) in enumerate(zip(mapped, cells, strict=False)):
                if isinstance(value, str) and value:
                    # One rule for all text: control characters (a NUL that PostgreSQL
                    # refuses mid-write, SQLite stores) and cells longer than any field.
                    problem = control_character_problem(value)
                    if problem is None and len(value) > self.limits.cell_chars:
                        problem = _(
                            "the value has %(length)d characters, more than the %(max)d a "
                            "cell may have (IMPORT_MAX_CELL_CHARS)"
                        ) % {"length": len(value), "max": self.limits.cell_chars}
                    if problem is not None:
                        self.error(line, name or f"#{position + 1}", problem)
                        refused = True
                        continue
                if name is not None:
                    values[name] = value
                elif cell_text(value):
                    self.error(
                        line, f"#{position + 1}", _("this cell has a value but no column header")
                    )
            if not refused:
                records.append(self.parse(Row(line, values, self)))
        return records

    def duplicates(
        self,
        records: Iterable,
        key: Callable[[Any], Hashable | None],
        column: str,
        message: Callable[[Any, int], str],
    ) -> dict[Any, Any]:
        """First record of each key; later records with the same key are errors."""
        first: dict[Any, Any] = {}
        for record in records:
            value = key(record)
            if value is None:
                continue
            if value in first:
                self.error(record.line, column, message(value, first[value].line))
            else:
                first[value] = record
        return first

    def summarise(self, outcome: Outcome, *, dry_run: bool) -> str:
        template = self.dry_run_summary if dry_run else self.summary
        lines = [
            str(template)
            % {
                "total": outcome.total,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
            },
            *outcome.notes,
        ]
        if dry_run:
            lines.append(_("Dry run: nothing was written."))
        return "\n".join(lines)


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """A big file makes millions of small objects, none of them garbage until the end; the
    cyclic collector would scan them over and over (half the time of a 500,000-row import)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_import(
    importer_class: type[Importer], path: Path, *, dry_run: bool, **options: Any
) -> ImportResult:
    """Check the whole file, then (unless it is a dry run) write it in one transaction.
    ``options`` go to the importer (``update_passwords`` for members)."""
    with _without_cyclic_gc():
        return _run_import(importer_class, path, dry_run=dry_run, **options)


def _run_import(
    importer_class: type[Importer], path: Path, *, dry_run: bool, **options: Any
) -> ImportResult:
    try:
        limits = Limits.from_settings()
        sheet = read_sheet(path, limits)
        importer = importer_class(source_name=path.name, limits=limits, **options)
        mapped = importer.read_header(sheet.header_line, sheet.header)
        if importer.error_count:  # rows cannot be read against a broken header
            return ImportResult(errors=importer.error_lines(), error_count=importer.error_count)
        records = importer.read_rows(mapped, sheet.rows)
    except ImportFileError as exc:
        return ImportResult(errors=[str(exc)])
    if dry_run:
        outcome = importer.prepare(records)
    else:
        try:
            with transaction.atomic():
                outcome = importer.prepare(records)
                if not importer.error_count:
                    importer.write()
        except IntegrityError as exc:
            return ImportResult(
                errors=[
                    _(
                        "the database changed while the file was imported (%(reason)s); "
                        "nothing was written, run the import again"
                    )
                    % {"reason": exc}
                ]
            )
    if importer.error_count:
        return ImportResult(errors=importer.error_lines(), error_count=importer.error_count)
    return ImportResult(errors=[], summary=importer.summarise(outcome, dry_run=dry_run))


class ImportCommand(BaseCommand):
    """The shared body of the ``import_*`` commands."""

    importer_class: ClassVar[type[Importer]]

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help=gettext_lazy("A CSV (UTF-8) or XLSX file."))
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=gettext_lazy("Check the file and say what would change; write nothing."),
        )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.description = str(self.help)  # argparse cannot format a lazy string
        columns = self.importer_class.columns
        parser.epilog = _(
            "Columns: %(required)s; optional: %(optional)s. Headers in English or "
            "Vietnamese; dates dd/mm/yyyy or yyyy-mm-dd. A bad row rejects the whole file; "
            "importing the same file again changes nothing."
        ) % {
            "required": ", ".join(c.name for c in columns if c.required),
            "optional": ", ".join(c.name for c in columns if not c.required) or "-",
        }
        return parser

    def importer_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Options of the command handed to the importer (a subclass adds its own)."""
        return {}

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            result = run_import(
                self.importer_class,
                Path(file),
                dry_run=dry_run,
                **self.importer_options(options),
            )
            if result.errors:
                for line in result.errors:
                    self.stderr.write(line)
                raise CommandError(
                    _("%(count)d error(s) in %(file)s; nothing was written.")
                    % {"count": result.error_count, "file": file}
                )
            self.stdout.write(result.summary)


# --- Helpers of the importers ----------------------------------------------------------------

Stored = TypeVar("Stored")


def stored_records(
    record_class: type[Stored],
    queryset: models.QuerySet,
    key: str | None = None,
    keys: Iterable | None = None,
) -> list[Stored]:
    """The stored rows as ``record_class``, a dataclass whose fields are named after the
    model's (``owner_unit_id``...): those whose ``key`` is one of ``keys``, or all rows."""
    names = [f.name for f in dataclasses.fields(record_class)]
    if key is None:
        rows: Iterable[tuple] = queryset.values_list(*names)
    else:
        rows = fetch(queryset, key, keys or (), *names)
    return [record_class(*row) for row in rows]


def changed_fields(stored: Any, wanted: Mapping[str, Any]) -> list[str]:
    """The names in ``wanted`` whose value differs from the stored record's."""
    return [name for name, value in wanted.items() if getattr(stored, name) != value]


def model_fields(names: Iterable[str]) -> list[str]:
    """Field names for ``bulk_update`` (``owner_unit`` for ``owner_unit_id``)."""
    return sorted({name.removesuffix("_id") for name in names})


def max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def missing_unit(code: str) -> str:
    return _("no unit with code “%(code)s” in the database") % {"code": code}


def repeated_code(value: Any, line: int) -> str:
    return _("“%(value)s” already appears on line %(line)d") % {"value": value, "line": line}


def repeated_row(value: Any, line: int) -> str:
    return _("this row repeats line %(line)d") % {"line": line}
