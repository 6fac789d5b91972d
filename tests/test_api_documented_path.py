"""The whole lifecycle as an outside client would run it, using only what the README
documents: the import commands for the tree, the people and the issuing bodies, then the REST
API with tokens, from registration to the certificate's PDF, and the notices in the inbox."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader
from rest_framework.test import APIClient

from notifications.models import Delivery
from notifications.services import deliveries_send

PASSWORD = "mat-khau-2026"
UNITS = """code,name,kind,parent_code
CB,Tỉnh Cao Bằng,province,
HA,Huyện Hòa An,district,CB
HA-BT,Xã Bế Triều,commune,HA
"""
MEMBERS = f"""username,full_name,email,unit_code,role,password
canbo,Nông Văn Cán,canbo@example.vn,HA-BT,official,{PASSWORD}
thuongtruc,Hoàng Thị Thư,thuongtruc@example.vn,HA,secretary,{PASSWORD}
truongban,Lê Văn Trưởng,truongban@example.vn,HA,chair,{PASSWORD}
uyvien1,Lục Văn Một,uyvien1@example.vn,HA,member,{PASSWORD}
uyvien2,Đàm Thị Hai,uyvien2@example.vn,HA,member,{PASSWORD}
vanthu,Bế Thị Văn,vanthu@example.vn,HA,clerk,{PASSWORD}
vanthutinh,Triệu Văn Tỉnh,vanthutinh@example.vn,CB,clerk,{PASSWORD}
"""
ISSUERS = """code,name,kind,unit_code,abbreviation,header,place,signing_authority,signer_title,signer_name
ubnd-cao-bang,UBND tỉnh Cao Bằng,people_committee,CB,UBND,ỦY BAN NHÂN DÂN|TỈNH CAO BẰNG,Cao Bằng,TM. ỦY BAN NHÂN DÂN,CHỦ TỊCH,Hoàng Xuân Ánh
"""
SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 85
)


@pytest.fixture(autouse=True)
def _media_and_fast_hashing(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def imported(tmp_path, command: str, text: str) -> None:
    path = tmp_path / f"{command}.csv"
    path.write_text(text, encoding="utf-8")
    call_command(command, str(path), stdout=io.StringIO(), stderr=io.StringIO())


def login(username: str) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def the_worker_delivers() -> None:
    """What the Celery worker does in production: send what is pending."""
    deliveries_send(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))


def actions(client: APIClient, task: str) -> list[str]:
    rows = ok(client.get("/api/v1/tasks/"))["results"]
    found = [row for row in rows if row["task"] == task]
    assert found, f"no {task} task in {[row['task'] for row in rows]}"
    return found[0]["actions"]


def test_the_documented_path_from_the_import_files_to_the_certificate(transactional_db, tmp_path):
    imported(tmp_path, "import_units", UNITS)
    imported(tmp_path, "import_members", MEMBERS)
    imported(tmp_path, "import_issuers", ISSUERS)
    official, secretary, chair = login("canbo"), login("thuongtruc"), login("truongban")
    clerk, province_clerk = login("vanthu"), login("vanthutinh")
    members = [login("uyvien1"), login("uyvien2")]

    # The issuing bodies the clerk can see: the district board's own, made by the import.
    bodies = ok(clerk.get("/api/v1/issuing-bodies/", {"unit": "HA"}))["results"]
    assert [b["kind"] for b in bodies] == ["steering_board"]
    assert bodies[0]["signing_authority"] == "TM. BAN CHỈ ĐẠO"

    initiative = ok(
        official.post(
            "/api/v1/initiatives/",
            {
                "unit_code": "HA-BT",
                "title": "Dân vận khéo trong hiến đất làm đường",
                "kind": "tập thể",
                "fields": "Xây dựng nông thôn mới",
                "phase": "2021-2025",
                "registered_on": "01/03/2024",
            },
            format="json",
        ),
        201,
    )
    accept, _return, _reject = actions(secretary, "review")
    ok(secretary.post(accept, {"reason": ""}, format="json"))

    cycle = ok(
        secretary.post(
            "/api/v1/cycles/",
            {
                "phase": "2021-2025",
                "year": 2024,
                "opens_on": "2024-02-01",
                "report_due": "2024-10-31",
                "evaluation_due": "2024-11-30",
                "decision_due": "2024-12-20",
            },
            format="json",
        ),
        201,
    )
    assert ok(secretary.post(f"/api/v1/cycles/{cycle['id']}/open/"))["reports"] == 1
    (report,) = actions(official, "report")
    ok(official.post(report, {"text": "Đã làm 3 km đường"}, format="json"), 201)
    for member in [chair, secretary, *members]:
        (evaluate,) = actions(member, "evaluate")
        ok(member.post(evaluate, {"cycle": cycle["id"], "scores": SCORES}, format="json"), 201)
    (close,) = actions(secretary, "close")
    ok(secretary.post(close, {"cycle": cycle["id"]}, format="json"))
    (decide,) = actions(chair, "decide")
    ok(chair.post(decide, {"cycle": cycle["id"], "recognise": True}, format="json"))

    # The clerk's task says where to issue the decision.
    (issue,) = actions(clerk, "recognition_decision")
    decision = ok(
        clerk.post(issue, {"kind": "recognition", "cycle": cycle["id"]}, format="json"), 201
    )
    pdf = clerk.get(decision["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "công nhận" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()

    province = ok(secretary.get("/api/v1/issuing-bodies/", {"unit": "CB"}))["results"]
    awarding = next(b for b in province if b["code"] == "ubnd-cao-bang")
    ok(
        secretary.post(
            "/api/v1/nominations/",
            {
                "awarding_body": awarding["code"],
                "initiatives": [initiative["code"]],
                "citation": "Đã có thành tích xuất sắc",
            },
            format="json",
        ),
        201,
    )
    (commend,) = actions(province_clerk, "commend")
    nomination_id = ok(province_clerk.get("/api/v1/tasks/"))["results"][0]["nomination"]
    commendation = ok(
        province_clerk.post(
            commend,
            {"kind": "commendation", "nomination": nomination_id, "award": "certificate_of_merit"},
            format="json",
        ),
        201,
    )
    (entry,) = commendation["entries"]
    (certificate,) = entry["certificates"]
    certificate_pdf = province_clerk.get(certificate["pdf"])
    assert certificate_pdf.status_code == 200
    assert certificate_pdf["Content-Type"] == "application/pdf"
    assert certificate["register_number"] and certificate["code"]

    # The owner's official reads what happened in their inbox, through the API.
    the_worker_delivers()
    inbox = ok(official.get("/api/v1/notifications/"))["results"]
    kinds = [row["kind"] for row in inbox]
    assert "initiative_status" in kinds and kinds.count("decision_issued") == 2
    assert all(row["link"] and row["subject"] and not row["read"] for row in inbox)
    first = inbox[0]
    ok(official.post(f"/api/v1/notifications/{first['id']}/read/"))
    assert ok(official.get("/api/v1/notifications/"))["results"][0]["read"] is True
