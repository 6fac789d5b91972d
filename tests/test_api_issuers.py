"""``GET /api/v1/issuing-bodies/``: the bodies of the caller's subtree and the national ones;
a sibling district's are invisible."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import IssuerKind
from core.tests.factories import IssuingBodyFactory, UserFactory
from workflows.tests.factories import build_world

from .api_support import api, fast_password_hashing

URL = "/api/v1/issuing-bodies/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    world = build_world()
    d, s = world.district, world.sibling
    world.bodies = {
        "national": IssuingBodyFactory(
            code="bcd-tw", name="Ban Chỉ đạo Trung ương", kind=IssuerKind.STEERING_BOARD
        ),
        "province": IssuingBodyFactory(
            code="ubnd-cb", name="UBND tỉnh Cao Bằng", unit=world.province
        ),
        "district": IssuingBodyFactory(
            code="bcd-ha",
            name="Ban Chỉ đạo huyện Hòa An",
            kind=IssuerKind.STEERING_BOARD,
            unit=d.unit,
            abbreviation="BCĐ",
            header="BAN CHỈ ĐẠO\nHUYỆN HÒA AN",
            place="Hòa An",
            signing_authority="TM. BAN CHỈ ĐẠO",
            signer_title="TRƯỞNG BAN",
            signer_name="Lương Văn Tiến",
        ),
        "commune": IssuingBodyFactory(
            code="ubnd-ha-dong", name="UBND xã Hòa An Đông", unit=d.commune
        ),
        "sibling": IssuingBodyFactory(code="ubnd-hq", name="UBND huyện Hà Quảng", unit=s.unit),
        "sibling commune": IssuingBodyFactory(
            code="ubnd-hq-dong", name="UBND xã Hà Quảng Đông", unit=s.commune
        ),
    }
    return world


def listed(user, **params) -> set[str]:
    response = api(user).get(URL, params)
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def test_the_route_is_named():
    assert reverse("api:issuing-body-list") == URL


def test_a_district_sees_its_subtree_the_bodies_above_and_the_national_ones_not_its_sibling(
    world,
):
    # The province's body is above: the district board proposes its nominations to it.
    expected = {"bcd-tw", "ubnd-cb", "bcd-ha", "ubnd-ha-dong"}
    assert listed(world.district.secretary) == expected
    assert listed(world.district.district_official) == expected
    # A commune's official: its commune, the district and province above, the national.
    assert listed(world.district.official) == expected
    assert listed(world.sibling.secretary) == {"bcd-tw", "ubnd-cb", "ubnd-hq", "ubnd-hq-dong"}


def test_a_province_sees_every_body_below_it(world):
    assert listed(world.province_member) == {body.code for body in world.bodies.values()}


def test_someone_without_a_unit_sees_only_the_national_bodies(world):
    assert listed(UserFactory()) == {"bcd-tw"}


def test_a_body_lists_what_its_documents_print(world):
    response = api(world.district.secretary).get(URL, {"unit": world.district.unit.code})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    district = next(row for row in body["results"] if row["code"] == "bcd-ha")
    assert district == {
        "id": world.bodies["district"].pk,
        "code": "bcd-ha",
        "name": "Ban Chỉ đạo huyện Hòa An",
        "kind": "steering_board",
        "unit": world.district.unit.code,
        "abbreviation": "BCĐ",
        "header": ["BAN CHỈ ĐẠO", "HUYỆN HÒA AN"],
        "place": "Hòa An",
        "signing_authority": "TM. BAN CHỈ ĐẠO",
        "signer_title": "TRƯỞNG BAN",
        "signer_name": "Lương Văn Tiến",
    }
    rows = api(world.district.secretary).get(URL).json()["results"]
    national = next(row for row in rows if row["code"] == "bcd-tw")
    assert (national["code"], national["unit"], national["header"]) == ("bcd-tw", None, [])


def test_the_unit_filter_keeps_that_units_subtree_within_the_callers(world):
    d = world.district
    assert listed(world.province_member, unit=d.unit.code) == {"bcd-ha", "ubnd-ha-dong"}
    assert listed(world.province_member, unit=d.commune.code) == {"ubnd-ha-dong"}
    # A sibling's unit is known, but nothing of it is visible to this district.
    assert listed(d.secretary, unit=world.sibling.unit.code) == set()


def test_an_unknown_unit_is_a_bad_request_in_vietnamese(world):
    response = api(world.district.secretary).get(URL, {"unit": "KHONG-CO"})

    assert response.status_code == 400
    assert response.json()["detail"] == "unit: Không có đơn vị mã: KHONG-CO"


def test_anonymous_callers_are_refused_as_elsewhere(world):
    response = api().get(URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "Chưa cung cấp thông tin xác thực."
    assert api().get(URL, HTTP_AUTHORIZATION="Token abc").status_code == 401


# --- /api/v1/issuing-bodies/{id}/legal-bases/ --------------------------------------------------


def legal_url(body) -> str:
    return f"/api/v1/issuing-bodies/{body.pk}/legal-bases/"


def district_clerk(world):
    from core.models import Role, UnitRole

    user = UserFactory(unit=world.district.unit)
    UnitRole.objects.create(unit=world.district.unit, user=user, role=Role.CLERK)
    return user


def test_legal_bases_route_is_named(world):
    body = world.bodies["district"]
    assert reverse("api:issuing-body-legal-bases", kwargs={"pk": body.pk}) == legal_url(body)


def test_legal_bases_read_the_body_defaults_per_decision_kind(world):
    response = api(world.district.secretary).get(legal_url(world.bodies["district"]))

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"recognition", "commendation"}
    assert body["recognition"][0] == "Căn cứ Quyết định thành lập Ban Chỉ đạo huyện Hòa An"
    assert body["commendation"][-1] == "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"


def test_a_clerk_replaces_the_bases_of_one_kind_and_decisions_print_them(world):
    body = world.bodies["district"]
    clerk = district_clerk(world)
    wanted = [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
        "Căn cứ Kế hoạch số 12-KH/BCĐ ngày 10 tháng 01 năm 2025 của Ban Chỉ đạo",
    ]

    response = api(clerk).put(legal_url(body), {"commendation": wanted}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["commendation"] == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
        "Căn cứ Kế hoạch số 12-KH/BCĐ ngày 10 tháng 01 năm 2025 của Ban Chỉ đạo",
    ]
    # The other kind is untouched, and a reader sees the change.
    assert response.json()["recognition"][0].startswith("Căn cứ Quyết định thành lập")
    again = api(world.district.secretary).get(legal_url(body)).json()
    assert again["commendation"] == response.json()["commendation"]


def test_legal_bases_refuse_outsiders_bad_input_and_invisible_bodies(world):
    body = world.bodies["district"]
    # Someone who sees the body but is not its clerk.
    refused = api(world.district.secretary).put(
        legal_url(body), {"recognition": ["Căn cứ X"]}, format="json"
    )
    assert refused.status_code == 403
    bad = api(district_clerk(world)).put(legal_url(body), {"recognition": "x"}, format="json")
    assert bad.status_code == 400
    # A sibling district's body does not exist for this district.
    hidden = world.bodies["sibling"]
    assert api(world.district.secretary).get(legal_url(hidden)).status_code == 404
    assert api().get(legal_url(body)).status_code == 401
