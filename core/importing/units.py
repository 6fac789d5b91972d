"""``import_units``: ``code, name, kind, parent_code[, valid_from, valid_to, successor_code]``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import services
from core.models import Unit

from .base import (
    Column,
    Importer,
    Outcome,
    Row,
    changed_fields,
    max_length,
    model_fields,
    repeated_code,
    stored_records,
)
from .vocabularies import UNIT_KINDS


@dataclass(slots=True)
class UnitRecord:
    line: int
    code: str
    name: str
    kind: str | None
    parent_code: str
    successor_code: str
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(slots=True)
class StoredUnit:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    successor_id: int | None
    valid_from: dt.date | None
    valid_to: dt.date | None


def _cycle_members(edges: Mapping[str, str | None]) -> set[str]:
    """Nodes on a cycle of a graph where each node points to at most one other."""
    done: set[str] = set()
    on_cycle: set[str] = set()
    for start in edges:
        walk: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in walk:
            walk[node] = len(walk)
            node = edges.get(node)
        if node is not None and node in walk:
            on_cycle.update(list(walk)[walk[node] :])
        done.update(walk)
    return on_cycle


class UnitImporter(Importer):
    columns = (
        Column("code", ("mã", "mã đơn vị")),
        Column("name", ("tên", "tên đơn vị")),
        Column("kind", ("loại", "cấp", "loại đơn vị")),
        Column("parent_code", ("mã đơn vị cha", "mã cấp trên", "mã đơn vị cấp trên")),
        Column("valid_from", ("hiệu lực từ", "có hiệu lực từ"), required=False),
        Column("valid_to", ("hiệu lực đến", "hết hiệu lực"), required=False),
        Column("successor_code", ("mã đơn vị kế thừa", "mã kế thừa"), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d units: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d units, %(created)d would be new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )

    def parse(self, row: Row) -> UnitRecord:
        return UnitRecord(
            line=row.line,
            code=row.text("code", required=True, max_length=max_length(Unit, "code")),
            name=row.text("name", required=True, max_length=max_length(Unit, "name")),
            kind=row.choice("kind", UNIT_KINDS),
            parent_code=row.text("parent_code"),
            successor_code=row.text("successor_code"),
            valid_from=row.date("valid_from"),
            valid_to=row.date("valid_to"),
        )

    def prepare(self, records: list[UnitRecord]) -> Outcome:
        in_file = self.duplicates(records, lambda r: r.code or None, "code", repeated_code)
        # The whole tree is needed to find loops, so every unit is read.
        current = {unit.code: unit for unit in stored_records(StoredUnit, Unit.objects)}
        code_of = {unit.id: code for code, unit in current.items()}
        parents: dict[str, str | None] = {}
        tree: dict[str, str | None] = {}
        for code, unit in current.items():
            parents[code] = code_of.get(unit.parent_id)
            tree[code] = code_of.get(unit.successor_id) or parents[code]
        for record in in_file.values():
            self._check_references(record, in_file, current)
            successor = record.successor_code
            if "successor_code" not in self.present and record.code in current:
                successor = code_of.get(current[record.code].successor_id)
            parents[record.code] = record.parent_code or None
            tree[record.code] = successor or record.parent_code or None
        looped = _cycle_members(tree) | _cycle_members(parents)
        for record in in_file.values():
            if record.code in looped:
                self.error(
                    record.line,
                    "successor_code" if record.successor_code else "parent_code",
                    _(
                        "the unit “%(code)s” would end up below itself "
                        "(a loop through parent_code / successor_code)"
                    )
                    % {"code": record.code},
                )
        return self._plan(list(in_file.values()), current)

    def _check_references(
        self, record: UnitRecord, in_file: Mapping, current: Mapping[str, StoredUnit]
    ) -> None:
        for column in ("parent_code", "successor_code"):
            code = getattr(record, column)
            if code and code not in in_file and code not in current:
                self.error(
                    record.line,
                    column,
                    _("no unit with code “%(code)s” in the file or in the database")
                    % {"code": code},
                )
        # An absent validity column keeps the stored date, which must still fit.
        stored = current.get(record.code)
        valid_from = record.valid_from
        valid_to = record.valid_to
        if "valid_from" not in self.present:
            valid_from = stored.valid_from if stored else None
        if "valid_to" not in self.present:
            valid_to = stored.valid_to if stored else None
        if valid_from and valid_to and valid_to < valid_from:
            self.error(
                record.line,
                "valid_to" if "valid_to" in self.present else "valid_from",
                _("the end of validity (%(to)s) is before its start (%(from)s)")
                % {"to": valid_to.strftime("%d/%m/%Y"), "from": valid_from.strftime("%d/%m/%Y")},
            )

    def _plan(self, records: list[UnitRecord], current: dict[str, StoredUnit]) -> Outcome:
        self.ids = {code: unit.id for code, unit in current.items()}
        self.new: list[UnitRecord] = []
        self.changed: list[UnitRecord] = []
        self.changed_fields: set[str] = set()
        outcome = Outcome()
        for record in records:
            if record.code not in current:
                self.new.append(record)
                outcome.created += 1
            elif changed := changed_fields(current[record.code], self._wanted(record)):
                self.changed.append(record)
                self.changed_fields.update(changed)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _wanted(self, record: UnitRecord) -> dict[str, Any]:
        # Before the write, a reference to a unit new in this file is its code: it differs
        # from every stored id, so the row counts as changed.
        wanted = {
            "name": record.name,
            "kind": record.kind,
            "parent_id": self.ids.get(record.parent_code, record.parent_code or None),
        }
        if "successor_code" in self.present:
            code = record.successor_code
            wanted["successor_id"] = self.ids.get(code, code or None)
        for name in ("valid_from", "valid_to"):
            if name in self.present:
                wanted[name] = getattr(record, name)
        return wanted

    def _resolved(self, record: UnitRecord) -> bool:
        return all(not c or c in self.ids for c in (record.parent_code, record.successor_code))

    def write(self) -> None:
        pending = self.new
        unlinked: list[UnitRecord] = []
        while pending:
            # Parents and successors are created before the units that point to them. A
            # parent/successor loop among new units (legal when the tree has none) is
            # created unlinked and linked by the update below.
            ready = [r for r in pending if self._resolved(r)]
            if not ready:
                ready = unlinked = pending
            units = [
                Unit(
                    code=r.code,
                    name=r.name,
                    kind=r.kind,
                    parent_id=self.ids.get(r.parent_code),
                    successor_id=self.ids.get(r.successor_code),
                    valid_from=r.valid_from,
                    valid_to=r.valid_to,
                )
                for r in ready
            ]
            Unit.objects.bulk_create(units)
            self.ids.update((unit.code, unit.pk) for unit in units)
            pending = [r for r in pending if r.code not in self.ids]
        fields = self.changed_fields | ({"parent_id", "successor_id"} if unlinked else set())
        changes = [Unit(id=self.ids[r.code], **self._wanted(r)) for r in self.changed + unlinked]
        if changes:
            Unit.objects.bulk_update(changes, model_fields(fields))
        services.units_rebuild_paths()
