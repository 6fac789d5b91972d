import datetime as dt

import pytest

from core.models import (
    Field,
    Initiative,
    InitiativeStatusChange,
    Phase,
    RecognitionTally,
    UnitKind,
)
from core.tallies import initiative_tallies_mismatches
from core.tests.factories import UnitFactory
from core.tests.test_import_files import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = "code,title,unit_code,kind,fields,phase,registered_on,owner_name,status\n"
INITIATIVES = (
    HEADER + "MH1,Dân vận khéo trong xây dựng đường,X1,collective,economy;new_rural,"
    "2016-2020,15/03/2017,,recognised\n"
    "MH2,Nuôi bò sinh sản,X1,individual,economy,2021 - 2025,2022-01-05,Nông Văn Sáng,\n"
)


@pytest.fixture(autouse=True)
def _units():
    district = UnitFactory(code="HA", name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    UnitFactory(code="X1", name="Xã Hồng Việt", parent=district)


def snapshot() -> dict[str, list]:
    return {
        "initiatives": list(
            Initiative.objects.order_by("code").values_list(
                "code",
                "title",
                "owner_unit_id",
                "kind",
                "owner_name",
                "phase_id",
                "status",
                "registered_on",
                "description",
                "updated_at",
            )
        ),
        "fields": sorted(
            Initiative.fields.through.objects.values_list("initiative_id", "field_id")
        ),
        "history": list(InitiativeStatusChange.objects.values_list("id", "to_status")),
        "phases": list(Phase.objects.values_list("code", flat=True)),
    }


def test_good_csv_creates_initiatives_with_fields_and_history(tmp_path):
    result = run("import_initiatives", write_csv(tmp_path, INITIATIVES, "mo-hinh.csv"))

    assert not result.failed, result.err
    assert result.out.strip() == "Đã nhập 2 mô hình: 2 mới, 0 cập nhật, 0 không đổi."
    road = Initiative.objects.get(code="MH1")
    assert road.owner_unit.code == "X1" and road.phase.code == "2016-2020"
    assert road.registered_on == dt.date(2017, 3, 15)
    assert set(road.fields.values_list("code", flat=True)) == {"economy", "new_rural"}
    assert road.status == "recognised"
    cows = Initiative.objects.get(code="MH2")
    assert cows.status == "registered" and cows.owner_name == "Nông Văn Sáng"
    history = InitiativeStatusChange.objects.get(initiative=road)
    assert (history.from_status, history.to_status, history.source) == ("", "recognised", "import")
    assert history.reason == "Nhập từ tệp mo-hinh.csv"
    assert InitiativeStatusChange.objects.filter(initiative=cows).count() == 1


def test_vietnamese_headers_and_values_from_xlsx(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            [
                "Mã mô hình",
                "Tên mô hình",
                "Mã đơn vị",
                "Loại",
                "Lĩnh vực",
                "Giai đoạn",
                "Ngày đăng ký",
                "Người thực hiện",
                "Trạng thái",
                "Mô tả",
            ],
            [
                2001,
                "Tổ dân vận khéo",
                "X1",
                "Cá nhân",
                "Văn hóa - xã hội; quoc phong - an ninh",
                "Giai đoạn 2021 - 2025",
                dt.datetime(2023, 4, 1),
                "Bế Thị Hoa",
                "Đã công nhận",
                "Mô tả ngắn",
            ],
            [
                2002,
                "Đường hoa nông thôn mới",
                "X1",
                "tập thể",
                "Xây dựng nông thôn mới",
                "2009-2010",
                "01/02/2010",
                None,
                "theo dõi",
                None,
            ],
        ],
    )
    result = run("import_initiatives", path)

    assert not result.failed, result.err
    assert result.out.splitlines()[1] == "Giai đoạn mới: 2009 - 2010."
    first = Initiative.objects.get(code="2001")
    assert first.kind == "individual" and first.status == "recognised"
    assert set(first.fields.values_list("code", flat=True)) == {
        "culture_society",
        "defence_security",
    }
    assert first.registered_on == dt.date(2023, 4, 1) and first.description == "Mô tả ngắn"
    new_phase = Phase.objects.get(code="2009-2010")
    assert new_phase.name == "Giai đoạn 2009 - 2010"
    assert new_phase.starts_on == dt.date(2009, 1, 1) and new_phase.ends_on == dt.date(2010, 12, 31)
    assert Initiative.objects.get(code="2002").phase == new_phase


