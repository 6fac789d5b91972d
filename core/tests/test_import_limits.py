"""Imports bound what they read before reading it (issue 9): the file's size, an XLSX's
unpacked XML, rows, columns, cells, one cell's length, and the errors printed; NUL and
other control characters, and oversized fields, are row errors (``line N, column C``) on
both databases, and nothing is written."""

from __future__ import annotations

import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from core.importing import UnitImporter
from core.importing.base import run_import
from core.models import Initiative, Unit
from core.tests.factories import UnitFactory

from .test_import_files import UNITS_HEADER, run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def bomb_workbook(path: Path, *, cells_in_one_row: int = 0, rows: int = 0) -> Path:
    """The decompression bomb of the finding: a tiny XLSX whose one row holds millions of
    empty cells (or whose sheet holds millions of rows), written as a stream, no dimension."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD + b"<sheetData>")
            if cells_in_one_row:
                sheet.write(b'<row r="1">')
                block = b"<c/>" * 250_000
                for _ in range(cells_in_one_row // 250_000):
                    sheet.write(block)
                sheet.write(b"</row>")
            block = b"".join(b"<row/>" for _ in range(100_000))
            for _ in range(rows // 100_000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def measured(importer, path: Path):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = run_import(importer, path, dry_run=False)
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, time.perf_counter() - started


def test_the_decompression_bomb_is_refused_quickly_with_bounded_memory(tmp_path):
    path = bomb_workbook(tmp_path / "bomb.xlsx", cells_in_one_row=25_000_000)
    assert path.stat().st_size < 1_000_000  # 100 MB of XML in a small file
    result, peak, seconds = measured(UnitImporter, path)
    assert result.errors == [
        "dòng 1 có 101 ô, nhiều hơn 100 cột mà một lần nhập đọc (IMPORT_MAX_COLUMNS)"
    ]
    assert peak < 20 * 1024 * 1024, peak  # openpyxl would build the whole row: gigabytes
    assert seconds < 10
    assert not Unit.objects.exists()


def test_a_sheet_of_millions_of_empty_rows_stops_at_the_row_limit(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 50_000
    path = bomb_workbook(tmp_path / "rows.xlsx", rows=3_000_000)
    result, peak, _seconds = measured(UnitImporter, path)
    assert result.errors == [
        "tệp có hơn 50.000 dòng, số dòng nhiều nhất mà một lần nhập đọc (IMPORT_MAX_ROWS)"
    ]
    assert peak < 20 * 1024 * 1024


def test_the_declared_dimension_is_refused_before_a_row_is_read(tmp_path):
    path = tmp_path / "declared.xlsx"
    bomb_workbook(path)
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    parts["xl/worksheets/sheet1.xml"] = (
        SHEET_HEAD + b'<dimension ref="A1:XFD1048576"/><sheetData></sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)
    result = run("import_units", path)
    assert result.failed
    assert "IMPORT_MAX_ROWS" in result.errors[0]


def test_the_unpacked_size_is_bounded(tmp_path, settings):
    settings.IMPORT_MAX_UNPACKED_BYTES = 100_000
    rows = [["code", "name", "kind", "parent_code"]] + [
        [f"U{n}", "x" * 200, "commune", ""] for n in range(1000)
    ]
    result = run("import_units", write_xlsx(tmp_path, rows))
    assert result.failed and "IMPORT_MAX_UNPACKED_BYTES" in result.errors[0]
    assert not Unit.objects.exists()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_columns_and_cells_are_bounded_in_csv_and_xlsx(tmp_path, settings, kind):
    settings.IMPORT_MAX_ROWS = 10
    rows = [["code", "name", "kind", "parent_code"]] + [
        [f"U{n}", "Xã", "commune", ""] for n in range(20)
    ]
    if kind == "csv":
        path = write_csv(tmp_path, "\n".join(",".join(r) for r in rows) + "\n")
    else:
        path = write_xlsx(tmp_path, rows)
    result = run("import_units", path)
    assert result.failed and "IMPORT_MAX_ROWS" in result.errors[0]

    settings.IMPORT_MAX_ROWS = 1000
    settings.IMPORT_MAX_CELLS = 30
    result = run("import_units", path)
    assert result.failed and "IMPORT_MAX_CELLS" in result.errors[0]
    assert not Unit.objects.exists()


def test_a_wide_csv_row_is_refused_by_the_column_limit(tmp_path):
    path = write_csv(tmp_path, UNITS_HEADER + "CB,Tỉnh,province," + "," * 500 + "\n")
    result = run("import_units", path)
    assert result.failed
    assert result.errors[0].startswith("dòng 2 có 504 ô")


def test_the_file_size_is_bounded(tmp_path, settings):
    settings.IMPORT_MAX_FILE_BYTES = 100
    path = write_csv(tmp_path, UNITS_HEADER + "CB,Tỉnh Cao Bằng,province,\n" * 10)
    result = run("import_units", path)
    assert result.failed and "IMPORT_MAX_FILE_BYTES" in result.errors[0]


def test_only_the_first_errors_are_printed_with_a_count(tmp_path, settings):
    settings.IMPORT_MAX_ERRORS = 200
    path = write_csv(tmp_path, UNITS_HEADER + "".join(f"U{n},,commune,\n" for n in range(1000)))
    result = run("import_units", path)
    assert result.failed
    assert len(result.errors) == 202  # 200 errors, the count line, the command's last line
    assert result.errors[0] == "line 2, column name: ô này không được để trống"
    assert result.errors[199] == "line 201, column name: ô này không được để trống"
    assert "800" in result.errors[200] and "1000" in result.errors[200]
    assert "1000 lỗi" in result.errors[201]


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f"])
def test_a_control_character_in_a_csv_cell_is_a_row_error(tmp_path, character):
    path = write_csv(
        tmp_path,
        UNITS_HEADER + "CB,Tỉnh Cao Bằng,province,\n" + f"HA,Hòa{character}An,district,CB\n",
    )
    result = run("import_units", path)
    assert result.failed
    assert result.errors[0].startswith(
        f"line 3, column name: chứa ký tự điều khiển (U+{ord(character):04X}) ở ký tự thứ 4"
    )
    assert not Unit.objects.exists()


def test_a_control_character_in_an_xlsx_cell_is_a_row_error(tmp_path):
    # XML 1.0 cannot carry C0 controls (expat refuses the file), but it does carry C1 ones.
    rows = [["code", "name", "kind", "parent_code"], ["CB", "Tỉnh\x9bCao Bằng", "province", None]]
    result = run("import_units", write_xlsx(tmp_path, rows))
    assert result.failed
    assert result.errors[0].startswith("line 2, column name: chứa ký tự điều khiển (U+009B)")
    assert not Unit.objects.exists()


def test_a_field_over_131072_characters_is_a_row_error_not_a_traceback(tmp_path):
    UnitFactory(code="X1", name="Xã Hồng Việt")
    long_description = "Vận động nhân dân. " * 10_000  # 190,000 characters
    header = "code,title,unit_code,kind,fields,phase,registered_on,description\n"
    path = write_csv(
        tmp_path,
        header + f"MH1,Mô hình,X1,collective,economy,2021-2025,15/03/2022,{long_description}\n",
    )
    result = run("import_initiatives", path)
    assert result.failed
    assert result.errors[0].startswith("line 2, column description: giá trị có 190000 ký tự")
    assert not Initiative.objects.exists()
