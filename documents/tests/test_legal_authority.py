"""Legal bases as data, and the authority and signature each kind of body and signer role
requires, read back from the decision and certificate PDFs."""

import datetime as dt

import pytest

from core.models import AwardType, IssuerKind, UnitKind
from core.tests.factories import UnitFactory
from documents import legal, selectors, services
from documents.models import LegalBasis

from .factories import (
    clerk_of,
    commendation_entries,
    district_committee,
    issue_commendation,
    issue_recognition,
    party_committee,
)
from .pdfread import flat, pdftotext

pytestmark = pytest.mark.django_db


def steering_board(**kwargs):
    unit = UnitFactory(name="Xã Bình Long", kind=UnitKind.COMMUNE)
    defaults = {
        "code": "bcd-binh-long",
        "name": "Ban Chỉ đạo phong trào “Dân vận khéo” xã Bình Long",
        "kind": IssuerKind.STEERING_BOARD,
        "unit": unit,
        "abbreviation": "BCĐ",
        "header": "BAN CHỈ ĐẠO\nXÃ BÌNH LONG",
        "place": "Bình Long",
        "signing_authority": "TM. BAN CHỈ ĐẠO",
        "signer_title": "TRƯỞNG BAN",
        "signer_name": "Lý Văn Chiến",
    }
    return district_committee(**(defaults | kwargs))


def other_body(**kwargs):
    unit = UnitFactory(name="Sở Nội vụ", kind=UnitKind.AGENCY)
    defaults = {
        "code": "so-noi-vu",
        "name": "Sở Nội vụ tỉnh Cao Bằng",
        "kind": IssuerKind.OTHER,
        "unit": unit,
        "abbreviation": "SNV",
        "header": "UBND TỈNH CAO BẰNG\nSỞ NỘI VỤ",
        "signing_authority": "",
        "signer_title": "GIÁM ĐỐC",
        "signer_name": "Hà Văn Tuấn",
    }
    return district_committee(**(defaults | kwargs))


BODIES = {
    "people_committee": lambda: district_committee(signing_authority="", signer_title="CHỦ TỊCH"),
    "party_committee": party_committee,
    "steering_board": steering_board,
    "other": other_body,
}

# (body kind, role) → (deciding authority, lines above the signature, certificate's giver)
EXPECTED = {
    ("people_committee", "head"): (
        "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN",
        ["CHỦ TỊCH"],
    ),
    ("people_committee", "deputy"): (
        "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN",
        ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
    ),
    ("party_committee", "head"): ("BAN THƯỜNG VỤ HUYỆN ỦY HÒA AN", ["T/M BAN THƯỜNG VỤ", "BÍ THƯ"]),
    ("party_committee", "deputy"): (
        "BAN THƯỜNG VỤ HUYỆN ỦY HÒA AN",
        ["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ"],
    ),
    ("steering_board", "head"): ("BAN CHỈ ĐẠO XÃ BÌNH LONG", ["TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN"]),
    ("steering_board", "deputy"): (
        "BAN CHỈ ĐẠO XÃ BÌNH LONG",
        ["TM. BAN CHỈ ĐẠO", "KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"],
    ),
    ("other", "head"): ("GIÁM ĐỐC UBND TỈNH CAO BẰNG SỞ NỘI VỤ", ["GIÁM ĐỐC"]),
    ("other", "deputy"): (
        "GIÁM ĐỐC UBND TỈNH CAO BẰNG SỞ NỘI VỤ",
        ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"],
    ),
}


def _lines_in_order(text: str, lines: list[str]) -> bool:
    at = 0
    for line in lines:
        found = text.find(line, at)
        if found < 0:
            return False
        at = found + len(line)
    return True


@pytest.mark.parametrize("kind", ["recognition", "commendation"])
@pytest.mark.parametrize("body_role", sorted(EXPECTED))
def test_authority_and_signature_follow_the_body_kind_and_the_signer_role(kind, body_role):
    body_kind, role = body_role
    issuer = BODIES[body_kind]()
    clerk = clerk_of(issuer, username=f"clerk-{body_kind}")
    issue = issue_recognition if kind == "recognition" else issue_commendation
    decision = issue(issuer, clerk, count=1, signer_role=role)
    deciding, signature = EXPECTED[body_role]

    assert decision.content["authority"] == deciding
    assert decision.content["signer"]["lines"] == signature
    text = pdftotext(services.decision_pdf_bytes(decision=decision), layout=False)
    first_page = flat(text.split("\f")[0])
    assert deciding in first_page
    assert _lines_in_order(first_page, [*signature, issuer.signer_name])
    # Collective bodies sign "TM."/"T/M"; a People's Committee's Chairman never does.
    if body_kind == "people_committee":
        assert "TM." not in first_page and "T/M" not in first_page
        assert "ỦY BAN NHÂN DÂN HUYỆN HÒA AN QUYẾT ĐỊNH" not in first_page

    if kind == "commendation":
        (certificate, *_rest) = services.certificates_issue(decision=decision, actor=clerk)
        page = flat(pdftotext(services.certificate_pdf_bytes(certificate=certificate)))
        assert f"{deciding} TẶNG" in page
        assert _lines_in_order(page, [*signature, issuer.signer_name])


def test_the_role_defaults_to_how_the_body_is_set_up(issuer, clerk):
    # The factory's body is set up "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH": a deputy signs.
    assert services.default_signer_role(issuer) == "deputy"
    decision = issue_commendation(issuer, clerk, count=1)
    assert decision.content["signer"]["lines"] == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert decision.content["authority"] == "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN"


def test_an_unknown_signer_role_is_refused(issuer, clerk):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        issue_commendation(issuer, clerk, count=1, signer_role="secretary")


