"""Reading import files: CSV and XLSX, encodings, headers, line numbers.

Also the helpers the other ``test_import_*`` modules share.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.importing import cell_text, fold, parse_date
from core.models import Unit

pytestmark = pytest.mark.django_db

UNITS_HEADER = "code,name,kind,parent_code\n"


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def write_xlsx(tmp_path: Path, rows: list[list], name: str = "data.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / name
    workbook.save(path)
    return path


@dataclass
class Run:
    out: str
    err: str
    failed: bool

    @property
    def errors(self) -> list[str]:
        return self.err.splitlines()


def run(command: str, path: Path, *options: str) -> Run:
    """Call an import command as a script would; a CommandError means a non-zero exit."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), *options, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(f"CommandError: {exc}\n")
        return Run(out.getvalue(), err.getvalue(), failed=True)
    return Run(out.getvalue(), err.getvalue(), failed=False)


def test_fold_ignores_case_diacritics_and_separators():
    assert fold("  Mã_Đơn  vị-Cha ") == "ma don vi cha"
    assert fold("parent_code") == fold("Parent Code")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (123.0, "123"),
        (123, "123"),
        (1.5, "1.5"),
        (dt.datetime(2020, 9, 30), "2020-09-30"),
        ("  Xã\u00a0A ", "Xã\u00a0A"),
        (None, ""),
    ],
)
def test_cell_text_reads_numbers_without_a_decimal_point(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("30/09/2020", dt.date(2020, 9, 30)),
        ("1/7/2025", dt.date(2025, 7, 1)),
        ("2025-07-01", dt.date(2025, 7, 1)),
        (dt.datetime(2025, 7, 1, 0, 0), dt.date(2025, 7, 1)),
        ("31/02/2020", None),
        ("07/01/25", None),
        ("2020/09/30", None),
    ],
)
def test_parse_date_accepts_day_month_year_and_iso(value, day):
    assert parse_date(value) == day


def test_semicolon_separated_csv_with_bom_and_vietnamese_headers(tmp_path):
    path = tmp_path / "don-vi.csv"
    path.write_bytes(
        "\ufeff Mã ; Tên đơn vị ;LOẠI; mã_đơn_vị_cha\nCB;Tỉnh Cao Bằng;Tỉnh;\n".encode()
    )
    result = run("import_units", path)
    assert not result.failed, result.err
    assert Unit.objects.get(code="CB").kind == "province"


def test_line_numbers_count_blank_lines_and_multiline_cells(tmp_path):
    path = write_csv(
        tmp_path,
        UNITS_HEADER + "\n"  # line 2 is blank
        'CB,"Tỉnh\nCao Bằng",province,\n'  # lines 3-4
        "HA,Huyện Hòa An,nowhere,CB\n",  # line 5
    )
    result = run("import_units", path)
    assert result.failed
    assert result.errors[0].startswith("line 5, column kind: “nowhere” không phải là")
    assert not Unit.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(UNITS_HEADER.encode() + "CB,Tỉnh Cao Bằng,province,\n".encode("utf-16-le"))
    result = run("import_units", path)
    assert result.failed
    assert "không phải là văn bản UTF-8" in result.err and "dòng 2" in result.err
    assert not Unit.objects.exists()


def test_an_old_xls_workbook_is_refused(tmp_path):
    path = tmp_path / "units.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    result = run("import_units", path)
    assert result.failed and ".xlsx" in result.err


def test_an_empty_file_has_no_header(tmp_path):
    result = run("import_units", write_csv(tmp_path, "\n\n"))
    assert result.failed and "không có dòng tiêu đề" in result.err


def test_a_missing_file_is_reported(tmp_path):
    result = run("import_units", tmp_path / "nope.csv")
    assert result.failed and "không mở được tệp" in result.err


def test_unknown_and_repeated_columns_are_errors_on_line_one(tmp_path):
    path = write_csv(tmp_path, "code,name,kind,parent_code,Ghi chú,Mã\nCB,Tỉnh,province,,x,CB\n")
    result = run("import_units", path)
    assert result.failed
    assert result.errors[0].startswith("line 1, column Ghi chú: cột không có trong mẫu nhập")
    assert result.errors[1] == "line 1, column Mã: cột này bị lặp lại (trùng với cột “code”)"
    assert not Unit.objects.exists()


def test_a_missing_required_column_is_reported_once_by_its_english_name(tmp_path):
    path = write_csv(tmp_path, "Mã,Tên,Loại\nCB,Tỉnh,province\nHA,Huyện,district\n")
    result = run("import_units", path)
    assert result.failed
    assert result.errors[:-1] == [
        "line 1, column parent_code: thiếu cột bắt buộc này trong dòng tiêu đề"
    ]


def test_a_row_longer_than_the_header_is_an_error(tmp_path):
    path = write_csv(
        tmp_path,
        UNITS_HEADER + "CB,Tỉnh Cao Bằng,province,\nHA,Huyện Hòa An, Cao Bằng,district,CB\n",
    )
    result = run("import_units", path)
    assert result.failed
    # Only the slip is reported: the shifted values would each be wrong too.
    assert result.errors[:-1] == [
        "line 3, column #5: dòng này có 5 ô nhưng tiêu đề chỉ có 4 cột "
        "(giá trị có chứa dấu phân cách phải đặt trong ngoặc kép)"
    ]
    assert not Unit.objects.exists()


def test_xlsx_errors_carry_the_sheet_row_number(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            ["code", "name", "kind", "parent_code"],
            ["CB", "Tỉnh Cao Bằng", "province", None],
            [None, None, None, None],
            ["HA", None, "district", "CB"],
        ],
    )
    result = run("import_units", path)
    assert result.failed
    assert result.errors[0] == "line 4, column name: ô này không được để trống"
    assert not Unit.objects.exists()


def test_xlsx_numbers_and_dates_read_as_codes_and_dates(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            ["code", "name", "kind", "parent_code", "valid_from"],
            [123, "Tỉnh 123", "province", None, dt.datetime(2025, 7, 1)],
            [124.0, "Xã 124", "commune", 123, "01/07/2025"],
        ],
    )
    result = run("import_units", path)
    assert not result.failed, result.err
    commune = Unit.objects.get(code="124")
    assert commune.parent.code == "123"
    assert commune.valid_from == dt.date(2025, 7, 1)
    assert Unit.objects.get(code="123").valid_from == dt.date(2025, 7, 1)


def test_a_damaged_xlsx_is_refused(tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    result = run("import_units", path)
    assert result.failed and "không đọc được tệp XLSX" in result.err


def test_the_command_line_exits_non_zero_and_lists_errors_on_stderr(tmp_path):
    """The contract outside scripts see: exit code, stderr lines, nothing on stdout."""
    path = write_csv(tmp_path, "code,name,kind\nCB,Tỉnh Cao Bằng,province\n")
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "import_units", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        "line 1, column parent_code: thiếu cột bắt buộc này trong dòng tiêu đề"
    )
