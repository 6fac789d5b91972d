"""The operators' command that writes a decision and its certificates to a folder."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from documents import services

from .factories import issue_commendation

pytestmark = pytest.mark.django_db


def test_render_decision_writes_the_decision_and_every_certificate(issuer, clerk, tmp_path):
    decision = issue_commendation(issuer, clerk, count=2, individuals=1)
    services.certificates_issue(decision=decision, actor=clerk)
    out = io.StringIO()

    call_command(
        "render_decision", "1/QĐ-UBND", "--issuer", issuer.code, "--out", str(tmp_path), stdout=out
    )

    paths = out.getvalue().split()
    assert len(paths) == 1 + 1 + 3
    assert (tmp_path / "QD-2023-0001.pdf").read_bytes() == services.decision_pdf_bytes(
        decision=decision
    )
    combined = PdfReader(tmp_path / "QD-2023-0001-giay-khen.pdf")
    assert len(combined.pages) == 3
    singles = sorted((tmp_path / "QD-2023-0001-tung-nguoi").iterdir())
    assert [len(PdfReader(p).pages) for p in singles] == [1, 1, 1]
    assert "Lương Thị Hường 1" in PdfReader(singles[2]).pages[0].extract_text()


def test_render_decision_asks_for_the_year_when_the_number_repeats(issuer, clerk, tmp_path):
    issue_commendation(issuer, clerk, count=1, issued_on=dt.date(2023, 9, 30))
    issue_commendation(issuer, clerk, count=1, issued_on=dt.date(2024, 3, 1))

    with pytest.raises(CommandError, match="--year"):
        call_command(
            "render_decision", "1/QĐ-UBND", "--issuer", issuer.code, "--out", str(tmp_path)
        )
    call_command(
        "render_decision",
        "1/QĐ-UBND",
        "--issuer",
        issuer.code,
        "--out",
        str(tmp_path),
        "--year",
        "2024",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert (tmp_path / "QD-2024-0001.pdf").exists()


def test_render_decision_reports_an_unknown_number(issuer, tmp_path):
    with pytest.raises(CommandError, match="No issued decision"):
        call_command(
            "render_decision", "99/QĐ-UBND", "--issuer", issuer.code, "--out", str(tmp_path)
        )
