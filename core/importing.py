"""Import units, members, initiatives and commendations from CSV or XLSX files.

The four ``import_*`` management commands are a public contract that outside scripts rely on:
a file with a header line (English column names or their Vietnamese aliases), one record a
line. Every row is checked before anything is written; any bad row rejects the whole file and
each problem is reported as ``line N, column C: message`` (the prefix is fixed and
machine-readable, the message is translated). Codes are keys, so importing the same file
again changes nothing.

One ``Importer`` subclass per entity declares its columns, reads a row into a small record,
checks the records against each other and the database (``prepare``, which also works out
what would change) and writes them in bulk (``write``). ``run_import`` drives them.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import (
    BOARD_ROLES,
    AwardType,
    BoardMember,
    Commendation,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuerKind,
    IssuingBody,
    Phase,
    RecipientKind,
    Role,
    SteeringBoard,
    Unit,
    UnitKind,
    UnitRole,
    User,
)

IMPORT_SOURCE = "import"

# --- Text helpers ----------------------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s_\-–—]+")


def fold(text: str) -> str:
    """A key that ignores case, Vietnamese diacritics, and spaces vs underscores or dashes."""
    text = unicodedata.normalize("NFD", str(text).casefold()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text).strip()


def cell_text(value: Any) -> str:
    """A cell as stripped NFC text: an XLSX number 123.0 reads "123", a date its ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (int, float, Decimal, dt.date)):
        return str(value)
    return unicodedata.normalize("NFC", str(value).strip())


_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


def parse_date(value: Any) -> dt.date | None:
    """dd/mm/yyyy, ISO yyyy-mm-dd, or a date cell; None when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if match := _DMY.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


def _chunks(items: list) -> Iterator[list]:
    # SQLite allows 999 parameters a query; PostgreSQL far more.
    size = min(connection.features.max_query_params or 10_000, 10_000) - 9
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _fetch(queryset: models.QuerySet, key: str, keys: Iterable, *fields: str) -> list[tuple]:
    """``values_list(*fields)`` of the rows whose ``key`` is one of ``keys``, chunked."""
    rows: list[tuple] = []
    for chunk in _chunks(sorted(set(keys))):
        rows.extend(queryset.filter(**{f"{key}__in": chunk}).values_list(*fields))
    return rows


# --- Vocabularies ----------------------------------------------------------------------------


class Choices:
    """An enumeration read from a cell: its English value or a Vietnamese word for it."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self._lookup: dict[str, str] = {}
        for value, words in table.items():
            for word in (value, *words):
                key = fold(word)
                assert self._lookup.get(key, value) == value, f"ambiguous word {word!r}"
                self._lookup[key] = value
        self.listing = ", ".join(
            f"{words[0]} ({value})" if words else value for value, words in table.items()
        )
        self._cache: dict[str, str | None] = {}

    def get(self, text: str) -> str | None:
        if text not in self._cache:
            self._cache[text] = self._lookup.get(fold(text))
        return self._cache[text]


UNIT_KINDS = Choices(
    {
        UnitKind.PROVINCE: ("tỉnh", "thành phố", "thành phố trực thuộc trung ương"),
        UnitKind.DISTRICT: ("huyện", "quận", "thị xã", "thành phố thuộc tỉnh"),
        UnitKind.COMMUNE: ("xã", "phường", "thị trấn", "đặc khu"),
        UnitKind.HAMLET: ("thôn", "xóm", "bản", "tổ dân phố", "ấp", "buôn", "làng", "khu phố"),
        UnitKind.AGENCY: ("cơ quan", "ban ngành", "đoàn thể"),
        UnitKind.PARTY_ORG: ("tổ chức đảng", "đảng bộ", "chi bộ", "tổ chức cơ sở đảng"),
    }
)
ROLES = Choices(
    {
        Role.OFFICIAL: ("cán bộ",),
        Role.SECRETARY: ("thư ký", "thường trực"),
        Role.MEMBER: ("thành viên", "ủy viên", "uỷ viên"),
        Role.CHAIR: ("trưởng ban",),
        Role.DEPUTY: ("phó ban", "phó trưởng ban", "deputy chair"),
        Role.CLERK: ("văn thư",),
        Role.LEADER: ("lãnh đạo",),
    }
)
COLLECTIVE_OR_INDIVIDUAL = {
    InitiativeKind.COLLECTIVE: ("tập thể",),
    InitiativeKind.INDIVIDUAL: ("cá nhân",),
}
INITIATIVE_KINDS = Choices(COLLECTIVE_OR_INDIVIDUAL)
RECIPIENT_KINDS = Choices(
    {RecipientKind(value): words for value, words in COLLECTIVE_OR_INDIVIDUAL.items()}
)
# Statuses an imported (historic) initiative may have.
IMPORT_STATUSES = Choices(
    {
        InitiativeStatus.REGISTERED: ("đăng ký", "đã đăng ký"),
        InitiativeStatus.MONITORED: ("theo dõi", "đang theo dõi"),
        InitiativeStatus.EVALUATED: ("đã đánh giá", "đánh giá"),
        InitiativeStatus.RECOGNISED: ("công nhận", "đã công nhận", "được công nhận", "recognized"),
        InitiativeStatus.COMMENDED: ("khen thưởng", "đã khen thưởng", "được khen thưởng"),
        InitiativeStatus.WITHDRAWN: ("rút", "đã rút", "rút đăng ký"),
        InitiativeStatus.DISCONTINUED: ("dừng", "đã dừng", "ngừng", "dừng thực hiện"),
    }
)
AWARDS = Choices(
    {
        AwardType.PRAISE: ("biểu dương",),
        AwardType.CERTIFICATE_OF_MERIT: ("giấy khen",),
        AwardType.COMMENDATION_CERTIFICATE: ("bằng khen",),
    }
)


