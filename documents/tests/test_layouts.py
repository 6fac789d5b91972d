"""Certificate layouts: complete (a file to send) or only the variable text on a pre-printed
blank, placed in millimetres per body and award; A4 and A3; the calibration page; the QR
code re-encoded on reprint when the public address changed."""

import io
from urllib.parse import urlsplit

import pytest
import zxingcpp
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from core.errors import InvalidInput, NotAllowed
from core.models import AwardType
from core.tests.factories import UserFactory
from documents import rendering, selectors, services
from documents.models import Certificate, PrintJobStatus

from .conftest import pdf_to_png
from .factories import issue_commendation
from .pdfread import PT_PER_MM, flat, line_with, lines, page_size_mm, pdftotext

pytestmark = pytest.mark.django_db

GK = AwardType.CERTIFICATE_OF_MERIT


@pytest.fixture
def certificates(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=1, individuals=1)
    return services.certificates_issue(decision=decision, actor=clerk)


def blank_pdf(certificates, issuer) -> bytes:
    layouts = selectors.certificate_layouts(issuer_id=issuer.pk, on_blank=True)
    return rendering.render_certificates_pdf([(c.content, c.code) for c in certificates], layouts)


def test_complete_certificate_leaves_35_mm_for_the_signature(certificates):
    pdf = services.certificate_pdf_bytes(certificate=certificates[1])
    page = lines(pdf)
    title = line_with(page, "PHÓ CHỦ TỊCH")
    name = line_with(page, "Nông Thị Ằng")
    assert (name.top - title.bottom) / PT_PER_MM >= 35
    assert page_size_mm(pdf) == (297, 210)
    # Everything still fits on the one page, the citation above the signer's block.
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    citation = line_with(page, "Đã có thành tích xuất sắc")
    assert citation.bottom < line_with(page, "Hòa An, ngày 30 tháng 9 năm 2023").top


def test_on_a_blank_only_the_variable_text_is_printed_where_the_layout_says(
    certificates, issuer, clerk
):
    services.certificate_layout_save(
        issuer=issuer,
        award=GK,
        actor=clerk,
        offset_x_mm=5,
        offset_y_mm=-2,
        fields={"recipient": {"x": 40, "y": 90, "width": 217, "size": 20}},
    )
    pdf = blank_pdf(certificates[1:], issuer)
    text = flat(pdftotext(pdf))
    page = lines(pdf)

    # The blank carries the emblem, the national name and the title: not printed again.
    for printed_on_blank in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "GIẤY KHEN", "TẶNG"):
        assert printed_on_blank not in text.replace("CHỦ TỊCH ỦY BAN", "")
    for variable in (
        "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN",
        "Lương Thị Hường 1",
        "Hòa An, ngày 30 tháng 9 năm 2023",
        "KT. CHỦ TỊCH",
        "Nông Thị Ằng",
        "Quyết định số: 1/QĐ-UBND, ngày 30 tháng 9 năm 2023",
        "Số vào sổ: 2/GK-UBND",
    ):
        assert variable in text, variable
    recipient = line_with(page, "Lương Thị Hường 1")
    assert recipient.sizes == {20.0}
    # The box starts at 40 + 5 mm and 90 - 2 mm; the name is centred in its 217 mm.
    centre_mm = (recipient.x0 + recipient.x1) / 2 / PT_PER_MM
    assert centre_mm == pytest.approx(45 + 217 / 2, abs=1)
    assert recipient.top / PT_PER_MM == pytest.approx(88, abs=2.5)
    assert page_size_mm(pdf) == (297, 210)


def test_a_blank_without_a_printed_title_gets_the_award_title(certificates, issuer, clerk):
    services.certificate_layout_save(issuer=issuer, award=GK, actor=clerk, blank_has_title=False)
    text = flat(pdftotext(blank_pdf(certificates[:1], issuer)))
    assert "GIẤY KHEN" in text


