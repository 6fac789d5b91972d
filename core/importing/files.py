"""Reading an import file as a table: CSV (UTF-8, ``,`` or ``;``) or XLSX (first sheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from core.text import CONTROL_CHARACTERS

from .limits import ImportFileError, LimitExceeded, Limits, check_file_size, check_xlsx
from .text import cell_text

__all__ = ["ImportFileError", "LimitExceeded", "Limits", "Sheet", "read_sheet"]


@dataclass
class Sheet:
    header_line: int
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]  # (line number, cells), blank lines left out


def read_sheet(path: Path, limits: Limits | None = None) -> Sheet:
    """The file's first line and an iterator of the others, within ``limits`` (the
    settings' by default): the size is checked first, an XLSX is streamed and counted before
    openpyxl opens it, and rows are counted as they are read."""
    limits = limits or Limits.from_settings()
    try:
        check_file_size(path, limits)
        with path.open("rb") as file:
            magic = file.read(4)
        if magic == b"PK\x03\x04":  # a zip: XLSX, whatever the file is called
            check_xlsx(path, limits)
            rows = _bounded(_xlsx_rows(path), limits)
        elif magic == b"\xd0\xcf\x11\xe0":
            raise ImportFileError(
                _("the file is an old Excel .xls workbook; save it as .xlsx or as CSV UTF-8")
            )
        else:
            rows = _bounded(_csv_rows(path.read_bytes(), limits), limits)
    except OSError as exc:
        raise ImportFileError(
            _("cannot open %(path)s: %(reason)s") % {"path": path, "reason": exc.strerror}
        ) from exc
    for line, cells in rows:
        return Sheet(header_line=line, header=cells, rows=rows)
    raise ImportFileError(_("the file has no header line"))


def _has_content(cell: Any) -> bool:
    """Not blank. A cell of control characters only (Python strips some, like U+0085, as
    white space) is content: the importer refuses it, rather than skipping the line."""
    return bool(cell_text(cell)) or (
        isinstance(cell, str) and CONTROL_CHARACTERS.search(cell) is not None
    )


def _bounded(
    rows: Iterator[tuple[int, list[Any]]], limits: Limits
) -> Iterator[tuple[int, list[Any]]]:
    count = cells = 0
    for line, values in rows:
        count += 1
        cells += len(values)
        limits.check_row(line, max(count, line), len(values), cells)
        yield line, values


def _csv_rows(data: bytes, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
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
    return _csv_records(text, delimiter, limits)


def _csv_records(text: str, delimiter: str, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    # A long cell is a row error with its line and column (Importer.read_rows), not the csv
    # module's "field larger than field limit": the file's size already bounds it.
    csv.field_size_limit(max(csv.field_size_limit(), limits.file_bytes + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(
                _("line %(line)d: the CSV cannot be read: %(reason)s")
                % {"line": reader.line_num, "reason": exc}
            ) from exc
        start, end = end + 1, reader.line_num
        if any(_has_content(cell) for cell in cells):
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
            if any(_has_content(cell) for cell in cells):
                yield number, list(cells)
    finally:
        workbook.close()
