"""Party format sizes (Hướng dẫn 36-HD/VPTW) and the text fixes of issue 10, read back from
the PDFs: font size and weight per line with pdfplumber, text with pdftotext."""

import pytest

from documents import rendering, services

from .factories import clerk_of, issue_commendation, issue_recognition, party_committee
from .pdfread import flat, line_with, lines, pdftotext

pytestmark = pytest.mark.django_db


@pytest.fixture
def party():
    return party_committee()


@pytest.fixture
def party_pdf(party):
    secretary = clerk_of(party, username="party-clerk")
    for _ in range(11):  # number 12: "Số 12-QĐ/HU"
        issue_commendation(party, secretary, count=1)
    decision = issue_commendation(party, secretary, count=2)
    assert decision.number == "12-QĐ/HU"
    return services.decision_pdf_bytes(decision=decision)


def test_party_title_is_15_pt_bold(party_pdf):
    title = line_with(lines(party_pdf), "ĐẢNG CỘNG SẢN VIỆT NAM")
    assert title.sizes == {15.0}
    assert title.bold


def test_party_body_is_14_pt_parent_plain_body_bold_then_one_asterisk(party_pdf):
    page = lines(party_pdf)
    parent = line_with(page, "ĐẢNG BỘ TỈNH CAO BẰNG")
    body = line_with(page, "HUYỆN ỦY HÒA AN")
    assert parent.sizes == {14.0} and not parent.any_bold
    assert body.sizes == {14.0} and body.bold
    stars = [line for line in page if line.text == "*"]
    assert len(stars) == 1
    assert body.bottom < stars[0].top < body.bottom + 20
    header = flat(pdftotext(party_pdf).split("QUYẾT ĐỊNH")[0])
    assert header.count("*") == 1


def test_party_number_is_14_pt(party_pdf):
    number = line_with(lines(party_pdf), "Số 12-QĐ/HU")
    assert 14.0 in number.sizes


def test_a_typed_asterisk_line_is_not_printed_twice(db):
    # The demo's Tỉnh ủy had "TỈNH ỦY CAO BẰNG\n*" as its header: "BAN THƯỜNG VỤ *".
    body = party_committee(code="tu-cb", name="Tỉnh ủy Cao Bằng", header="TỈNH ỦY CAO BẰNG\n*")
    decision = issue_recognition(body, clerk_of(body, username="tu"), count=1)
    assert decision.content["header"] == ["TỈNH ỦY CAO BẰNG"]
    assert decision.content["authority"] == "BAN THƯỜNG VỤ TỈNH ỦY CAO BẰNG"
    pdf = services.decision_pdf_bytes(decision=decision)
    name = line_with(lines(pdf), "TỈNH ỦY CAO BẰNG")
    assert name.bold
    assert "BAN THƯỜNG VỤ *" not in flat(pdftotext(pdf))
    assert flat(pdftotext(pdf).split("QUYẾT ĐỊNH")[0]).count("*") == 1


def test_state_header_keeps_13_pt(issuer, clerk):
    pdf = services.decision_pdf_bytes(decision=issue_recognition(issuer, clerk, count=1))
    page = lines(pdf)
    assert line_with(page, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").sizes == {13.0}
    assert line_with(page, "ỦY BAN NHÂN DÂN").sizes == {13.0}


def test_the_last_article_ends_with_a_full_stop_and_slash(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=2)
    assert decision.content["articles"][-1].endswith("thi hành Quyết định này./.")
    assert all(not a.endswith("./.") for a in decision.content["articles"][:-1])
    text = flat(pdftotext(services.decision_pdf_bytes(decision=decision)))
    assert "chịu trách nhiệm thi hành Quyết định này./." in text
    custom = issue_recognition(issuer, clerk, count=1, articles=["Một.", "Hai"])
    assert custom.content["articles"] == ["Một.", "Hai./."]


def test_the_annex_is_labelled_and_refers_to_its_decision(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=2)
    pdf = services.decision_pdf_bytes(decision=decision)
    annex_page = pdftotext(pdf).split("\f")[1]
    annex = lines(pdf, page=1)
    label = line_with(annex, "Phụ lục")
    assert label.bold and label.top < line_with(annex, "DANH SÁCH").top
    assert (
        "(Kèm theo Quyết định số 1/QĐ-UBND ngày 30 tháng 9 năm 2023 của Ủy ban nhân dân "
        "huyện Hòa An)" in flat(annex_page)
    )


@pytest.mark.parametrize("pad", range(0, 60, 3))
def test_dashed_words_are_never_split_at_the_dash(issuer, clerk, pad):
    # Pad the article so "kinh tế - xã hội" falls at a line end in many places.
    text = (
        "Tuyên dương "
        + "mô hình " * (pad // 3)
        + "x" * (pad % 7)
        + (" trong lĩnh vực kinh tế - xã hội và văn hóa - xã hội của huyện")
    )
    decision = issue_recognition(issuer, clerk, count=1, articles=[text, "Hai."])
    extracted = flat(pdftotext(services.decision_pdf_bytes(decision=decision)))
    assert "kinh tế - xã hội" in extracted
    assert "văn hóa - xã hội" in extracted
    assert "kinh tế xã hội" not in extracted


def test_keep_ranges_wraps_dashed_pairs_and_escapes():
    html = str(rendering.keep_ranges("kinh tế - xã hội <b> 2016-2020"))
    assert '<span class="nw">tế - xã</span>' in html
    assert '<span class="nw">2016 - 2020</span>' in html
    assert "&lt;b&gt;" in html
