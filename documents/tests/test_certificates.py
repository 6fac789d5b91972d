"""Certificates: issue, render, scan the QR code, verify; revoke and re-issue."""

import io
import re

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import AwardType
from core.tests.factories import UserFactory
from documents import rendering, services
from documents.models import Certificate, CertificateAction, CertificateStatus

from .conftest import pdf_to_png, pdffonts
from .factories import CITATION, issue_commendation, issue_recognition

pytestmark = pytest.mark.django_db


@pytest.fixture
def decision(issuer, clerk):
    return issue_commendation(issuer, clerk, count=2, individuals=1)


@pytest.fixture
def certificates(decision, clerk):
    return services.certificates_issue(decision=decision, actor=clerk)


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def render(certificates) -> bytes:
    return rendering.render_certificates_pdf([(c.content, c.code) for c in certificates])


def test_certificates_issue_gives_one_per_commendation_with_consecutive_register_numbers(
    decision, certificates
):
    assert [c.register_number for c in certificates] == ["1/GK-UBND", "2/GK-UBND", "3/GK-UBND"]
    assert [c.entry.position for c in certificates] == [1, 2, 3]
    assert all(c.commendation_id == c.entry.commendation_id for c in certificates)
    assert all(c.status == CertificateStatus.VALID for c in certificates)
    assert all(c.events.get().action == CertificateAction.ISSUED for c in certificates)


def test_verification_codes_are_long_random_and_distinct(certificates):
    codes = [c.code for c in certificates]
    assert len(set(codes)) == len(codes)
    # 16 random bytes: 128 bits, URL-safe base64.
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", code) for code in codes)


def test_certificates_issue_twice_issues_nothing_new(decision, certificates, clerk):
    again = services.certificates_issue(decision=decision, actor=clerk)

    assert again == []
    assert Certificate.objects.filter(decision=decision).count() == 3


def test_certificates_issue_refuses_a_recognition_decision(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=1)

    with pytest.raises(WrongState):
        services.certificates_issue(decision=decision, actor=clerk)


def test_certificates_issue_skips_praise(issuer, clerk):
    from core.tests.factories import UnitFactory

    decision = services.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=__import__("datetime").date(2023, 9, 30),
        title="Về việc biểu dương",
        entries=[
            services.EntryInput(unit=UnitFactory(), award=AwardType.PRAISE),
            services.EntryInput(unit=UnitFactory(), award=AwardType.COMMENDATION_CERTIFICATE),
        ],
        actor=clerk,
    )

    issued = services.certificates_issue(decision=decision, actor=clerk)

    assert [c.register_number for c in issued] == ["1/BK-UBND"]


def test_certificate_page_is_a4_landscape_with_every_printed_item(certificates):
    reader = PdfReader(io.BytesIO(render(certificates)))

    assert len(reader.pages) == 3
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 842
        assert round(float(page.mediabox.height)) == 595
    person = normalised(reader.pages[2].extract_text())
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN",
        "GIẤY KHEN",
        "Lương Thị Hường 1",
        "Chủ tịch Hội Liên hiệp Phụ nữ, Xã Đức Long 1",
        "phong trào thi đua “Dân vận khéo” giai đoạn 2016 - 2020",
        "Hòa An, ngày 30 tháng 9 năm 2023",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nông Thị Ằng",
        "Quyết định số: 1/QĐ-UBND",
        "Số vào sổ: 3/GK-UBND",
    ):
        assert expected in person, expected
    collective = normalised(reader.pages[0].extract_text())
    assert "Xã Bình Long 1" in collective
    assert "Huyện Hòa An" in collective


def test_certificates_embed_only_liberation_serif(certificates, tmp_path):
    path = tmp_path / "certificates.pdf"
    path.write_bytes(render(certificates))

    fonts = pdffonts(path)

    assert fonts
    assert all("LiberationSerif" in f["name"] and f["emb"] == "yes" for f in fonts), fonts


def test_scanned_qr_code_opens_the_verification_page(certificates, client, output_dir):
    person = certificates[2]
    png = pdf_to_png(render([person]), output_dir, "certificate", dpi=150)

    results = zxingcpp.read_barcodes(Image.open(png))

    assert len(results) == 1
    url = results[0].text
    assert url == f"http://testserver/verify/{person.code}/"
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Lương Thị Hường 1" in page
    assert "Giấy khen" in page
    assert "1/QĐ-UBND" in page
    assert "Còn hiệu lực" in page