def test_a3_is_set_per_body_and_award_for_both_layouts(certificates, issuer, clerk):
    services.certificate_layout_save(issuer=issuer, award=GK, actor=clerk, page_size="A3")
    complete = services.certificate_pdf_bytes(certificate=certificates[0])
    on_blank = services.certificate_pdf_bytes(certificate=certificates[0], on_blank=True)
    assert page_size_mm(complete) == (420, 297)
    assert page_size_mm(on_blank) == (420, 297)
    assert len(PdfReader(io.BytesIO(complete)).pages) == 1
    # On A3 the default boxes scale by √2: the recipient's box starts at 30 × √2 mm.
    recipient = line_with(lines(on_blank), "Xã Bình Long 1")
    assert (recipient.x0 + recipient.x1) / 2 / PT_PER_MM == pytest.approx(
        (30 + 237 / 2) * 420 / 297, abs=1.5
    )
    # Another award of the same body keeps A4.
    assert selectors.certificate_layouts(issuer_id=issuer.pk).keys() == {GK}


def test_the_calibration_page_has_a_grid_and_a_crosshair_per_field(issuer, clerk):
    layout = services.certificate_layout_save(issuer=issuer, award=GK, actor=clerk, offset_x_mm=3)
    with translation.override("vi"):  # numbers in mm, never with a decimal comma
        pdf = services.calibration_pdf_bytes(layout=layout)
    text = flat(pdftotext(pdf))
    assert page_size_mm(pdf) == (297, 210)
    for label in rendering.BLANK_FIELD_LABELS.values():
        assert label in text, label
    # The recipient's crosshair is at its box's corner, offsets included: 30 + 3 mm.
    assert "Tên tập thể, cá nhân (33.0; 96.0 mm)" in text
    for mark in ("10", "100", "290"):
        assert f" {mark} " in f" {text} "


def test_layouts_refuse_bad_input_and_outsiders(issuer, clerk):
    with pytest.raises(InvalidInput):
        services.certificate_layout_save(issuer=issuer, award=GK, actor=clerk, page_size="A5")
    with pytest.raises(InvalidInput):
        services.certificate_layout_save(issuer=issuer, award="praise", actor=clerk)
    with pytest.raises(InvalidInput):
        services.certificate_layout_save(
            issuer=issuer, award=GK, actor=clerk, fields={"recipient": {"x": 400}}
        )
    with pytest.raises(InvalidInput):
        services.certificate_layout_save(
            issuer=issuer, award=GK, actor=clerk, fields={"emblem": {"x": 4}}
        )
    with pytest.raises(NotAllowed):
        services.certificate_layout_save(issuer=issuer, award=GK, actor=UserFactory())


def test_print_job_on_blanks_uses_the_layout(certificates, issuer, clerk, settings):
    settings.DOCUMENTS_PRINT_FAN_OUT = False
    services.certificate_layout_save(issuer=issuer, award=GK, actor=clerk, page_size="A3")
    job = services.print_job_start(decision=certificates[0].decision, actor=clerk, on_blank=True)
    job = services.print_job_run(job_id=job.pk)
    assert job.status == PrintJobStatus.DONE
    with job.pdf.open("rb") as handle:
        pdf = handle.read()
    assert page_size_mm(pdf) == (420, 297)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in pdftotext(pdf)
    assert job.pdf.name.rsplit("/", 1)[-1].startswith("giay-khen-")


def test_reprint_re_encodes_the_stored_qr_and_the_old_path_still_answers(
    certificates, settings, client, tmp_path
):
    certificate = certificates[0]
    old_url = certificate.content["qr_url"]
    settings.PUBLIC_BASE_URL = "https://thidua.caobang.example.vn"

    pdf = services.certificate_pdf_bytes(certificate=certificate)

    stored = Certificate.objects.get(pk=certificate.pk).content
    new_url = f"https://thidua.caobang.example.vn/verify/{certificate.code}/"
    assert stored["qr_url"] == new_url and stored["qr_png"] != ""
    (result,) = zxingcpp.read_barcodes(Image.open(pdf_to_png(pdf, tmp_path, "reprint")))
    assert result.text == new_url
    # A paper printed before the move carries the old address: its path still verifies.
    assert urlsplit(old_url).path == urlsplit(new_url).path
    response = client.get(urlsplit(old_url).path)
    assert response.status_code == 200 and "Xã Bình Long 1" in response.content.decode()
    assert client.get(urlsplit(old_url).path.rstrip("/")).status_code == 200
    # A second reprint at the same address changes nothing.
    assert services.certificates_refresh_qr([Certificate.objects.get(pk=certificate.pk)]) == 0


def test_render_certificates_keeps_its_one_argument_form(certificates):
    document = rendering.render_certificates([(c.content, c.code) for c in certificates])
    assert len(document.pages) == 2
