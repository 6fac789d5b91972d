from decimal import Decimal

import pytest

from core.models import UnitKind
from core.tests.factories import UnitFactory
from core.tests.test_import_files import run, write_csv, write_xlsx
from stats.models import UnitIndicator

pytestmark = pytest.mark.django_db

GOOD = (
    "mã đơn vị,chỉ số,năm,giá trị\n"
    "X1,mobilisation_regulation,2020,có\n"
    "X2,Có quy chế, kế hoạch thực hiện Quy chế công tác dân vận,2020,0\n"
)


@pytest.fixture(autouse=True)
def _units():
    province = UnitFactory(code="P", name="Tỉnh Thử", kind=UnitKind.PROVINCE)
    UnitFactory(code="X1", name="Xã Một", parent=province)
    UnitFactory(code="X2", name="Xã Hai", parent=province)


def stored() -> list[tuple]:
    return list(
        UnitIndicator.objects.order_by("unit__code", "indicator__code", "year").values_list(
            "unit__code", "indicator__code", "year", "value"
        )
    )


def test_good_file_records_values_and_a_second_run_changes_nothing(tmp_path):
    path = tmp_path / "good.csv"
    path.write_text(
        "unit_code,indicator,year,value\n"
        "X1,mobilisation_regulation,2020,có\n"
        'X2,"Có quy chế, kế hoạch thực hiện Quy chế công tác dân vận",2020,0\n'
        'P,hamlets_with_team,2020,"89,4%"\n',
        encoding="utf-8",
    )
    first = run("import_indicators", path)
    assert not first.failed, first.err
    assert stored() == [
        ("P", "hamlets_with_team", 2020, Decimal("89.40")),
        ("X1", "mobilisation_regulation", 2020, Decimal("1.00")),
        ("X2", "mobilisation_regulation", 2020, Decimal("0.00")),
    ]
    second = run("import_indicators", path)
    assert not second.failed
    assert "3 không đổi" in second.out and stored()[0][3] == Decimal("89.40")


def test_xlsx_with_vietnamese_headers_updates_a_changed_value(tmp_path):
    run(
        "import_indicators",
        write_xlsx(
            tmp_path,
            [
                ["unit_code", "indicator", "year", "value"],
                ["X1", "mobilisation_regulation", 2020, 0],
            ],
        ),
    )
    result = run(
        "import_indicators",
        write_xlsx(
            tmp_path,
            [["Mã đơn vị", "Chỉ số", "Năm", "Giá trị"], ["X1", "mobilisation_regulation", 2020, 1]],
            name="b.xlsx",
        ),
    )
    assert not result.failed, result.err
    assert "1 cập nhật" in result.out
    assert stored() == [("X1", "mobilisation_regulation", 2020, Decimal("1.00"))]


def test_any_bad_row_rejects_the_whole_file(tmp_path):
    bad = write_csv(
        tmp_path,
        "unit_code,indicator,year,value\n"
        "X1,mobilisation_regulation,2020,1\n"  # fine
        "NOPE,mobilisation_regulation,2020,1\n"  # unknown unit
        "X2,no_such_indicator,2020,1\n"  # unknown indicator
        "P,mobilisation_regulation,2020,1\n"  # a commune indicator on a province
        "X2,mobilisation_regulation,2020,maybe\n"  # not yes/no
        "P,hamlets_with_team,2020,120\n"  # percentage out of range
        "X1,mobilisation_regulation,hai nghìn,1\n"  # not a year
        "X1,mobilisation_regulation,2020,0\n",  # repeats line 2
    )
    result = run("import_indicators", bad)

    assert result.failed
    assert stored() == []
    lines = result.err.splitlines()
    for expected in (
        "line 3, column unit_code:",
        "line 4, column indicator:",
        "line 5, column unit_code:",
        "line 6, column value:",
        "line 7, column value:",
        "line 8, column year:",
        "line 9, column unit_code:",
    ):
        assert any(line.startswith(expected) for line in lines), (expected, lines)


def test_dry_run_writes_nothing(tmp_path):
    result = run(
        "import_indicators",
        write_csv(
            tmp_path,
            GOOD.replace(
                "Có quy chế, kế hoạch thực hiện Quy chế công tác dân vận", "mobilisation_regulation"
            ),
        ),
        "--dry-run",
    )
    assert not result.failed, result.err
    assert stored() == []
