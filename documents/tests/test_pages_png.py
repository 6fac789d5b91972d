"""Pages written as PNGs to var/test-results/documents/ for a person to look at; each test
also checks what a machine can (text, size)."""

import datetime as dt

import pytest

from core.models import AwardType, IssuerKind, UnitKind
from core.tests.factories import UnitFactory
from documents import rendering, selectors, services

from .conftest import pdf_to_png
from .factories import (
    clerk_of,
    commendation_entries,
    district_committee,
    issue_recognition,
    party_committee,
)
from .pdfread import flat, page_size_mm, pdftotext

pytestmark = pytest.mark.django_db


def _png(pdf, folder, stem, page=1):
    png = pdf_to_png(pdf, folder, stem, page=page, dpi=110)
    assert png.stat().st_size > 20_000
    return png


def test_recognition_decision_png(db, results_dir):
    board = district_committee(
        code="bcd-hoa-an",
        name="Ban Chỉ đạo phong trào “Dân vận khéo” huyện Hòa An",
        kind=IssuerKind.STEERING_BOARD,
        abbreviation="BCĐ",
        header="BAN CHỈ ĐẠO\nPHONG TRÀO “DÂN VẬN KHÉO”\nHUYỆN HÒA AN",
        signing_authority="TM. BAN CHỈ ĐẠO",
        signer_title="TRƯỞNG BAN",
        signer_name="Hoàng Văn Ước",
    )
    decision = issue_recognition(
        board,
        clerk_of(board, username="bcd"),
        count=6,
        proposal="Thường trực Ban Chỉ đạo phong trào “Dân vận khéo” huyện Hòa An",
    )
    pdf = services.decision_pdf_bytes(decision=decision)
    _png(pdf, results_dir, "recognition-decision-page-1")
    _png(pdf, results_dir, "recognition-decision-annex", page=2)
    text = flat(pdftotext(pdf))
    assert "Theo đề nghị của Thường trực Ban Chỉ đạo" in text
    assert "TM. BAN CHỈ ĐẠO TRƯỞNG BAN" in text
    assert "Phụ lục" in text


def test_chairmans_giay_khen_decision_png(db, results_dir):
    body = district_committee(signing_authority="", signer_title="CHỦ TỊCH")
    decision = services.decision_issue(
        issuer=body,
        kind="commendation",
        issued_on=dt.date(2025, 9, 30),
        title="Về việc tặng Giấy khen cho các tập thể, cá nhân có thành tích xuất sắc trong "
        "phong trào thi đua “Dân vận khéo” giai đoạn 2021 - 2025",
        entries=commendation_entries(4, individuals=3),
        actor=clerk_of(body, username="ubnd"),
        proposal="Trưởng phòng Nội vụ huyện",
    )
    pdf = services.decision_pdf_bytes(decision=decision)
    _png(pdf, results_dir, "chairman-giay-khen-decision-page-1")
    text = flat(pdftotext(pdf))
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN" in text
    assert "TM. ỦY BAN NHÂN DÂN" not in text
    assert "Theo đề nghị của Trưởng phòng Nội vụ huyện." in text


def test_party_decision_png(db, results_dir):
    body = party_committee()
    decision = issue_recognition(body, clerk_of(body, username="hu"), count=4)
    pdf = services.decision_pdf_bytes(decision=decision)
    _png(pdf, results_dir, "party-decision-page-1")
    text = flat(pdftotext(pdf))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "Số 1-QĐ/HU" in text


def test_certificate_on_a_blank_and_its_calibration_page_png(issuer, clerk, results_dir):
    UnitFactory(name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    decision = services.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=dt.date(2025, 9, 30),
        title="Về việc tặng Giấy khen",
        entries=commendation_entries(0, individuals=1),
        actor=clerk,
    )
    (certificate,) = services.certificates_issue(decision=decision, actor=clerk)
    layout = services.certificate_layout_save(
        issuer=issuer, award=AwardType.CERTIFICATE_OF_MERIT, actor=clerk, offset_y_mm=1.5
    )
    blank = services.certificate_pdf_bytes(certificate=certificate, on_blank=True)
    calibration = services.calibration_pdf_bytes(layout=layout)
    _png(blank, results_dir, "certificate-on-blank")
    _png(calibration, results_dir, "certificate-calibration-page")
    assert page_size_mm(blank) == page_size_mm(calibration) == (297, 210)
    assert "GIẤY KHEN" not in pdftotext(blank)
    assert "Lương Thị Hường 1" in pdftotext(blank)
    assert len(selectors.certificate_layouts(issuer_id=issuer.pk)) == 1


def test_complete_certificate_png(issuer, clerk, results_dir):
    decision = services.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=dt.date(2025, 9, 30),
        title="Về việc tặng Bằng khen",
        entries=commendation_entries(0, individuals=1, award=AwardType.COMMENDATION_CERTIFICATE),
        actor=clerk,
    )
    (certificate,) = services.certificates_issue(decision=decision, actor=clerk)
    pdf = rendering.render_certificates_pdf([(certificate.content, certificate.code)])
    _png(pdf, results_dir, "certificate-complete")
    assert "BẰNG KHEN" in pdftotext(pdf)
