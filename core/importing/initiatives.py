"""``import_initiatives``: ``code, title, unit_code, kind, fields, phase, registered_on[,
owner_name, status, description]``. Status lines go through
``services.initiative_statuses_record_bulk``, the one writer of the history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import services
from core.bulk import chunks, fetch, insert_rows
from core.models import Initiative, InitiativeKind, InitiativeStatus
from core.rules import registered_on_problem
from core.tallies import initiative_tallies_add, initiative_tallies_follow

from .base import (
    IMPORT_SOURCE,
    Column,
    Importer,
    Outcome,
    Row,
    changed_fields,
    max_length,
    missing_unit,
    model_fields,
    repeated_code,
    stored_records,
)
from .limits import Limits
from .resolvers import FieldResolver, PhaseResolver, unit_ids
from .vocabularies import IMPORT_STATUSES, INITIATIVE_KINDS


@dataclass(slots=True)
class InitiativeRecord:
    line: int
    code: str
    title: str
    unit_code: str
    kind: str | None
    field_ids: tuple[int, ...]
    phase: str | None
    registered_on: dt.date | None
    owner_name: str
    status: str | None
    description: str


@dataclass(slots=True)
class StoredInitiative:
    id: int
    code: str
    title: str
    owner_unit_id: int
    kind: str
    phase_id: int
    registered_on: dt.date
    owner_name: str
    status: str
    description: str


@dataclass(slots=True)
class Change:
    """A stored initiative the file changes: what it says, what is stored, which fields."""

    record: InitiativeRecord
    stored: StoredInitiative
    fields: list[str]


class InitiativeImporter(Importer):
    columns = (
        Column("code", ("mã mô hình", "mã")),
        Column("title", ("tên mô hình", "tên")),
        Column("unit_code", ("mã đơn vị",)),
        Column("kind", ("loại", "loại mô hình")),
        Column("fields", ("lĩnh vực",)),
        Column("phase", ("giai đoạn",)),
        Column("registered_on", ("ngày đăng ký",)),
        Column("owner_name", ("tên chủ mô hình", "chủ mô hình", "người thực hiện"), False),
        Column("status", ("trạng thái",), required=False),
        Column("description", ("mô tả",), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d initiatives: %(created)d new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d initiatives, %(created)d would be new, "
        "%(updated)d updated, %(unchanged)d unchanged."
    )
    BATCH = 5_000

    def __init__(self, *, source_name: str, limits: Limits | None = None) -> None:
        super().__init__(source_name=source_name, limits=limits)
        self.phases = PhaseResolver()
        self.fields = FieldResolver()

    def parse(self, row: Row) -> InitiativeRecord:
        return InitiativeRecord(
            line=row.line,
            code=row.text("code", required=True, max_length=max_length(Initiative, "code")),
            title=row.text("title", required=True, max_length=max_length(Initiative, "title")),
            unit_code=row.text("unit_code", required=True),
            kind=row.choice("kind", INITIATIVE_KINDS),
            field_ids=self._field_ids(row),
            phase=row.phase("phase", self.phases),
            registered_on=row.date("registered_on", required=True),
            owner_name=row.text("owner_name", max_length=max_length(Initiative, "owner_name")),
            status=row.choice("status", IMPORT_STATUSES, default=InitiativeStatus.REGISTERED),
            description=row.text("description"),
        )

    def _field_ids(self, row: Row) -> tuple[int, ...]:
        found: set[int] = set()
        text = row.text("fields", required=True)
        names = [name for part in text.split(";") if (name := part.strip())]
        if text and not names:  # only separators
            row.error("fields", _("a value is required"))
        for name in names:
            match = self.fields.resolve(name)
            if isinstance(match, int):
                found.add(match)
            elif match:
                row.error(
                    "fields",
                    _("“%(value)s” matches several fields (%(choices)s); write the field's code")
                    % {"value": name, "choices": "; ".join(self.fields.names[i] for i in match)},
                )
            else:
                row.error(
                    "fields",
                    _("no field “%(value)s”; the fields are: %(choices)s")
                    % {"value": name, "choices": self.fields.listing},
                )
        return tuple(sorted(found))

    def prepare(self, records: list[InitiativeRecord]) -> Outcome:
        in_file = self.duplicates(records, lambda r: r.code or None, "code", repeated_code)
        self.unit_ids = unit_ids(r.unit_code for r in records if r.unit_code)
        current = {
            stored.code: stored
            for stored in stored_records(StoredInitiative, Initiative.objects, "code", in_file)
        }
        self.current_fields: dict[int, set[int]] = {}
        through = Initiative.fields.through
        ids = [stored.id for stored in current.values()]
        for pk, field_id in fetch(
            through.objects, "initiative_id", ids, "initiative_id", "field_id"
        ):
            self.current_fields.setdefault(pk, set()).add(field_id)
        outcome = Outcome(notes=self.phases.new_phases_note(r.phase for r in records))
        self.new: list[InitiativeRecord] = []
        self.changed: list[Change] = []
        for record in in_file.values():
            stored = current.get(record.code)
            self._check(record, stored)
            if stored is None:
                self.new.append(record)
                outcome.created += 1
                continue
            changed = changed_fields(stored, self._wanted(record))
            if set(record.field_ids) != self.current_fields.get(stored.id, set()):
                changed.append("fields")
            if changed:
                self.changed.append(Change(record, stored, changed))
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _check(self, record: InitiativeRecord, stored: StoredInitiative | None) -> None:
        if record.unit_code and record.unit_code not in self.unit_ids:
            self.error(record.line, "unit_code", missing_unit(record.unit_code))
        if record.registered_on is not None and record.phase is not None:
            problem = registered_on_problem(
                record.registered_on, phase_ends_on=self.phases.ends_on.get(record.phase)
            )
            if problem:
                self.error(record.line, "registered_on", problem)
        owner_name = record.owner_name
        if "owner_name" not in self.present and stored is not None:
            owner_name = stored.owner_name
        if record.kind == InitiativeKind.INDIVIDUAL and not owner_name:
            self.error(
                record.line, "owner_name", _("an individual initiative needs its owner's name")
            )

    def _wanted(self, record: InitiativeRecord) -> dict[str, Any]:
        wanted = {
            "title": record.title,
            "owner_unit_id": self.unit_ids.get(record.unit_code),
            "kind": record.kind,
            "phase_id": self.phases.ids.get(record.phase, record.phase),
            "registered_on": record.registered_on,
        }
        for name in ("owner_name", "status", "description"):
            if name in self.present:
                wanted[name] = getattr(record, name)
        return wanted

    def write(self) -> None:
        self.phases.create_missing({r.phase for r in self.new + [c.record for c in self.changed]})
        self.now = timezone.now()
        # In batches, so that half a million rows never sit in memory as model instances.
        for start in range(0, len(self.new), self.BATCH):
            batch = self.new[start : start + self.BATCH]
            initiatives = [
                Initiative(code=r.code, created_at=self.now, updated_at=self.now, **self._wanted(r))
                for r in batch
            ]
            Initiative.objects.bulk_create(initiatives, batch_size=1000)
            self._link_fields((i.pk, r) for i, r in zip(initiatives, batch, strict=True))
            initiative_tallies_add(initiative_ids=[i.pk for i in initiatives])
            # An imported initiative's history starts with the status it is imported in.
            self._record_statuses(
                services.StatusChange(initiative_id=i.pk, from_status="", to_status=i.status)
                for i in initiatives
            )
        for start in range(0, len(self.changed), self.BATCH):
            self._update(self.changed[start : start + self.BATCH])

    def _record_statuses(self, changes: Iterable[services.StatusChange]) -> None:
        services.initiative_statuses_record_bulk(
            changes=changes,
            actor=None,
            reason=_("Imported from file %(name)s") % {"name": self.source_name},
            source=IMPORT_SOURCE,
            at=self.now,
        )

    def _link_fields(self, pairs: Iterable[tuple[int, InitiativeRecord]]) -> None:
        insert_rows(
            Initiative.fields.through,
            ("initiative_id", "field_id"),
            ((pk, field_id) for pk, record in pairs for field_id in record.field_ids),
        )

    def _update(self, batch: list[Change]) -> None:
        initiatives, names, relinked, statuses = [], {"updated_at"}, [], []
        for change in batch:
            initiative = Initiative(
                id=change.stored.id, updated_at=self.now, **self._wanted(change.record)
            )
            initiatives.append(initiative)
            # The status is the history's to write (below), with the line that says so.
            names.update(name for name in change.fields if name not in ("fields", "status"))
            if "fields" in change.fields:
                relinked.append((change.stored.id, change.record))
            if "status" in change.fields:
                statuses.append(
                    services.StatusChange(
                        initiative_id=change.stored.id,
                        from_status=change.stored.status,
                        to_status=change.record.status,
                    )
                )
        # The owner, kind, date and fields are counted in the tallies; the statuses are the
        # history writer's to count (a follow around it would count them twice).
        with initiative_tallies_follow(initiative_ids=[i.pk for i in initiatives]):
            Initiative.objects.bulk_update(initiatives, model_fields(names), batch_size=500)
            through = Initiative.fields.through
            for chunk in chunks([pk for pk, _record in relinked]):
                through.objects.filter(initiative_id__in=chunk).delete()
            self._link_fields(relinked)
        self._record_statuses(statuses)