ROW = "MH9,Mô hình 9,X1,collective,economy,2021-2025,01/02/2022,,"


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        (
            ROW.replace(",X1,", ",ZZ,"),
            "line 4, column unit_code: không có đơn vị mã “ZZ” trong cơ sở dữ liệu",
        ),
        (
            ROW.replace("collective", "group"),
            "line 4, column kind: “group” không phải là một trong các giá trị: tập thể (collective)",
        ),
        (
            ROW.replace("economy", "economy;sport"),
            "line 4, column fields: không có lĩnh vực “sport”; các lĩnh vực: Phát triển kinh tế",
        ),
        (ROW.replace("economy", " ; "), "line 4, column fields: ô này không được để trống"),
        (
            ROW.replace("2021-2025", "2025-2021"),
            "line 4, column phase: “2025-2021” không phải là giai đoạn",
        ),
        (
            ROW.replace("2021-2025", "2021-2040"),
            "line 4, column phase: “2021-2040” không phải là giai đoạn",
        ),
        (
            ROW.replace("01/02/2022", "2022-02-30"),
            "line 4, column registered_on: “2022-02-30” không phải là ngày hợp lệ",
        ),
        (
            ROW.replace("collective", "cá nhân"),
            "line 4, column owner_name: mô hình cá nhân phải có tên chủ mô hình",
        ),
        (
            ROW + "returned",
            "line 4, column status: “returned” không phải là một trong các giá trị",
        ),
        (ROW.replace("MH9", "MH1"), "line 4, column code: “MH1” đã có ở dòng 2"),
        (ROW.replace("Mô hình 9", ""), "line 4, column title: ô này không được để trống"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(tmp_path, bad_row, error):
    run("import_initiatives", write_csv(tmp_path, INITIATIVES, "first.csv"))
    before = snapshot()
    path = write_csv(
        tmp_path,
        HEADER + "MH1,Mô hình 1 đổi tên,X1,collective,economy,2016-2020,15/03/2017,,monitored\n"
        "MH8,Mô hình 8,X1,tập thể,economy,2009-2010,01/02/2010,,\n" + bad_row + "\n",
    )

    result = run("import_initiatives", path)

    assert result.failed
    assert result.errors[0].startswith(error)
    assert len(result.errors) == 2
    assert snapshot() == before  # no update, no new phase, no history


def test_an_ambiguous_field_name_must_be_written_as_its_code(tmp_path):
    # Two names that differ only by where the tone mark sits.
    Field.objects.create(code="culture_2", name="Văn hoá - xã hội", position=9)
    path = write_csv(
        tmp_path, HEADER + "MH9,Mô hình 9,X1,collective,van hoa xa hoi,2021-2025,01/02/2022,,\n"
    )
    result = run("import_initiatives", path)
    assert result.errors[0].startswith(
        "line 2, column fields: “van hoa xa hoi” khớp với nhiều lĩnh vực"
    )
    exact = write_csv(
        tmp_path,
        HEADER + "MH9,Mô hình 9,X1,collective,Văn hoá - xã hội,2021-2025,01/02/2022,,\n",
        "exact.csv",
    )
    assert not run("import_initiatives", exact).failed
    assert list(Initiative.objects.get().fields.values_list("code", flat=True)) == ["culture_2"]


def test_dry_run_writes_nothing(tmp_path):
    result = run("import_initiatives", write_csv(tmp_path, INITIATIVES), "--dry-run")

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Tệp hợp lệ: 2 mô hình, 2 sẽ tạo mới, 0 sẽ cập nhật, 0 không đổi.",
        "Chạy thử: không có gì được ghi vào cơ sở dữ liệu.",
    ]
    assert not Initiative.objects.exists() and not InitiativeStatusChange.objects.exists()


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, INITIATIVES)
    run("import_initiatives", path)
    before = snapshot()

    result = run("import_initiatives", path)

    assert result.out.strip() == "Đã nhập 2 mô hình: 0 mới, 0 cập nhật, 2 không đổi."
    assert snapshot() == before  # same rows, same updated_at, same history


def test_a_changed_file_updates_and_records_the_status_change(tmp_path):
    run("import_initiatives", write_csv(tmp_path, INITIATIVES))
    untouched = Initiative.objects.get(code="MH2").updated_at
    changed = (
        HEADER + "MH1,Dân vận khéo trong xây dựng đường,X1,collective,culture_society,"
        "2016-2020,15/03/2017,,commended\n"
        "MH2,Nuôi bò sinh sản,X1,individual,economy,2021 - 2025,2022-01-05,Nông Văn Sáng,\n"
    )

    result = run("import_initiatives", write_csv(tmp_path, changed, "changed.csv"))

    assert result.out.strip() == "Đã nhập 2 mô hình: 0 mới, 1 cập nhật, 1 không đổi."
    road = Initiative.objects.get(code="MH1")
    assert road.status == "commended"
    assert list(road.fields.values_list("code", flat=True)) == ["culture_society"]
    last = road.history.last()
    assert (last.from_status, last.to_status) == ("recognised", "commended")
    assert last.reason == "Nhập từ tệp changed.csv"
    assert road.history.count() == 2
    assert Initiative.objects.get(code="MH2").updated_at == untouched
    # The statistics' tallies followed both imports (new rows, a recognition, new fields).
    assert initiative_tallies_mismatches() == []
    assert RecognitionTally.objects.filter(field=0).count() == 2  # in X1 and in HA above


def test_an_absent_status_column_keeps_the_stored_status(tmp_path):
    run("import_initiatives", write_csv(tmp_path, INITIATIVES))
    without_status = (
        "code,title,unit_code,kind,fields,phase,registered_on,owner_name\n"
        "MH1,Dân vận khéo trong xây dựng đường,X1,collective,economy;new_rural,"
        "2016-2020,15/03/2017,\n"
    )
    result = run("import_initiatives", write_csv(tmp_path, without_status, "no-status.csv"))
    assert result.out.strip() == "Đã nhập 1 mô hình: 0 mới, 0 cập nhật, 1 không đổi."
    assert Initiative.objects.get(code="MH1").status == "recognised"
