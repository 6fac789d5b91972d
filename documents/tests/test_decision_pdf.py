"""Decisions read back from their PDFs: Decree 30 layout, fonts, annex, frozen text."""

import datetime as dt
import hashlib
import io
import re

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from core.models import AwardType, Unit
from documents import rendering, services
from documents.models import Decision, DecisionEntry, DecisionStatus

from .conftest import pdf_to_png, pdffonts
from .factories import issue_commendation, issue_recognition, party_committee

pytestmark = pytest.mark.django_db

A4_PORTRAIT = (595.28, 841.89)


def read(decision: Decision) -> PdfReader:
    return PdfReader(io.BytesIO(services.decision_pdf_bytes(decision=decision)))


def page_text(reader: PdfReader, index: int) -> str:
    return reader.pages[index].extract_text()


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def top_margin_text(page) -> str:
    """The text printed in the page's top margin (20 mm), where page numbers go."""
    height = float(page.mediabox.height)
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        # The text matrix's origin in page space (text matrix times the CTM).
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip() and y > height - 20 / 25.4 * 72:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return " ".join(found)


def test_decision_prints_the_state_header_number_and_date_with_diacritics(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=3, individuals=1)

    text = normalised(page_text(read(decision), 0))

    assert decision.number == "1/QĐ-UBND"
    for expected in (
        "ỦY BAN NHÂN DÂN",
        "HUYỆN HÒA AN",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 1/QĐ-UBND",
        "Hòa An, ngày 30 tháng 9 năm 2023",
        "QUYẾT ĐỊNH",
        "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN HÒA AN",
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;",
        "QUYẾT ĐỊNH:",
        "Điều 1.",
        "Tặng Giấy khen cho 03 tập thể và 01 cá nhân",
        "giai đoạn 2016 - 2020",
        "Điều 3.",
        "Nơi nhận:",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nông Thị Ằng",
    ):
        assert expected in text, expected


def text_origins(page) -> list[tuple[float, float]]:
    """Where each run of text starts, in points from the page's bottom left corner."""
    origins = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            origins.append(
                (tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5])
            )

    page.extract_text(visitor_text=visit)
    return origins


def test_decision_is_a4_portrait_with_decree_30_margins(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=2)
    reader = read(decision)

    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width, 1), round(height, 1)) == (
            round(A4_PORTRAIT[0], 1),
            round(A4_PORTRAIT[1], 1),
        )
    mm = 72 / 25.4
    xs = [x for x, _y in text_origins(reader.pages[0])]
    ys = [y for _x, y in text_origins(reader.pages[0])]
    # Left margin 30 mm: justified article lines start exactly there, nothing further left.
    assert min(xs) == pytest.approx(30 * mm, abs=0.5)
    # Top margin 20 mm: the first line's baseline sits just below it.
    assert A4_PORTRAIT[1] - 20 * mm - 20 < max(ys) < A4_PORTRAIT[1] - 20 * mm


def test_decision_embeds_only_liberation_serif(issuer, clerk, tmp_path):
    decision = issue_commendation(issuer, clerk, count=2, individuals=2)
    path = tmp_path / "decision.pdf"
    path.write_bytes(services.decision_pdf_bytes(decision=decision))

    fonts = pdffonts(path)

    assert fonts, "no font in the PDF"
    # A glyph missing from the intended font would bring another family in silently.
    assert all("LiberationSerif" in f["name"] for f in fonts), fonts
    assert all(f["emb"] == "yes" for f in fonts), fonts
    assert {"bold", "italic", "regular"} <= {_style(f["name"]) for f in fonts}


def _style(name: str) -> str:
    name = name.split("+", 1)[-1]
    if name.endswith("Bold-Italic") or name.endswith("BoldItalic"):
        return "bold-italic"
    if name.endswith("Bold"):
        return "bold"
    if name.endswith("Italic"):
        return "italic"
    return "regular"


def test_embedded_font_programs_are_liberation_serif_2(issuer, clerk):
    """The embedded files are fonts-liberation2's, whatever name WeasyPrint gives them."""
    decision = issue_recognition(issuer, clerk, count=1)
    reader = read(decision)
    families = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            program = descriptor["/FontFile2"].get_object().get_data()
            names = TTFont(io.BytesIO(program))["name"]
            families.add(str(names.getDebugName(1)))
            assert str(names.getDebugName(5)).startswith("Version 2"), names.getDebugName(5)
    assert families == {"Liberation Serif"}


def test_long_annex_runs_over_pages_with_numbers_from_page_two(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=120)
    reader = read(decision)

    assert len(reader.pages) >= 5
    assert top_margin_text(reader.pages[0]) == ""
    for index in range(1, len(reader.pages)):
        assert top_margin_text(reader.pages[index]) == str(index + 1)
    annex = normalised(" ".join(page_text(reader, i) for i in range(1, len(reader.pages))))
    assert "DANH SÁCH MÔ HÌNH “DÂN VẬN KHÉO” ĐƯỢC CÔNG NHẬN" in annex
    assert "(Kèm theo Quyết định số 1/QĐ-UBND ngày 30 tháng 9 năm 2023" in annex
    for row in (1, 60, 120):
        assert f"Mô hình “Dân vận khéo” xóm Nà Ấu {row}" in annex
    # The table's header repeats on every page the annex runs over.
    annex_pages = [page_text(reader, i) for i in range(2, len(reader.pages))]
    assert all("Tên mô hình" in text for text in annex_pages)


