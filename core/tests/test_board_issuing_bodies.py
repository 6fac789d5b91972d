"""``import_members`` gives each steering board it creates its own issuing body, with
defaults that print a decision right (documents' header, authority and signature rules)."""

import pytest

from core import services
from core.models import IssuerKind, IssuingBody, SteeringBoard, Unit
from core.tests.factories import BoardFactory, IssuingBodyFactory
from core.tests.test_import_files import run, write_csv

pytestmark = pytest.mark.django_db

UNITS = (
    "code,name,kind,parent_code\n"
    "CB,Tỉnh Cao Bằng,tỉnh,\n"
    "HA,Huyện Hòa An,huyện,CB\n"
    "X1,Xã Hồng Việt,xã,HA\n"
    "T1,Xóm Nà Pồng,xóm,X1\n"
    "X2,Xã Hưng Đạo,xã,HA\n"
    "BL,Huyện Bảo Lạc,huyện,CB\n"
    "X3,Xã Hưng Đạo,xã,BL\n"
    "P12,Phường 12,phường,CB\n"
)
MEMBERS = (
    "username,full_name,email,unit_code,role\n"
    "hung,Hoàng Văn Hùng,,X1,secretary\n"
    "lan,Nông Thị Lan,,X1,chair\n"
    "thu,Lương Thị Thu,,X1,clerk\n"
)


@pytest.fixture(autouse=True)
def _units_and_fast_hashes(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    result = run("import_units", write_csv(tmp_path, UNITS, "units.csv"))
    assert not result.failed, result.err


def import_members(tmp_path, text: str, name: str = "members.csv"):
    result = run("import_members", write_csv(tmp_path, text, name))
    assert not result.failed, result.err
    return result


def test_a_new_board_gets_its_issuing_body_signed_by_the_chair_of_the_file(tmp_path):
    import_members(tmp_path, MEMBERS)

    body = IssuingBody.objects.get(unit__code="X1")
    board = SteeringBoard.objects.get(unit__code="X1")
    assert (body.code, body.name, body.kind, body.abbreviation) == (
        "bcd-x1",
        board.name,
        IssuerKind.STEERING_BOARD,
        "BCĐ",
    )
    # Read by documents: the header lines joined are the authority line of a board.
    assert body.header.splitlines() == ["BAN CHỈ ĐẠO", "XÃ HỒNG VIỆT"]
    assert body.place == "Hồng Việt"  # Decree 30: the commune's own name
    assert (body.signing_authority, body.signer_title, body.signer_name) == (
        "TM. BAN CHỈ ĐẠO",
        "TRƯỞNG BAN",
        "Nông Thị Lan",
    )
    assert IssuingBody.objects.count() == 1  # a clerk's unit role makes no board


def test_a_board_below_a_commune_is_dated_at_its_commune_and_has_no_signer_without_a_chair(
    tmp_path,
):
    import_members(tmp_path, "username,full_name,email,unit_code,role\nan,Bế Văn An,,T1,member\n")

    body = IssuingBody.objects.get(unit__code="T1")
    assert body.header == "BAN CHỈ ĐẠO\nXÓM NÀ PỒNG"
    assert body.place == "Hồng Việt"
    assert body.signer_name == ""


def test_places_follow_decree_30_for_districts_provinces_and_numbered_wards(tmp_path):
    import_members(
        tmp_path,
        "username,full_name,email,unit_code,role\n"
        "a,Bế Văn A,,HA,member\nb,Bế Văn B,,CB,member\nc,Bế Văn C,,P12,member\n",
    )

    places = dict(IssuingBody.objects.values_list("unit__code", "place"))
    assert places == {"HA": "Hòa An", "CB": "Cao Bằng", "P12": "Phường 12"}


def test_boards_of_two_units_with_the_same_name_get_distinct_bodies(tmp_path):
    import_members(
        tmp_path,
        "username,full_name,email,unit_code,role\na,Bế Văn A,,X2,chair\nb,Bế Văn B,,X3,chair\n",
    )

    names = dict(IssuingBody.objects.values_list("code", "name"))
    assert names == {
        "bcd-x2": "Ban Chỉ đạo Xã Hưng Đạo",
        "bcd-x3": "Ban Chỉ đạo Xã Hưng Đạo (X3)",
    }


def test_no_body_for_an_existing_board_or_a_unit_that_already_has_one(tmp_path):
    BoardFactory(unit=Unit.objects.get(code="X2"))
    IssuingBodyFactory(
        code="bcd-rieng",
        name="BCĐ riêng",
        kind=IssuerKind.STEERING_BOARD,
        unit=Unit.objects.get(code="X3"),
    )
    taken = IssuingBodyFactory(code="bcd-x1", name="Một cơ quan khác")

    import_members(
        tmp_path,
        MEMBERS + "a,Bế Văn A,,X2,member\nb,Bế Văn B,,X3,member\n",
    )

    assert set(IssuingBody.objects.values_list("code", "unit__code")) == {
        ("bcd-rieng", "X3"),
        ("bcd-x1", None),
        ("bcd-x1-2", "X1"),  # the code was taken
    }
    taken.refresh_from_db()
    assert taken.name == "Một cơ quan khác" and taken.unit is None


def test_reimporting_the_members_creates_no_second_body(tmp_path):
    import_members(tmp_path, MEMBERS)
    before = list(IssuingBody.objects.values_list("id", "code", "signer_name"))

    import_members(tmp_path, MEMBERS)

    assert list(IssuingBody.objects.values_list("id", "code", "signer_name")) == before


def test_place_name_drops_the_level_word_only():
    assert services.place_name("Xã Chu Trinh") == "Chu Trinh"
    assert services.place_name("Thị trấn Nước Hai") == "Nước Hai"
    assert services.place_name("Thành phố Cao Bằng") == "Cao Bằng"
    assert services.place_name("Phường 12") == "Phường 12"
    assert services.place_name("Đặc khu Phú Quốc") == "Phú Quốc"
    assert services.place_name("Xóm Nà Pồng") == "Xóm Nà Pồng"
