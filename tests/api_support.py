"""Helpers shared by the REST API tests (``test_api*`` modules)."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from viewflow.workflow.models import Task

from core.models import IssuerKind, Role, UnitRole
from core.tests.factories import IssuingBodyFactory, UserFactory

SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 80
)
CYCLE = {
    "phase": "2021-2025",
    "year": 2024,
    "opens_on": "2024-02-01",
    "report_due": "2024-10-31",
    "evaluation_due": "2024-11-30",
    "decision_due": "2024-12-20",
    "pass_mark": "70",
}
INITIATIVE = {
    "title": "Dân vận khéo trong xây dựng đường giao thông nông thôn",
    "kind": "tập thể",
    "fields": "Xây dựng nông thôn mới; economy",
    "phase": "Giai đoạn 2021 - 2025",
    "registered_on": "01/03/2023",
    "description": "Vận động nhân dân hiến đất làm đường.",
}


def fast_password_hashing(settings) -> None:
    # The factories hash a password for every user; the production hasher takes ~0.3 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user=None, language: str | None = None) -> APIClient:
    """A client authenticated with the user's token (anonymous when ``user`` is None)."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def clerk(unit):
    user = UserFactory(unit=unit)
    UnitRole.objects.create(unit=unit, user=user, role=Role.CLERK)
    return user


def add_issuers_and_clerks(world):
    """The bodies that sign decisions in the end-to-end tests, and a clerk for each level:
    the district board's own issuing body recognises, the province's People's Committee
    awards."""
    world.board_body = IssuingBodyFactory(
        code="bcd-hoa-an",
        name="Ban Chỉ đạo phong trào “Dân vận khéo” huyện Hòa An",
        unit=world.district.unit,
        kind=IssuerKind.STEERING_BOARD,
        abbreviation="BCĐ",
    )
    world.province_body = IssuingBodyFactory(
        code="ubnd-tinh",
        name="Ủy ban nhân dân tỉnh Cao Bằng",
        unit=world.province,
        kind=IssuerKind.PEOPLE_COMMITTEE,
        abbreviation="UBND",
    )
    world.district_clerk = clerk(world.district.unit)
    world.province_clerk = clerk(world.province)
    world.sibling_clerk = clerk(world.sibling.unit)
    return world


def task_names(user) -> list[tuple[int | None, str]]:
    """(initiative id, task name) of ``GET /api/v1/tasks/`` for the user."""
    response = api(user).get("/api/v1/tasks/")
    assert response.status_code == 200, response.content
    return [
        ((row["initiative"] or {}).get("id"), row["task"]) for row in response.json()["results"]
    ]


def tasks_named(initiative_id: int, name: str) -> list[Task]:
    return [
        task
        for task in Task.objects.filter(process__lifecycleprocess__initiative_id=initiative_id)
        if task.flow_task.name == name
    ]


def register(world, **overrides) -> dict:
    body = {**INITIATIVE, "unit_code": world.district.commune.code, **overrides}
    response = api(world.district.official).post("/api/v1/initiatives/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def create_cycle(world, **overrides) -> dict:
    body = {**CYCLE, **overrides}
    response = api(world.district.secretary).post("/api/v1/cycles/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()
