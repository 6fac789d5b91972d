"""``import_issuers``: ``code, name, kind[, unit_code, abbreviation, header, place,
signing_authority, signer_title, signer_name]``: the bodies that issue decisions and
awards, with what their documents print (Decree 30/2020/NĐ-CP header and signature)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import IssuingBody

from .base import (
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
from .resolvers import unit_ids
from .vocabularies import ISSUER_KINDS

# Columns that hold printed text, copied as they are (absent: the stored text stays).
TEXTS = ("abbreviation", "place", "signing_authority", "signer_title", "signer_name")
_HEADER_BREAKS = re.compile(r"[|\r\n]+")


def header_text(cell: str) -> str:
    """The header's lines, one per line of the stored text: a cell separates them with
    ``|`` or real line breaks; blank lines and the spaces around each line are dropped."""
    return "\n".join(line.strip() for line in _HEADER_BREAKS.split(cell) if line.strip())


@dataclass(slots=True)
class IssuerRecord:
    line: int
    code: str
    name: str
    kind: str | None
    unit_code: str
    header: str
    abbreviation: str
    place: str
    signing_authority: str
    signer_title: str
    signer_name: str


@dataclass(slots=True)
class StoredIssuer:
    id: int
    code: str
    name: str
    kind: str
    unit_id: int | None
    abbreviation: str
    header: str
    place: str
    signing_authority: str
    signer_title: str
    signer_name: str


class IssuerImporter(Importer):
    columns = (
        Column("code", ("mã", "mã cơ quan")),
        Column("name", ("tên", "tên cơ quan")),
        Column("kind", ("loại", "loại cơ quan")),
        Column("unit_code", ("mã đơn vị",), required=False),
        Column("abbreviation", ("viết tắt", "ký hiệu"), required=False),
        Column("header", ("tiêu đề",), required=False),
        Column("place", ("địa danh",), required=False),
        Column("signing_authority", ("thẩm quyền ký",), required=False),
        Column("signer_title", ("chức vụ người ký",), required=False),
        Column("signer_name", ("người ký", "họ tên người ký"), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d issuing bodies: %(created)d new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d issuing bodies, %(created)d would be new, "
        "%(updated)d updated, %(unchanged)d unchanged."
    )

    def parse(self, row: Row) -> IssuerRecord:
        code = row.text("code", required=True, max_length=max_length(IssuingBody, "code"))
        if code:
            try:
                validate_slug(code)
            except ValidationError:
                row.error(
                    "code",
                    _(
                        "“%(value)s” is not a code: use only letters without diacritics, "
                        "digits, hyphens and underscores"
                    )
                    % {"value": code},
                )
        texts = {name: row.text(name, max_length=max_length(IssuingBody, name)) for name in TEXTS}
        return IssuerRecord(
            line=row.line,
            code=code,
            name=row.text("name", required=True, max_length=max_length(IssuingBody, "name")),
            kind=row.choice("kind", ISSUER_KINDS),
            unit_code=row.text("unit_code"),
            header=header_text(row.text("header")),
            **texts,
        )

    def prepare(self, records: list[IssuerRecord]) -> Outcome:
        in_file = self.duplicates(records, lambda r: r.code or None, "code", repeated_code)
        self.duplicates(records, lambda r: r.name or None, "name", repeated_code)
        self.unit_ids = unit_ids(r.unit_code for r in records if r.unit_code)
        self.current = {
            body.code: body for body in stored_records(StoredIssuer, IssuingBody.objects)
        }
        holder = {body.name: body for body in self.current.values()}
        for record in in_file.values():
            if record.unit_code and record.unit_code not in self.unit_ids:
                self.error(record.line, "unit_code", missing_unit(record.unit_code))
            other = holder.get(record.name)
            # A stored name may pass to another body when the file renames its holder.
            if other is not None and other.code != record.code and other.code not in in_file:
                self.error(
                    record.line,
                    "name",
                    _("the issuing body “%(code)s” already has this name") % {"code": other.code},
                )
        return self._plan(list(in_file.values()))

    def _plan(self, records: list[IssuerRecord]) -> Outcome:
        self.new: list[IssuerRecord] = []
        self.changed: list[tuple[StoredIssuer, IssuerRecord]] = []
        self.changed_fields: set[str] = set()
        outcome = Outcome()
        for record in records:
            stored = self.current.get(record.code)
            if stored is None:
                self.new.append(record)
                outcome.created += 1
            elif changed := changed_fields(stored, self._wanted(record)):
                self.changed.append((stored, record))
                self.changed_fields.update(changed)
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        return outcome

    def _wanted(self, record: IssuerRecord) -> dict[str, Any]:
        wanted: dict[str, Any] = {"name": record.name, "kind": record.kind}
        if "unit_code" in self.present:
            wanted["unit_id"] = self.unit_ids.get(record.unit_code)
        for name in ("header", *TEXTS):
            if name in self.present:
                wanted[name] = getattr(record, name)
        return wanted

    def write(self) -> None:
        renamed = [(stored, r.name) for stored, r in self.changed if r.name != stored.name]
        taken = {body.name for body in self.current.values()}
        if any(name in taken for _stored, name in renamed):
            # A name passes from one body to another: the unique constraint is checked row
            # by row, so the renamed bodies let go of their names first.
            IssuingBody.objects.bulk_update(
                [IssuingBody(id=s.id, name=f"#{s.id} {s.code}") for s, _name in renamed],
                ["name"],
            )
        if self.changed:
            IssuingBody.objects.bulk_update(
                [IssuingBody(id=stored.id, **self._wanted(r)) for stored, r in self.changed],
                model_fields(self.changed_fields),
            )
        created = IssuingBody.objects.bulk_create(
            IssuingBody(code=r.code, **self._wanted(r)) for r in self.new
        )
        # New bodies start with their kind's legal bases (documents owns them).
        from documents.services import legal_bases_create_defaults

        legal_bases_create_defaults(
            issuers=list(IssuingBody.objects.filter(code__in=[b.code for b in created]))
        )
