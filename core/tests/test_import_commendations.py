import datetime as dt

import pytest

from core.importing import guess_issuer
from core.models import Commendation, IssuerKind, IssuingBody, Phase, UnitKind
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, UnitFactory
from core.tests.test_import_files import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = (
    "decision_number,decision_date,issuer,award,recipient_kind,recipient_name,unit_code,"
    "phase,citation,initiative_code\n"
)
COMMENDATIONS = (
    HEADER + "12/QĐ-UBND,30/09/2020,ubnd-hoa-an,certificate_of_merit,collective,"
    "Xã Hồng Việt,X1,2016-2020,Đã có thành tích xuất sắc,MH1\n"
    "12/QĐ-UBND,30/09/2020,UBND HUYỆN HÒA AN,certificate_of_merit,individual,"
    "Nông Văn Sáng,X1,2016-2020,Đã có thành tích xuất sắc,\n"
    "345-QĐ/TU,2020-10-15,Ban Thường vụ Tỉnh ủy Cao Bằng,commendation_certificate,"
    "collective,Xã Hồng Việt,X1,,,\n"
)


@pytest.fixture(autouse=True)
def _world():
    district = UnitFactory(code="HA", name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    commune = UnitFactory(code="X1", name="Xã Hồng Việt", parent=district)
    IssuingBodyFactory(code="ubnd-hoa-an", name="UBND huyện Hòa An", unit=district)
    InitiativeFactory(code="MH1", owner_unit=commune)


def snapshot() -> dict[str, list]:
    return {
        "commendations": list(
            Commendation.objects.order_by("id").values_list(
                "issuer_id",
                "decision_number",
                "decision_date",
                "recipient_kind",
                "recipient_name",
                "unit_id",
                "award",
                "citation",
                "phase_id",
                "initiative_id",
            )
        ),
        "issuers": list(IssuingBody.objects.values_list("code", "name")),
        "phases": list(Phase.objects.values_list("code", flat=True)),
    }


def test_good_csv_creates_commendations_and_unknown_issuers(tmp_path):
    result = run("import_commendations", write_csv(tmp_path, COMMENDATIONS))

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Đã nhập 3 lượt khen thưởng: 3 mới, 0 cập nhật, 0 không đổi.",
        "Cơ quan ban hành mới: Ban Thường vụ Tỉnh ủy Cao Bằng.",
    ]
    district_award = Commendation.objects.get(
        recipient_kind="collective", award="certificate_of_merit"
    )
    assert district_award.issuer.code == "ubnd-hoa-an"
    assert district_award.initiative.code == "MH1"
    assert district_award.phase.code == "2016-2020"
    assert district_award.decision_date == dt.date(2020, 9, 30)
    person = Commendation.objects.get(recipient_kind="individual")
    assert person.issuer == district_award.issuer and person.initiative is None
    province = IssuingBody.objects.get(name="Ban Thường vụ Tỉnh ủy Cao Bằng")
    assert (province.code, province.kind, province.abbreviation) == (
        "ban-thuong-vu-tinh-uy-cao-bang",
        IssuerKind.PARTY_COMMITTEE,
        "TU",
    )
    assert Commendation.objects.get(issuer=province).phase is None


@pytest.mark.parametrize(
    ("name", "kind", "abbreviation"),
    [
        ("UBND tỉnh Cao Bằng", IssuerKind.PEOPLE_COMMITTEE, "UBND"),
        ("Ủy ban nhân dân huyện Hòa An", IssuerKind.PEOPLE_COMMITTEE, "UBND"),
        ("Huyện ủy Hòa An", IssuerKind.PARTY_COMMITTEE, "HU"),
        ("Huyện uỷ Hòa An", IssuerKind.PARTY_COMMITTEE, "HU"),
        ("Tỉnh ủy Cao Bằng", IssuerKind.PARTY_COMMITTEE, "TU"),
        ("Đảng ủy xã Hồng Việt", IssuerKind.PARTY_COMMITTEE, "ĐU"),
        ("Ban Chỉ đạo phong trào “Dân vận khéo” tỉnh", IssuerKind.STEERING_BOARD, "BCĐ"),
        ("Ủy ban Mặt trận Tổ quốc tỉnh", IssuerKind.OTHER, ""),
        ("Sở Nội vụ", IssuerKind.OTHER, ""),
    ],
)
def test_guess_issuer_reads_the_kind_and_suffix_from_the_name(name, kind, abbreviation):
    assert guess_issuer(name) == (kind, abbreviation)


