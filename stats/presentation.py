"""The statistics as labelled tables (and their charts): what the dashboard, the PDF and the
XLSX phase reports show, built once from ``movement_statistics`` so they print the same
numbers. Each cell may carry the link to the initiative list it counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language, pgettext
from django.utils.translation import pgettext_lazy as _p

from core.models import Field, InitiativeKind, Phase, UnitKind
from core.reporting import AWARD_LABELS, KIND_LABELS, STATUS_LABELS, period_label
from core.selectors import report_period

from . import charts
from .models import Indicator, TargetKind

CONTEXT = "statistics"

UNIT_KIND_PLURAL = {
    UnitKind.PROVINCE: _p(CONTEXT, "provinces"),
    UnitKind.DISTRICT: _p(CONTEXT, "districts"),
    UnitKind.COMMUNE: _p(CONTEXT, "communes, wards and townships"),
    UnitKind.HAMLET: _p(CONTEXT, "hamlets and residential groups"),
    UnitKind.AGENCY: _p(CONTEXT, "agencies"),
    UnitKind.PARTY_ORG: _p(CONTEXT, "party organisations"),
}
QUEUE_LABELS = {
    "reports": _p(CONTEXT, "Annual reports awaited"),
    "evaluations": _p(CONTEXT, "Evaluations awaited"),
    "decisions": _p(CONTEXT, "Decisions awaited"),
}


@lru_cache(maxsize=4096)
def _grouped(value: int, language: str | None) -> str:
    """``value`` with the active language's thousands separator ("1.202" in Vietnamese),
    kept per language: a province's dashboard formats a thousand cells, mostly the same few
    numbers, and ``number_format`` looks the separators up again each time."""
    return number_format(value, force_grouping=True)


@dataclass
class Cell:
    value: Any
    href: str = ""

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, int | float) and not isinstance(self.value, bool)

    @property
    def text(self) -> str:
        if self.value is None:
            return "–"
        if isinstance(self.value, bool):
            return pgettext(CONTEXT, "yes") if self.value else pgettext(CONTEXT, "no")
        if isinstance(self.value, int):
            return _grouped(self.value, get_language())
        if isinstance(self.value, float):
            return number_format(self.value, decimal_pos=1, force_grouping=True)
        return str(self.value)


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    chart: SafeString | str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


LinkFn = Callable[..., str]


def list_link_builder(unit_code: str, start: dt.date | None, end: dt.date | None) -> LinkFn:
    """Links to the initiative list with the report's rules: ``total`` figures are those
    registered up to the period's end and still going; ``new`` ones inside the period."""
    base = reverse("workflows:initiative-list")

    def link(
        *,
        new: bool = False,
        ongoing: bool = True,
        unit: str | None = None,
        registered_from: str | None = None,
        registered_to: str | None = None,
        **filters,
    ) -> str:
        query: dict[str, Any] = {"unit": unit or unit_code}
        since = registered_from or (start.isoformat() if new and start is not None else None)
        until = registered_to or (end.isoformat() if end is not None else None)
        if since:
            query["registered_from"] = since
        if until:
            query["registered_to"] = until
        if ongoing:
            query["ongoing"] = "1"
        query.update({k: v for k, v in filters.items() if v not in (None, "")})
        return f"{base}?{urlencode(query)}"

    return link


def _no_link(**_kwargs) -> str:
    return ""


def _pct(value: float | None) -> str:
    if value is None:
        return "–"
    return number_format(value, decimal_pos=1) + "%"


def _english() -> bool:
    return (get_language() or settings.LANGUAGE_CODE).startswith("en")


def target_label(target: dict[str, Any], indicators: dict[str, str]) -> str:
    kind = target["kind"]
    units = str(UNIT_KIND_PLURAL.get(target["unit_kind"] or "", pgettext(CONTEXT, "units")))
    if kind == TargetKind.BOARD_SHARE:
        return pgettext(CONTEXT, "%(units)s with a steering board") % {"units": units}
    if kind == TargetKind.INDICATOR_SHARE:
        name = indicators.get(target["indicator"] or "", target["indicator"] or "")
        if target["denominator"] is None:
            return name
        return pgettext(CONTEXT, "%(units)s: %(indicator)s") % {"units": units, "indicator": name}
    if kind == TargetKind.REGISTERING_SHARE:
        return pgettext(CONTEXT, "%(units)s that registered an initiative") % {"units": units}
    if kind == TargetKind.INITIATIVES:
        return pgettext(CONTEXT, "Initiatives registered")
    if kind == TargetKind.RECOGNISED_SHARE:
        return pgettext(CONTEXT, "Initiatives recognised")
    return pgettext(CONTEXT, "Commendations (award events)")


