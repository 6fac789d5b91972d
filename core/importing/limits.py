"""What an import reads at most, checked before it is read (issue 9).

A 977 KB XLSX of one row of 250 million empty cells grew an import to 23.8 GB; a 441 KB
workbook of 3 million rows took 132 s. So: the file's size first; for an XLSX the packed
XML is streamed through expat (constant memory, no tree) counting bytes, rows, cells per
row and cells, and the sheet's declared dimension is read, all before openpyxl builds a
single row; CSV rows are counted as they are read. The first limit reached stops the import
with one message. The limits are settings (config/settings.py, README "Limits of imports").
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _


class ImportFileError(Exception):
    """The file cannot be read as a table at all (not a row problem)."""


class LimitExceeded(ImportFileError):
    """The file is larger than an import reads."""


@dataclass(frozen=True)
class Limits:
    file_bytes: int
    unpacked_bytes: int
    rows: int
    columns: int
    cells: int
    cell_chars: int
    errors: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            file_bytes=settings.IMPORT_MAX_FILE_BYTES,
            unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cells=settings.IMPORT_MAX_CELLS,
            cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            errors=settings.IMPORT_MAX_ERRORS,
        )

    # -- the messages (one per limit), in the user's language
    def too_many_rows(self) -> LimitExceeded:
        return LimitExceeded(
            _("the file has more than %(max)s rows, the most an import reads (IMPORT_MAX_ROWS)")
            % {"max": f"{self.rows:,}".replace(",", ".")}
        )

    def too_many_columns(self, line: int, count: int) -> LimitExceeded:
        return LimitExceeded(
            _(
                "line %(line)d has %(count)s cells, more than the %(max)d columns an import "
                "reads (IMPORT_MAX_COLUMNS)"
            )
            % {"line": line, "count": f"{count:,}".replace(",", "."), "max": self.columns}
        )

    def too_many_cells(self) -> LimitExceeded:
        return LimitExceeded(
            _("the file has more than %(max)s cells, the most an import reads (IMPORT_MAX_CELLS)")
            % {"max": f"{self.cells:,}".replace(",", ".")}
        )

    def check_row(self, line: int, rows: int, width: int, cells: int) -> None:
        if rows > self.rows:
            raise self.too_many_rows()
        if width > self.columns:
            raise self.too_many_columns(line, width)
        if cells > self.cells:
            raise self.too_many_cells()


def check_file_size(path: Path, limits: Limits) -> None:
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise LimitExceeded(
            _(
                "the file has %(size)s bytes, more than the %(max)s an import reads "
                "(IMPORT_MAX_FILE_BYTES)"
            )
            % {
                "size": f"{size:,}".replace(",", "."),
                "max": f"{limits.file_bytes:,}".replace(",", "."),
            }
        )


# --- XLSX -------------------------------------------------------------------------------------

_CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _Budget:
    """Bytes unpacked from the workbook so far, against ``unpacked_bytes``."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.used = 0

    def take(self, count: int) -> None:
        self.used += count
        if self.used > self.limits.unpacked_bytes:
            raise LimitExceeded(
                _(
                    "the workbook unpacks to more than %(max)s bytes, the most an import "
                    "reads (IMPORT_MAX_UNPACKED_BYTES): it may be a decompression bomb"
                )
                % {"max": f"{self.limits.unpacked_bytes:,}".replace(",", ".")}
            )


def _stream(archive: zipfile.ZipFile, name: str, parser, budget: _Budget) -> None:
    with archive.open(name) as member:
        while chunk := member.read(1 << 20):
            budget.take(len(chunk))
            parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _parser():
    parser = expat.ParserCreate()

    def no_dtd(*_args):  # an XLSX part never has one: entity tricks come through it
        raise LimitExceeded(_("the workbook's XML declares a DTD, which XLSX never does"))

    parser.StartDoctypeDeclHandler = no_dtd
    parser.EntityDeclHandler = no_dtd
    return parser


def _first_sheet_part(archive: zipfile.ZipFile, budget: _Budget) -> str:
    """The path inside the zip of the workbook's first sheet (openpyxl's ``worksheets[0]``)."""
    first: list[str] = []
    targets: dict[str, str] = {}

    def workbook_start(name, attrs):
        if _local(name) == "sheet" and not first:
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            if rid:
                first.append(rid)

    def rels_start(name, attrs):
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = attrs.get("Target", "")

    for part, handler in (
        ("xl/workbook.xml", workbook_start),
        ("xl/_rels/workbook.xml.rels", rels_start),
    ):
        parser = _parser()
        parser.StartElementHandler = handler
        try:
            _stream(archive, part, parser, budget)
        except KeyError:
            raise ImportFileError(
                _("cannot read the XLSX workbook: %(reason)s") % {"reason": part}
            ) from None
    if not first or first[0] not in targets:
        raise ImportFileError(
            _("cannot read the XLSX workbook: %(reason)s") % {"reason": "no sheet"}
        )
    target = targets[first[0]]
    if target.startswith("/"):
        return target.lstrip("/")
    return str(PurePosixPath("xl") / target)


def check_xlsx(path: Path, limits: Limits) -> None:
    """Stream the first sheet and the shared strings through expat, bounding every count."""
    budget = _Budget(limits)
    try:
        with zipfile.ZipFile(path) as archive:
            sheet_part = _first_sheet_part(archive, budget)
            _scan_sheet(archive, sheet_part, limits, budget)
            if "xl/sharedStrings.xml" in archive.namelist():
                parser = _parser()
                _stream(archive, "xl/sharedStrings.xml", parser, budget)
    except (zipfile.BadZipFile, expat.ExpatError, KeyError, OSError) as exc:
        raise ImportFileError(
            _("cannot read the XLSX workbook: %(reason)s") % {"reason": exc}
        ) from exc


def _scan_sheet(archive: zipfile.ZipFile, part: str, limits: Limits, budget: _Budget) -> None:
    state = {"rows": 0, "cells": 0, "in_row": 0, "last": None, "line": 0}

    def end_row() -> None:
        width = state["in_row"]
        last = state["last"]
        if last and (match := _CELL_REF.match(last)):
            width = max(width, _column_number(match.group(1)))
        limits.check_row(state["line"], state["rows"], width, state["cells"])

    def start(name, attrs):
        local = _local(name)
        if local == "c":
            state["in_row"] += 1
            state["cells"] += 1
            state["last"] = attrs.get("r")
            if state["in_row"] > limits.columns:
                raise limits.too_many_columns(state["line"], state["in_row"])
            if state["cells"] > limits.cells:
                raise limits.too_many_cells()
        elif local == "row":
            state["rows"] += 1
            state["in_row"] = 0
            state["last"] = None
            number = attrs.get("r", "")
            state["line"] = int(number) if number.isdigit() else state["line"] + 1
            if state["rows"] > limits.rows or state["line"] > limits.rows:
                raise limits.too_many_rows()
        elif local == "dimension":
            _check_dimension(attrs.get("ref", ""), limits)

    def end(name):
        if _local(name) == "row":
            end_row()

    parser = _parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _stream(archive, part, parser, budget)


def _check_dimension(ref: str, limits: Limits) -> None:
    """The size the sheet says it has (``A1:M5000``): refused before a row is read."""
    last = ref.rpartition(":")[2]
    match = _CELL_REF.match(last)
    if not match:
        return
    columns, rows = _column_number(match.group(1)), int(match.group(2))
    if rows > limits.rows:
        raise limits.too_many_rows()
    if columns > limits.columns:
        raise limits.too_many_columns(1, columns)
    if rows * columns > limits.cells:
        raise limits.too_many_cells()
