"""The whole lifecycle through the REST API: registration to commendation, with the numbered
recognition and commendation decisions (steps 6 and 8) completing their viewflow tasks, and
their refusals."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from pypdf import PdfReader
from viewflow.workflow.status import PROCESS, STATUS

from core.models import (
    AwardType,
    Commendation,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuerKind,
)
from core.tests.factories import InitiativeFactory, IssuingBodyFactory
from documents.models import Certificate, Decision
from documents.services import decision_pdf_bytes
from workflows.models import LifecycleProcess, Nomination, NominationItem, ProcessKind
from workflows.tests.factories import NominationFactory, build_world

from .api_support import (
    SCORES,
    add_issuers_and_clerks,
    api,
    create_cycle,
    fast_password_hashing,
    register,
    task_names,
)

CITATION = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” năm 2024"


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_media(settings, tmp_path):
    fast_password_hashing(settings)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    world = build_world()
    d = world.district
    # The district board's own issuing body signs its recognitions; the province's People's
    # Committee awards. A People's Committee of the district exists too: the board's body
    # comes first (workflows.services.RECOGNITION_ISSUER_KINDS).
    IssuingBodyFactory(
        code="ubnd-hoa-an", unit=d.unit, kind=IssuerKind.PEOPLE_COMMITTEE, abbreviation="UBND"
    )
    return add_issuers_and_clerks(world)


def ok(response, code: int = 200) -> dict:
    assert response.status_code == code, response.content
    return response.json()


def refused(response, code: int, words: str) -> None:
    assert response.status_code == code, response.content
    assert words in response.json()["detail"]


def review_to_decision(world, pk: int, cycle_id: int, *, recognise: bool = True) -> None:
    """The owner reports, three members score, the secretary closes, the chair decides."""
    d = world.district
    ok(api(d.official).post(f"/api/v1/initiatives/{pk}/reports/", {"text": "Báo cáo năm"}), 201)
    for member in (d.members[0], d.members[1], d.chair):
        body = {"cycle": cycle_id, "scores": SCORES, "comment": "Tốt"}
        ok(api(member).post(f"/api/v1/initiatives/{pk}/evaluations/", body, format="json"), 201)
    ok(api(d.secretary).post(f"/api/v1/initiatives/{pk}/close-evaluation/", {"cycle": cycle_id}))
    body = {"cycle": cycle_id, "recognise": recognise}
    ok(api(d.chair).post(f"/api/v1/initiatives/{pk}/decide/", body, format="json"))


def pdf_text(decision_id: int) -> str:
    decision = Decision.objects.get(pk=decision_id)
    reader = PdfReader(io.BytesIO(decision_pdf_bytes(decision=decision)))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_registration_to_commendation_through_the_api(world):
    d = world.district
    first = register(world, title="Dân vận khéo trong xây dựng đường giao thông nông thôn")
    second = register(world, title="Dân vận khéo trong giữ gìn vệ sinh môi trường")
    for item in (first, second):
        ok(api(d.secretary).post(f"/api/v1/initiatives/{item['id']}/accept/", {}))
    cycle = create_cycle(world)
    ok(api(d.secretary).post(f"/api/v1/cycles/{cycle['id']}/open/"))

    # Nothing chosen yet: the clerk has nothing to recognise.
    recognition = {"kind": "recognition", "cycle": cycle["id"], "issued_on": "2024-12-20"}
    refused(
        api(world.district_clerk).post("/api/v1/decisions/", recognition, format="json"),
        409,
        "chưa chọn",
    )

    review_to_decision(world, first["id"], cycle["id"])
    assert task_names(world.district_clerk) == [(None, "recognition_decision")]

    # Step 6, refused: the secretary is no clerk; a sibling district's clerk is outside.
    for outsider in (d.secretary, world.province_clerk):
        refused(
            api(outsider).post("/api/v1/decisions/", recognition, format="json"), 403, "văn thư"
        )
    # Outside one's tree a cycle is answered like an unknown one (issue 9): ids can't be probed.
    refused(
        api(world.sibling_clerk).post("/api/v1/decisions/", recognition, format="json"),
        404,
        str(cycle["id"]),
    )
    assert Initiative.objects.get(pk=first["id"]).status == InitiativeStatus.EVALUATED

    # Step 6: the recognition decision, numbered by the board's body, completes the task.
    decision = ok(
        api(world.district_clerk).post("/api/v1/decisions/", recognition, format="json"), 201
    )
    assert (decision["number"], decision["kind"], decision["issued_on"]) == (
        "1/QĐ-BCĐ",
        "recognition",
        "2024-12-20",
    )
    assert decision["issuer"]["code"] == "bcd-hoa-an"
    assert [(e["initiative"], e["initiative_title"]) for e in decision["entries"]] == [
        (first["id"], first["title"])
    ]
    assert decision["pdf"] == f"http://testserver/api/v1/decisions/{decision['id']}/pdf/"
    process = LifecycleProcess.objects.get(kind=ProcessKind.RECOGNITION, cycle_id=cycle["id"])
    assert process.status == PROCESS.DONE
    assert [(t.flow_task.name, t.status, t.owner_id) for t in process.task_set.order_by("pk")] == [
        ("start", STATUS.DONE, None),
        ("recognition_decision", STATUS.DONE, world.district_clerk.pk),
        ("end", STATUS.DONE, None),
    ]
    detail = ok(api(d.official).get(f"/api/v1/initiatives/{first['id']}/"))
    assert detail["status"] == InitiativeStatus.RECOGNISED
    last = detail["history"][-1]
    assert (last["from_status"], last["to_status"]) == ("evaluated", "recognised")
    assert "1/QĐ-BCĐ" in last["reason"]
    text = pdf_text(decision["id"])
    assert "1/QĐ-BCĐ" in text
    assert first["title"] in text

    # The same decision twice: already done.
    refused(
        api(world.district_clerk).post("/api/v1/decisions/", recognition, format="json"),
        409,
        "đã được thực hiện",
    )

    # The chair's later choice gets the next number of the same body.
    review_to_decision(world, second["id"], cycle["id"])
    again = ok(
        api(world.district_clerk).post("/api/v1/decisions/", recognition, format="json"), 201
    )
    assert again["number"] == "2/QĐ-BCĐ"
    assert [e["initiative"] for e in again["entries"]] == [second["id"]]

    # Step 7: the secretary proposes both owners to the province.
    nomination = ok(
        api(d.secretary).post(
            "/api/v1/nominations/",
            {
                "awarding_body": "ubnd-tinh",
                "cycle": cycle["id"],
                "initiatives": [first["code"], second["code"]],
                "citation": CITATION,
            },
            format="json",
        ),
        201,
    )
    item_ids = [item["id"] for item in nomination["items"]]
    assert task_names(world.province_clerk) == [(None, "commend")]

    # Step 8, refused: the district's clerk does not award for the province.
    commendation = {
        "kind": "commendation",
        "nomination": nomination["id"],
        "items": item_ids[:1],
        "award": AwardType.COMMENDATION_CERTIFICATE,
        "issued_on": "2025-01-10",
    }
    refused(
        api(world.district_clerk).post("/api/v1/decisions/", commendation, format="json"),
        403,
        "văn thư",
    )

    # Step 8: the province's clerk approves the first recipient only, signed by a deputy,
    # with this decision's own legal bases and proposer.
    commendation |= {
        "legal_bases": ["Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"],
        "proposal": "Giám đốc Sở Nội vụ",
        "signer_role": "deputy",
        "signer_name": "Lê Hải Hòa",
    }
    decided = ok(
        api(world.province_clerk).post("/api/v1/decisions/", commendation, format="json"), 201
    )
    content = Decision.objects.get(pk=decided["id"]).content
    assert content["legal_bases"] == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
        "Theo đề nghị của Giám đốc Sở Nội vụ.",
    ]
    assert content["signer"]["lines"] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert content["signer"]["name"] == "Lê Hải Hòa"
    assert (decided["number"], decided["kind"], decided["issuer"]["code"]) == (
        "1/QĐ-UBND",
        "commendation",
        "ubnd-tinh",
    )
    [entry] = decided["entries"]
    assert (entry["initiative"], entry["award"], entry["recipient_name"]) == (
        first["id"],
        AwardType.COMMENDATION_CERTIFICATE,
        d.commune.name,
    )
    assert entry["certificate"]["register_number"] == "1/BK-UBND"

    commended = Initiative.objects.get(pk=first["id"])
    assert commended.status == InitiativeStatus.COMMENDED
    change = InitiativeStatusChange.objects.filter(initiative=commended).order_by("-pk").first()
    assert (change.from_status, change.to_status) == ("recognised", "commended")
    assert "1/QĐ-UBND" in change.reason
    [row] = Commendation.objects.filter(initiative=commended)
    assert (row.decision_number, row.award, row.issuer_id, row.citation) == (
        "1/QĐ-UBND",
        AwardType.COMMENDATION_CERTIFICATE,
        world.province_body.pk,
        CITATION,
    )
    assert Certificate.objects.filter(commendation=row, decision_id=decided["id"]).count() == 1
    assert Initiative.objects.get(pk=second["id"]).status == InitiativeStatus.RECOGNISED
    assert not Commendation.objects.filter(initiative_id=second["id"]).exists()
    approvals = dict(
        NominationItem.objects.filter(nomination_id=nomination["id"]).values_list("pk", "approved")
    )
    assert approvals == {item_ids[0]: True, item_ids[1]: False}
    assert Nomination.objects.get(pk=nomination["id"]).status == "decided"
    process = LifecycleProcess.objects.get(nomination_id=nomination["id"])
    assert process.status == PROCESS.DONE
    assert task_names(world.province_clerk) == []
    text = pdf_text(decided["id"])
    assert "1/QĐ-UBND" in text
    assert d.commune.name in text

    # The same nomination twice: already done.
    refused(
        api(world.province_clerk).post("/api/v1/decisions/", commendation, format="json"),
        409,
        "đã được thực hiện",
    )

    # Reading: the commune sees both decisions about it; the sibling district sees nothing.
    assert ok(api(d.official).get(f"/api/v1/decisions/{decided['id']}/"))["number"] == "1/QĐ-UBND"
    assert ok(api(d.official).get(f"/api/v1/decisions/{decision['id']}/"))["id"] == decision["id"]
    for outsider in (world.sibling.official, world.sibling_clerk, world.sibling.chair):
        assert api(outsider).get(f"/api/v1/decisions/{decision['id']}/").status_code == 404
        assert api(outsider).get(f"/api/v1/decisions/{decided['id']}/").status_code == 404
    # The PDF link opens with the API token, and with a web session.
    pdf = api(world.province_clerk).get(decided["pdf"])
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content == decision_pdf_bytes(decision=Decision.objects.get(pk=decided["id"]))
    browser = Client()
    browser.force_login(world.province_clerk)
    assert browser.get(decided["pdf"]).content[:5] == b"%PDF-"


def nominate_directly(world, initiative: Initiative) -> Nomination:
    nomination = NominationFactory(
        board=world.district.board,
        awarding_body=world.province_body,
        proposed_by=world.district.secretary,
    )
    NominationItem.objects.create(
        nomination=nomination,
        initiative=initiative,
        recipient_kind="collective",
        recipient_name=initiative.owner_unit.name,
        unit=initiative.owner_unit,
    )
    return nomination


def test_commending_a_registered_initiative_is_refused_and_changes_nothing(world):
    registered = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.REGISTERED
    )
    nomination = nominate_directly(world, registered)
    body = {"kind": "commendation", "nomination": nomination.pk, "award": "praise"}

    response = api(world.province_clerk).post("/api/v1/decisions/", body, format="json")

    refused(response, 409, "chưa được công nhận")
    registered.refresh_from_db()
    assert registered.status == InitiativeStatus.REGISTERED
    assert not Decision.objects.exists()
    assert not Commendation.objects.exists()
    nomination.refresh_from_db()
    assert nomination.status == "submitted"


def test_praise_commends_without_a_certificate_and_answers_in_english(world):
    recognised = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.RECOGNISED
    )
    nomination = nominate_directly(world, recognised)
    body = {"kind": "commendation", "nomination": nomination.pk, "award": "praise"}

    decided = ok(api(world.province_clerk).post("/api/v1/decisions/", body, format="json"), 201)

    assert decided["entries"][0]["certificate"] is None
    assert not Certificate.objects.exists()
    recognised.refresh_from_db()
    assert recognised.status == InitiativeStatus.COMMENDED
    again = api(world.province_clerk, language="en").post("/api/v1/decisions/", body, format="json")
    refused(again, 409, "Already done")


def test_decision_requests_with_bad_input_answer_400(world):
    recognised = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.RECOGNISED
    )
    nomination = nominate_directly(world, recognised)
    client = api(world.province_clerk)
    cases = [
        ({"kind": "recognition"}, "cycle"),
        ({"kind": "commendation", "nomination": nomination.pk}, "award"),
        ({"kind": "commendation", "nomination": nomination.pk, "award": "gold"}, "award"),
        (
            {"kind": "commendation", "nomination": nomination.pk, "award": "praise", "items": [0]},
            "0",
        ),
        (
            {
                "kind": "commendation",
                "nomination": nomination.pk,
                "award": "praise",
                "signer_role": "chair",
            },
            "signer_role",
        ),
        (
            {
                "kind": "commendation",
                "nomination": nomination.pk,
                "award": "praise",
                "legal_bases": "Căn cứ",
            },
            "legal_bases",
        ),
    ]
    for body, words in cases:
        refused(client.post("/api/v1/decisions/", body, format="json"), 400, words)
    # Unknown ids answer 404, as ids outside one's tree do.
    for body in (
        {"kind": "recognition", "cycle": 999999},
        {"kind": "commendation", "nomination": 999999, "award": "praise"},
    ):
        refused(client.post("/api/v1/decisions/", body, format="json"), 404, "999999")
    assert not Decision.objects.exists()
    recognised.refresh_from_db()
    assert recognised.status == InitiativeStatus.RECOGNISED


def test_recognition_without_an_issuing_body_is_refused_with_400(world):
    d = world.district
    world.board_body.delete()
    Decision.objects.all().delete()
    for body in d.unit.issuing_bodies.all():
        body.delete()
    cycle = create_cycle(world)
    body = {"kind": "recognition", "cycle": cycle["id"]}

    response = api(world.district_clerk).post("/api/v1/decisions/", body, format="json")

    refused(response, 400, d.unit.name)


def test_decision_preview_answers_the_draft_pdf_and_writes_nothing(world):
    import pdfplumber

    from documents.models import DocumentCounter

    d = world.district
    item = register(world, title="Dân vận khéo trong xây dựng nhà văn hóa xóm")
    ok(api(d.secretary).post(f"/api/v1/initiatives/{item['id']}/accept/", {}))
    cycle = create_cycle(world)
    ok(api(d.secretary).post(f"/api/v1/cycles/{cycle['id']}/open/"))
    review_to_decision(world, item["id"], cycle["id"])
    recognition = {"kind": "recognition", "cycle": cycle["id"], "issued_on": "2024-12-20"}
    before = (Decision.objects.count(), DocumentCounter.objects.count())

    response = api(world.district_clerk).post(
        "/api/v1/decisions/preview/", recognition, format="json"
    )
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    with pdfplumber.open(io.BytesIO(response.content)) as pdf:
        text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))
        # The watermark is set letter-spaced across the page.
        letters = "".join(c["text"] for page in pdf.pages for c in page.chars if c["text"].strip())
    assert "DỰTHẢO" in letters
    assert "20 tháng 12 năm 2024" in text and "Tổng số: 01 mô hình" in text
    assert "Dân vận khéo trong xây dựng nhà văn" in text  # the title, wrapped in its cell
    assert "1/QĐ-BCĐ" not in text  # no number taken
    # Nothing written: no decision, no number taken, the clerk's task still waits.
    assert (Decision.objects.count(), DocumentCounter.objects.count()) == before
    assert task_names(world.district_clerk) == [(None, "recognition_decision")]
    assert Initiative.objects.get(pk=item["id"]).status == InitiativeStatus.EVALUATED

    # Refused as the issue would be, in JSON: the wrong actor, outside the tree, bad input.
    refused(
        api(d.secretary).post("/api/v1/decisions/preview/", recognition, format="json"),
        403,
        "văn thư",
    )
    refused(
        api(world.sibling_clerk).post("/api/v1/decisions/preview/", recognition, format="json"),
        404,
        str(cycle["id"]),
    )
    bad = api(world.district_clerk).post(
        "/api/v1/decisions/preview/", {"kind": "recognition", "cycle": "x"}, format="json"
    )
    assert bad.status_code == 400 and "cycle" in bad.json()["detail"]

    # The decision issued afterwards takes the first number.
    issued = ok(
        api(world.district_clerk).post("/api/v1/decisions/", recognition, format="json"), 201
    )
    assert issued["number"] == "1/QĐ-BCĐ"
