import pytest

from core.models import IssuerKind, IssuingBody, UnitKind
from core.tests.factories import IssuingBodyFactory, UnitFactory
from core.tests.test_import_files import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = (
    "code,name,kind,unit_code,abbreviation,header,place,signing_authority,signer_title,"
    "signer_name\n"
)
ISSUERS = (
    HEADER + "ubnd-hoa-an,UBND huyện Hòa An,people_committee,HA,UBND,"
    "ỦY BAN NHÂN DÂN | HUYỆN HÒA AN,Hòa An,TM. ỦY BAN NHÂN DÂN,CHỦ TỊCH,Lương Văn Tiến\n"
    'hu-hoa-an,Huyện ủy Hòa An,đảng ủy,HA,HU,"HUYỆN ỦY HÒA AN\n*",Hòa An,T/M BAN THƯỜNG VỤ,'
    "BÍ THƯ,Bế Thị Hoa\n"
    "bcd-trung-uong,Ban Chỉ đạo Trung ương,BCĐ,,BCĐ,,Hà Nội,,,\n"
)


@pytest.fixture(autouse=True)
def _units():
    district = UnitFactory(code="HA", name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    UnitFactory(code="X1", name="Xã Hồng Việt", parent=district)


def snapshot() -> list[tuple]:
    return list(
        IssuingBody.objects.order_by("code").values_list(
            "id",
            "code",
            "name",
            "kind",
            "unit__code",
            "abbreviation",
            "header",
            "place",
            "signing_authority",
            "signer_title",
            "signer_name",
        )
    )


def test_good_csv_creates_issuing_bodies_with_what_they_print(tmp_path):
    result = run("import_issuers", write_csv(tmp_path, ISSUERS))

    assert not result.failed, result.err
    assert result.out.strip() == "Đã nhập 3 cơ quan ban hành: 3 mới, 0 cập nhật, 0 không đổi."
    ubnd = IssuingBody.objects.get(code="ubnd-hoa-an")
    assert (ubnd.name, ubnd.kind, ubnd.unit.code) == (
        "UBND huyện Hòa An",
        IssuerKind.PEOPLE_COMMITTEE,
        "HA",
    )
    assert ubnd.header == "ỦY BAN NHÂN DÂN\nHUYỆN HÒA AN"  # "|" separates the lines
    # Created with their kind's default legal bases, for both decision kinds.
    from documents.models import LegalBasis

    assert LegalBasis.objects.filter(issuer=ubnd, kind="commendation").count() == 3
    party = LegalBasis.objects.filter(issuer__code="hu-hoa-an", kind="recognition")
    assert party.order_by("position")[0].text == "Căn cứ Điều lệ Đảng Cộng sản Việt Nam"
    assert (ubnd.place, ubnd.signing_authority, ubnd.signer_title, ubnd.signer_name) == (
        "Hòa An",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Lương Văn Tiến",
    )
    party = IssuingBody.objects.get(code="hu-hoa-an")
    assert party.kind == IssuerKind.PARTY_COMMITTEE
    assert party.header == "HUYỆN ỦY HÒA AN\n*"  # a real line break in the cell
    national = IssuingBody.objects.get(code="bcd-trung-uong")
    assert national.kind == IssuerKind.STEERING_BOARD and national.unit is None
    assert (national.header, national.signer_name) == ("", "")


def test_vietnamese_headers_and_kinds_from_xlsx(tmp_path):
    path = write_xlsx(
        tmp_path,
        [
            [
                "Mã",
                "Tên",
                "Loại",
                "Mã đơn vị",
                "Viết tắt",
                "Tiêu đề",
                "Địa danh",
                "Thẩm quyền ký",
                "Chức vụ người ký",
                "Người ký",
            ],
            [
                "ubnd-xa",
                "UBND xã Hồng Việt",
                "Ủy ban nhân dân",
                "X1",
                "UBND",
                "ỦY BAN NHÂN DÂN\nXÃ HỒNG VIỆT",
                "Hồng Việt",
                "TM. ỦY BAN NHÂN DÂN",
                "CHỦ TỊCH",
                "Nông Văn Sáng",
            ],
            ["du-xa", "Đảng ủy xã Hồng Việt", "cấp uỷ", "X1", "ĐU", None, None, None, None, None],
            ["bcd-xa", "BCĐ xã Hồng Việt", "ban chi dao", "X1", None, None, None, None, None, None],
            ["ubnd-ha", "UBND huyện Hòa An", "ubnd", "HA", None, None, None, None, None, None],
        ],
    )

    result = run("import_issuers", path)

    assert not result.failed, result.err
    kinds = dict(IssuingBody.objects.values_list("code", "kind"))
    assert kinds == {
        "ubnd-xa": IssuerKind.PEOPLE_COMMITTEE,
        "du-xa": IssuerKind.PARTY_COMMITTEE,
        "bcd-xa": IssuerKind.STEERING_BOARD,
        "ubnd-ha": IssuerKind.PEOPLE_COMMITTEE,
    }
    assert IssuingBody.objects.get(code="ubnd-xa").header == "ỦY BAN NHÂN DÂN\nXÃ HỒNG VIỆT"


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        (",Cơ quan A,people_committee,HA", "line 3, column code: ô này không được để trống"),
        (
            "ubnd hòa an,Cơ quan A,people_committee,HA",
            "line 3, column code: “ubnd hòa an” không phải là một mã: chỉ dùng chữ cái không "
            "dấu, chữ số, dấu gạch ngang và dấu gạch dưới",
        ),
        ("co-quan-a,,people_committee,HA", "line 3, column name: ô này không được để trống"),
        (
            "co-quan-a,Cơ quan A,hội đồng,HA",
            "line 3, column kind: “hội đồng” không phải là một trong các giá trị: ủy ban nhân dân "
            "(people_committee)",
        ),
        (
            "co-quan-a,Cơ quan A,people_committee,ZZ",
            "line 3, column unit_code: không có đơn vị mã “ZZ” trong cơ sở dữ liệu",
        ),
        ("ubnd-hoa-an,Cơ quan A,people_committee,HA", "line 3, column code: “ubnd-hoa-an” đã có"),
        (
            "co-quan-a,UBND huyện Hòa An,people_committee,HA",
            "line 3, column name: “UBND huyện Hòa An” đã có ở dòng 2",
        ),
        (
            "co-quan-a,UBND tỉnh Cao Bằng,people_committee,",
            "line 3, column name: cơ quan ban hành “ubnd-cb” đã mang tên này",
        ),
    ],
)
def test_a_bad_row_rejects_the_whole_file(tmp_path, bad_row, error):
    IssuingBodyFactory(code="ubnd-cb", name="UBND tỉnh Cao Bằng")
    before = snapshot()
    path = write_csv(
        tmp_path,
        "code,name,kind,unit_code\nubnd-hoa-an,UBND huyện Hòa An,UBND,HA\n" + bad_row + "\n",
    )

    result = run("import_issuers", path)

    assert result.failed
    assert result.errors[0].startswith(error), result.errors
    assert len(result.errors) == 2  # the row's error and the summary line
    assert snapshot() == before


