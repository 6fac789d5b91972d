"""The Django admin: every core model renders in Vietnamese, history stays read-only, and
moving a unit through the admin keeps the tree paths right."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from core import services
from core.models import (
    Commendation,
    Criterion,
    Field,
    InitiativeStatus,
    InitiativeStatusChange,
    Phase,
    ReviewCycle,
    Unit,
    UnitKind,
    path_step,
)
from core.tests.factories import (
    BoardMemberFactory,
    CommendationFactory,
    InitiativeFactory,
    UnitFactory,
    UnitRoleFactory,
    UserFactory,
    phase,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    """One saved object of every model the core admin edits."""
    province = UnitFactory(kind=UnitKind.PROVINCE, code="CB", name="Tỉnh Cao Bằng")
    commune = UnitFactory(code="CB-HA", name="Xã Hòa An", parent=province)
    member = BoardMemberFactory(board__unit=province, role="chair")
    UnitRoleFactory(unit=commune, user=member.user)
    cycle = ReviewCycle.objects.create(
        board=member.board,
        phase=phase(),
        year=2023,
        opens_on=dt.date(2023, 1, 1),
        report_due=dt.date(2023, 6, 30),
        evaluation_due=dt.date(2023, 8, 31),
        decision_due=dt.date(2023, 9, 30),
    )
    Criterion.objects.create(cycle=cycle, code="effect", name="Hiệu quả", weight=2)
    initiative = InitiativeFactory(owner_unit=commune, title="Mô hình “Dân vận khéo” Hòa An")
    change = services.initiative_record_status(
        initiative=initiative,
        to_status=InitiativeStatus.MONITORED,
        actor=member.user,
        reason="Đủ điều kiện",
    )
    commendation = CommendationFactory(unit=commune, initiative=initiative)
    return {
        "unit": commune,
        "user": member.user,
        "steeringboard": member.board,
        "field": Field.objects.first(),
        "phase": Phase.objects.first(),
        "reviewcycle": cycle,
        "initiative": initiative,
        "initiativestatuschange": change,
        "issuingbody": commendation.issuer,
        "commendation": commendation,
    }


CORE_MODELS = [
    "unit",
    "user",
    "steeringboard",
    "field",
    "phase",
    "reviewcycle",
    "initiative",
    "initiativestatuschange",
    "issuingbody",
    "commendation",
]


def test_every_core_model_is_in_the_admin():
    registered = {m._meta.model_name for m in admin.site._registry if m._meta.app_label == "core"}
    assert registered == set(CORE_MODELS)


@pytest.mark.parametrize("model_name", CORE_MODELS)
def test_changelist_and_change_form_render_in_vietnamese(admin_client, records, model_name):
    obj = records[model_name]
    with translation.override("vi"):
        plural = str(capfirst(str(obj._meta.verbose_name_plural)))
        singular = str(obj._meta.verbose_name)

    changelist = admin_client.get(reverse(f"admin:core_{model_name}_changelist"))
    assert changelist.status_code == 200
    assert plural in changelist.content.decode()
    change_url = reverse(f"admin:core_{model_name}_change", args=[obj.pk])
    assert f'href="{change_url}' in changelist.content.decode()

    change = admin_client.get(change_url)
    assert change.status_code == 200
    assert singular in change.content.decode().lower()


def test_admin_index_shows_vietnamese_names(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert "Quản trị phong trào thi đua “Dân vận khéo”" in page
    assert "Dữ liệu phong trào" in page
    for label in ("Đơn vị", "Mô hình", "Ban chỉ đạo", "Khen thưởng", "Cơ quan ban hành"):
        assert label in page


def test_unit_form_labels_are_vietnamese(admin_client, records):
    page = admin_client.get(reverse("admin:core_unit_change", args=[records["unit"].pk]))
    text = page.content.decode()
    for label in ("Đơn vị cấp trên", "Đơn vị kế thừa", "Hiệu lực từ ngày", "Độ sâu", "Mã"):
        assert label in text


def test_initiative_form_shows_its_history_read_only(admin_client, records):
    initiative = records["initiative"]
    page = admin_client.get(reverse("admin:core_initiative_change", args=[initiative.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Lịch sử" in text
    assert "Đủ điều kiện" in text  # the history line's reason, shown as text
    assert 'name="history-0-reason"' not in text
    assert 'name="status"' not in text  # the status moves only through the workflow


@pytest.mark.parametrize("add_url", ["unit", "user", "initiative", "commendation", "reviewcycle"])
def test_add_forms_render(admin_client, add_url):
    assert admin_client.get(reverse(f"admin:core_{add_url}_add")).status_code == 200


def test_history_admin_refuses_add_change_and_delete_even_to_a_superuser(admin_client, records):
    change = records["initiativestatuschange"]
    add = admin_client.get(reverse("admin:core_initiativestatuschange_add"))
    assert add.status_code == 403

    url = reverse("admin:core_initiativestatuschange_change", args=[change.pk])
    view = admin_client.get(url)
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    edit = admin_client.post(url, {"reason": "sửa lại", "to_status": "recognised"})
    assert edit.status_code == 403

    delete_url = reverse("admin:core_initiativestatuschange_delete", args=[change.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403

    changelist = admin_client.post(
        reverse("admin:core_initiativestatuschange_changelist"),
        {"action": "delete_selected", "_selected_action": [change.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302, 403)
    change.refresh_from_db()
    assert change.reason == "Đủ điều kiện"
    assert InitiativeStatusChange.objects.filter(pk=change.pk).exists()


def _unit_form(unit: Unit, **changes) -> dict:
    data = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent_id or "",
        "successor": unit.successor_id or "",
        "valid_from": "",
        "valid_to": "",
        "_save": "Lưu",
    }
    data.update(changes)
    return data


def test_moving_a_unit_in_the_admin_moves_its_subtree(admin_client):
    old_province = UnitFactory(kind=UnitKind.PROVINCE)
    new_province = UnitFactory(kind=UnitKind.PROVINCE)
    district = UnitFactory(kind=UnitKind.DISTRICT, parent=old_province)
    commune = UnitFactory(parent=district)
    hamlet = UnitFactory(kind=UnitKind.HAMLET, parent=commune)

    response = admin_client.post(
        reverse("admin:core_unit_change", args=[district.pk]),
        _unit_form(district, parent=new_province.pk),
    )

    assert response.status_code == 302
    for unit in (district, commune, hamlet):
        unit.refresh_from_db()
        assert unit.is_in_subtree_of(new_province)
        assert not unit.is_in_subtree_of(old_province)
    assert (district.depth, commune.depth, hamlet.depth) == (1, 2, 3)
    steps = "".join(path_step(u.pk) for u in (district, commune, hamlet))
    assert hamlet.path == new_province.path + steps


def test_a_unit_added_in_the_admin_gets_its_tree_path(admin_client):
    province = UnitFactory(kind=UnitKind.PROVINCE)
    response = admin_client.post(
        reverse("admin:core_unit_add"),
        {
            "code": "NEW-1",
            "name": "Xã Mới",
            "kind": UnitKind.COMMUNE,
            "parent": province.pk,
            "successor": "",
            "valid_from": "01/07/2025",
            "valid_to": "",
            "_save": "Lưu",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="NEW-1")
    assert unit.is_in_subtree_of(province)
    assert unit.depth == 1
    assert unit.valid_from == dt.date(2025, 7, 1)


def test_admin_refuses_to_hang_a_unit_below_itself(admin_client):
    province = UnitFactory(kind=UnitKind.PROVINCE)
    commune = UnitFactory(parent=province)
    path_before = province.path

    response = admin_client.post(
        reverse("admin:core_unit_change", args=[province.pk]),
        _unit_form(province, parent=commune.pk),
    )

    assert response.status_code == 200
    assert "Không thể đặt một đơn vị dưới chính nó" in response.content.decode()
    province.refresh_from_db()
    assert province.parent_id is None
    assert province.path == path_before


def test_renaming_a_unit_in_the_admin_keeps_its_path(admin_client):
    province = UnitFactory(kind=UnitKind.PROVINCE)
    commune = UnitFactory(parent=province)
    path_before = commune.path

    response = admin_client.post(
        reverse("admin:core_unit_change", args=[commune.pk]),
        _unit_form(commune, name="Phường Mới"),
    )

    assert response.status_code == 302
    commune.refresh_from_db()
    assert commune.name == "Phường Mới"
    assert commune.path == path_before


def test_user_admin_edits_movement_fields_with_role_inlines(admin_client, records):
    user = records["user"]
    page = admin_client.get(reverse("admin:core_user_change", args=[user.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Họ và tên" in text
    assert "Vai trò trong đơn vị" in text
    assert "Thành viên ban chỉ đạo" in text


def test_user_changelist_searches_full_name(admin_client):
    UserFactory(username="lan", full_name="Trần Thị Lan")
    UserFactory(username="hung", full_name="Lê Văn Hùng")
    page = admin_client.get(reverse("admin:core_user_changelist"), {"q": "Thị Lan"})
    text = page.content.decode()
    assert "Trần Thị Lan" in text
    assert "Lê Văn Hùng" not in text


def test_an_initiative_with_history_cannot_be_deleted_through_the_admin(admin_client, records):
    initiative = records["initiative"]
    Commendation.objects.filter(initiative=initiative).update(initiative=None)
    url = reverse("admin:core_initiative_delete", args=[initiative.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert InitiativeStatusChange.objects.filter(initiative=initiative).exists()
