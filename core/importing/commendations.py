"""``import_commendations``: ``decision_number, decision_date, issuer, award, recipient_kind,
recipient_name, unit_code, phase[, citation, initiative_code]``.

An issuer the database does not know is created from its name (``guess_issuer``); bodies
are better imported first with ``import_issuers``, which sets what their decisions print.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.bulk import fetch
from core.models import Commendation, Initiative, IssuerKind, IssuingBody

from .base import (
    Column,
    Importer,
    Outcome,
    Row,
    changed_fields,
    max_length,
    missing_unit,
    model_fields,
    repeated_row,
    stored_records,
)
from .limits import Limits
from .resolvers import PhaseResolver, unit_ids
from .text import fold
from .vocabularies import AWARDS, RECIPIENT_KINDS


def guess_issuer(name: str) -> tuple[str, str]:
    """The kind and number suffix of a body known only by its name (UBND…, Huyện ủy…)."""
    key = fold(name)
    if key.startswith(("ubnd", "uy ban nhan dan")):
        return IssuerKind.PEOPLE_COMMITTEE, "UBND"
    if key.startswith(("ban chi dao", "bcd ")):
        return IssuerKind.STEERING_BOARD, "BCĐ"
    if re.search(r"\buy\b(?! ban)", key) or "ban thuong vu" in key:
        for words, abbreviation in (("huyen uy", "HU"), ("tinh uy", "TU"), ("dang uy", "ĐU")):
            if words in key:
                return IssuerKind.PARTY_COMMITTEE, abbreviation
        return IssuerKind.PARTY_COMMITTEE, ""
    return IssuerKind.OTHER, ""


class IssuerResolver:
    """Finds an issuing body by code or name (case-insensitive); remembers unknown names."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.codes: set[str] = set()
        for pk, code, name in IssuingBody.objects.values_list("id", "code", "name"):
            self.codes.add(code)
            self.ids.setdefault(code.casefold(), pk)
            self.ids.setdefault(name.casefold(), pk)
        self.missing: dict[str, str] = {}

    def resolve(self, text: str) -> int | str:
        """The body's id, or for a body still to create its name's key."""
        key = text.casefold()
        if key in self.ids:
            return self.ids[key]
        self.missing.setdefault(key, text)
        return key

    def id_of(self, issuer: int | str) -> int | None:
        return issuer if isinstance(issuer, int) else self.ids.get(issuer)

    def create_missing(self) -> None:
        for key, name in self.missing.items():
            kind, abbreviation = guess_issuer(name)
            base = slugify(fold(name))[: max_length(IssuingBody, "code") - 4].strip("-")
            code, number = base or "issuer", 1
            while code in self.codes:
                number += 1
                code = f"{base}-{number}"
            self.codes.add(code)
            body = IssuingBody.objects.create(
                code=code, name=name, kind=kind, abbreviation=abbreviation
            )
            from documents.services import legal_bases_create_defaults

            legal_bases_create_defaults(issuers=[body])
            self.ids[key] = body.pk


@dataclass(frozen=True, slots=True)
class CommendationKey:
    """What tells one award event from another: two rows with the same key are one."""

    unit_id: int | None
    issuer_id: int | None
    decision_number: str
    decision_date: dt.date | None
    recipient_kind: str | None
    recipient_name: str


@dataclass(slots=True)
class CommendationRecord:
    line: int
    decision_number: str
    decision_date: dt.date | None
    issuer: int | str  # a stored body's id, or the key of a body to create
    award: str | None
    recipient_kind: str | None
    recipient_name: str
    unit_code: str
    phase: str | None
    citation: str
    initiative_code: str

    def key(self) -> tuple | None:
        """The row's identity inside the file (None when a part of it is missing)."""
        key = (
            self.issuer,
            self.decision_number,
            self.decision_date,
            self.recipient_kind,
            self.recipient_name,
            self.unit_code,
        )
        return key if all(key) else None


@dataclass(slots=True)
class StoredCommendation:
    id: int
    unit_id: int
    issuer_id: int
    decision_number: str
    decision_date: dt.date
    recipient_kind: str
    recipient_name: str
    award: str
    phase_id: int | None
    citation: str
    initiative_id: int | None

    def key(self) -> CommendationKey:
        return CommendationKey(
            unit_id=self.unit_id,
            issuer_id=self.issuer_id,
            decision_number=self.decision_number,
            decision_date=self.decision_date,
            recipient_kind=self.recipient_kind,
            recipient_name=self.recipient_name,
        )


