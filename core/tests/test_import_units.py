import datetime as dt

import pytest

from core.models import Initiative, Unit, UnitKind
from core.tests.factories import UnitFactory
from core.tests.test_import_files import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = "code,name,kind,parent_code,valid_from,valid_to,successor_code\n"
TREE = (
    HEADER + "CB,Tỉnh Cao Bằng,province,,,,\n"
    "X1,Xã Hồng Việt,commune,HA,,,\n"  # its parent comes later in the file
    "HA,Huyện Hòa An,district,CB,,,\n"
    "T1,Xóm Nà Rị,hamlet,X1,,,\n"
)


def snapshot() -> list[tuple]:
    return list(
        Unit.objects.order_by("code").values_list(
            "code", "name", "kind", "parent_id", "successor_id", "valid_from", "valid_to", "path"
        )
    )


def test_good_csv_creates_the_tree_with_its_paths(tmp_path):
    result = run("import_units", write_csv(tmp_path, TREE))

    assert not result.failed, result.err
    assert result.out.strip() == "Đã nhập 4 đơn vị: 4 mới, 0 cập nhật, 0 không đổi."
    province = Unit.objects.get(code="CB")
    district = Unit.objects.get(code="HA")
    assert district.parent == province and district.kind == UnitKind.DISTRICT
    assert {u.code for u in district.subtree()} == {"HA", "X1", "T1"}
    assert Unit.objects.get(code="T1").depth == 3


def test_vietnamese_headers_and_values(tmp_path):
    path = write_csv(
        tmp_path,
        "Mã;Tên;Cấp;Mã cấp trên;Hiệu lực từ;Hiệu lực đến;Mã kế thừa\n"
        "CB;Tỉnh Cao Bằng;Tỉnh;;;;\n"
        "HA;Huyện Hòa An;Huyện;CB;;30/06/2025;\n"
        "X1;Phường Đề Thám;phường;HA;01/01/2000;;\n"
        "T1;Tổ dân phố 1;tổ dân phố;X1;;;\n"
        "DU;Đảng bộ xã;đảng bộ;X1;;;\n",
    )
    result = run("import_units", path)

    assert not result.failed, result.err
    kinds = dict(Unit.objects.values_list("code", "kind"))
    assert kinds == {
        "CB": "province",
        "HA": "district",
        "X1": "commune",
        "T1": "hamlet",
        "DU": "party_org",
    }
    assert Unit.objects.get(code="HA").valid_to == dt.date(2025, 6, 30)


def test_xlsx_file_imports(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            ["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cha"],
            ["CB", "Tỉnh Cao Bằng", "tỉnh", None],
            ["HA", "Huyện Hòa An", "huyện", "CB"],
        ],
    )
    result = run("import_units", path)
    assert not result.failed, result.err
    assert Unit.objects.get(code="HA").is_in_subtree_of(Unit.objects.get(code="CB"))


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        (",Xã Không Mã,commune,CB,,,", "line 3, column code: ô này không được để trống"),
        ("X9,,commune,CB,,,", "line 3, column name: ô này không được để trống"),
        (
            "X9,Xã 9,village,CB,,,",
            "line 3, column kind: “village” không phải là một trong các giá trị: tỉnh (province)",
        ),
        (
            "X9,Xã 9,commune,ZZ,,,",
            "line 3, column parent_code: không có đơn vị mã “ZZ” trong tệp hay trong cơ sở dữ liệu",
        ),
        (
            "X9,Xã 9,commune,CB,,,ZZ",
            "line 3, column successor_code: không có đơn vị mã “ZZ” trong tệp hay trong cơ sở dữ liệu",
        ),
        (
            "X9,Xã 9,commune,CB,31/02/2020,,",
            "line 3, column valid_from: “31/02/2020” không phải là ngày hợp lệ",
        ),
        (
            "X9,Xã 9,commune,CB,01/07/2025,30/06/2025,",
            "line 3, column valid_to: ngày hết hiệu lực (30/06/2025) trước ngày bắt đầu "
            "hiệu lực (01/07/2025)",
        ),
        ("CB,Tỉnh khác,province,,,,", "line 3, column code: “CB” đã có ở dòng 2"),
        (
            "X9,Xã 9,commune,X9,,,",
            "line 3, column parent_code: đơn vị “X9” sẽ nằm dưới chính nó",
        ),
        ("X9," + "x" * 256 + ",commune,CB,,,", "line 3, column name: quá dài: tối đa 255 ký tự"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(tmp_path, bad_row, error):
    UnitFactory(code="OLD", name="Đơn vị cũ")
    before = snapshot()
    path = write_csv(tmp_path, HEADER + "CB,Tỉnh Cao Bằng,province,,,,\n" + bad_row + "\n")

    result = run("import_units", path)

    assert result.failed
    assert result.errors[0].startswith(error)
    assert result.errors[-1] == f"CommandError: Tệp {path} có 1 lỗi; không có gì được ghi."
    assert snapshot() == before


def test_every_bad_row_is_listed(tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + "CB,Tỉnh Cao Bằng,province,,,,\n"
        "A,Xã A,commune,B,,,\n"  # A -> B -> A: both rows are in the loop
        "B,Xã B,commune,A,,,\n"
        "C,Xã C,nowhere,CB,,,\n",
    )
    result = run("import_units", path)
    assert [line.split(":")[0] for line in result.errors[:-1]] == [
        "line 3, column parent_code",
        "line 4, column parent_code",
        "line 5, column kind",
    ]
    assert not Unit.objects.exists()


def test_a_successor_loop_with_stored_units_is_refused(tmp_path):
    old = UnitFactory(code="A")
    UnitFactory(code="B", successor=old)
    path = write_csv(tmp_path, HEADER + "A,Xã A,commune,,,30/06/2025,B\n")

    result = run("import_units", path)

    assert result.errors[0].startswith(
        "line 2, column successor_code: đơn vị “A” sẽ nằm dưới chính nó"
    )
    old.refresh_from_db()
    assert old.successor is None


def test_dry_run_writes_nothing(tmp_path):
    result = run("import_units", write_csv(tmp_path, TREE), "--dry-run")

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Tệp hợp lệ: 4 đơn vị, 4 sẽ tạo mới, 0 sẽ cập nhật, 0 không đổi.",
        "Chạy thử: không có gì được ghi vào cơ sở dữ liệu.",
    ]
    assert not Unit.objects.exists()


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, TREE)
    run("import_units", path)
    before = snapshot()

    result = run("import_units", path)

    assert result.out.strip() == "Đã nhập 4 đơn vị: 0 mới, 0 cập nhật, 4 không đổi."
    assert snapshot() == before


