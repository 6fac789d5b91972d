import datetime as dt
import re

import pytest

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import (
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeStatusChange,
    Role,
)
from core.tests.factories import BoardFactory, InitiativeFactory, field, phase
from workflows import services

from .factories import board_person
from .helpers import history, refused

ALREADY_HANDLED = "Việc này đã được thực hiện: đăng ký này đã được xử lý."
ENDED = "Mô hình này đã bị từ chối hoặc đã kết thúc, không thể thay đổi nữa."


def register(actor, unit, **kwargs):
    data = {
        "title": "Dân vận khéo trong xây dựng nông thôn mới",
        "kind": InitiativeKind.COLLECTIVE,
        "fields": [field("economy"), field("new_rural")],
        "phase": phase("2021-2025"),
        "registered_on": dt.date(2024, 3, 1),
    }
    data.update(kwargs)
    return services.initiative_register(actor=actor, unit=unit, **data)


# --- register ------------------------------------------------------------------------------


def test_commune_official_registers_an_initiative_for_their_commune(world):
    d = world.district
    created = register(d.official, d.commune)

    initiative = Initiative.objects.get(pk=created.pk)
    assert initiative.status == InitiativeStatus.REGISTERED
    assert re.fullmatch(rf"MH-2024-{initiative.pk:06d}", initiative.code)
    assert {f.code for f in initiative.fields.all()} == {"economy", "new_rural"}
    assert initiative.created_by == d.official
    line = InitiativeStatusChange.objects.get(initiative=initiative)
    assert (line.from_status, line.to_status, line.actor) == ("", "registered", d.official)


def test_district_official_registers_for_a_unit_below(world):
    d = world.district
    initiative = register(d.district_official, d.hamlet)
    assert initiative.owner_unit == d.hamlet


def test_initiative_codes_are_unique(world):
    d = world.district
    first = register(d.official, d.commune)
    second = register(d.official, d.commune)
    assert first.code != second.code


def test_register_refuses_an_official_of_a_unit_below_or_beside(world):
    d = world.district
    before = Initiative.objects.count()
    with pytest.raises(NotAllowed) as caught:
        register(d.official, d.unit)  # commune official for the district above
    assert str(caught.value) == (
        "Chỉ cán bộ của đơn vị hoặc của đơn vị cấp trên mới được thực hiện việc này."
    )
    with pytest.raises(NotAllowed):
        register(world.sibling.official, d.commune)
    with pytest.raises(NotAllowed):
        register(d.secretary, d.commune)  # a board role is not an official's role
    assert Initiative.objects.count() == before


def test_register_refuses_an_individual_initiative_without_owner_name(world):
    d = world.district
    with pytest.raises(InvalidInput) as caught:
        register(d.official, d.commune, kind=InitiativeKind.INDIVIDUAL, owner_name="  ")
    assert str(caught.value) == "Mô hình của cá nhân cần có họ tên người thực hiện."
    individual = register(
        d.official, d.commune, kind=InitiativeKind.INDIVIDUAL, owner_name="Nông Thị Hoa"
    )
    assert individual.owner_name == "Nông Thị Hoa"


def test_register_refuses_no_field_and_empty_title(world):
    d = world.district
    with pytest.raises(InvalidInput) as caught:
        register(d.official, d.commune, fields=[])
    assert str(caught.value) == "Cần chọn ít nhất một lĩnh vực."
    with pytest.raises(InvalidInput):
        register(d.official, d.commune, title=" ")
    assert not Initiative.objects.exists()


# --- accept / return / reject ----------------------------------------------------------------


def test_responsible_secretary_accepts_a_registration(
    world, events, django_capture_on_commit_callbacks
):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.hamlet)
    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_accept(actor=d.secretary, initiative=initiative)
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.MONITORED
    line = InitiativeStatusChange.objects.get(initiative=initiative)
    assert (line.from_status, line.to_status, line.actor) == (
        "registered",
        "monitored",
        d.secretary,
    )
    assert events == [("initiative_accepted", {"initiative_id": initiative.pk, "reason": ""})]


def test_accept_refuses_an_initiative_already_accepted(
    world, events, django_capture_on_commit_callbacks
):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    services.initiative_accept(actor=d.secretary, initiative=initiative)
    with django_capture_on_commit_callbacks(execute=True):
        with refused(WrongState, ALREADY_HANDLED, initiative):
            services.initiative_accept(actor=d.secretary, initiative=initiative)
    assert events == []


