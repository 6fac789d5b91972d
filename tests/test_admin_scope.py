"""The admin is no way into a sibling district: every role of one district (none of them
staff) is sent to the admin's login page by every admin URL of the sibling's records, and
what it posts there changes nothing. A staff user without superuser status or model
permissions sees nothing either (403 on every page of a model)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from core.models import (
    Commendation,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    Role,
    SteeringBoard,
    Unit,
    UnitRole,
)
from core.services import initiative_record_status
from core.tests.factories import CommendationFactory, InitiativeFactory, UserFactory
from workflows.tests.factories import board_person, build_world

from .api_support import fast_password_hashing

ROLES = ("official", "secretary", "member", "chair", "deputy", "clerk", "leader")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


def unit_person(unit, role: str):
    user = UserFactory(unit=unit)
    UnitRole.objects.create(unit=unit, user=user, role=role)
    return user


@pytest.fixture
def world(db):
    world = build_world()
    d, s = world.district, world.sibling
    world.people = {
        "official": d.official,
        "secretary": d.secretary,
        "member": d.members[0],
        "chair": d.chair,
        "deputy": board_person(d.board, Role.DEPUTY, unit=d.unit),
        "clerk": unit_person(d.unit, Role.CLERK),
        "leader": unit_person(d.unit, Role.LEADER),
    }
    # The sibling district's records.
    initiative = InitiativeFactory(owner_unit=s.commune, status=InitiativeStatus.REGISTERED)
    initiative_record_status(
        initiative=initiative,
        to_status=InitiativeStatus.MONITORED,
        actor=s.secretary,
        reason="Chấp nhận",
        source="test",
    )
    world.targets = {
        "unit": s.unit,
        "initiative": initiative,
        "commendation": CommendationFactory(unit=s.commune, initiative=initiative),
        "steeringboard": s.board,
        "initiativestatuschange": InitiativeStatusChange.objects.filter(
            initiative=initiative
        ).first(),
    }
    return world


def snapshot() -> dict:
    """Every row an admin page of the targets could change."""
    models = (Unit, Initiative, Commendation, SteeringBoard, InitiativeStatusChange, UnitRole)
    return {
        model.__name__: sorted(
            (obj.pk, repr(sorted(model_to_dict(obj).items()))) for obj in model.objects.all()
        )
        for model in models
    }


def object_urls(obj) -> list[str]:
    meta = obj._meta
    prefix = f"admin:{meta.app_label}_{meta.model_name}"
    return [
        reverse(f"{prefix}_changelist"),
        reverse(f"{prefix}_change", args=[obj.pk]),
        reverse(f"{prefix}_history", args=[obj.pk]),
        reverse(f"{prefix}_delete", args=[obj.pk]),
    ]


def registered_changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def change_form_data(obj) -> dict:
    """What a change form would post: the object's fields with its text changed."""
    data = {key: value for key, value in model_to_dict(obj).items() if value is not None}
    for key in ("name", "title", "citation", "reason"):
        if key in data:
            data[key] = "Đã bị sửa qua trang quản trị"
    return data


@pytest.mark.parametrize("role", ROLES)
def test_each_role_of_a_district_is_sent_to_the_admin_login_for_the_siblings_records(world, role):
    user = world.people[role]
    assert not user.is_staff and not user.is_superuser
    client = Client()
    client.force_login(user)
    before = snapshot()

    urls = [reverse("admin:index"), *registered_changelists()]
    for obj in world.targets.values():
        urls += object_urls(obj)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), (url, response["Location"])

    for obj in world.targets.values():
        change, delete = object_urls(obj)[1], object_urls(obj)[3]
        response = client.post(change, change_form_data(obj))
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        response = client.post(delete, {"post": "yes"})
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    add = reverse("admin:core_initiative_add")
    response = client.post(
        add, {"title": "Mô hình thêm lén", "owner_unit": world.sibling.commune.pk}
    )
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    assert snapshot() == before
    assert not LogEntry.objects.exists()
    # Their own district is no different: the admin is not their interface at all.
    own = reverse("admin:core_unit_change", args=[world.district.unit.pk])
    assert client.get(own)["Location"].startswith("/admin/login/")


def test_the_admin_login_refuses_a_non_staff_role_holder(world):
    user = world.people["secretary"]
    user.set_password("matkhau-123")
    user.save()
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": user.username, "password": "matkhau-123"}
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors
    assert client.get("/admin/core/initiative/")["Location"].startswith("/admin/login/")


def test_a_staff_user_without_permissions_sees_nothing_and_changes_nothing(world):
    staff = UserFactory(is_staff=True, is_superuser=False)
    assert not staff.get_all_permissions()
    client = Client()
    client.force_login(staff)
    before = snapshot()

    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    for url in registered_changelists():
        assert client.get(url).status_code == 403, url
    for obj in world.targets.values():
        # A record outside the user's scope (a staff user without a unit has none) is
        # answered like an unknown id (the admin's redirect to its index), or 403 where the
        # admin checks the permission first: never the page.
        for url in object_urls(obj)[1:]:
            response = client.get(url)
            assert response.status_code == 403 or (
                response.status_code == 302 and response["Location"] == reverse("admin:index")
            ), url
        change, delete = object_urls(obj)[1], object_urls(obj)[3]
        assert client.post(change, change_form_data(obj)).status_code in (302, 403)
        assert client.post(delete, {"post": "yes"}).status_code in (302, 403)
    response = client.post(
        reverse("admin:core_initiative_add"),
        {"title": "Mô hình thêm lén", "owner_unit": world.sibling.commune.pk},
    )
    assert response.status_code == 403

    assert snapshot() == before
    assert not LogEntry.objects.exists()


def test_a_superuser_does_reach_the_same_pages(world, admin_client):
    """The control case: the URLs above exist and open for someone allowed."""
    for obj in world.targets.values():
        for url in object_urls(obj)[:3]:
            assert admin_client.get(url).status_code == 200, url
