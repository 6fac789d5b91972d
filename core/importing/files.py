"""Reading an import file as a table: CSV (UTF-8, ``,`` or ``;``) or XLSX (first sheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .text import cell_text


class ImportFileError(Exception):
    """The file cannot be read as a table at all (not a row problem)."""


@dataclass
class Sheet:
    header_line: int
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]  # (line number, cells), blank lines left out


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