@pytest.mark.parametrize("who", ["member", "chair", "province_secretary", "sibling_secretary"])
def test_accept_refuses_anyone_but_the_responsible_secretary(world, who):
    d = world.district
    actor = {
        "member": d.members[0],
        "chair": d.chair,
        "province_secretary": world.province_secretary,
        "sibling_secretary": world.sibling.secretary,
    }[who]
    initiative = InitiativeFactory(owner_unit=d.commune)
    with refused(
        NotAllowed, "Chỉ Thường trực Ban Chỉ đạo phụ trách mới được thực hiện việc này.", initiative
    ):
        services.initiative_accept(actor=actor, initiative=initiative)


def test_a_commune_with_its_own_board_is_handled_by_that_board(world):
    d = world.district
    commune_board = BoardFactory(unit=d.commune)
    commune_secretary = board_person(commune_board, Role.SECRETARY)
    initiative = InitiativeFactory(owner_unit=d.hamlet)
    with refused(NotAllowed, None, initiative):
        services.initiative_accept(actor=d.secretary, initiative=initiative)
    services.initiative_accept(actor=commune_secretary, initiative=initiative)
    assert Initiative.objects.get(pk=initiative.pk).status == InitiativeStatus.MONITORED


def test_return_sends_the_registration_back_with_its_reason(
    world, events, django_capture_on_commit_callbacks
):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    with django_capture_on_commit_callbacks(execute=True):
        services.initiative_return(
            actor=d.secretary, initiative=initiative, reason="Bổ sung mục tiêu cụ thể"
        )
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.RETURNED
    assert initiative.history.get().reason == "Bổ sung mục tiêu cụ thể"
    assert events[0][0] == "initiative_returned"


def test_return_and_reject_refuse_without_a_reason(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    with refused(InvalidInput, "Cần nêu lý do.", initiative):
        services.initiative_return(actor=d.secretary, initiative=initiative, reason=" ")
    with refused(InvalidInput, "Cần nêu lý do.", initiative):
        services.initiative_reject(actor=d.secretary, initiative=initiative, reason="")


def test_reject_ends_a_registration(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    services.initiative_reject(actor=d.secretary, initiative=initiative, reason="Trùng mô hình")
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.REJECTED
    with refused(WrongState, ALREADY_HANDLED, initiative):
        services.initiative_accept(actor=d.secretary, initiative=initiative)


def test_reject_refuses_a_returned_initiative(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RETURNED)
    with refused(WrongState, ALREADY_HANDLED, initiative):
        services.initiative_reject(actor=d.secretary, initiative=initiative, reason="Không đạt")


# --- resubmit ---------------------------------------------------------------------------------


def test_owner_edits_and_resubmits_a_returned_initiative(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    services.initiative_return(actor=d.secretary, initiative=initiative, reason="Bổ sung")
    services.initiative_resubmit(
        actor=d.official,
        initiative=initiative,
        title="Tên mới",
        goals="100% hộ tham gia",
        fields=[field("culture_society")],
    )
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.REGISTERED
    assert initiative.title == "Tên mới" and initiative.goals == "100% hộ tham gia"
    assert [f.code for f in initiative.fields.all()] == ["culture_society"]
    assert history(initiative) == [
        ("registered", "returned"),
        ("returned", "registered"),
    ]


def test_resubmit_refuses_an_initiative_that_was_not_returned(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    with refused(WrongState, "Chỉ mô hình bị trả lại mới được gửi lại.", initiative):
        services.initiative_resubmit(actor=d.official, initiative=initiative, title="X")


def test_resubmit_refuses_another_units_official_and_leaves_the_data(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RETURNED)
    with refused(NotAllowed, None, initiative):
        services.initiative_resubmit(
            actor=world.sibling.official, initiative=initiative, title="Chiếm"
        )
    assert Initiative.objects.get(pk=initiative.pk).title == initiative.title


# --- withdraw / discontinue -------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        InitiativeStatus.REGISTERED,
        InitiativeStatus.RETURNED,
        InitiativeStatus.MONITORED,
        InitiativeStatus.EVALUATED,
        InitiativeStatus.RECOGNISED,
        InitiativeStatus.COMMENDED,
    ],
)
def test_owner_withdraws_a_running_initiative(world, status):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=status)
    services.initiative_withdraw(actor=d.official, initiative=initiative, reason="Hết kinh phí")
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.WITHDRAWN
    assert history(initiative) == [(status, "withdrawn")]


@pytest.mark.parametrize(
    "status",
    [InitiativeStatus.REJECTED, InitiativeStatus.WITHDRAWN, InitiativeStatus.DISCONTINUED],
)
def test_withdraw_and_discontinue_refuse_an_ended_or_rejected_initiative(world, status):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=status)
    with refused(WrongState, ENDED, initiative):
        services.initiative_withdraw(actor=d.official, initiative=initiative, reason="Lý do")
    with refused(WrongState, ENDED, initiative):
        services.initiative_discontinue(actor=d.secretary, initiative=initiative, reason="Lý do")