class CommendationImporter(Importer):
    columns = (
        Column("decision_number", ("số quyết định", "số qđ")),
        Column("decision_date", ("ngày quyết định", "ngày qđ")),
        Column("issuer", ("cơ quan ban hành", "cấp khen", "cơ quan khen thưởng")),
        Column("award", ("hình thức khen", "hình thức", "hình thức khen thưởng")),
        Column("recipient_kind", ("loại đối tượng",)),
        Column("recipient_name", ("tên đối tượng", "người được khen", "đối tượng được khen")),
        Column("unit_code", ("mã đơn vị",)),
        Column("phase", ("giai đoạn",)),
        Column("citation", ("trích yếu", "nội dung khen"), required=False),
        Column("initiative_code", ("mã mô hình",), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d commendations: %(created)d new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d commendations, %(created)d would be new, "
        "%(updated)d updated, %(unchanged)d unchanged."
    )

    def __init__(self, *, source_name: str, limits: Limits | None = None) -> None:
        super().__init__(source_name=source_name, limits=limits)
        self.phases = PhaseResolver()
        self.issuers = IssuerResolver()

    def parse(self, row: Row) -> CommendationRecord:
        issuer = row.text("issuer", required=True, max_length=max_length(IssuingBody, "name"))
        return CommendationRecord(
            line=row.line,
            decision_number=row.text(
                "decision_number",
                required=True,
                max_length=max_length(Commendation, "decision_number"),
            ),
            decision_date=row.date("decision_date", required=True),
            issuer=self.issuers.resolve(issuer) if issuer else "",
            award=row.choice("award", AWARDS),
            recipient_kind=row.choice("recipient_kind", RECIPIENT_KINDS),
            recipient_name=row.text(
                "recipient_name",
                required=True,
                max_length=max_length(Commendation, "recipient_name"),
            ),
            unit_code=row.text("unit_code", required=True),
            phase=row.phase("phase", self.phases, required=False),
            citation=row.text("citation"),
            initiative_code=row.text("initiative_code"),
        )

    def prepare(self, records: list[CommendationRecord]) -> Outcome:
        in_file = self.duplicates(records, CommendationRecord.key, "recipient_name", repeated_row)
        self.unit_ids = unit_ids(r.unit_code for r in records if r.unit_code)
        codes = {r.initiative_code for r in records if r.initiative_code}
        self.initiative_ids = dict(fetch(Initiative.objects, "code", codes, "code", "id"))
        for record in records:
            if record.unit_code and record.unit_code not in self.unit_ids:
                self.error(record.line, "unit_code", missing_unit(record.unit_code))
            if record.initiative_code and record.initiative_code not in self.initiative_ids:
                self.error(
                    record.line,
                    "initiative_code",
                    _("no initiative with code “%(code)s” in the database")
                    % {"code": record.initiative_code},
                )
        numbers = {r.decision_number for r in records}
        stored = {
            commendation.key(): commendation
            for commendation in stored_records(
                StoredCommendation, Commendation.objects, "decision_number", numbers
            )
        }
        notes = self.phases.new_phases_note(r.phase for r in records)
        if self.issuers.missing:
            names = ", ".join(sorted(self.issuers.missing.values()))
            notes.append(_("New issuing bodies: %(names)s.") % {"names": names})
        return self._plan(list(in_file.values()), stored, Outcome(notes=notes))

    def _stored_key(self, record: CommendationRecord) -> CommendationKey:
        return CommendationKey(
            unit_id=self.unit_ids.get(record.unit_code),
            issuer_id=self.issuers.id_of(record.issuer),
            decision_number=record.decision_number,
            decision_date=record.decision_date,
            recipient_kind=record.recipient_kind,
            recipient_name=record.recipient_name,
        )

    def _plan(
        self,
        records: list[CommendationRecord],
        stored: dict[CommendationKey, StoredCommendation],
        outcome: Outcome,
    ) -> Outcome:
        self.new: list[CommendationRecord] = []
        self.changed: list[tuple[int, CommendationRecord]] = []
        self.changed_fields: set[str] = set()
        for record in records:
            commendation = stored.get(self._stored_key(record))
            if commendation is None:
                self.new.append(record)
                outcome.created += 1
            elif changed := changed_fields(commendation, self._wanted(record)):
                self.changed.append((commendation.id, record))
                self.changed_fields.update(changed)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _wanted(self, record: CommendationRecord) -> dict[str, Any]:
        wanted: dict[str, Any] = {
            "award": record.award,
            "phase_id": self.phases.ids.get(record.phase, record.phase),
        }
        if "citation" in self.present:
            wanted["citation"] = record.citation
        if "initiative_code" in self.present:
            wanted["initiative_id"] = self.initiative_ids.get(record.initiative_code)
        return wanted

    def write(self) -> None:
        self.phases.create_missing({r.phase for r in self.new + [r for _pk, r in self.changed]})
        self.issuers.create_missing()
        Commendation.objects.bulk_create(
            (
                Commendation(
                    issuer_id=self.issuers.id_of(r.issuer),
                    decision_number=r.decision_number,
                    decision_date=r.decision_date,
                    recipient_kind=r.recipient_kind,
                    recipient_name=r.recipient_name,
                    unit_id=self.unit_ids[r.unit_code],
                    **self._wanted(r),
                )
                for r in self.new
            ),
            batch_size=1000,
        )
        if self.changed:
            Commendation.objects.bulk_update(
                [Commendation(id=pk, **self._wanted(r)) for pk, r in self.changed],
                model_fields(self.changed_fields),
                batch_size=500,
            )
