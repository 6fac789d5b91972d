"""Formatting of the movement report (``core.selectors.movement_report``) for people.

The JSON form is the selector's dict as it is; the text form is a Vietnamese-first report
with aligned numbers. Labels carry the "movement report" context so they never clash with
the same English words elsewhere in the catalogue.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import pgettext_lazy as _p

from .models import AwardType, Field, InitiativeKind, InitiativeStatus, Phase, RecipientKind

CONTEXT = "movement report"

STATUS_LABELS = {
    InitiativeStatus.REGISTERED: _p(CONTEXT, "Registered"),
    InitiativeStatus.RETURNED: _p(CONTEXT, "Returned for changes"),
    InitiativeStatus.REJECTED: _p(CONTEXT, "Rejected"),
    InitiativeStatus.MONITORED: _p(CONTEXT, "Being monitored"),
    InitiativeStatus.EVALUATED: _p(CONTEXT, "Evaluated"),
    InitiativeStatus.RECOGNISED: _p(CONTEXT, "Recognised"),
    InitiativeStatus.COMMENDED: _p(CONTEXT, "Commended"),
    InitiativeStatus.WITHDRAWN: _p(CONTEXT, "Withdrawn"),
    InitiativeStatus.DISCONTINUED: _p(CONTEXT, "Discontinued"),
}
AWARD_LABELS = {
    AwardType.PRAISE: _p(CONTEXT, "Praise"),
    AwardType.CERTIFICATE_OF_MERIT: _p(CONTEXT, "Certificate of merit"),
    AwardType.COMMENDATION_CERTIFICATE: _p(CONTEXT, "Certificate of commendation"),
}
KIND_LABELS = {
    InitiativeKind.COLLECTIVE: _p(CONTEXT, "Collective"),
    InitiativeKind.INDIVIDUAL: _p(CONTEXT, "Individual"),
    RecipientKind.COLLECTIVE: _p(CONTEXT, "Collective"),
    RecipientKind.INDIVIDUAL: _p(CONTEXT, "Individual"),
}

NUMBER_WIDTH = 9


def render_json(report: dict[str, Any]) -> str:
    """The public JSON form: keys in the selector's (stable) order, Vietnamese kept as is."""
    return json.dumps(report, ensure_ascii=False, indent=2)


def period_label(*, phase: Phase | None, year: int | None) -> str:
    if phase is not None:
        phase_text = pgettext(CONTEXT, "Phase %(start)s - %(end)s") % {
            "start": phase.starts_on.year,
            "end": phase.ends_on.year,
        }
        if year is not None:
            return pgettext(CONTEXT, "%(phase)s, year %(year)s") % {
                "phase": phase_text,
                "year": year,
            }
        return phase_text
    if year is not None:
        return pgettext(CONTEXT, "Year %(year)s") % {"year": year}
    return pgettext(CONTEXT, "All time")


def display_width(text: str) -> int:
    """Columns a terminal shows: combining marks take none."""
    return sum(not unicodedata.combining(ch) for ch in unicodedata.normalize("NFC", str(text)))


def _label(labels: dict, value: str) -> str:
    return str(labels.get(value, value))


def render_text(report: dict[str, Any]) -> str:
    """A readable report: headings, then one line per figure with the numbers aligned."""
    english = (get_language() or settings.LANGUAGE_CODE).startswith("en")
    field_names = {
        code: (name_en or name) if english else name
        for code, name, name_en in Field.objects.values_list("code", "name", "name_en")
    }
    phase = Phase.objects.filter(code=report["phase"]).first() if report["phase"] else None

    initiatives = report["initiatives"]
    new = initiatives["new"]
    commendations = report["commendations"]
    lines: list[tuple[int, str, int | None]] = []  # (indent, label, number or heading)

    def section(title: str) -> None:
        lines.append((0, title, None))

    def figure(indent: int, label: str, number: int | None = None) -> None:
        lines.append((indent, label, number))

    def breakdown(indent: int, title: str, counts: dict[str, int], labels) -> None:
        figure(indent, title)
        if not counts:
            figure(indent + 1, pgettext(CONTEXT, "None"))
        for key, n in counts.items():
            figure(indent + 1, labels(key), n)

    def field_label(code: str) -> str:
        return field_names.get(code, code)

    def kind_label(kind: str) -> str:
        return _label(KIND_LABELS, kind)

    section(pgettext(CONTEXT, "Initiatives"))
    figure(
        1, pgettext(CONTEXT, "In progress (not withdrawn or discontinued)"), initiatives["total"]
    )
    breakdown(2, pgettext(CONTEXT, "By field"), initiatives["by_field"], field_label)
    breakdown(2, pgettext(CONTEXT, "By kind"), initiatives["by_kind"], kind_label)
    figure(1, pgettext(CONTEXT, "Registered in the period"), new["total"])
    breakdown(2, pgettext(CONTEXT, "By field"), new["by_field"], field_label)
    breakdown(2, pgettext(CONTEXT, "By kind"), new["by_kind"], kind_label)
    breakdown(
        1,
        pgettext(CONTEXT, "By current status (withdrawn and discontinued included)"),
        initiatives["by_status"],
        lambda k: _label(STATUS_LABELS, k),
    )
    section(pgettext(CONTEXT, "Commendations (award events)"))
    figure(1, pgettext(CONTEXT, "Total"), commendations["total"])
    breakdown(
        1,
        pgettext(CONTEXT, "By award"),
        commendations["by_award"],
        lambda k: _label(AWARD_LABELS, k),
    )
    breakdown(1, pgettext(CONTEXT, "By recipient"), commendations["by_recipient_kind"], kind_label)
    breakdown(1, pgettext(CONTEXT, "By issuing body"), commendations["by_issuer"], str)

    label_width = max(display_width("  " * indent + label) for indent, label, _n in lines) + 2
    title = pgettext(CONTEXT, "Report on the “%(movement)s” emulation movement") % {
        "movement": settings.MOVEMENT_NAME
    }
    unit = report["unit"]
    out = [
        title,
        "=" * display_width(title),
        pgettext(CONTEXT, "Unit: %(name)s (%(code)s)") % unit,
        period_label(phase=phase, year=report["year"]),
    ]
    for indent, label, number in lines:
        text = "  " * indent + label
        if number is None:
            out.append("" if indent == 0 else text)
            if indent == 0:
                out.append(text)
            continue
        shown = number_format(number, force_grouping=True)
        padding = label_width - display_width(text) + NUMBER_WIDTH - len(shown)
        out.append(text + " " * padding + shown)
    return "\n".join(out) + "\n"