def test_a_withdrawn_initiative_has_no_way_back(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    services.initiative_withdraw(actor=d.official, initiative=initiative, reason="Lý do")
    with refused(WrongState, None, initiative):
        services.initiative_accept(actor=d.secretary, initiative=initiative)
    with refused(WrongState, None, initiative):
        services.initiative_resubmit(actor=d.official, initiative=initiative)


def test_withdraw_refuses_board_members_and_requires_a_reason(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    with refused(NotAllowed, None, initiative):
        services.initiative_withdraw(actor=d.secretary, initiative=initiative, reason="Lý do")
    with refused(InvalidInput, "Cần nêu lý do.", initiative):
        services.initiative_withdraw(actor=d.official, initiative=initiative, reason="")


@pytest.mark.parametrize("who", ["secretary", "chair", "province_chair", "province_secretary"])
def test_responsible_or_higher_board_discontinues(world, who):
    d = world.district
    actor = {
        "secretary": d.secretary,
        "chair": d.chair,
        "province_chair": world.province_chair,
        "province_secretary": world.province_secretary,
    }[who]
    initiative = InitiativeFactory(owner_unit=d.hamlet, status=InitiativeStatus.MONITORED)
    services.initiative_discontinue(actor=actor, initiative=initiative, reason="Không duy trì")
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.DISCONTINUED
    assert initiative.history.get().actor == actor


@pytest.mark.parametrize("who", ["member", "province_member", "sibling_secretary", "official"])
def test_discontinue_refuses_members_other_boards_and_officials(world, who):
    d = world.district
    actor = {
        "member": d.members[0],
        "province_member": world.province_member,
        "sibling_secretary": world.sibling.secretary,
        "official": d.official,
    }[who]
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    with refused(
        NotAllowed,
        "Chỉ Thường trực hoặc Trưởng Ban Chỉ đạo phụ trách mới được dừng mô hình.",
        initiative,
    ):
        services.initiative_discontinue(actor=actor, initiative=initiative, reason="Lý do")


# --- replication (nhân rộng) -------------------------------------------------------------------


def test_registering_a_replication_links_a_visible_initiative(world, client):
    d = world.district
    source = InitiativeFactory(owner_unit=d.hamlet, code="MODEL-1", title="Mô hình gốc")
    replica = register(d.district_official, d.commune, replicated_from=source)

    assert replica.replicated_from == source
    client.force_login(d.district_official)
    page = client.get(f"/initiatives/{source.pk}/").content.decode()
    assert replica.code in page and "Được nhân rộng 1 lần" in page
    page = client.get(f"/initiatives/{replica.pk}/").content.decode()
    assert "MODEL-1 – Mô hình gốc" in page


def test_a_replication_of_an_initiative_outside_ones_units_is_refused(world):
    d = world.district
    elsewhere = InitiativeFactory(owner_unit=world.sibling.commune)

    with refused(InvalidInput, "Mô hình được nhân rộng không thuộc phạm vi bạn được xem."):
        register(d.official, d.commune, replicated_from=elsewhere)
    assert not Initiative.objects.filter(replicated_from=elsewhere).exists()


def test_the_web_form_and_the_api_take_the_replicated_initiatives_code(world, client):
    from tests.api_support import INITIATIVE, api

    d = world.district
    source = InitiativeFactory(owner_unit=d.commune, code="MODEL-2")
    client.force_login(d.official)
    answer = client.post(
        "/initiatives/new/",
        {
            "unit_code": d.commune.code,
            "title": "Nhân rộng mô hình",
            "kind": "collective",
            "fields": ["economy"],
            "phase": phase("2021-2025").pk,
            "replicated_from": "MODEL-2",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Initiative.objects.filter(replicated_from=source).count() == 1
    created = api(d.official).post(
        "/api/v1/initiatives/",
        {**INITIATIVE, "unit_code": d.commune.code, "replicated_from": "MODEL-2"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert Initiative.objects.filter(replicated_from=source).count() == 2
    unknown = api(d.official).post(
        "/api/v1/initiatives/",
        {**INITIATIVE, "unit_code": d.commune.code, "replicated_from": "NOPE"},
        format="json",
    )
    assert unknown.status_code == 400