def test_dry_run_writes_nothing(tmp_path):
    result = run("import_issuers", write_csv(tmp_path, ISSUERS), "--dry-run")

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Tệp hợp lệ: 3 cơ quan ban hành, 3 sẽ tạo mới, 0 sẽ cập nhật, 0 không đổi.",
        "Chạy thử: không có gì được ghi vào cơ sở dữ liệu.",
    ]
    assert not IssuingBody.objects.exists()


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, ISSUERS)
    run("import_issuers", path)
    before = snapshot()

    result = run("import_issuers", path)

    assert result.out.strip() == "Đã nhập 3 cơ quan ban hành: 0 mới, 0 cập nhật, 3 không đổi."
    assert snapshot() == before


def test_a_changed_row_updates_and_absent_columns_keep_what_is_stored(tmp_path):
    run("import_issuers", write_csv(tmp_path, ISSUERS))
    changed = (
        "code,name,kind,signer_name\n"
        "ubnd-hoa-an,UBND huyện Hòa An,people_committee,Hoàng Văn Lâm\n"
        "hu-hoa-an,Huyện ủy Hòa An,party_committee,Bế Thị Hoa\n"
    )

    result = run("import_issuers", write_csv(tmp_path, changed, "changed.csv"))

    assert not result.failed, result.err
    assert result.out.strip() == "Đã nhập 2 cơ quan ban hành: 0 mới, 1 cập nhật, 1 không đổi."
    ubnd = IssuingBody.objects.get(code="ubnd-hoa-an")
    assert ubnd.signer_name == "Hoàng Văn Lâm"
    assert (ubnd.unit.code, ubnd.header, ubnd.place) == (
        "HA",
        "ỦY BAN NHÂN DÂN\nHUYỆN HÒA AN",
        "Hòa An",
    )


def test_two_bodies_may_swap_names_in_one_file(tmp_path):
    run("import_issuers", write_csv(tmp_path, ISSUERS))
    swapped = (
        "code,name,kind\n"
        "ubnd-hoa-an,Huyện ủy Hòa An,people_committee\n"
        "hu-hoa-an,UBND huyện Hòa An,party_committee\n"
    )

    result = run("import_issuers", write_csv(tmp_path, swapped, "swapped.csv"))

    assert not result.failed, result.err
    assert dict(IssuingBody.objects.values_list("code", "name")) == {
        "ubnd-hoa-an": "Huyện ủy Hòa An",
        "hu-hoa-an": "UBND huyện Hòa An",
        "bcd-trung-uong": "Ban Chỉ đạo Trung ương",
    }


def test_a_blank_unit_code_makes_a_national_body(tmp_path):
    run("import_issuers", write_csv(tmp_path, ISSUERS))

    result = run(
        "import_issuers",
        write_csv(
            tmp_path, "code,name,kind,unit_code\nhu-hoa-an,Huyện ủy Hòa An,cấp ủy,\n", "n.csv"
        ),
    )

    assert not result.failed, result.err
    assert IssuingBody.objects.get(code="hu-hoa-an").unit is None
