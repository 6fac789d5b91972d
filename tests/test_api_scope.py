"""A sibling district's people can neither see nor change anything of another district
through the API: lists leave it out, everything else answers 404, and nothing changes."""

from __future__ import annotations

import pytest
from viewflow.workflow.models import Task

from core.models import CycleStatus, Initiative, InitiativeStatus, InitiativeStatusChange
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, field, phase
from workflows import services
from workflows.models import AnnualReport
from workflows.tests.factories import ReviewCycleFactory, build_world

from .api_support import CYCLE, INITIATIVE, SCORES, api, clerk, fast_password_hashing


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def district_case(world):
    """The district has a registration under review and an annual report under evaluation."""
    d = world.district
    registered = services.initiative_register(
        actor=d.official,
        unit=d.commune,
        title="Mô hình của huyện Hòa An",
        kind="collective",
        fields=[field("economy")],
        phase=phase("2021-2025"),
    )
    monitored = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.DRAFT)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    report = AnnualReport.objects.get(initiative=monitored)
    services.annual_report_submit(actor=d.official, report=report, text="Báo cáo")
    return registered, monitored, cycle


def sibling_people(world):
    s = world.sibling
    return {
        "secretary": s.secretary,
        "chair": s.chair,
        "member": s.members[0],
        "official": s.official,
        "district official": s.district_official,
        "clerk": clerk(s.unit),
    }


def snapshot():
    return (
        list(Initiative.objects.order_by("pk").values_list("pk", "status", "title")),
        InitiativeStatusChange.objects.count(),
        list(Task.objects.order_by("pk").values_list("pk", "status", "owner_id")),
        list(AnnualReport.objects.order_by("pk").values_list("pk", "status")),
    )


def test_the_districts_own_people_see_its_cases(world, district_case):
    d = world.district
    registered, monitored, cycle = district_case
    listed = {row["id"] for row in api(d.official).get("/api/v1/initiatives/").json()["results"]}
    assert listed == {registered.pk, monitored.pk}
    assert (
        api(world.province_member).get(f"/api/v1/initiatives/{registered.pk}/").status_code == 200
    )
    assert api(d.official).get(f"/api/v1/cycles/{cycle.pk}/").status_code == 200
    tasks = api(d.members[0]).get("/api/v1/tasks/").json()["results"]
    assert [(t["task"], t["initiative"]["id"]) for t in tasks] == [("evaluate", monitored.pk)]


def test_a_sibling_districts_people_can_neither_see_nor_change_its_cases(world, district_case):
    registered, monitored, cycle = district_case
    IssuingBodyFactory(code="ubnd-tinh", unit=world.province)
    before = snapshot()
    for role, person in sibling_people(world).items():
        client = api(person)
        listed = client.get("/api/v1/initiatives/").json()
        assert listed["count"] == 0, role
        assert client.get("/api/v1/tasks/").json()["count"] == 0, role
        for initiative in (registered, monitored):
            base = f"/api/v1/initiatives/{initiative.pk}/"
            assert client.get(base).status_code == 404, role
            for action, body in [
                ("accept/", {}),
                ("return/", {"reason": "x"}),
                ("reject/", {"reason": "x"}),
                ("resubmit/", {"title": "x"}),
                ("withdraw/", {"reason": "x"}),
                ("discontinue/", {"reason": "x"}),
                ("reports/", {"text": "x"}),
                ("reports/", {"kind": "progress", "text": "x"}),
                ("visits/", {"visited_on": "2024-05-01", "findings": "x"}),
                ("evaluations/", {"cycle": cycle.pk, "scores": SCORES}),
                ("close-evaluation/", {"cycle": cycle.pk}),
                ("decide/", {"cycle": cycle.pk, "recognise": True}),
            ]:
                response = client.post(base + action, body, format="json")
                assert response.status_code == 404, (role, action, response.content)
                assert response.json() == {"detail": "Không tìm thấy."}
        assert client.get(f"/api/v1/cycles/{cycle.pk}/").status_code == 404, role
        assert client.post(f"/api/v1/cycles/{cycle.pk}/open/").status_code == 404, role
        response = client.post(
            "/api/v1/nominations/",
            {"awarding_body": "ubnd-tinh", "initiatives": [monitored.code], "citation": "x"},
            format="json",
        )
        # Only a secretary nominates (403 for the others); to the sibling's secretary the
        # district's initiative is named like an unknown one: 404.
        expected = 404 if role == "secretary" else 403
        assert response.status_code == expected, (role, response.content)
        response = client.post(
            "/api/v1/initiatives/",
            {**INITIATIVE, "unit_code": world.district.commune.code},
            format="json",
        )
        # Another district's unit is answered like an unknown code (400), never 403.
        assert response.status_code == 400, (role, response.content)
        unknown = client.post(
            "/api/v1/initiatives/", {**INITIATIVE, "unit_code": "KHONG-CO"}, format="json"
        )
        assert unknown.json()["detail"].split(":")[0] == response.json()["detail"].split(":")[0]
        # A cycle for the district's board, by the sibling's secretary: the board is
        # answered like an unknown one (404), so board ids cannot be probed.
        response = client.post(
            "/api/v1/cycles/", {**CYCLE, "board": world.district.board.pk}, format="json"
        )
        assert response.status_code == 404, (role, response.content)
        unknown = client.post("/api/v1/cycles/", {**CYCLE, "board": 999999}, format="json")
        assert unknown.status_code == 404
    assert snapshot() == before