def test_vietnamese_headers_and_values_from_xlsx(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            [
                "Số quyết định",
                "Ngày quyết định",
                "Cơ quan ban hành",
                "Hình thức khen",
                "Loại đối tượng",
                "Tên đối tượng",
                "Mã đơn vị",
                "Giai đoạn",
                "Trích yếu",
                "Mã mô hình",
            ],
            [
                "7/QĐ-UBND",
                dt.datetime(2021, 1, 8),
                "UBND huyện Hòa An",
                "Giấy khen",
                "Tập thể",
                "Xóm Nà Rị",
                "X1",
                "Giai đoạn 2016 - 2020",
                None,
                "MH1",
            ],
            [
                "7/QĐ-UBND",
                "08/01/2021",
                "Huyện ủy Hòa An",
                "biểu dương",
                "cá nhân",
                "Bế Thị Hoa",
                "X1",
                "2016 - 2020",
                "Nêu gương",
                None,
            ],
        ],
    )
    result = run("import_commendations", path)

    assert not result.failed, result.err
    awards = dict(Commendation.objects.values_list("recipient_name", "award"))
    assert awards == {"Xóm Nà Rị": "certificate_of_merit", "Bế Thị Hoa": "praise"}
    created = IssuingBody.objects.get(name="Huyện ủy Hòa An")
    assert (created.kind, created.abbreviation) == (IssuerKind.PARTY_COMMITTEE, "HU")


ROW = "9/QĐ-UBND,01/12/2020,UBND huyện Hòa An,giấy khen,tập thể,Xóm Nà Rị,X1,2016-2020,,"


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        (
            ROW.replace(",X1,", ",ZZ,"),
            "line 4, column unit_code: không có đơn vị mã “ZZ” trong cơ sở dữ liệu",
        ),
        (ROW + "MH404", "line 4, column initiative_code: không có mô hình mã “MH404”"),
        (
            ROW.replace("giấy khen", "huân chương"),
            "line 4, column award: “huân chương” không phải là một trong các giá trị: "
            "biểu dương (praise)",
        ),
        (
            ROW.replace("tập thể", "nhóm"),
            "line 4, column recipient_kind: “nhóm” không phải là một trong các giá trị",
        ),
        (
            ROW.replace("01/12/2020", "12/2020"),
            "line 4, column decision_date: “12/2020” không phải là ngày hợp lệ",
        ),
        (ROW.replace("Xóm Nà Rị", ""), "line 4, column recipient_name: ô này không được để trống"),
        (ROW.replace("9/QĐ-UBND", ""), "line 4, column decision_number: ô này không được để trống"),
        (ROW.replace("UBND huyện Hòa An", ""), "line 4, column issuer: ô này không được để trống"),
        (
            ROW.replace("2016-2020", "2016"),
            "line 4, column phase: “2016” không phải là giai đoạn",
        ),
        (
            # The same body by its code, the same decision, recipient and unit as line 3.
            "9/QĐ-UBND,01/12/2020,ubnd-hoa-an,bằng khen,collective,Xóm Khuổi,X1,,,",
            "line 4, column recipient_name: dòng này trùng với dòng 3",
        ),
    ],
)
def test_a_bad_row_rejects_the_whole_file(tmp_path, bad_row, error):
    run("import_commendations", write_csv(tmp_path, COMMENDATIONS, "first.csv"))
    before = snapshot()
    path = write_csv(
        tmp_path,
        HEADER
        + "1/QĐ-HU,02/02/2021,Huyện ủy Hòa An,giấy khen,tập thể,Xã Hồng Việt,X1,2031-2035,,\n"
        + ROW.replace("Xóm Nà Rị", "Xóm Khuổi")
        + "\n"
        + bad_row
        + "\n",
    )

    result = run("import_commendations", path)

    assert result.failed
    assert result.errors[0].startswith(error)
    assert len(result.errors) == 2
    assert snapshot() == before  # no commendation, no new issuer, no new phase


def test_dry_run_writes_nothing(tmp_path):
    result = run("import_commendations", write_csv(tmp_path, COMMENDATIONS), "--dry-run")

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Tệp hợp lệ: 3 lượt khen thưởng, 3 sẽ tạo mới, 0 sẽ cập nhật, 0 không đổi.",
        "Cơ quan ban hành mới: Ban Thường vụ Tỉnh ủy Cao Bằng.",
        "Chạy thử: không có gì được ghi vào cơ sở dữ liệu.",
    ]
    assert not Commendation.objects.exists()
    assert not IssuingBody.objects.filter(name__startswith="Ban Thường vụ").exists()


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, COMMENDATIONS)
    run("import_commendations", path)
    before = snapshot()

    result = run("import_commendations", path)

    assert result.out.strip() == "Đã nhập 3 lượt khen thưởng: 0 mới, 0 cập nhật, 3 không đổi."
    assert snapshot() == before


def test_a_changed_file_updates_the_award_and_citation(tmp_path):
    run("import_commendations", write_csv(tmp_path, COMMENDATIONS))
    changed = COMMENDATIONS.replace(
        "Nông Văn Sáng,X1,2016-2020,Đã có thành tích xuất sắc,",
        "Nông Văn Sáng,X1,2016-2020,Thành tích tiêu biểu,MH1",
    ).replace("commendation_certificate", "praise")

    result = run("import_commendations", write_csv(tmp_path, changed, "changed.csv"))

    assert result.out.strip() == "Đã nhập 3 lượt khen thưởng: 0 mới, 2 cập nhật, 1 không đổi."
    person = Commendation.objects.get(recipient_name="Nông Văn Sáng")
    assert person.citation == "Thành tích tiêu biểu" and person.initiative.code == "MH1"
    assert Commendation.objects.get(issuer__abbreviation="TU").award == "praise"
    assert Commendation.objects.count() == 3
