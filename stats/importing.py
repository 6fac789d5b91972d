"""``import_indicators``: ``unit_code, indicator, year, value``: units' indicators per year
(the same all-or-nothing rules as the importers of ``core.importing``). ``indicator`` is the
catalogue's code or its Vietnamese name; ``value`` is 1/0 (có/không, yes/no) for a yes/no
indicator, else a number (``89,4`` or ``89.4%``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.importing.base import Column, Importer, Outcome, Row, missing_unit, repeated_row
from core.importing.text import fold
from core.models import Unit

from . import services
from .models import Indicator, IndicatorValueKind, UnitIndicator

YES = {fold(w) for w in ("1", "yes", "true", "có", "x", "đạt", "rồi")}
NO = {fold(w) for w in ("0", "no", "false", "không", "chưa", "chưa có", "không đạt")}
_NUMBER = re.compile(r"^-?\d+(?:[.,]\d+)?$")


@dataclass(slots=True)
class IndicatorRecord:
    line: int
    unit_code: str
    indicator: str
    year: int | None
    value_text: str


class IndicatorImporter(Importer):
    columns = (
        Column("unit_code", ("mã đơn vị",)),
        Column("indicator", ("chỉ số", "tiêu chí", "mã chỉ số")),
        Column("year", ("năm",)),
        Column("value", ("giá trị", "kết quả")),
    )
    summary = gettext_lazy(
        "Imported %(total)d indicator values: %(created)d new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d indicator values, %(created)d would be new, "
        "%(updated)d updated, %(unchanged)d unchanged."
    )

    def parse(self, row: Row) -> IndicatorRecord:
        year_text = row.text("year", required=True)
        year = None
        if year_text:
            if year_text.isdigit() and len(year_text) == 4:
                year = int(year_text)
            else:
                row.error("year", _("“%(value)s” is not a year") % {"value": year_text})
        return IndicatorRecord(
            line=row.line,
            unit_code=row.text("unit_code", required=True),
            indicator=row.text("indicator", required=True),
            year=year,
            value_text=row.text("value", required=True),
        )

    def _value(self, record: IndicatorRecord, indicator: Indicator) -> Decimal | None:
        text = record.value_text
        if indicator.value_kind == IndicatorValueKind.YES_NO:
            key = fold(text)
            if key in YES:
                return Decimal(1)
            if key in NO:
                return Decimal(0)
            self.error(
                record.line,
                "value",
                _("“%(value)s” is not yes or no (1/0, có/không)") % {"value": text},
            )
            return None
        number = text.removesuffix("%").strip()
        if not _NUMBER.match(number):
            self.error(record.line, "value", _("“%(value)s” is not a number") % {"value": text})
            return None
        try:
            return Decimal(number.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            self.error(record.line, "value", _("“%(value)s” is not a number") % {"value": text})
            return None

    def prepare(self, records: list[IndicatorRecord]) -> Outcome:
        catalogue = list(Indicator.objects.all())
        by_key = {}
        for indicator in catalogue:
            by_key[fold(indicator.code)] = indicator
            by_key[fold(indicator.name)] = indicator
        units = {
            u.code: u
            for u in Unit.objects.filter(code__in={r.unit_code for r in records if r.unit_code})
        }
        self.values: list[services.IndicatorValue] = []
        seen: dict[tuple, int] = {}
        this_year = timezone.localdate().year
        for record in records:
            unit = units.get(record.unit_code)
            if record.unit_code and unit is None:
                self.error(record.line, "unit_code", missing_unit(record.unit_code))
            indicator = by_key.get(fold(record.indicator)) if record.indicator else None
            if record.indicator and indicator is None:
                self.error(
                    record.line,
                    "indicator",
                    _("“%(value)s” is not an indicator; the indicators are: %(codes)s")
                    % {
                        "value": record.indicator,
                        "codes": ", ".join(i.code for i in catalogue if i.is_active),
                    },
                )
            elif indicator is not None and not indicator.is_active:
                self.error(
                    record.line,
                    "indicator",
                    _("the indicator “%(name)s” is not in use") % {"name": indicator.name},
                )
                indicator = None
            if record.year is not None and not (1990 <= record.year <= this_year + 1):
                self.error(
                    record.line,
                    "year",
                    _("the year %(year)s is not plausible") % {"year": record.year},
                )
                continue
            if unit is None or indicator is None or record.year is None:
                continue
            if indicator.unit_kind and unit.kind != indicator.unit_kind:
                self.error(
                    record.line,
                    "unit_code",
                    _("the indicator “%(name)s” is recorded for units of the kind “%(kind)s”")
                    % {"name": indicator.name, "kind": indicator.get_unit_kind_display()},
                )
                continue
            value = self._value(record, indicator)
            if value is None:
                continue
            if (
                indicator.value_kind == IndicatorValueKind.PERCENT and not (0 <= value <= 100)
            ) or value < 0:
                self.error(
                    record.line,
                    "value",
                    _("%(value)s is out of range for this indicator")
                    % {"value": record.value_text},
                )
                continue
            key = (unit.pk, indicator.pk, record.year)
            if key in seen:
                self.error(record.line, "unit_code", repeated_row(key, seen[key]))
                continue
            seen[key] = record.line
            self.values.append(
                services.IndicatorValue(
                    unit_id=unit.pk, indicator_id=indicator.pk, year=record.year, value=value
                )
            )
        stored = {
            (row.unit_id, row.indicator_id, row.year): row.value
            for row in UnitIndicator.objects.filter(
                unit_id__in={v.unit_id for v in self.values},
                indicator_id__in={v.indicator_id for v in self.values},
            )
        }
        outcome = Outcome()
        for v in self.values:
            known = stored.get((v.unit_id, v.indicator_id, v.year))
            if known is None:
                outcome.created += 1
            elif known != v.value:
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def write(self) -> None:
        services.indicator_values_record_bulk(values=self.values)