class PhaseResolver:
    """Reads a phase: its code, "2016 - 2020", or "Giai đoạn 2016 - 2020".

    A well-formed YYYY-YYYY phase that does not exist yet is created by ``create_missing``
    (inside the import's transaction).
    """

    _YEARS = re.compile(r"^(?:giai doan )?(\d{4}) (\d{4})$")
    MAX_YEARS = 10

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._keys: dict[str, str] = {}
        for pk, code, name in Phase.objects.values_list("id", "code", "name"):
            self.ids[code] = pk
            self._keys[fold(code)] = code
            self._keys.setdefault(fold(name), code)
        self.missing: dict[str, tuple[int, int]] = {}
        self._cache: dict[str, str | None] = {}

    def resolve(self, text: str) -> str | None:
        """The phase's code, or None when the text is not a phase."""
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text: str) -> str | None:
        key = fold(text)
        if key in self._keys:
            return self._keys[key]
        match = self._YEARS.match(key)
        if not match:
            return None
        start, end = int(match[1]), int(match[2])
        if not (start < end <= start + self.MAX_YEARS - 1):
            return None
        code = f"{start}-{end}"
        if code not in self.ids:
            self.missing[code] = (start, end)
        return code

    def create_missing(self, used: set[str | None]) -> None:
        for code, (start, end) in sorted(self.missing.items()):
            if code in used and code not in self.ids:
                phase = Phase.objects.create(
                    code=code,
                    name=f"Giai đoạn {start} - {end}",
                    starts_on=dt.date(start, 1, 1),
                    ends_on=dt.date(end, 12, 31),
                )
                self.ids[code] = phase.pk


class FieldResolver:
    """Reads a field by its code or Vietnamese name; without diacritics only if unambiguous."""

    def __init__(self) -> None:
        self._exact: dict[str, int] = {}
        self._folded: dict[str, set[int]] = {}
        self.names: dict[int, str] = {}
        for pk, code, name in Field.objects.values_list("id", "code", "name"):
            self.names[pk] = name
            for word in (code, name):
                self._exact[word.casefold()] = pk
                self._folded.setdefault(fold(word), set()).add(pk)
        self.listing = "; ".join(self.names.values())

    def resolve(self, text: str) -> int | list[int] | None:
        """The field's id, several candidate ids when ambiguous, or None."""
        if text.casefold() in self._exact:
            return self._exact[text.casefold()]
        candidates = self._folded.get(fold(text), set())
        if len(candidates) == 1:
            return next(iter(candidates))
        return sorted(candidates) or None


# --- Reading files ---------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file cannot be read as a table at all (not a row problem)."""


@dataclass
class Sheet:
    header_line: int
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]


def read_sheet(path: Path) -> Sheet:
    try:
        with path.open("rb") as file:
            magic = file.read(4)
        if magic == b"PK\x03\x04":  # a zip: XLSX, whatever the file is called
            rows = _xlsx_rows(path)
        elif magic == b"\xd0\xcf\x11\xe0":
            raise ImportFileError(
                _("the file is an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8")
            )
        else:
            rows = _csv_rows(path.read_bytes())
    except OSError as exc:
        raise ImportFileError(
            _("cannot open %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
        ) from exc
    for line, cells in rows:
        return Sheet(header_line=line, header=cells, rows=rows)
    raise ImportFileError(_("the file has no header line"))


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _(
                "the file is not UTF-8 text (the first bad byte is on line %(line)d); "
                "save it as “CSV UTF-8”"
            )
            % {"line": data.count(b"\n", 0, exc.start) + 1}
        ) from exc
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return _csv_records(text, delimiter)


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = 0
    for cells in reader:
        start, end = end + 1, reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ImportFileError(
            _("cannot read the XLSX workbook: %(reason)s") % {"reason": exc}
        ) from exc
    return _xlsx_records(workbook)


def _xlsx_records(workbook) -> Iterator[tuple[int, list[Any]]]:
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some writers store a wrong size; read what is there
        for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            if any(cell_text(cell) for cell in cells):
                yield number, list(cells)
    finally:
        workbook.close()


# --- Rows and errors -------------------------------------------------------------------------


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
    errors: list[str]
    summary: str = ""


class Importer:
    """One entity's import. Subclasses declare ``columns`` and implement the three steps."""

    columns: ClassVar[tuple[Column, ...]]
    # "Imported %(total)d units: ..." and its dry-run twin, with created/updated/unchanged.
    summary: ClassVar[str]
    dry_run_summary: ClassVar[str]

    def __init__(self, *, source_name: str) -> None:
        self.source_name = source_name
        self.errors: list[RowError] = []
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
    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append(
            RowError(
                line=line,
                position=self._positions.get(column, len(self._positions)),
                column=self.header_names.get(column, column),
                message=message,
            )
        )

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
            for position, (name, value) in enumerate(zip(mapped, cells, strict=False)):
                if name is not None:
                    values[name] = value
                elif cell_text(value):
                    self.error(
                        line, f"#{position + 1}", _("this cell has a value but no column header")
                    )
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