def test_verification_page_without_trailing_slash_and_in_english(certificates, client):
    response = client.get(f"/verify/{certificates[0].code}?lang=en")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Valid: this certificate is genuine." in page
    assert "Xã Bình Long 1" in page


def test_verification_page_needs_no_login(certificates, client):
    client.logout()
    assert client.get(f"/verify/{certificates[0].code}/").status_code == 200


@pytest.mark.parametrize(
    "code",
    [
        "AAAAAAAAAAAAAAAAAAAAAA",
        "x",
        "a" * 5000,
        "%00%00garbage",
        "đ’‘ẵ-<script>",
        "'; DROP TABLE documents_certificate; --",
    ],
)
def test_unknown_code_shows_a_friendly_not_found_page(db, client, code):
    response = client.get(f"/verify/{code}/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "Không tìm thấy giấy khen" in page
    assert "<script>" not in page


def test_revoked_certificate_shows_revoked_with_its_reason(certificates, clerk, client):
    services.certificate_revoke(
        certificate=certificates[0], reason="Khen thưởng trùng lặp", actor=clerk
    )

    page = client.get(f"/verify/{certificates[0].code}/").content.decode()

    assert "Đã bị thu hồi" in page
    assert "Khen thưởng trùng lặp" in page
    assert "Còn hiệu lực" not in page
    revoked = Certificate.objects.get(pk=certificates[0].pk)
    assert revoked.revoked_by == clerk and revoked.revoked_at is not None
    assert revoked.events.order_by("id").last().action == CertificateAction.REVOKED


def test_revoke_needs_a_reason_and_a_valid_certificate(certificates, clerk):
    with pytest.raises(InvalidInput):
        services.certificate_revoke(certificate=certificates[0], reason="  ", actor=clerk)
    services.certificate_revoke(certificate=certificates[0], reason="Sai tên", actor=clerk)
    with pytest.raises(WrongState, match="Chỉ thu hồi được giấy khen, bằng khen còn hiệu lực"):
        services.certificate_revoke(certificate=certificates[0], reason="Lần nữa", actor=clerk)
    with pytest.raises(WrongState):
        services.certificate_reissue(certificate=certificates[0], actor=clerk)


def test_reissue_gives_a_new_register_number_and_marks_the_old_replaced(
    certificates, clerk, client
):
    old = certificates[1]

    new = services.certificate_reissue(certificate=old, actor=clerk, reason="Bị mất")

    old.refresh_from_db()
    assert old.status == CertificateStatus.REPLACED
    assert new.replaces == old and new.status == CertificateStatus.VALID
    assert new.register_number not in {c.register_number for c in certificates}
    assert new.code != old.code
    assert new.content["register_number"] == new.register_number
    old_page = client.get(f"/verify/{old.code}/").content.decode()
    assert "Đã được thay thế" in old_page
    assert new.register_number in old_page
    assert "Còn hiệu lực" in client.get(f"/verify/{new.code}/").content.decode()
    with pytest.raises(WrongState):
        services.certificate_reissue(certificate=old, actor=clerk)


def test_someone_outside_the_issuer_may_not_revoke(certificates):
    stranger = UserFactory(username="stranger")

    with pytest.raises(NotAllowed):
        services.certificate_revoke(certificate=certificates[0], reason="x", actor=stranger)
    with pytest.raises(NotAllowed):
        services.certificate_reissue(certificate=certificates[0], actor=stranger)


def test_certificate_text_is_fixed_when_issued(certificates, issuer):
    issuer.signer_name = "Người Ký Mới"
    issuer.save()
    text = normalised(PdfReader(io.BytesIO(render(certificates[:1]))).pages[0].extract_text())

    assert "Nông Thị Ằng" in text
    assert CITATION in text


def test_qr_code_follows_a_new_public_address(certificates, settings, tmp_path):
    assert certificates[0].content["qr_url"] == f"http://testserver/verify/{certificates[0].code}/"
    settings.PUBLIC_BASE_URL = "https://thidua.caobang.example.vn"

    png = pdf_to_png(render(certificates[:1]), tmp_path, "moved")

    (result,) = zxingcpp.read_barcodes(Image.open(png))
    assert result.text == f"https://thidua.caobang.example.vn/verify/{certificates[0].code}/"
