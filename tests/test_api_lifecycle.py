"""The REST API end to end: registration to the chair's decision with token auth, each call
completing the same viewflow task the web form completes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from viewflow.workflow.status import PROCESS, STATUS

from core.models import InitiativeStatus
from core.tests.factories import InitiativeFactory, IssuingBodyFactory
from workflows.models import LifecycleProcess, ProcessKind
from workflows.tests.factories import build_world

from .api_support import (
    SCORES,
    api,
    clerk,
    create_cycle,
    fast_password_hashing,
    task_names,
    tasks_named,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    return build_world()


def token_client(user):
    """Log in the way a script does: username and password for a token."""
    response = api().post(
        "/api/v1/auth/token/", {"username": user.username, "password": "matkhau-123"}
    )
    assert response.status_code == 200, response.content
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def test_registration_to_the_chairs_decision_through_the_api(world):
    d = world.district
    official, secretary, chair = (token_client(u) for u in (d.official, d.secretary, d.chair))

    # 1. Register: the import's column names, Vietnamese words accepted.
    response = official.post(
        "/api/v1/initiatives/",
        {
            "title": "Dân vận khéo trong xây dựng đường giao thông nông thôn",
            "unit_code": d.commune.code,
            "kind": "tập thể",
            "fields": ["new_rural", "Phát triển kinh tế"],
            "phase": "2021-2025",
            "registered_on": "01/03/2023",
            "description": "Vận động nhân dân hiến đất làm đường.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    pk = created["id"]
    assert created["status"] == "registered"
    assert created["unit_code"] == d.commune.code
    assert sorted(created["fields"]) == ["economy", "new_rural"]
    assert created["registered_on"] == "2023-03-01"

    # 2. The review waits in the district secretary's queue, with the calls that complete it.
    rows = secretary.get("/api/v1/tasks/").json()["results"]
    assert [(r["task"], r["flow"], r["status"], r["initiative"]["id"]) for r in rows] == [
        ("review", ProcessKind.REGISTRATION, STATUS.NEW, pk)
    ]
    assert rows[0]["actions"] == [
        f"/api/v1/initiatives/{pk}/accept/",
        f"/api/v1/initiatives/{pk}/return/",
        f"/api/v1/initiatives/{pk}/reject/",
    ]

    # 3. Returned, resubmitted, accepted.
    response = secretary.post(f"/api/v1/initiatives/{pk}/return/", {"reason": "Bổ sung mục tiêu"})
    assert (response.status_code, response.json()["status"]) == (200, "returned")
    assert task_names(d.official) == [(pk, "resubmit")]
    response = official.post(
        f"/api/v1/initiatives/{pk}/resubmit/",
        {"title": "Dân vận khéo: đường giao thông nông thôn", "reason": "Đã bổ sung"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Dân vận khéo: đường giao thông nông thôn"
    response = secretary.post(f"/api/v1/initiatives/{pk}/accept/", {})
    assert (response.status_code, response.json()["status"]) == (200, "monitored")
    reviews = tasks_named(pk, "review")
    assert [(t.status, t.owner_id) for t in reviews] == [(STATUS.DONE, d.secretary.pk)] * 2
    registration = LifecycleProcess.objects.get(initiative_id=pk, kind=ProcessKind.REGISTRATION)
    assert registration.status == PROCESS.DONE

    # 4. A progress report while monitored.
    response = official.post(
        f"/api/v1/initiatives/{pk}/reports/", {"kind": "progress", "text": "Đã làm 2 km đường."}
    )
    assert response.status_code == 201, response.content

    # 5. The secretary sets up and opens the 2024 cycle.
    cycle = create_cycle(world)
    detail = secretary.get(f"/api/v1/cycles/{cycle['id']}/").json()
    assert detail["pass_mark"] == "70.00"
    assert [(c["code"], c["weight"], c["max"]) for c in detail["criteria"]] == [
        ("effectiveness", "30.00", 100),
        ("participation", "25.00", 100),
        ("creativity", "15.00", 100),
        ("replicability", "15.00", 100),
        ("sustainability", "15.00", 100),
    ]
    response = secretary.post(f"/api/v1/cycles/{cycle['id']}/open/")
    assert response.json() == {"id": cycle["id"], "status": "open", "reports": 1}

    # 6. The owner reports.
    assert task_names(d.official) == [(pk, "report")]
    response = official.post(f"/api/v1/initiatives/{pk}/reports/", {"text": "Báo cáo năm 2024"})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "submitted"
    assert tasks_named(pk, "report")[0].status == STATUS.DONE

    # 7. Members evaluate: the one working in the commune is recused and has no task.
    assert (pk, "evaluate") not in task_names(d.recused_member)
    for member, score in zip((d.members[0], d.members[1], d.chair), (90, 80, 85), strict=True):
        assert (pk, "evaluate") in task_names(member)
        response = token_client(member).post(
            f"/api/v1/initiatives/{pk}/evaluations/",
            {
                "cycle": cycle["id"],
                "scores": dict.fromkeys(SCORES, score),
                "comment": "Mô hình hiệu quả",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert Decimal(response.json()["total"]) == score
        assert (pk, "evaluate") not in task_names(member)

    # 8. The secretary closes the evaluation: the last open evaluation task is cancelled.
    response = secretary.post(f"/api/v1/initiatives/{pk}/close-evaluation/", {"cycle": cycle["id"]})
    assert response.status_code == 200, response.content
    assert (response.json()["score"], response.json()["passed"]) == ("85.00", True)
    statuses = sorted(t.status for t in tasks_named(pk, "evaluate"))
    assert statuses == [STATUS.CANCELED, STATUS.DONE, STATUS.DONE, STATUS.DONE]

    # 9. The chair recognises it; the recognition decision waits for the district's clerk.
    assert task_names(d.chair) == [(pk, "decide")]
    response = chair.post(
        f"/api/v1/initiatives/{pk}/decide/",
        {"cycle": cycle["id"], "recognise": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["recognise"]) == ("decided", True)
    review = LifecycleProcess.objects.get(initiative_id=pk, kind=ProcessKind.ANNUAL_REVIEW)
    assert review.status == PROCESS.DONE
    assert task_names(clerk(d.unit)) == [(None, "recognition_decision")]

    detail = official.get(f"/api/v1/initiatives/{pk}/").json()
    assert detail["status"] == InitiativeStatus.EVALUATED
    assert [(h["from_status"], h["to_status"]) for h in detail["history"]] == [
        ("", "registered"),
        ("registered", "returned"),
        ("returned", "registered"),
        ("registered", "monitored"),
        ("monitored", "evaluated"),
    ]
    assert detail["history"][1]["reason"] == "Bổ sung mục tiêu"
    assert len(detail["progress_reports"]) == 1
    [annual] = detail["annual_reports"]
    assert (annual["score"], len(annual["evaluations"])) == ("85.00", 3)


def test_a_nomination_puts_the_commend_task_in_the_awarding_clerks_queue(world):
    d = world.district
    body = IssuingBodyFactory(code="ubnd-tinh", unit=world.province)
    recognised = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)

    response = api(d.secretary).post(
        "/api/v1/nominations/",
        {
            "awarding_body": "ubnd-tinh",
            "initiatives": [recognised.code],
            "citation": "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo”",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    nomination = response.json()
    assert nomination["status"] == "submitted"
    assert nomination["awarding_body"] == body.code
    assert [(i["code"], i["recipient_kind"]) for i in nomination["items"]] == [
        (recognised.code, "collective")
    ]
    assert task_names(clerk(world.province)) == [(None, "commend")]
    assert task_names(clerk(d.unit)) == []