def run_import(importer_class: type[Importer], path: Path, *, dry_run: bool) -> ImportResult:
    """Check the whole file, then (unless it is a dry run) write it in one transaction."""
    with _without_cyclic_gc():
        return _run_import(importer_class, path, dry_run=dry_run)


def _run_import(importer_class: type[Importer], path: Path, *, dry_run: bool) -> ImportResult:
    try:
        sheet = read_sheet(path)
        importer = importer_class(source_name=path.name)
        mapped = importer.read_header(sheet.header_line, sheet.header)
        if importer.errors:  # rows cannot be read against a broken header
            return ImportResult(errors=[str(e) for e in sorted(importer.errors)])
        records = importer.read_rows(mapped, sheet.rows)
    except ImportFileError as exc:
        return ImportResult(errors=[str(exc)])
    if dry_run:
        outcome = importer.prepare(records)
    else:
        try:
            with transaction.atomic():
                outcome = importer.prepare(records)
                if not importer.errors:
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
    if importer.errors:
        return ImportResult(errors=[str(e) for e in sorted(importer.errors)])
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

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            result = run_import(self.importer_class, Path(file), dry_run=dry_run)
            if result.errors:
                for line in result.errors:
                    self.stderr.write(line)
                raise CommandError(
                    _("%(count)d error(s) in %(file)s; nothing was written.")
                    % {"count": len(result.errors), "file": file}
                )
            self.stdout.write(result.summary)


def _missing_unit(code: str) -> str:
    return _("no unit with code “%(code)s” in the database") % {"code": code}


def _repeated_code(value: Any, line: int) -> str:
    return _("“%(value)s” already appears on line %(line)d") % {"value": value, "line": line}


def _repeated_row(value: Any, line: int) -> str:
    return _("this row repeats line %(line)d") % {"line": line}


def _unit_ids(codes: Iterable[str]) -> dict[str, int]:
    return dict(_fetch(Unit.objects, "code", codes, "code", "id"))


def _current(model: type[models.Model], key: str, keys: Iterable, names: tuple[str, ...]):
    """``{key value: (id, *names)}`` for the stored rows the file names (tuples: they are many)."""
    return {row[1]: row for row in _fetch(model.objects, key, keys, "id", key, *names)}


def _changed(current: tuple, names: tuple[str, ...], wanted: Mapping[str, Any]) -> list[str]:
    """Names whose wanted value differs from ``current`` (laid out as ``(id, key, *names)``)."""
    return [name for name in wanted if current[names.index(name) + 2] != wanted[name]]


def _model_fields(names: Iterable[str]) -> list[str]:
    return sorted({name.removesuffix("_id") for name in names})


def _new_phases_note(phases: PhaseResolver, used: Iterable[str | None]) -> list[str]:
    names = [f"{start} - {end}" for code, (start, end) in phases.missing.items() if code in used]
    if not names:
        return []
    return [_("New phases: %(names)s.") % {"names": ", ".join(sorted(names))}]


# --- Units -----------------------------------------------------------------------------------


@dataclass(slots=True)
class UnitRecord:
    line: int
    code: str
    name: str
    kind: str | None
    parent_code: str
    successor_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None


def _cycle_members(edges: Mapping[str, str | None]) -> set[str]:
    """Nodes on a cycle of a graph where each node points to at most one other."""
    done: set[str] = set()
    on_cycle: set[str] = set()
    for start in edges:
        walk: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in walk:
            walk[node] = len(walk)
            node = edges.get(node)
        if node is not None and node in walk:
            on_cycle.update(list(walk)[walk[node] :])
        done.update(walk)
    return on_cycle