def target_measure_text(target: dict[str, Any]) -> str:
    """ "140/161: 87,0%" for a share of units, the number for a count."""
    if target["measured"] is None:
        return "–"
    if target["is_share"]:
        if target["denominator"] is not None:
            return "{}/{}: {}".format(
                number_format(int(target["numerator"] or 0), force_grouping=True),
                number_format(int(target["denominator"]), force_grouping=True),
                _pct(target["measured"]),
            )
        return _pct(target["measured"])
    return number_format(int(target["measured"]), force_grouping=True)


def target_goal_text(target: dict[str, Any]) -> str:
    if target["is_share"]:
        return _pct(target["target"])
    return number_format(int(target["target"]), force_grouping=True)


def tables(
    statistics: dict[str, Any], *, links: bool = True, charts_on: bool = True
) -> list[Table]:
    """The report's tables in the order the dashboard and the reports print them."""
    english = _english()
    phase = Phase.objects.filter(code=statistics["phase"]).first() if statistics["phase"] else None
    start, end = report_period(phase=phase, year=statistics["year"])
    unit_code = statistics["unit"]["code"]
    link: LinkFn = list_link_builder(unit_code, start, end) if links else _no_link
    field_names = {
        code: (name_en or name) if english else name
        for code, name, name_en in Field.objects.values_list("code", "name", "name_en")
    }
    indicator_names = {
        code: (name_en or name) if english else name
        for code, name, name_en in Indicator.objects.values_list("code", "name", "name_en")
    }
    initiatives = statistics["initiatives"]
    commendations = statistics["commendations"]
    recognised = statistics["recognised"]
    out: list[Table] = []

    def chart(svg: SafeString) -> SafeString | str:
        return svg if charts_on else ""

    # Key figures
    key_rows = [
        [
            Cell(pgettext(CONTEXT, "Initiatives (not withdrawn or discontinued)")),
            Cell(initiatives["total"], link()),
        ],
        [
            Cell(pgettext(CONTEXT, "Registered in the period")),
            Cell(initiatives["new"]["total"], link(new=True)),
        ],
        [Cell(pgettext(CONTEXT, "Recognised in the period")), Cell(recognised["total"])],
        [
            Cell(pgettext(CONTEXT, "Commendations (award events)")),
            Cell(commendations["total"]),
        ],
        [
            Cell(pgettext(CONTEXT, "Replications registered in the period")),
            Cell(statistics["replication"]["total"], link(new=True, replicas="1")),
        ],
        [Cell(pgettext(CONTEXT, "Review cycles open")), Cell(statistics["boards"]["cycles_open"])],
    ]
    out.append(
        Table(
            "key",
            pgettext(CONTEXT, "Key figures"),
            [pgettext(CONTEXT, "Figure"), pgettext(CONTEXT, "Number")],
            key_rows,
        )
    )

    # By field
    field_rows = []
    bars = []
    for code, n in initiatives["by_field"].items():
        name = field_names.get(code, code)
        href = link(field=code)
        field_rows.append(
            [
                Cell(name),
                Cell(n, href),
                Cell(initiatives["new"]["by_field"].get(code, 0), link(new=True, field=code)),
                Cell(recognised["by_field"].get(code, 0)),
            ]
        )
        bars.append(charts.Bar(name, n, href))
    out.append(
        Table(
            "by_field",
            pgettext(CONTEXT, "Initiatives by field"),
            [
                pgettext(CONTEXT, "Field"),
                pgettext(CONTEXT, "Initiatives"),
                pgettext(CONTEXT, "Registered in the period"),
                pgettext(CONTEXT, "Recognised in the period"),
            ],
            field_rows,
            chart(charts.bar_chart(bars, title=pgettext(CONTEXT, "Initiatives by field"))),
            note=pgettext(CONTEXT, "An initiative counts once in each of its fields."),
        )
    )

    # By child unit
    unit_rows = []
    bars = []
    for entry in statistics["by_unit"]:
        name = entry["name"]
        if entry["own"]:
            name = pgettext(CONTEXT, "%(name)s (its own)") % {"name": name}
        href = link(unit=entry["code"], own="1" if entry["own"] else None)
        unit_rows.append(
            [
                Cell(name),
                Cell(entry["initiatives"]["total"], href),
                Cell(
                    entry["initiatives"]["new"]["total"],
                    link(new=True, unit=entry["code"], own="1" if entry["own"] else None),
                ),
                Cell(entry["commendations"]["total"]),
            ]
        )
        bars.append(charts.Bar(name, entry["initiatives"]["total"], href))
    out.append(
        Table(
            "by_unit",
            pgettext(CONTEXT, "By unit"),
            [
                pgettext(CONTEXT, "Unit"),
                pgettext(CONTEXT, "Initiatives"),
                pgettext(CONTEXT, "Registered in the period"),
                pgettext(CONTEXT, "Commendations"),
            ],
            unit_rows,
            chart(
                charts.bar_chart(
                    bars, title=pgettext(CONTEXT, "Initiatives by unit"), color=charts.PALETTE[1]
                )
            ),
            extra={"codes": [entry["code"] for entry in statistics["by_unit"]]},
        )
    )

    # By year
    years = statistics["by_year"]
    year_rows = [
        [
            Cell(str(row["year"])),
            Cell(
                row["registered"],
                link(registered_from=f"{row['year']}-01-01", registered_to=f"{row['year']}-12-31"),
            ),
            Cell(row["recognised"]),
            Cell(row["commended"]),
        ]
        for row in years
    ]
    out.append(
        Table(
            "by_year",
            pgettext(CONTEXT, "By year"),
            [
                pgettext(CONTEXT, "Year"),
                pgettext(CONTEXT, "Registered"),
                pgettext(CONTEXT, "Recognised"),
                pgettext(CONTEXT, "Commended (award events)"),
            ],
            year_rows,
            chart(
                charts.line_chart(
                    [str(row["year"]) for row in years],
                    [
                        (pgettext(CONTEXT, "Registered"), [row["registered"] for row in years]),
                        (pgettext(CONTEXT, "Recognised"), [row["recognised"] for row in years]),
                        (
                            pgettext(CONTEXT, "Commended (award events)"),
                            [row["commended"] for row in years],
                        ),
                    ],
                    title=pgettext(CONTEXT, "By year"),
                )
            ),
        )
    )

    # By kind and by status
    out.append(
        Table(
            "by_kind",
            pgettext(CONTEXT, "Initiatives by kind"),
            [pgettext(CONTEXT, "Kind"), pgettext(CONTEXT, "Initiatives")],
            [
                [Cell(str(KIND_LABELS.get(kind, kind))), Cell(n, link(kind=kind))]
                for kind, n in initiatives["by_kind"].items()
                if kind in InitiativeKind.values
            ],
        )
    )
    out.append(
        Table(
            "by_status",
            pgettext(CONTEXT, "Initiatives by current status"),
            [pgettext(CONTEXT, "Status"), pgettext(CONTEXT, "Initiatives")],
            [
                [
                    Cell(str(STATUS_LABELS.get(status, status))),
                    Cell(n, link(ongoing=False, status=status)),
                ]
                for status, n in initiatives["by_status"].items()
            ],
            note=pgettext(CONTEXT, "Withdrawn and discontinued included."),
        )
    )

    # Awards
    award_bars = [
        charts.Bar(str(AWARD_LABELS.get(award, award)), n)
        for award, n in commendations["by_award"].items()
    ]
    out.append(
        Table(
            "by_award",
            pgettext(CONTEXT, "Commendations by award"),
            [pgettext(CONTEXT, "Award"), pgettext(CONTEXT, "Award events")],
            [[Cell(bar.label), Cell(bar.value)] for bar in award_bars]
            + [
                [Cell(str(KIND_LABELS.get(kind, kind))), Cell(n)]
                for kind, n in commendations["by_recipient_kind"].items()
            ],
            chart(
                charts.bar_chart(
                    award_bars,
                    title=pgettext(CONTEXT, "Commendations by award"),
                    color=charts.PALETTE[3],
                )
            ),
        )
    )
    issuer_bars = [charts.Bar(name, n) for name, n in commendations["by_issuer"].items()]
    out.append(
        Table(
            "by_issuer",
            pgettext(CONTEXT, "Commendations by issuing body"),
            [pgettext(CONTEXT, "Issuing body"), pgettext(CONTEXT, "Award events")],
            [[Cell(bar.label), Cell(bar.value)] for bar in issuer_bars],
            chart(
                charts.bar_chart(
                    issuer_bars,
                    title=pgettext(CONTEXT, "Commendations by issuing body"),
                    color=charts.PALETTE[3],
                )
            ),
        )
    )

    # Replication
    replication = statistics["replication"]
    rep_bars = [
        charts.Bar(
            f"{row['code']} – {row['title']}",
            row["replicas"],
            link(ongoing=True, replicated_from=row["code"]),
        )
        for row in replication["top"]
    ]
    out.append(
        Table(
            "replication",
            pgettext(CONTEXT, "Most replicated initiatives"),
            [
                pgettext(CONTEXT, "Initiative"),
                pgettext(CONTEXT, "Unit"),
                pgettext(CONTEXT, "Replicas"),
            ],
            [
                [Cell(bar.label), Cell(row["unit"]), Cell(bar.value, bar.href)]
                for bar, row in zip(rep_bars, replication["top"], strict=True)
            ],
            chart(
                charts.bar_chart(
                    rep_bars,
                    title=pgettext(CONTEXT, "Most replicated initiatives"),
                    color=charts.PALETTE[2],
                )
            ),
        )
    )

    # Boards
    boards = statistics["boards"]
    out.append(
        Table(
            "boards",
            pgettext(CONTEXT, "Steering boards"),
            [
                pgettext(CONTEXT, "Kind of unit"),
                pgettext(CONTEXT, "Units"),
                pgettext(CONTEXT, "With a board"),
                pgettext(CONTEXT, "Without a board"),
            ],
            [
                [
                    Cell(str(UNIT_KIND_PLURAL.get(kind, kind))),
                    Cell(row["total"]),
                    Cell(row["with_board"]),
                    Cell(row["without_board"]),
                ]
                for kind, row in boards["units"].items()
            ],
        )
    )
    out.append(
        Table(
            "queues",
            pgettext(CONTEXT, "The boards' queues"),
            [
                pgettext(CONTEXT, "Waiting for"),
                pgettext(CONTEXT, "Waiting"),
                pgettext(CONTEXT, "Overdue"),
                pgettext(CONTEXT, "Oldest due date"),
            ],
            [
                [
                    Cell(str(QUEUE_LABELS[name])),
                    Cell(queue["waiting"]),
                    Cell(queue["overdue"]),
                    Cell(
                        dt.date.fromisoformat(queue["oldest_due"]).strftime("%d/%m/%Y")
                        if queue["oldest_due"]
                        else None
                    ),
                ]
                for name, queue in boards["queues"].items()
            ],
        )
    )
    out.append(
        Table(
            "overdue",
            pgettext(CONTEXT, "Overdue by unit"),
            [
                pgettext(CONTEXT, "Unit"),
                str(QUEUE_LABELS["reports"]),
                str(QUEUE_LABELS["evaluations"]),
                str(QUEUE_LABELS["decisions"]),
            ],
            [
                [
                    Cell(row["name"]),
                    Cell(row["reports"]),
                    Cell(row["evaluations"]),
                    Cell(row["decisions"]),
                ]
                for row in boards["overdue_by_unit"]
            ],
        )
    )

    # Indicators and targets
    indicator_rows = []
    for entry in statistics["indicators"]:
        name = indicator_names.get(entry["code"], entry["name"])
        if entry["value_kind"] == "yes_no":
            if not entry["units"] and not entry["units_reporting"]:
                continue
            result = "{}/{} {} ({})".format(
                number_format(entry["yes"], force_grouping=True),
                number_format(entry["units"], force_grouping=True),
                UNIT_KIND_PLURAL.get(entry["unit_kind"] or "", pgettext(CONTEXT, "units")),
                _pct(entry["share"]),
            )
        else:
            if entry["value"] is None:
                continue
            result = (
                _pct(entry["value"])
                if entry["value_kind"] == "percent"
                else number_format(entry["value"], decimal_pos=1, force_grouping=True)
            )
        indicator_rows.append([Cell(name), Cell(result)])
    out.append(
        Table(
            "indicators",
            pgettext(CONTEXT, "Unit indicators"),
            [pgettext(CONTEXT, "Indicator"), pgettext(CONTEXT, "Result")],
            indicator_rows,
        )
    )
    target_rows = []
    for target in statistics["targets"]:
        label = target_label(target, indicator_names)
        target_rows.append(
            [
                Cell(label),
                Cell(target_measure_text(target)),
                Cell(target_goal_text(target)),
                Cell(_pct(target["progress"])),
            ]
        )
    out.append(
        Table(
            "targets",
            pgettext(CONTEXT, "Targets of the phase"),
            [
                pgettext(CONTEXT, "Target"),
                pgettext(CONTEXT, "Measured"),
                pgettext(CONTEXT, "Target value"),
                pgettext(CONTEXT, "Progress"),
            ],
            target_rows,
            extra={
                "progress": [
                    charts.progress_bar(target["progress"], title=_pct(target["progress"]))
                    for target in statistics["targets"]
                ]
            },
        )
    )
    return out


def heading(statistics: dict[str, Any]) -> str:
    phase = Phase.objects.filter(code=statistics["phase"]).first() if statistics["phase"] else None
    return "{} – {}".format(
        statistics["unit"]["name"],
        period_label(phase=phase, year=statistics["year"]),
    )
