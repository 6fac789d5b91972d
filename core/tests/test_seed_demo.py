import datetime as dt
import json
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from core import demo
from core.models import (
    BOARD_ROLES,
    AwardType,
    BoardMember,
    Commendation,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuerKind,
    IssuingBody,
    SteeringBoard,
    Unit,
    UnitKind,
    UnitRole,
    User,
)
from core.tallies import initiative_tallies_mismatches

pytestmark = pytest.mark.django_db

PUBLISHED_FIELDS = {
    "economy": 1202,
    "culture_society": 968,
    "defence_security": 825,
    "political_system": 582,
    "new_rural": 509,
}


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def report(*args) -> dict:
    out = StringIO()
    call_command("movement_report", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def snapshot() -> dict:
    """What the demo holds, by natural keys, to compare two builds."""
    return {
        "units": list(Unit.objects.order_by("code").values_list("code", "name", "kind", "depth")),
        "initiatives": list(
            Initiative.objects.order_by("code").values_list(
                "code", "owner_unit__code", "kind", "owner_name", "registered_on", "status", "title"
            )
        ),
        "fields": sorted(
            Initiative.fields.through.objects.values_list("initiative__code", "field__code")
        ),
        "commendations": sorted(
            Commendation.objects.values_list(
                "unit__code", "recipient_kind", "recipient_name", "award", "issuer__code",
                "decision_number", "decision_date", "initiative__code",
            )
        ),
        "users": sorted(User.objects.values_list("username", "full_name", "unit__code")),
        "history": InitiativeStatusChange.objects.count(),
    }  # fmt: skip


def test_demo_data_reports_the_published_cao_bang_figures():
    seed()

    data = report("--unit", "CB", "--phase", "2016-2020")

    assert data["unit"] == {"code": "CB", "name": "Tỉnh Cao Bằng"}
    initiatives = data["initiatives"]
    assert initiatives["total"] == 4086
    assert {code: initiatives["by_field"][code] for code in PUBLISHED_FIELDS} == PUBLISHED_FIELDS
    assert sum(initiatives["by_field"].values()) == 4086  # one field each
    assert initiatives["new"]["total"] == 4086
    assert initiatives["by_status"]["withdrawn"] == initiatives["by_status"]["discontinued"] == 0
    assert initiatives["by_kind"]["collective"] > 0 and initiatives["by_kind"]["individual"] > 0
    assert initiatives["by_status"]["monitored"] > initiatives["by_status"]["recognised"] > 0
    assert initiatives["by_status"]["commended"] > 0
    commendations = data["commendations"]
    assert commendations["total"] == 437
    assert commendations["by_award"] == {
        "praise": 0,
        "certificate_of_merit": 312,
        "commendation_certificate": 125,
    }
    assert commendations["by_recipient_kind"] == {"collective": 178, "individual": 259}
    assert commendations["by_issuer"]["UBND tỉnh Cao Bằng"] == 125
    assert len(commendations["by_issuer"]) == 11


def test_demo_province_has_its_districts_communes_and_boards():
    seed()

    province = Unit.objects.get(code="CB")
    units = Unit.objects.subtree_of(province)
    assert units.count() == 172
    assert units.filter(kind=UnitKind.DISTRICT).count() == 10
    assert units.filter(kind=UnitKind.COMMUNE).count() == 161
    assert set(units.filter(kind=UnitKind.DISTRICT).values_list("name", flat=True)) == {
        "Thành phố Cao Bằng",
        "Huyện Bảo Lạc",
        "Huyện Bảo Lâm",
        "Huyện Hà Quảng",
        "Huyện Hạ Lang",
        "Huyện Hòa An",
        "Huyện Nguyên Bình",
        "Huyện Quảng Hòa",
        "Huyện Thạch An",
        "Huyện Trùng Khánh",
    }
    assert all(c.parent.kind == UnitKind.DISTRICT for c in units.filter(kind=UnitKind.COMMUNE))
    assert SteeringBoard.objects.filter(unit__in=units).count() == 172
    assert Initiative.objects.filter(owner_unit__kind=UnitKind.COMMUNE).exists()
    assert not Initiative.objects.exclude(owner_unit__in=units).exists()


def test_demo_issuing_bodies_print_like_cao_bang_documents():
    seed()

    ubnd = IssuingBody.objects.get(name="UBND tỉnh Cao Bằng")
    assert ubnd.header == "ỦY BAN NHÂN DÂN\nTỈNH CAO BẰNG"
    assert (ubnd.place, ubnd.abbreviation) == ("Cao Bằng", "UBND")
    assert (ubnd.signing_authority, ubnd.signer_title) == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert ubnd.signer_name and ubnd.unit.code == "CB"
    party = IssuingBody.objects.get(name="Tỉnh ủy Cao Bằng")
    assert party.kind == IssuerKind.PARTY_COMMITTEE
    assert (party.abbreviation, party.signing_authority) == ("TU", "T/M BAN THƯỜNG VỤ")
    districts = IssuingBody.objects.filter(unit__kind=UnitKind.DISTRICT)
    assert districts.count() == 10
    assert set(districts.values_list("abbreviation", flat=True)) == {"UBND"}
    assert IssuingBody.objects.get(unit__code=demo.district_code(demo.LOGIN_DISTRICT)).header == (
        "ỦY BAN NHÂN DÂN\nHUYỆN HÒA AN"
    )


def test_demo_commendations_follow_the_award_rules():
    seed()

    merits = Commendation.objects.filter(award=AwardType.CERTIFICATE_OF_MERIT)
    for commendation in merits.select_related("issuer__unit", "unit", "initiative"):
        # A district's Giấy khen goes to its own subtree, decided in 2020.
        assert commendation.unit.is_in_subtree_of(commendation.issuer.unit)
        assert commendation.issuer.unit.kind == UnitKind.DISTRICT
        assert commendation.decision_date.year == 2020
    assert set(
        Commendation.objects.filter(award=AwardType.COMMENDATION_CERTIFICATE).values_list(
            "issuer__name", flat=True
        )
    ) == {"UBND tỉnh Cao Bằng"}
    assert set(Commendation.objects.values_list("phase__code", flat=True)) == {"2016-2020"}
    assert set(Commendation.objects.values_list("citation", flat=True)) == {
        "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” giai đoạn 2016 - 2020"
    }
    for commendation in Commendation.objects.select_related("initiative"):
        initiative = commendation.initiative
        assert initiative.status == InitiativeStatus.COMMENDED
        assert initiative.kind == commendation.recipient_kind
        assert initiative.owner_name == commendation.recipient_name
        assert initiative.owner_unit_id == commendation.unit_id
        assert initiative.registered_on < commendation.decision_date


def test_demo_initiatives_look_real_and_have_their_history():
    seed()

    individuals = Initiative.objects.filter(kind="individual")
    assert individuals.count() >= 259
    assert not individuals.filter(owner_name="").exists()
    assert (
        Initiative.objects.filter(registered_on__lt=dt.date(2017, 1, 1)).exists()
        and Initiative.objects.filter(registered_on__gt=dt.date(2020, 1, 1)).exists()
    )
    assert not Initiative.objects.exclude(
        registered_on__range=(dt.date(2016, 1, 1), dt.date(2020, 12, 31))
    ).exists()
    assert set(Initiative.objects.values_list("phase__code", flat=True)) == {"2016-2020"}
    assert InitiativeStatusChange.objects.filter(to_status="registered").count() == 4086
    assert InitiativeStatusChange.objects.filter(to_status="commended").count() == 437
    # Every initiative's last history line is its current status.
    last = {}
    for initiative_id, to_status in InitiativeStatusChange.objects.order_by("at", "id").values_list(
        "initiative_id", "to_status"
    ):
        last[initiative_id] = to_status
    assert last == dict(Initiative.objects.values_list("id", "status"))


def test_demo_logins_exist_with_their_roles_units_and_password():
    output = seed()

    logins = demo.demo_logins()
    assert len(logins) == 22
    assert {"admin", "tinh.chutich", "tinh.thuky", "huyen.thanhvien", "xa.canbo"} <= {
        login["username"] for login in logins
    }
    for login in logins:
        user = User.objects.get(username=login["username"])
        assert user.full_name == login["full_name"] and user.unit.code == login["unit_code"]
        assert login["username"] in output
        if login["role"] == "superuser":
            assert user.is_superuser and user.is_staff
        elif login["role"] in BOARD_ROLES:
            assert BoardMember.objects.filter(
                user=user, role=login["role"], board__unit=user.unit
            ).exists()
        else:
            assert UnitRole.objects.filter(user=user, role=login["role"], unit=user.unit).exists()
    roles_by_unit = {}
    for login in logins[1:]:
        roles_by_unit.setdefault(login["unit_code"], set()).add(login["role"])
    assert len(roles_by_unit) == 3  # province, one district, one commune
    assert all(roles == set(roles_by_unit["CB"]) for roles in roles_by_unit.values())
    assert len(roles_by_unit["CB"]) == 7
    assert demo.DEMO_PASSWORD in output
    # A login carries its request (django-axes counts failures per account and address).
    request = RequestFactory().post("/login/")
    assert authenticate(request, username="xa.canbo", password=demo.DEMO_PASSWORD) is not None
    assert authenticate(request, username="xa.canbo", password="wrong") is None


def test_seed_demo_twice_duplicates_nothing():
    seed()
    before = snapshot()

    output = seed()

    assert "đã có" in output
    assert snapshot() == before


def test_seed_demo_reset_rebuilds_the_same_data():
    seed()
    before = snapshot()
    # Something made by hand in the demo province goes too.
    Initiative.objects.filter(code="CB-DVK-00001").update(status=InitiativeStatus.WITHDRAWN)

    output = seed("--reset")

    assert "Đã xóa" in output
    assert snapshot() == before  # deterministic: the same rows again
    assert report("--unit", "CB", "--phase", "2016-2020")["initiatives"]["total"] == 4086
    assert initiative_tallies_mismatches() == []  # the statistics' tallies followed


def test_reset_keeps_data_outside_the_demo():
    other = Unit.objects.create(code="HN", name="Thành phố Hà Nội", kind=UnitKind.PROVINCE)
    outsider = User.objects.create_user(username="tinh.chutich.hn", password="x")
    seed()

    seed("--reset")

    assert Unit.objects.filter(pk=other.pk).exists()
    assert User.objects.filter(pk=outsider.pk).exists()
    assert Unit.objects.count() == 173


def test_demo_logins_are_listed_without_a_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        logins = demo.demo_logins()

    assert {login["password"] for login in logins} == {demo.DEMO_PASSWORD}
    assert [login["username"] for login in logins if login["unit_code"] == "CB-06-12"] == [
        "xa.chutich",
        "xa.phochutich",
        "xa.thuky",
        "xa.thanhvien",
        "xa.vanthu",
        "xa.lanhdao",
        "xa.canbo",
    ]