class UnitImporter(Importer):
    columns = (
        Column("code", ("mã", "mã đơn vị")),
        Column("name", ("tên", "tên đơn vị")),
        Column("kind", ("loại", "cấp", "loại đơn vị")),
        Column("parent_code", ("mã đơn vị cha", "mã cấp trên", "mã đơn vị cấp trên")),
        Column("valid_from", ("hiệu lực từ", "có hiệu lực từ"), required=False),
        Column("valid_to", ("hiệu lực đến", "hết hiệu lực"), required=False),
        Column("successor_code", ("mã đơn vị kế thừa", "mã kế thừa"), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d units: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d units, %(created)d would be new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    FIELDS = ("name", "kind", "parent_id", "successor_id", "valid_from", "valid_to")

    def parse(self, row: Row) -> UnitRecord:
        return UnitRecord(
            line=row.line,
            code=row.text("code", required=True, max_length=_max_length(Unit, "code")),
            name=row.text("name", required=True, max_length=_max_length(Unit, "name")),
            kind=row.choice("kind", UNIT_KINDS),
            parent_code=row.text("parent_code"),
            successor_code=row.text("successor_code"),
            valid_from=row.date("valid_from"),
            valid_to=row.date("valid_to"),
        )

    def prepare(self, records: list[UnitRecord]) -> Outcome:
        in_file = self.duplicates(records, lambda r: r.code or None, "code", _repeated_code)
        # The whole tree is needed to find loops, so every unit is read (as tuples).
        current = {row[1]: row for row in Unit.objects.values_list("id", "code", *self.FIELDS)}
        code_of = {row[0]: code for code, row in current.items()}
        parents: dict[str, str | None] = {}
        tree: dict[str, str | None] = {}
        for code, (_pk, _code, _n, _k, parent_id, successor_id, _f, _t) in current.items():
            parents[code] = code_of.get(parent_id)
            tree[code] = code_of.get(successor_id) or parents[code]
        for record in in_file.values():
            self._check_references(record, in_file, current)
            successor = record.successor_code
            if "successor_code" not in self.present and record.code in current:
                successor = code_of.get(current[record.code][5])
            parents[record.code] = record.parent_code or None
            tree[record.code] = successor or record.parent_code or None
        looped = _cycle_members(tree) | _cycle_members(parents)
        for record in in_file.values():
            if record.code in looped:
                self.error(
                    record.line,
                    "successor_code" if record.successor_code else "parent_code",
                    _(
                        "the unit “%(code)s” would end up below itself "
                        "(a loop through parent_code / successor_code)"
                    )
                    % {"code": record.code},
                )
        return self._plan(list(in_file.values()), current)

    def _check_references(self, record: UnitRecord, in_file: Mapping, current: Mapping) -> None:
        for column in ("parent_code", "successor_code"):
            code = getattr(record, column)
            if code and code not in in_file and code not in current:
                self.error(
                    record.line,
                    column,
                    _("no unit with code “%(code)s” in the file or in the database")
                    % {"code": code},
                )
        # An absent validity column keeps the stored date, which must still fit.
        stored = current.get(record.code, (None,) * 8)
        valid_from = record.valid_from if "valid_from" in self.present else stored[6]
        valid_to = record.valid_to if "valid_to" in self.present else stored[7]
        if valid_from and valid_to and valid_to < valid_from:
            self.error(
                record.line,
                "valid_to" if "valid_to" in self.present else "valid_from",
                _("the end of validity (%(to)s) is before its start (%(from)s)")
                % {"to": valid_to.strftime("%d/%m/%Y"), "from": valid_from.strftime("%d/%m/%Y")},
            )

    def _plan(self, records: list[UnitRecord], current: dict[str, tuple]) -> Outcome:
        self.ids = {code: row[0] for code, row in current.items()}
        self.new: list[UnitRecord] = []
        self.changed: list[UnitRecord] = []
        self.changed_fields: set[str] = set()
        outcome = Outcome()
        for record in records:
            if record.code not in current:
                self.new.append(record)
                outcome.created += 1
            elif changed := _changed(current[record.code], self.FIELDS, self._wanted(record)):
                self.changed.append(record)
                self.changed_fields.update(changed)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _wanted(self, record: UnitRecord) -> dict[str, Any]:
        # Before the write, a reference to a unit new in this file is its code: it differs
        # from every stored id, so the row counts as changed.
        wanted = {
            "name": record.name,
            "kind": record.kind,
            "parent_id": self.ids.get(record.parent_code, record.parent_code or None),
        }
        if "successor_code" in self.present:
            code = record.successor_code
            wanted["successor_id"] = self.ids.get(code, code or None)
        for name in ("valid_from", "valid_to"):
            if name in self.present:
                wanted[name] = getattr(record, name)
        return wanted

    def _resolved(self, record: UnitRecord) -> bool:
        return all(not c or c in self.ids for c in (record.parent_code, record.successor_code))

    def write(self) -> None:
        pending = self.new
        unlinked: list[UnitRecord] = []
        while pending:
            # Parents and successors are created before the units that point to them. A
            # parent/successor loop among new units (legal when the tree has none) is
            # created unlinked and linked by the update below.
            ready = [r for r in pending if self._resolved(r)]
            if not ready:
                ready = unlinked = pending
            units = [
                Unit(
                    code=r.code,
                    name=r.name,
                    kind=r.kind,
                    parent_id=self.ids.get(r.parent_code),
                    successor_id=self.ids.get(r.successor_code),
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                )
                for r in ready
            ]
            Unit.objects.bulk_create(units)
            self.ids.update((unit.code, unit.pk) for unit in units)
            pending = [r for r in pending if r.code not in self.ids]
        fields = self.changed_fields | ({"parent_id", "successor_id"} if unlinked else set())
        changes = [Unit(id=self.ids[r.code], **self._wanted(r)) for r in self.changed + unlinked]
        if changes:
            Unit.objects.bulk_update(changes, _model_fields(fields))
        services.units_rebuild_paths()


def _insert_many(objects: Iterable[models.Model]) -> None:
    """Insert rows whose ids are not needed back: COPY on PostgreSQL, one prepared INSERT
    executed many times elsewhere. Much lighter than ``bulk_create`` for the hundreds of
    thousands of link and history rows of a national import; each value still goes through
    its field's own conversion."""
    objects = list(objects)
    if not objects:
        return
    model = type(objects[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [
        [f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields] for o in objects
    ]
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})", rows)


# --- Members ---------------------------------------------------------------------------------


@dataclass(slots=True)
class MemberRecord:
    line: int
    username: str
    full_name: str
    email: str
    unit_code: str
    role: str | None
    password: str


class MemberImporter(Importer):
    columns = (
        Column("username", ("tên đăng nhập", "tài khoản")),
        Column("full_name", ("họ và tên", "họ tên")),
        Column("email", ("thư điện tử", "địa chỉ email")),
        Column("unit_code", ("mã đơn vị",)),
        Column("role", ("vai trò",)),
        Column("password", ("mật khẩu",), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d users: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d users, %(created)d would be new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )

    def parse(self, row: Row) -> MemberRecord:
        username = row.text("username", required=True, max_length=_max_length(User, "username"))
        email = row.text("email", max_length=_max_length(User, "email"))
        password = cell_text(row.cells.get("password"))
        checks = (
            ("username", username, User.username_validator),
            ("email", email, validate_email),
            ("password", password, validate_password),
        )
        for column, value, validate in checks:
            try:
                if value:
                    validate(value)
            except ValidationError as exc:
                row.error(column, " ".join(exc.messages))
        return MemberRecord(
            line=row.line,
            username=username,
            full_name=row.text(
                "full_name", required=True, max_length=_max_length(User, "full_name")
            ),
            email=email,
            unit_code=row.text("unit_code", required=True),
            role=row.choice("role", ROLES),
            password=password,
        )

    def prepare(self, records: list[MemberRecord]) -> Outcome:
        self.duplicates(
            records,
            lambda r: (r.username, r.unit_code, r.role) if r.username and r.role else None,
            "role",
            _repeated_row,
        )
        users = self._first_rows(records)
        self.unit_ids = _unit_ids(r.unit_code for r in records if r.unit_code)
        for record in records:
            if record.unit_code and record.unit_code not in self.unit_ids:
                self.error(record.line, "unit_code", _missing_unit(record.unit_code))
        outcome = self._plan_users(users)
        wanted = {
            (self.unit_ids[r.unit_code], r.username, r.role)
            for r in records
            if r.role and r.username and r.unit_code in self.unit_ids
        }
        self.new_roles = sorted(wanted - self._current_roles())
        outcome.notes.append(_("New roles: %(count)d.") % {"count": len(self.new_roles)})
        return outcome

    def _first_rows(self, records: list[MemberRecord]) -> dict[str, MemberRecord]:
        """First row of each user. Later rows add roles; they may leave the email and the
        password blank, but must not say something else."""
        first: dict[str, MemberRecord] = {}
        for record in records:
            seen = first.setdefault(record.username, record) if record.username else record
            for column in ("full_name", "email", "password"):
                value = getattr(record, column)
                if value and not getattr(seen, column):
                    setattr(seen, column, value)
                elif value and value != getattr(seen, column):
                    self.error(
                        record.line,
                        column,
                        _("differs from line %(line)d for the same user") % {"line": seen.line},
                    )
        return first

    def _plan_users(self, users: dict[str, MemberRecord]) -> Outcome:
        outcome = Outcome()
        self.new_users: list[MemberRecord] = []
        self.changed_users: list[User] = []
        self.user_ids: dict[str, int] = {}
        for chunk in _chunks(sorted(users)):
            for user in User.objects.filter(username__in=chunk):
                self.user_ids[user.username] = user.pk
                record = users[user.username]
                wanted = {
                    "full_name": record.full_name,
                    "email": record.email,
                    "unit_id": self.unit_ids.get(record.unit_code),
                }
                changed = [name for name, value in wanted.items() if getattr(user, name) != value]
                # Hashing is slow by design: only a password that differs is set again.
                if record.password and not check_password(record.password, user.password):
                    user.set_password(record.password)
                    changed.append("password")
                if changed:
                    for name, value in wanted.items():
                        setattr(user, name, value)
                    self.changed_users.append(user)
        outcome.updated = len(self.changed_users)
        outcome.unchanged = len(self.user_ids) - outcome.updated
        self.new_users = [r for name, r in users.items() if name not in self.user_ids]
        outcome.created = len(self.new_users)
        return outcome

    def _current_roles(self) -> set[tuple[int, str, str]]:
        names = {pk: name for name, pk in self.user_ids.items()}
        held = [
            *_fetch(BoardMember.objects, "user_id", names, "board__unit_id", "user_id", "role"),
            *_fetch(UnitRole.objects, "user_id", names, "unit_id", "user_id", "role"),
        ]
        return {(unit_id, names[user_id], role) for unit_id, user_id, role in held}

    def write(self) -> None:
        created = [
            User(
                username=r.username,
                full_name=r.full_name,
                email=r.email,
                unit_id=self.unit_ids[r.unit_code],
                password=make_password(r.password or None),  # none given: unusable
            )
            for r in self.new_users
        ]
        User.objects.bulk_create(created)
        self.user_ids.update((user.username, user.pk) for user in created)
        User.objects.bulk_update(self.changed_users, ["full_name", "email", "unit", "password"])
        board_roles = [(u, n, r) for u, n, r in self.new_roles if r in BOARD_ROLES]
        boards = self._boards({unit_id for unit_id, _n, _r in board_roles})
        BoardMember.objects.bulk_create(
            BoardMember(board_id=boards[unit_id], user_id=self.user_ids[name], role=role)
            for unit_id, name, role in board_roles
        )
        UnitRole.objects.bulk_create(
            UnitRole(unit_id=unit_id, user_id=self.user_ids[name], role=role)
            for unit_id, name, role in self.new_roles
            if role not in BOARD_ROLES
        )

    @staticmethod
    def _boards(unit_ids: set[int]) -> dict[int, int]:
        """``{unit id: board id}``, creating the boards that are missing."""
        boards = dict(_fetch(SteeringBoard.objects, "unit_id", unit_ids, "unit_id", "id"))
        missing = [
            # The board's name is data, written the way boards are named.
            SteeringBoard(unit_id=pk, name=f"Ban Chỉ đạo {name}")
            for pk, name in _fetch(Unit.objects, "id", unit_ids - set(boards), "id", "name")
        ]
        SteeringBoard.objects.bulk_create(missing)
        boards.update((board.unit_id, board.pk) for board in missing)
        return boards


# --- Initiatives -----------------------------------------------------------------------------


@dataclass(slots=True)
class InitiativeRecord:
    line: int
    code: str
    title: str
    unit_code: str
    kind: str | None
    field_ids: tuple[int, ...]
    phase: str | None
    registered_on: dt.date | None
    owner_name: str
    status: str | None
    description: str


class InitiativeImporter(Importer):
    columns = (
        Column("code", ("mã mô hình", "mã")),
        Column("title", ("tên mô hình", "tên")),
        Column("unit_code", ("mã đơn vị",)),
        Column("kind", ("loại", "loại mô hình")),
        Column("fields", ("lĩnh vực",)),
        Column("phase", ("giai đoạn",)),
        Column("registered_on", ("ngày đăng ký",)),
        Column("owner_name", ("tên chủ mô hình", "chủ mô hình", "người thực hiện"), False),
        Column("status", ("trạng thái",), required=False),
        Column("description", ("mô tả",), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d initiatives: %(created)d new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d initiatives, %(created)d would be new, "
        "%(updated)d updated, %(unchanged)d unchanged."
    )
    FIELDS = (
        "title",
        "owner_unit_id",
        "kind",
        "phase_id",
        "registered_on",
        "owner_name",
        "status",
        "description",
    )
    BATCH = 5_000

    def __init__(self, *, source_name: str) -> None:
        super().__init__(source_name=source_name)
        self.phases = PhaseResolver()
        self.fields = FieldResolver()

    def parse(self, row: Row) -> InitiativeRecord:
        return InitiativeRecord(
            line=row.line,
            code=row.text("code", required=True, max_length=_max_length(Initiative, "code")),
            title=row.text("title", required=True, max_length=_max_length(Initiative, "title")),
            unit_code=row.text("unit_code", required=True),
            kind=row.choice("kind", INITIATIVE_KINDS),
            field_ids=self._field_ids(row),
            phase=row.phase("phase", self.phases),
            registered_on=row.date("registered_on", required=True),
            owner_name=row.text("owner_name", max_length=_max_length(Initiative, "owner_name")),
            status=row.choice("status", IMPORT_STATUSES, default=InitiativeStatus.REGISTERED),
            description=row.text("description"),
        )

    def _field_ids(self, row: Row) -> tuple[int, ...]:
        found: set[int] = set()
        text = row.text("fields", required=True)
        names = [name for part in text.split(";") if (name := part.strip())]
        if text and not names:  # only separators
            row.error("fields", _("a value is required"))
        for name in names:
            match = self.fields.resolve(name)
            if isinstance(match, int):
                found.add(match)
            elif match:
                row.error(
                    "fields",
                    _("“%(value)s” matches several fields (%(choices)s); write the field's code")
                    % {"value": name, "choices": "; ".join(self.fields.names[i] for i in match)},
                )
            else:
                row.error(
                    "fields",
                    _("no field “%(value)s”; the fields are: %(choices)s")
                    % {"value": name, "choices": self.fields.listing},
                )
        return tuple(sorted(found))

    def prepare(self, records: list[InitiativeRecord]) -> Outcome:
        in_file = self.duplicates(records, lambda r: r.code or None, "code", _repeated_code)
        self.unit_ids = _unit_ids(r.unit_code for r in records if r.unit_code)
        current = _current(Initiative, "code", in_file, self.FIELDS)
        self.current_fields: dict[int, set[int]] = {}
        through = Initiative.fields.through
        ids = [row[0] for row in current.values()]
        for pk, field_id in _fetch(
            through.objects, "initiative_id", ids, "initiative_id", "field_id"
        ):
            self.current_fields.setdefault(pk, set()).add(field_id)
        outcome = Outcome(notes=_new_phases_note(self.phases, {r.phase for r in records}))
        self.new: list[InitiativeRecord] = []
        self.changed: list[tuple[InitiativeRecord, tuple, list[str]]] = []
        for record in in_file.values():
            stored = current.get(record.code)
            self._check(record, stored)
            if stored is None:
                self.new.append(record)
                outcome.created += 1
                continue
            changed = _changed(stored, self.FIELDS, self._wanted(record))
            if set(record.field_ids) != self.current_fields.get(stored[0], set()):
                changed.append("fields")
            if changed:
                self.changed.append((record, stored, changed))
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _check(self, record: InitiativeRecord, stored: tuple | None) -> None:
        if record.unit_code and record.unit_code not in self.unit_ids:
            self.error(record.line, "unit_code", _missing_unit(record.unit_code))
        owner_name = record.owner_name
        if "owner_name" not in self.present and stored is not None:
            owner_name = stored[2 + self.FIELDS.index("owner_name")]
        if record.kind == InitiativeKind.INDIVIDUAL and not owner_name:
            self.error(
                record.line, "owner_name", _("an individual initiative needs its owner's name")
            )

    def _wanted(self, record: InitiativeRecord) -> dict[str, Any]:
        wanted = {
            "title": record.title,
            "owner_unit_id": self.unit_ids.get(record.unit_code),
            "kind": record.kind,
            "phase_id": self.phases.ids.get(record.phase, record.phase),
            "registered_on": record.registered_on,
        }
        for name in ("owner_name", "status", "description"):
            if name in self.present:
                wanted[name] = getattr(record, name)
        return wanted

    def write(self) -> None:
        self.phases.create_missing({r.phase for r in self.new + [c[0] for c in self.changed]})
        now = timezone.now()
        self.history_line = {
            "at": now,
            "reason": _("Imported from file %(name)s") % {"name": self.source_name},
            "source": IMPORT_SOURCE,
        }
        # In batches, so that half a million rows never sit in memory as model instances.
        for start in range(0, len(self.new), self.BATCH):
            batch = self.new[start : start + self.BATCH]
            initiatives = [
                Initiative(code=r.code, created_at=now, updated_at=now, **self._wanted(r))
                for r in batch
            ]
            Initiative.objects.bulk_create(initiatives, batch_size=1000)
            self._link_fields(zip(initiatives, batch, strict=True))
            _insert_many(self._history(i.pk, "", i.status) for i in initiatives)
        for start in range(0, len(self.changed), self.BATCH):
            self._update(self.changed[start : start + self.BATCH], now)

    def _history(self, pk: int, from_status: str, to_status: str) -> InitiativeStatusChange:
        return InitiativeStatusChange(
            initiative_id=pk, from_status=from_status, to_status=to_status, **self.history_line
        )

    def _link_fields(self, pairs: Iterable[tuple[Initiative, InitiativeRecord]]) -> None:
        through = Initiative.fields.through
        _insert_many(
            through(initiative_id=initiative.pk, field_id=field_id)
            for initiative, record in pairs
            for field_id in record.field_ids
        )

    def _update(self, batch: list, now: dt.datetime) -> None:
        status_at = 2 + self.FIELDS.index("status")
        initiatives, names, relinked, history = [], {"updated_at"}, [], []
        for record, stored, changed in batch:
            initiative = Initiative(id=stored[0], updated_at=now, **self._wanted(record))
            initiatives.append(initiative)
            names.update(name for name in changed if name != "fields")
            if "fields" in changed:
                relinked.append((initiative, record))
            if "status" in changed:
                history.append(self._history(stored[0], stored[status_at], record.status))
        Initiative.objects.bulk_update(initiatives, _model_fields(names), batch_size=500)
        through = Initiative.fields.through
        for chunk in _chunks([initiative.pk for initiative, _r in relinked]):
            through.objects.filter(initiative_id__in=chunk).delete()
        self._link_fields(relinked)
        _insert_many(history)


# --- Commendations ---------------------------------------------------------------------------


def guess_issuer(name: str) -> tuple[str, str]:
    """The kind and number suffix of a body known only by its name (UBND…, Huyện ủy…)."""
    key = fold(name)
    if key.startswith(("ubnd", "uy ban nhan dan")):
        return IssuerKind.PEOPLE_COMMITTEE, "UBND"
    if key.startswith(("ban chi dao", "bcd ")):
        return IssuerKind.STEERING_BOARD, "BCĐ"
    if re.search(r"\buy\b(?! ban)", key) or "ban thuong vu" in key:
        for words, abbreviation in (("huyen uy", "HU"), ("tinh uy", "TU"), ("dang uy", "ĐU")):
            if words in key:
                return IssuerKind.PARTY_COMMITTEE, abbreviation
        return IssuerKind.PARTY_COMMITTEE, ""
    return IssuerKind.OTHER, ""


class IssuerResolver:
    """Finds an issuing body by code or name (case-insensitive); remembers unknown names."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.codes: set[str] = set()
        for pk, code, name in IssuingBody.objects.values_list("id", "code", "name"):
            self.codes.add(code)
            self.ids.setdefault(code.casefold(), pk)
            self.ids.setdefault(name.casefold(), pk)
        self.missing: dict[str, str] = {}

    def resolve(self, text: str) -> int | str:
        """The body's id, or for a body still to create its name's key."""
        key = text.casefold()
        if key in self.ids:
            return self.ids[key]
        self.missing.setdefault(key, text)
        return key

    def id_of(self, issuer: int | str) -> int | None:
        return issuer if isinstance(issuer, int) else self.ids.get(issuer)

    def create_missing(self) -> None:
        for key, name in self.missing.items():
            kind, abbreviation = guess_issuer(name)
            base = slugify(fold(name))[: _max_length(IssuingBody, "code") - 4].strip("-")
            code, number = base or "issuer", 1
            while code in self.codes:
                number += 1
                code = f"{base}-{number}"
            self.codes.add(code)
            body = IssuingBody.objects.create(
                code=code, name=name, kind=kind, abbreviation=abbreviation
            )
            self.ids[key] = body.pk


@dataclass(slots=True)
class CommendationRecord:
    line: int
    decision_number: str
    decision_date: dt.date | None
    issuer: int | str
    award: str | None
    recipient_kind: str | None
    recipient_name: str
    unit_code: str
    phase: str | None
    citation: str
    initiative_code: str

    def key(self) -> tuple | None:
        key = (
            self.issuer,
            self.decision_number,
            self.decision_date,
            self.recipient_kind,
            self.recipient_name,
            self.unit_code,
        )
        return key if all(key) else None


class CommendationImporter(Importer):
    columns = (
        Column("decision_number", ("số quyết định", "số qđ")),
        Column("decision_date", ("ngày quyết định", "ngày qđ")),
        Column("issuer", ("cơ quan ban hành", "cấp khen", "cơ quan khen thưởng")),
        Column("award", ("hình thức khen", "hình thức", "hình thức khen thưởng")),
        Column("recipient_kind", ("loại đối tượng",)),
        Column("recipient_name", ("tên đối tượng", "người được khen", "đối tượng được khen")),
        Column("unit_code", ("mã đơn vị",)),
        Column("phase", ("giai đoạn",)),
        Column("citation", ("trích yếu", "nội dung khen"), required=False),
        Column("initiative_code", ("mã mô hình",), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d commendations: %(created)d new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d commendations, %(created)d would be new, "
        "%(updated)d updated, %(unchanged)d unchanged."
    )
    FIELDS = ("award", "phase_id", "citation", "initiative_id")
    KEY = ("issuer_id", "decision_number", "decision_date", "recipient_kind", "recipient_name")

    def __init__(self, *, source_name: str) -> None:
        super().__init__(source_name=source_name)
        self.phases = PhaseResolver()
        self.issuers = IssuerResolver()

    def parse(self, row: Row) -> CommendationRecord:
        issuer = row.text("issuer", required=True, max_length=_max_length(IssuingBody, "name"))
        return CommendationRecord(
            line=row.line,
            decision_number=row.text(
                "decision_number",
                required=True,
                max_length=_max_length(Commendation, "decision_number"),
            ),
            decision_date=row.date("decision_date", required=True),
            issuer=self.issuers.resolve(issuer) if issuer else "",
            award=row.choice("award", AWARDS),
            recipient_kind=row.choice("recipient_kind", RECIPIENT_KINDS),
            recipient_name=row.text(
                "recipient_name",
                required=True,
                max_length=_max_length(Commendation, "recipient_name"),
            ),
            unit_code=row.text("unit_code", required=True),
            phase=row.phase("phase", self.phases, required=False),
            citation=row.text("citation"),
            initiative_code=row.text("initiative_code"),
        )

    def prepare(self, records: list[CommendationRecord]) -> Outcome:
        in_file = self.duplicates(records, CommendationRecord.key, "recipient_name", _repeated_row)
        self.unit_ids = _unit_ids(r.unit_code for r in records if r.unit_code)
        codes = {r.initiative_code for r in records if r.initiative_code}
        self.initiative_ids = dict(_fetch(Initiative.objects, "code", codes, "code", "id"))
        for record in records:
            if record.unit_code and record.unit_code not in self.unit_ids:
                self.error(record.line, "unit_code", _missing_unit(record.unit_code))
            if record.initiative_code and record.initiative_code not in self.initiative_ids:
                self.error(
                    record.line,
                    "initiative_code",
                    _("no initiative with code “%(code)s” in the database")
                    % {"code": record.initiative_code},
                )
        stored = {
            row[1 : 2 + len(self.KEY)]: row
            for row in _fetch(
                Commendation.objects,
                "decision_number",
                {r.decision_number for r in records},
                "id",
                "unit_id",
                *self.KEY,
                *self.FIELDS,
            )
        }
        notes = _new_phases_note(self.phases, {r.phase for r in records})
        if self.issuers.missing:
            names = ", ".join(sorted(self.issuers.missing.values()))
            notes.append(_("New issuing bodies: %(names)s.") % {"names": names})
        return self._plan(list(in_file.values()), stored, Outcome(notes=notes))

    def _stored_key(self, record: CommendationRecord) -> tuple:
        return (
            self.unit_ids.get(record.unit_code),
            self.issuers.id_of(record.issuer),
            record.decision_number,
            record.decision_date,
            record.recipient_kind,
            record.recipient_name,
        )

    def _plan(self, records: list, stored: dict[tuple, tuple], outcome: Outcome) -> Outcome:
        self.new: list[CommendationRecord] = []
        self.changed: list[tuple[int, CommendationRecord]] = []
        self.changed_fields: set[str] = set()
        width = 2 + len(self.KEY)
        for record in records:
            row = stored.get(self._stored_key(record))
            if row is None:
                self.new.append(record)
                outcome.created += 1
            elif changed := _changed((None, None, *row[width:]), self.FIELDS, self._wanted(record)):
                self.changed.append((row[0], record))
                self.changed_fields.update(changed)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _wanted(self, record: CommendationRecord) -> dict[str, Any]:
        wanted: dict[str, Any] = {
            "award": record.award,
            "phase_id": self.phases.ids.get(record.phase, record.phase),
        }
        if "citation" in self.present:
            wanted["citation"] = record.citation
        if "initiative_code" in self.present:
            wanted["initiative_id"] = self.initiative_ids.get(record.initiative_code)
        return wanted

    def write(self) -> None:
        self.phases.create_missing({r.phase for r in self.new + [r for _pk, r in self.changed]})
        self.issuers.create_missing()
        Commendation.objects.bulk_create(
            (
                Commendation(
                    issuer_id=self.issuers.id_of(r.issuer),
                    decision_number=r.decision_number,
                    decision_date=r.decision_date,
                    recipient_kind=r.recipient_kind,
                    recipient_name=r.recipient_name,
                    unit_id=self.unit_ids[r.unit_code],
                    **self._wanted(r),
                )
                for r in self.new
            ),
            batch_size=1000,
        )
        if self.changed:
            Commendation.objects.bulk_update(
                [Commendation(id=pk, **self._wanted(r)) for pk, r in self.changed],
                _model_fields(self.changed_fields),
                batch_size=500,
            )