# --- Legal bases ----------------------------------------------------------------------------


def test_a_body_without_stored_bases_uses_the_defaults_of_its_kind(issuer):
    bases = selectors.legal_bases_for(issuer=issuer, kind="commendation")
    assert bases == [legal.LAW_LOCAL_GOVERNMENT, legal.LAW_EMULATION, legal.DECREE_98]
    party = legal.legal_bases_defaults(party_committee(), "recognition")
    assert party[0] == "Căn cứ Điều lệ Đảng Cộng sản Việt Nam"
    assert "Quy chế làm việc" in party[1]


def test_defaults_are_created_with_the_body_and_edited_as_data(issuer, clerk):
    services.legal_bases_create_defaults(issuers=[issuer])
    assert LegalBasis.objects.filter(issuer=issuer, kind="recognition").count() == 3
    services.legal_bases_create_defaults(issuers=[issuer])  # a second call adds nothing
    assert LegalBasis.objects.filter(issuer=issuer).count() == 6

    services.legal_bases_set(
        issuer=issuer,
        kind="commendation",
        bases=["Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;", "  ", "Căn cứ X."],
        actor=clerk,
    )
    assert selectors.legal_bases_for(issuer=issuer, kind="commendation") == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
        "Căn cứ X",
    ]
    assert len(selectors.legal_bases_for(issuer=issuer, kind="recognition")) == 3


def test_only_the_bodys_clerks_edit_its_bases(issuer):
    from core.errors import NotAllowed
    from core.tests.factories import UserFactory

    with pytest.raises(NotAllowed):
        services.legal_bases_set(
            issuer=issuer, kind="recognition", bases=["Căn cứ X"], actor=UserFactory()
        )


def test_bases_end_with_semicolons_and_the_proposal_with_a_full_stop(issuer, clerk):
    services.legal_bases_set(
        issuer=issuer,
        kind="commendation",
        bases=["Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022.", "Căn cứ Nghị định"],
        actor=clerk,
    )
    decision = issue_commendation(
        issuer, clerk, count=1, proposal="Ban Chỉ đạo phong trào “Dân vận khéo” xã Bình Long"
    )
    assert decision.content["legal_bases"] == [
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
        "Căn cứ Nghị định;",
        "Theo đề nghị của Ban Chỉ đạo phong trào “Dân vận khéo” xã Bình Long.",
    ]
    text = flat(pdftotext(services.decision_pdf_bytes(decision=decision)))
    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022; Căn cứ Nghị định;" in text
    assert "Theo đề nghị của Ban Chỉ đạo phong trào “Dân vận khéo” xã Bình Long. QUYẾT ĐỊNH:" in (
        text
    )


def test_without_a_proposal_the_last_basis_ends_with_a_full_stop(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=1)
    assert decision.content["legal_bases"] == [
        f"{legal.LAW_LOCAL_GOVERNMENT};",
        f"{legal.LAW_EMULATION};",
        f"{legal.DECREE_98}.",
    ]


def test_a_decision_adjusts_its_bases_before_issuing_without_touching_the_body(issuer, clerk):
    decision = issue_commendation(
        issuer,
        clerk,
        count=1,
        legal_bases=["Căn cứ Kế hoạch số 15/KH-UBND ngày 02 tháng 3 năm 2023 của UBND huyện"],
        proposal="Theo đề nghị của Trưởng phòng Nội vụ huyện",
    )
    assert decision.content["legal_bases"] == [
        "Căn cứ Kế hoạch số 15/KH-UBND ngày 02 tháng 3 năm 2023 của UBND huyện;",
        "Theo đề nghị của Trưởng phòng Nội vụ huyện.",
    ]
    assert selectors.legal_bases_for(issuer=issuer, kind="commendation")[0] == (
        legal.LAW_LOCAL_GOVERNMENT
    )


def test_bang_khen_files_are_named_bang_khen(issuer, clerk, tmp_path, settings):
    import io

    from django.core.management import call_command

    decision = services.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=dt.date(2023, 9, 30),
        title="Về việc tặng Bằng khen",
        entries=commendation_entries(2, award=AwardType.COMMENDATION_CERTIFICATE),
        actor=clerk,
    )
    certificates = services.certificates_issue(decision=decision, actor=clerk)
    assert services.certificates_slug(certificates) == "bang-khen"
    call_command(
        "render_decision",
        decision.number,
        "--issuer",
        issuer.code,
        "--out",
        str(tmp_path),
        stdout=io.StringIO(),
    )
    assert (tmp_path / "QD-2023-0001-bang-khen.pdf").exists()
    assert not list(tmp_path.glob("*giay-khen*"))
    # The print job's combined file too.
    settings.DOCUMENTS_PRINT_FAN_OUT = False
    job = services.print_job_start(decision=decision, actor=clerk)
    job = services.print_job_run(job_id=job.pk)
    assert job.pdf.name.rsplit("/", 1)[-1] == "bang-khen-1-qd-ubnd.pdf"


def test_a_body_added_in_the_admin_starts_with_its_legal_bases(db, client):
    from core.models import IssuingBody
    from core.tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        "/admin/core/issuingbody/add/",
        {
            "code": "ubnd-xa-moi",
            "name": "UBND xã Mới",
            "kind": IssuerKind.PEOPLE_COMMITTEE,
            "abbreviation": "UBND",
            "header": "ỦY BAN NHÂN DÂN\nXÃ MỚI",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    body = IssuingBody.objects.get(code="ubnd-xa-moi")
    assert list(
        LegalBasis.objects.filter(issuer=body, kind="commendation")
        .order_by("position")
        .values_list("text", flat=True)
    ) == [legal.LAW_LOCAL_GOVERNMENT, legal.LAW_EMULATION, legal.DECREE_98]