def test_party_body_gets_the_party_format(db, clerk):
    issuer = party_committee()
    from .factories import clerk_of

    secretary = clerk_of(issuer, username="party-clerk")
    decision = issue_commendation(issuer, secretary, count=2)
    text = normalised(page_text(read(decision), 0))

    assert decision.number == "1-QĐ/HU"
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" not in text
    assert "Số 1-QĐ/HU" in text
    assert "HUYỆN ỦY HÒA AN" in text
    assert "T/M BAN THƯỜNG VỤ" in text
    assert "BÍ THƯ" in text


def test_issued_decision_is_unchanged_after_a_unit_is_renamed(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=2)
    before = services.decision_pdf_bytes(decision=decision)
    unit = DecisionEntry.objects.get(decision=decision, position=1).unit
    Unit.objects.filter(pk=unit.pk).update(name="Phường Hòa Chung mới")

    decision.refresh_from_db()
    after = services.decision_pdf_bytes(decision=decision)

    assert after == before
    assert hashlib.sha256(after).hexdigest() == decision.sha256
    assert "Xã Bình Long 1" in normalised(PdfReader(io.BytesIO(after)).pages[1].extract_text())
    assert DecisionEntry.objects.get(decision=decision, position=1).unit_name == "Xã Bình Long 1"


def test_issued_decision_is_unchanged_after_the_template_changes(issuer, clerk, monkeypatch):
    decision = issue_commendation(issuer, clerk, count=2)
    before = services.decision_pdf_bytes(decision=decision)

    real = rendering.render_to_string

    def edited_template(name, context=None, *args, **kwargs):
        return real(name, context, *args, **kwargs).replace("QUYẾT ĐỊNH", "QUYẾT ĐỊNH SỬA")

    monkeypatch.setattr(rendering, "render_to_string", edited_template)
    # The edited template is live: a new decision uses it...
    later = issue_commendation(issuer, clerk, count=1)
    assert "QUYẾT ĐỊNH SỬA" in page_text(read(later), 0)
    # ...and the issued one still reads as it was issued.
    decision.refresh_from_db()
    assert services.decision_pdf_bytes(decision=decision) == before
    assert hashlib.sha256(before).hexdigest() == decision.sha256


def test_rendering_the_same_snapshot_twice_gives_the_same_bytes(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=2)

    again = rendering.render_decision_pdf(decision.content)

    assert hashlib.sha256(again).hexdigest() == decision.sha256


def test_vn_date_follows_decree_30():
    assert rendering.vn_date(dt.date(2023, 9, 30)) == "ngày 30 tháng 9 năm 2023"
    # Days below 10 and the months 1 and 2 take a leading zero.
    assert rendering.vn_date(dt.date(2024, 2, 5)) == "ngày 05 tháng 02 năm 2024"
    assert rendering.vn_date(dt.date(2024, 12, 1)) == "ngày 01 tháng 12 năm 2024"


def test_year_range_stays_on_one_line_at_a_line_end(issuer, clerk):
    # Pad the subject so "2016 - 2020" falls at a line end in many widths; it must survive.
    for pad in range(0, 40, 4):
        text = rendering.keep_ranges("x" * pad + " giai đoạn 2016 - 2020")
        assert '<span class="nw">2016 - 2020</span>' in text
    decision = issue_commendation(
        issuer,
        clerk,
        count=1,
        legal_bases=[
            "Căn cứ Kế hoạch tổng kết phong trào thi đua “Dân vận khéo” của huyện giai đoạn "
            "2016 - 2020 và kết quả bình xét của Hội đồng Thi đua - Khen thưởng huyện Hòa "
            "An giai đoạn 2016 - 2020;"
        ],
    )
    text = normalised(page_text(read(decision), 0))
    assert "2016 2020" not in text
    assert text.count("2016 - 2020") >= 3


def test_decision_page_and_annex_page_render_to_png(issuer, clerk, output_dir):
    decision = issue_commendation(issuer, clerk, count=40, individuals=30)
    pdf = services.decision_pdf_bytes(decision=decision)

    first = pdf_to_png(pdf, output_dir, "decision-page-1", page=1)
    annex = pdf_to_png(pdf, output_dir, "decision-annex-page", page=3)
    party = party_committee()
    from .factories import clerk_of

    party_decision = issue_recognition(party, clerk_of(party, username="pc"), count=30)
    party_png = pdf_to_png(
        services.decision_pdf_bytes(decision=party_decision), output_dir, "decision-party-page-1"
    )

    for png in (first, annex, party_png):
        assert png.stat().st_size > 10_000


def test_recognition_decision_lists_initiatives_and_owners(issuer, clerk):
    decision = issue_recognition(issuer, clerk, count=3)

    assert decision.status == DecisionStatus.ISSUED
    assert decision.content["annex"]["columns"][1] == "Tên mô hình"
    entries = list(decision.entries.order_by("position"))
    assert [e.position for e in entries] == [1, 2, 3]
    assert all(e.initiative_id and e.commendation_id is None for e in entries)
    text = normalised(page_text(read(decision), 0))
    assert "Công nhận 03 mô hình “Dân vận khéo” năm 2023 (có danh sách kèm theo)." in text


def test_commendation_decision_records_commendations_with_its_number(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=2, individuals=1)

    entries = list(decision.entries.select_related("commendation").order_by("position"))
    assert [e.commendation.decision_number for e in entries] == ["1/QĐ-UBND"] * 3
    assert {e.commendation.award for e in entries} == {AwardType.CERTIFICATE_OF_MERIT}
    assert entries[2].commendation.recipient_name == "Lương Thị Hường 1"
    assert entries[2].commendation.decision_date == dt.date(2023, 9, 30)
