"""The phase report (báo cáo sơ kết / tổng kết số liệu) as PDF (Decree 30 layout, like the
decisions) and as XLSX (one sheet per table, typed numbers, Vietnamese headers). Both are
built from ``presentation.tables`` over ``movement_statistics``: the dashboard's numbers."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import pgettext

from core.models import AwardType, IssuerKind, IssuingBody, Phase, RecipientKind, Unit
from core.reporting import AWARD_LABELS, period_label
from core.services import place_name
from documents import rendering
from documents.services import NATION_STATE

from . import presentation, selectors

CONTEXT = presentation.CONTEXT
AWARD_ORDER = [
    AwardType.COMMENDATION_CERTIFICATE,
    AwardType.CERTIFICATE_OF_MERIT,
    AwardType.PRAISE,
]


def report_title(*, phase: Phase | None, year: int | None, today: dt.date) -> str:
    """Tổng kết for a whole phase that has ended, sơ kết otherwise."""
    final = phase is not None and year is None and phase.ends_on < today
    if final:
        return pgettext(CONTEXT, "Final review figures of the “Dân vận khéo” emulation movement")
    return pgettext(CONTEXT, "Interim review figures of the “Dân vận khéo” emulation movement")


def _header(unit: Unit) -> tuple[list[str], str, dict[str, str]]:
    body = IssuingBody.objects.filter(unit=unit, kind=IssuerKind.STEERING_BOARD).first()
    if body is not None and body.header:
        header = [line for line in body.header.splitlines() if line.strip()]
        place = body.place or place_name(unit.name)
        signer = {
            "authority": body.signing_authority or "TM. BAN CHỈ ĐẠO",
            "title": body.signer_title or "TRƯỞNG BAN",
            "name": body.signer_name,
        }
    else:
        header = ["BAN CHỈ ĐẠO", unit.name.upper()]
        place = place_name(unit.name)
        signer = {"authority": "TM. BAN CHỈ ĐẠO", "title": "TRƯỞNG BAN", "name": ""}
    return header, place, signer


def commended_rows(*, unit: Unit, phase: Phase | None, year: int | None) -> list[dict[str, Any]]:
    """Commended collectives and individuals with their decisions, Bằng khen first."""
    rows = list(selectors.commended_list(unit=unit, phase=phase, year=year))
    order = {award: i for i, award in enumerate(AWARD_ORDER)}
    rows.sort(
        key=lambda c: (
            order.get(c.award, 9),
            c.recipient_kind != RecipientKind.COLLECTIVE,
            c.decision_date,
            c.recipient_name,
            c.pk,
        )
    )
    return [
        {
            "award": str(AWARD_LABELS.get(c.award, c.award)),
            "recipient_kind": str(presentation.KIND_LABELS.get(c.recipient_kind, c.recipient_kind)),
            "recipient": c.recipient_name,
            "unit": c.unit.name,
            "decision": f"{c.decision_number} ngày {c.decision_date:%d/%m/%Y}",
            "issuer": c.issuer.name,
        }
        for c in rows
    ]


def commended_groups(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The list grouped by decision (award, issuing body, number and date), as the
    decisions' annexes print it: one heading per decision, one short line per recipient."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        heading = f"{row['award']} – {row['issuer']}, Quyết định số {row['decision']}"
        if not groups or groups[-1]["heading"] != heading:
            groups.append({"heading": heading, "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def report_context(
    *, unit: Unit, phase: Phase | None, year: int | None, today: dt.date | None = None
) -> dict[str, Any]:
    today = today or timezone.localdate()
    statistics = selectors.movement_statistics(unit=unit, phase=phase, year=year, today=today)
    header, place, signer = _header(unit)
    commended = commended_rows(unit=unit, phase=phase, year=year)
    return {
        "statistics": statistics,
        "tables": presentation.tables(statistics, links=False),
        "commended": commended,
        "commended_groups": commended_groups(commended),
        "header": header,
        "place": place,
        "signer": signer,
        "date_line": rendering.place_date_line(place, today),
        "title": report_title(phase=phase, year=year, today=today),
        "period": period_label(phase=phase, year=year),
        "unit": unit,
        "nation": NATION_STATE,
    }


def render_pdf(
    *, unit: Unit, phase: Phase | None, year: int | None, today: dt.date | None = None
) -> bytes:
    """The phase report in Vietnamese, Decree 30 layout (the decisions' stylesheet)."""
    with translation.override("vi"):
        context = report_context(unit=unit, phase=phase, year=year, today=today)
        html = render_to_string("stats/pdf/report.html", context)
    return rendering.render_html_pdf(html, "decision")


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub(" ", title)[:28].strip() or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name.lower())
    return name


def render_xlsx(
    *, unit: Unit, phase: Phase | None, year: int | None, today: dt.date | None = None
) -> bytes:
    """One sheet per table (numbers as numbers), Vietnamese headers; the list of commended
    collectives and individuals last."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    with translation.override("vi"):
        context = report_context(unit=unit, phase=phase, year=year, today=today)
        workbook = Workbook()
        workbook.remove(workbook.active)
        used: set[str] = set()
        bold = Font(bold=True)
        for table in context["tables"]:
            sheet = workbook.create_sheet(_sheet_title(table.title, used))
            sheet.append([f"{context['unit'].name} – {context['period']}"])
            sheet.append([table.title])
            sheet.append(table.headers)
            for cell in sheet[3]:
                cell.font = bold
            for row in table.rows:
                sheet.append([c.value if c.is_number else c.text for c in row])
            sheet.column_dimensions["A"].width = 48
            for letter in "BCDE":
                sheet.column_dimensions[letter].width = 18
        sheet = workbook.create_sheet(_sheet_title(pgettext(CONTEXT, "Commended"), used))
        sheet.append([f"{context['unit'].name} – {context['period']}"])
        sheet.append([pgettext(CONTEXT, "Commended collectives and individuals")])
        sheet.append(
            [
                pgettext(CONTEXT, "Award"),
                pgettext(CONTEXT, "Collective or individual"),
                pgettext(CONTEXT, "Recipient"),
                pgettext(CONTEXT, "Unit"),
                pgettext(CONTEXT, "Decision"),
                pgettext(CONTEXT, "Issuing body"),
            ]
        )
        for cell in sheet[3]:
            cell.font = bold
        for row in context["commended"]:
            sheet.append(
                [
                    row["award"],
                    row["recipient_kind"],
                    row["recipient"],
                    row["unit"],
                    row["decision"],
                    row["issuer"],
                ]
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
