"""A province set up from files only (``import_units``, then ``import_members``) can issue a
commune board's recognition decision: the board's issuing body made by the import signs it,
and the PDF reads right."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from core import selectors as core_selectors
from core.models import CycleStatus, InitiativeStatus, SteeringBoard, Unit, User
from core.tallies import initiative_tallies_mismatches
from core.tests.factories import InitiativeFactory
from core.tests.test_import_files import run, write_csv
from documents import services as documents
from stats.selectors import movement_statistics
from workflows import services
from workflows.flows import recognition_open
from workflows.models import AnnualReportStatus
from workflows.tests.factories import AnnualReportFactory, ReviewCycleFactory

pytestmark = pytest.mark.django_db

UNITS = (
    "mã,tên,loại,mã cấp trên\n"
    "CB,Tỉnh Cao Bằng,tỉnh,\n"
    "HA,Huyện Hòa An,huyện,CB\n"
    "X1,Xã Hồng Việt,xã,HA\n"
)
MEMBERS = (
    "tên đăng nhập,họ và tên,thư điện tử,mã đơn vị,vai trò\n"
    "lan,Nông Thị Lan,,X1,trưởng ban\n"
    "hung,Hoàng Văn Hùng,,X1,thường trực\n"
    "thu,Lương Thị Thu,,X1,văn thư\n"
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_board_imported_from_files_issues_its_recognition_decision(tmp_path, monkeypatch):
    for command, text in (("import_units", UNITS), ("import_members", MEMBERS)):
        result = run(command, write_csv(tmp_path, text, f"{command}.csv"))
        assert not result.failed, result.err
    commune = Unit.objects.get(code="X1")
    board = SteeringBoard.objects.get(unit=commune)
    body = services.recognition_issuer(unit=commune)
    assert body is not None and body.unit == commune
    initiative = InitiativeFactory(owner_unit=commune, status=InitiativeStatus.EVALUATED)
    cycle = ReviewCycleFactory(board=board, status=CycleStatus.OPEN)
    AnnualReportFactory(
        initiative=initiative, cycle=cycle, status=AnnualReportStatus.DECIDED, recognise=True
    )
    # The chair's recognition puts the decision in the clerk's queue (the flow does this
    # when the chair decides through the service).
    recognition_open(cycle_id=cycle.pk)

    decision = services.recognition_decision_issue(
        actor=User.objects.get(username="thu"), cycle=cycle, issued_on=dt.date(2024, 12, 10)
    )

    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.RECOGNISED
    # The statistics count it by the decision's date, from the tallies as from the rows.
    assert initiative_tallies_mismatches() == []
    unit = initiative.owner_unit
    tallied = movement_statistics(unit=unit, year=2024)
    assert tallied["recognised"]["total"] == 1
    monkeypatch.setattr(core_selectors, "whole_years", lambda start, end: False)
    assert movement_statistics(unit=unit, year=2024) == tallied
    assert decision.issuer == body and decision.number == "1/QĐ-BCĐ"
    reader = PdfReader(io.BytesIO(documents.decision_pdf_bytes(decision=decision)))
    text = re.sub(r"\s+", " ", reader.pages[0].extract_text())
    for printed in (
        "BAN CHỈ ĐẠO XÃ HỒNG VIỆT",  # the header, and the authority line that joins it
        "Số: 1/QĐ-BCĐ",
        "Hồng Việt, ngày 10 tháng 12 năm 2024",
        "TM. BAN CHỈ ĐẠO",
        "TRƯỞNG BAN",
        "Nông Thị Lan",
    ):
        assert printed in text, printed
    assert "XÃ HỒNG VIỆT BAN CHỈ ĐẠO" not in text
    # Its legal bases are the board's defaults, closed by the proposer: the standing body.
    assert decision.content["legal_bases"][0].startswith("Căn cứ Quyết định thành lập")
    assert decision.content["legal_bases"][-1] == f"Theo đề nghị của Thường trực {board.name}."