def test_a_changed_file_updates_names_and_moves_subtrees(tmp_path):
    run("import_units", write_csv(tmp_path, TREE))
    changed = (
        HEADER + "CB,Tỉnh Cao Bằng,province,,,,\n"
        "HA,Huyện Hòa An,district,CB,,,\n"
        "HB,Huyện Hà Quảng,district,CB,,,\n"
        "X1,Xã Hồng Việt (mới),commune,HB,,,\n"
        "T1,Xóm Nà Rị,hamlet,X1,,,\n"
    )
    result = run("import_units", write_csv(tmp_path, changed, "changed.csv"))

    assert result.out.strip() == "Đã nhập 5 đơn vị: 1 mới, 1 cập nhật, 3 không đổi."
    hamlet = Unit.objects.get(code="T1")
    assert hamlet.is_in_subtree_of(Unit.objects.get(code="HB"))
    assert not hamlet.is_in_subtree_of(Unit.objects.get(code="HA"))
    assert Unit.objects.get(code="X1").name == "Xã Hồng Việt (mới)"


def test_an_absent_optional_column_leaves_stored_values_alone(tmp_path):
    UnitFactory(code="CB", name="Tỉnh Cao Bằng", kind=UnitKind.PROVINCE)
    UnitFactory(code="X1", name="Xã", valid_to=dt.date(2025, 6, 30))
    path = write_csv(tmp_path, "code,name,kind,parent_code\nX1,Xã,commune,\n")

    result = run("import_units", path)

    assert result.out.strip() == "Đã nhập 1 đơn vị: 0 mới, 0 cập nhật, 1 không đổi."
    assert Unit.objects.get(code="X1").valid_to == dt.date(2025, 6, 30)


def test_merger_through_import_moves_initiatives_to_the_successor(tmp_path):
    """Communes A and B merge into the new commune C (the 2025 reform)."""
    before_merger = (
        HEADER + "CB,Tỉnh Cao Bằng,province,,,,\n"
        "HA,Huyện Hòa An,district,CB,,,\n"
        "A,Xã A,commune,HA,,,\n"
        "B,Xã B,commune,HA,,,\n"
        "TA,Xóm A1,hamlet,A,,,\n"
    )
    run("import_units", write_csv(tmp_path, before_merger, "units-2024.csv"))
    initiatives = write_csv(
        tmp_path,
        "code,title,unit_code,kind,fields,phase,registered_on\n"
        "MH1,Mô hình xã A,A,collective,economy,2021-2025,15/03/2022\n"
        "MH2,Mô hình xóm A1,TA,collective,economy,2021-2025,15/03/2022\n"
        "MH3,Mô hình xã B,B,collective,economy,2021-2025,15/03/2022\n",
        "initiatives.csv",
    )
    assert not run("import_initiatives", initiatives).failed
    after_merger = (
        HEADER + "CB,Tỉnh Cao Bằng,province,,,,\n"
        "HA,Huyện Hòa An,district,CB,,30/06/2025,\n"
        "A,Xã A,commune,HA,,30/06/2025,C\n"
        "B,Xã B,commune,HA,,30/06/2025,C\n"
        "C,Xã C,commune,CB,01/07/2025,,\n"
        "TA,Xóm A1,hamlet,A,,,\n"
    )

    result = run("import_units", write_csv(tmp_path, after_merger, "units-2025.csv"))

    assert result.out.strip() == "Đã nhập 6 đơn vị: 1 mới, 3 cập nhật, 2 không đổi."
    new_commune = Unit.objects.get(code="C")
    old_district = Unit.objects.get(code="HA")
    in_c = Initiative.objects.filter(owner_unit__path__startswith=new_commune.path)
    assert {i.code for i in in_c} == {"MH1", "MH2", "MH3"}
    in_district = Initiative.objects.filter(owner_unit__path__startswith=old_district.path)
    assert not in_district.exists()
    merged = Unit.objects.get(code="A")
    assert merged.name == "Xã A" and merged.parent == old_district
    assert merged.valid_to == dt.date(2025, 6, 30)
