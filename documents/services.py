"""Services that write decisions, certificates and print jobs. Each runs in one transaction.

The lifecycle (workflows/) calls these: ``decision_issue`` when a board's recognition or a
body's commendation is decided, ``certificates_issue`` for the certificates of a
commendation decision, ``print_job_start`` when a clerk prints them for a conference.

Files reach storage only once nothing can roll them back: a decision's PDF is written by an
``on_commit`` hook of the issuing transaction (and rendered again from its snapshot if that
write never happened, see ``decision_pdf_bytes``); the parts and results of a print job are
written before the short transaction that records them, and deleted when it does not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import services as core_services
from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import (
    AwardType,
    Commendation,
    Field,
    Initiative,
    InitiativeKind,
    IssuerKind,
    IssuingBody,
    Phase,
    RecipientKind,
    Unit,
    UnitKind,
    User,
)

from . import legal, rendering, selectors
from .models import (
    Certificate,
    CertificateAction,
    CertificateEvent,
    CertificateLayout,
    CertificateStatus,
    Decision,
    DecisionEntry,
    DecisionKind,
    DecisionStatus,
    DocumentCounter,
    DocumentSeries,
    LegalBasis,
    PageSize,
    PrintChunk,
    PrintJob,
    PrintJobStatus,
)

logger = logging.getLogger(__name__)

NATION_STATE = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
NATION_PARTY = ["ĐẢNG CỘNG SẢN VIỆT NAM"]
# Awards that come with a printed certificate, and the certificate's title and register code.
CERTIFICATE_AWARDS = {
    AwardType.CERTIFICATE_OF_MERIT: ("GIẤY KHEN", "GK", "Giấy khen"),
    AwardType.COMMENDATION_CERTIFICATE: ("BẰNG KHEN", "BK", "Bằng khen"),
}
AWARD_IN_TEXT = {
    AwardType.PRAISE: "Biểu dương",
    AwardType.CERTIFICATE_OF_MERIT: "Giấy khen",
    AwardType.COMMENDATION_CERTIFICATE: "Bằng khen",
}
PRINT_CHUNK_SIZE = 50


@dataclass(frozen=True)
class EntryInput:
    """One row of a decision: an initiative to recognise, or a recipient to commend.

    ``recipient_name`` defaults to the unit's name for a collective; a person's name is
    required for an individual. ``award`` is required in a commendation decision.
    """

    unit: Unit
    recipient_kind: str = RecipientKind.COLLECTIVE
    recipient_name: str = ""
    recipient_title: str = ""
    initiative: Initiative | None = None
    award: str = ""
    citation: str = ""
    phase: Phase | None = None

    @classmethod
    def for_initiative(cls, initiative: Initiative, **kwargs) -> EntryInput:
        """The entry for an initiative's owner (its unit, or the person who runs it)."""
        individual = initiative.kind == InitiativeKind.INDIVIDUAL
        defaults = {
            "unit": initiative.owner_unit,
            "recipient_kind": RecipientKind.INDIVIDUAL if individual else RecipientKind.COLLECTIVE,
            "recipient_name": initiative.owner_name if individual else "",
            "initiative": initiative,
            "phase": initiative.phase,
        }
        defaults.update(kwargs)
        return cls(**defaults)


# --- Helpers ------------------------------------------------------------------------------


def _check_actor(actor: User | None, issuer: IssuingBody) -> None:
    if not selectors.user_can_manage_issuer(actor, issuer):
        raise NotAllowed(_("You may not issue or print documents of this issuing body."))


def _is_party(issuer: IssuingBody) -> bool:
    return issuer.kind == IssuerKind.PARTY_COMMITTEE


def number_suffix(issuer: IssuingBody) -> str:
    """The issuer's abbreviation in numbers (UBND, HU, TU, BCĐ).

    Configured on the issuing body; without it, guessed from its kind (and, for a party
    committee, from its unit's level).
    """
    if issuer.abbreviation.strip():
        return issuer.abbreviation.strip()
    if issuer.kind == IssuerKind.PEOPLE_COMMITTEE:
        return "UBND"
    if issuer.kind == IssuerKind.STEERING_BOARD:
        return "BCĐ"
    if issuer.kind == IssuerKind.PARTY_COMMITTEE and issuer.unit is not None:
        return {UnitKind.PROVINCE: "TU", UnitKind.DISTRICT: "HU"}.get(issuer.unit.kind, "ĐU")
    raise InvalidInput(
        _("Set the number suffix of the issuing body %(name)s.") % {"name": issuer.name}
    )


def decision_number(issuer: IssuingBody, sequence: int) -> str:
    """``12/QĐ-UBND`` (Decree 30/2020); ``12-QĐ/HU`` for a party body."""
    suffix = number_suffix(issuer)
    return f"{sequence}-QĐ/{suffix}" if _is_party(issuer) else f"{sequence}/QĐ-{suffix}"


def register_number(issuer: IssuingBody, sequence: int, award: str) -> str:
    """``125/GK-UBND`` for a Giấy khen, ``125/BK-UBND`` for a Bằng khen."""
    code = CERTIFICATE_AWARDS[award][1]
    suffix = number_suffix(issuer)
    return f"{sequence}-{code}/{suffix}" if _is_party(issuer) else f"{sequence}/{code}-{suffix}"


def _take_numbers(*, issuer: IssuingBody, series: str, year: int, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers; returns the first. Call inside a transaction.

    The counter row is locked until the transaction ends, so concurrent issuers wait and
    numbers are never given twice or skipped by a rolled-back issue.
    """
    counter, _created = DocumentCounter.objects.select_for_update().get_or_create(
        issuer=issuer, series=series, year=year
    )
    first = counter.last_sequence + 1
    counter.last_sequence += count
    counter.save(update_fields=["last_sequence"])
    return first


def _header_lines(issuer: IssuingBody) -> list[str]:
    """The body's name lines, top left. A "*" typed as a line is dropped: the party format
    prints its one asterisk under the name itself."""
    lines = [line.strip() for line in issuer.header.splitlines() if line.strip().strip("*")]
    return lines or [issuer.name.upper()]


class SignerRole(models.TextChoices):
    """Who signs: the head of the body, or a deputy on the head's behalf."""

    HEAD = "head", _("The head (chair, secretary)")
    DEPUTY = "deputy", _("A deputy, on the head's behalf")


@dataclass(frozen=True)
class Authority:
    """Who decides (printed above the legal bases), who gives a certificate, and the lines
    above the signature, as the body's kind and the signer's role require."""

    deciding: str
    awarding: str
    signature: list[str]


def _head_title(issuer: IssuingBody) -> str:
    title = issuer.signer_title.strip().upper()
    return title.removeprefix("PHÓ ").strip() or "THỦ TRƯỞNG"


def default_signer_role(issuer: IssuingBody) -> str:
    """A body set up as signed "KT. …" or by a "PHÓ …" signs as a deputy."""
    if issuer.signing_authority.strip().upper().startswith(("KT.", "K/T")):
        return SignerRole.DEPUTY
    if issuer.signer_title.strip().upper().startswith("PHÓ "):
        return SignerRole.DEPUTY
    return SignerRole.HEAD


def authority_for(issuer: IssuingBody, header: list[str], role: str) -> Authority:
    """Law on Emulation and Commendation 2022 and Decree 30/2020 (Appendix I, signing):

    - a People's Committee's decision on emulation and commendation is its Chairman's:
      "CHỦ TỊCH ỦY BAN NHÂN DÂN …", signed "CHỦ TỊCH" or "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH";
    - a collective body signs "TM." (on behalf of): a steering board "TM. BAN CHỈ ĐẠO /
      TRƯỞNG BAN" (a deputy adds "KT. TRƯỞNG BAN / PHÓ TRƯỞNG BAN"); a party committee's
      standing board "T/M BAN THƯỜNG VỤ / BÍ THƯ" or "/ PHÓ BÍ THƯ" (Hướng dẫn 36-HD/VPTW);
    - any other body is run by its head: the signer's title, or "KT. <head> / PHÓ <head>".
    """
    if role not in SignerRole.values:
        raise InvalidInput(_("Unknown signer role: %(role)s") % {"role": role})
    deputy = role == SignerRole.DEPUTY
    joined = " ".join(header)
    if issuer.kind == IssuerKind.PEOPLE_COMMITTEE:
        chair = f"CHỦ TỊCH {joined}"
        lines = ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] if deputy else ["CHỦ TỊCH"]
        return Authority(deciding=chair, awarding=chair, signature=lines)
    if issuer.kind == IssuerKind.PARTY_COMMITTEE:
        board = f"BAN THƯỜNG VỤ {header[-1]}"
        return Authority(
            deciding=board,
            awarding=board,
            signature=["T/M BAN THƯỜNG VỤ", "PHÓ BÍ THƯ" if deputy else "BÍ THƯ"],
        )
    if issuer.kind == IssuerKind.STEERING_BOARD:
        lines = ["TM. BAN CHỈ ĐẠO"]
        lines += ["KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN"] if deputy else ["TRƯỞNG BAN"]
        return Authority(deciding=joined, awarding=joined, signature=lines)
    head = _head_title(issuer)
    lines = [f"KT. {head}", f"PHÓ {head}"] if deputy else [head]
    return Authority(deciding=f"{head} {joined}", awarding=f"{head} {joined}", signature=lines)


def signer_block(lines: Sequence[str], name: str) -> dict:
    """The snapshot's signer: every line above the signature, and the name under it
    (``authority`` and ``title`` kept for readers of version-1 snapshots)."""
    lines = list(lines)
    return {
        "lines": lines,
        "authority": lines[0] if len(lines) > 1 else "",
        "title": lines[-1],
        "name": name,
    }


# --- Legal bases ----------------------------------------------------------------------------


def _basis_text(text: str) -> str:
    return " ".join(text.split()).rstrip(" ;.,")


def legal_bases_lines(bases: Sequence[str], proposal: str = "") -> list[str]:
    """The printed lines: every basis ends with ";", the last line (the proposal when there
    is one: "Theo đề nghị của …") with "."."""
    lines = [text for text in (_basis_text(b) for b in bases) if text]
    proposal = _basis_text(proposal)
    if proposal:
        if not proposal.lower().startswith("theo đề nghị"):
            proposal = f"Theo đề nghị của {proposal}"
        lines.append(proposal)
    return [line + ("." if i == len(lines) - 1 else ";") for i, line in enumerate(lines)]


@transaction.atomic
def legal_bases_set(
    *, issuer: IssuingBody, kind: str, bases: Sequence[str], actor: User | None
) -> list[LegalBasis]:
    """Replace a body's legal bases for one decision kind (the order is the printed one)."""
    if actor is not None:
        _check_actor(actor, issuer)
    if kind not in DecisionKind.values:
        raise InvalidInput(_("Unknown decision kind: %(kind)s") % {"kind": kind})
    texts = [text for text in (_basis_text(b) for b in bases) if text]
    LegalBasis.objects.filter(issuer=issuer, kind=kind).delete()
    return LegalBasis.objects.bulk_create(
        LegalBasis(issuer=issuer, kind=kind, position=i, text=text)
        for i, text in enumerate(texts, 1)
    )


def legal_bases_create_defaults(*, issuers: Sequence[IssuingBody]) -> None:
    """Give new bodies their default legal bases (called where bodies are created)."""
    have = set(
        LegalBasis.objects.filter(issuer__in=[i.pk for i in issuers]).values_list(
            "issuer_id", "kind"
        )
    )
    LegalBasis.objects.bulk_create(
        [
            LegalBasis(issuer=issuer, kind=kind, position=i, text=text)
            for issuer in issuers
            for kind in DecisionKind.values
            if (issuer.pk, kind) not in have
            for i, text in enumerate(legal.legal_bases_defaults(issuer, kind), 1)
        ]
    )


def _counted(count: int, noun: str) -> str:
    return f"{count:02d} {noun}" if count < 10 else f"{count} {noun}"


def _movement() -> str:
    return settings.MOVEMENT_NAME


def _default_citation() -> str:
    return f"Đã có thành tích xuất sắc trong phong trào thi đua “{_movement()}”"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


# --- Decisions ----------------------------------------------------------------------------


@dataclass
class _Row:
    entry: EntryInput
    recipient_name: str
    unit_name: str
    initiative_title: str
    citation: str
    fields: str
    parent_name: str


def _prepare_rows(kind: str, entries: Sequence[EntryInput]) -> list[_Row]:
    if not entries:
        raise InvalidInput(_("A decision needs at least one entry."))
    initiative_ids = [e.initiative.pk for e in entries if e.initiative is not None]
    field_names: dict[int, list[str]] = {}
    if initiative_ids:
        for initiative in Initiative.objects.filter(pk__in=initiative_ids).prefetch_related(
            Prefetch("fields", queryset=Field.objects.order_by("position", "code"))
        ):
            field_names[initiative.pk] = [f.name for f in initiative.fields.all()]
    parent_names = dict(
        Unit.objects.filter(pk__in={e.unit.pk for e in entries}).values_list("pk", "parent__name")
    )
    rows: list[_Row] = []
    seen: set[tuple] = set()
    for entry in entries:
        if entry.recipient_kind not in RecipientKind.values:
            raise InvalidInput(
                _("Unknown recipient kind: %(kind)s") % {"kind": entry.recipient_kind}
            )
        name = entry.recipient_name.strip()
        if not name:
            if entry.recipient_kind == RecipientKind.INDIVIDUAL:
                raise InvalidInput(_("A person's name is needed for an individual recipient."))
            name = entry.unit.name
        if kind == DecisionKind.RECOGNITION and entry.initiative is None:
            raise InvalidInput(_("Each entry of a recognition decision needs an initiative."))
        if kind == DecisionKind.COMMENDATION and entry.award not in AwardType.values:
            raise InvalidInput(_("Each entry of a commendation decision needs an award."))
        key = (entry.recipient_kind, name, entry.unit.pk, entry.initiative and entry.initiative.pk)
        if key in seen:
            raise InvalidInput(_("%(name)s is listed twice.") % {"name": name})
        seen.add(key)
        rows.append(
            _Row(
                entry=entry,
                recipient_name=name,
                unit_name=entry.unit.name,
                initiative_title=entry.initiative.title if entry.initiative else "",
                citation=entry.citation.strip()
                or (_default_citation() if kind == DecisionKind.COMMENDATION else ""),
                fields=", ".join(field_names.get(entry.initiative.pk, []))
                if entry.initiative
                else "",
                parent_name=parent_names.get(entry.unit.pk) or "",
            )
        )
    return rows


def _recipient_detail(row: _Row) -> str:
    """The annex's second column: a person's position and unit; a collective's unit, or
    the unit above it when the collective is the unit itself."""
    if row.entry.recipient_kind == RecipientKind.INDIVIDUAL:
        title = row.entry.recipient_title.strip()
        return f"{title}, {row.unit_name}" if title else row.unit_name
    return row.parent_name if row.unit_name == row.recipient_name else row.unit_name


def _default_articles(kind: str, rows: list[_Row], year: int) -> list[str]:
    effect = "Quyết định này có hiệu lực kể từ ngày ký."
    if kind == DecisionKind.RECOGNITION:
        return [
            f"Công nhận {_counted(len(rows), 'mô hình')} “{_movement()}” năm {year} "
            "(có danh sách kèm theo).",
            effect,
            "Các cơ quan, đơn vị có liên quan và các tập thể, cá nhân có mô hình tại Điều 1 "
            "chịu trách nhiệm thi hành Quyết định này.",
        ]
    awards = sorted({row.entry.award for row in rows}, key=AwardType.values.index)
    parts = []
    for award in awards:
        of_award = [row for row in rows if row.entry.award == award]
        collectives = sum(1 for r in of_award if r.entry.recipient_kind == RecipientKind.COLLECTIVE)
        individuals = len(of_award) - collectives
        counts = " và ".join(
            text
            for number, text in (
                (collectives, _counted(collectives, "tập thể")),
                (individuals, _counted(individuals, "cá nhân")),
            )
            if number
        )
        verb = "Biểu dương" if award == AwardType.PRAISE else f"Tặng {AWARD_IN_TEXT[award]}"
        parts.append(f"{verb} cho {counts}")
    citations = {row.citation for row in rows}
    reason = (
        _lower_first(citations.pop()) if len(citations) == 1 else _lower_first(_default_citation())
    )
    return [
        f"{'; '.join(parts)} (có danh sách kèm theo) {reason}.".replace("..", "."),
        effect,
        "Các cơ quan, đơn vị có liên quan và các tập thể, cá nhân có tên tại Điều 1 "
        "chịu trách nhiệm thi hành Quyết định này.",
    ]


def _close_articles(articles: list[str]) -> list[str]:
    """Decree 30/2020: the text of a document ends with "./." after its last article."""
    if not articles:
        return articles
    last = articles[-1].rstrip()
    if not last.endswith("./."):
        last = last.rstrip(".") + "./."
    return [*articles[:-1], last]


def _annex(kind: str, rows: list[_Row], number: str, date_text: str, issuer: IssuingBody) -> dict:
    subtitle = f"(Kèm theo Quyết định số {number} {date_text} của {issuer.name})"
    if kind == DecisionKind.RECOGNITION:
        return {
            "label": "Phụ lục",
            "layout": "recognition",
            "title": f"DANH SÁCH MÔ HÌNH “{_movement().upper()}” ĐƯỢC CÔNG NHẬN",
            "subtitle": subtitle,
            "columns": ["STT", "Tên mô hình", "Tập thể, cá nhân thực hiện", "Lĩnh vực"],
            "sections": [
                {
                    "heading": "",
                    "rows": [
                        [
                            str(i),
                            row.initiative_title,
                            row.recipient_name
                            if row.recipient_name == row.unit_name
                            else f"{row.recipient_name}, {row.unit_name}",
                            row.fields,
                        ]
                        for i, row in enumerate(rows, 1)
                    ],
                }
            ],
            "total_line": f"Tổng số: {_counted(len(rows), 'mô hình')}.",
        }
    awards = sorted({row.entry.award for row in rows}, key=AwardType.values.index)
    award_text = ", ".join(AWARD_IN_TEXT[a].upper() for a in awards)
    sections = []
    numerals = iter(["I", "II", "III", "IV", "V", "VI"])
    for award in awards:
        for recipient_kind, label in (
            (RecipientKind.COLLECTIVE, "TẬP THỂ"),
            (RecipientKind.INDIVIDUAL, "CÁ NHÂN"),
        ):
            selected = [
                r
                for r in rows
                if r.entry.award == award and r.entry.recipient_kind == recipient_kind
            ]
            if not selected:
                continue
            heading = f"{next(numerals)}. {label}"
            if len(awards) > 1:
                heading += f" ({AWARD_IN_TEXT[award]})"
            sections.append(
                {
                    "heading": heading,
                    "rows": [
                        [str(i), row.recipient_name, _recipient_detail(row)]
                        for i, row in enumerate(selected, 1)
                    ],
                }
            )
    return {
        "label": "Phụ lục",
        "layout": "commendation",
        "title": f"DANH SÁCH TẬP THỂ, CÁ NHÂN ĐƯỢC {'BIỂU DƯƠNG' if awards == [AwardType.PRAISE] else 'TẶNG ' + award_text}",
        "subtitle": subtitle,
        "columns": ["STT", "Tên tập thể, cá nhân", "Chức vụ, đơn vị"],
        "sections": sections,
        "total_line": "",
    }


def _decision_content(
    *,
    issuer: IssuingBody,
    kind: str,
    number: str,
    issued_on: dt.date,
    title: str,
    rows: list[_Row],
    legal_bases: Sequence[str] | None,
    articles: Sequence[str] | None,
    recipients: Sequence[str] | None,
    signing_authority: str | None,
    signer_title: str | None,
    signer_name: str | None,
    authority: str | None,
    place: str | None,
    signer_role: str | None,
    proposal: str,
) -> dict:
    """Everything a decision prints (its ``content`` snapshot), under ``number``."""
    year = issued_on.year
    date_text = rendering.vn_date(issued_on)
    header = _header_lines(issuer)
    role = signer_role or default_signer_role(issuer)
    powers = authority_for(issuer, header, role)
    signature = powers.signature
    if signing_authority is not None or signer_title is not None:
        signature = [
            line.strip() for line in (signing_authority or "", signer_title or "") if line.strip()
        ] or signature
    signer_name = signer_name if signer_name is not None else issuer.signer_name
    place = place if place is not None else issuer.place
    party = _is_party(issuer)
    if legal_bases is None:
        legal_bases = selectors.legal_bases_for(issuer=issuer, kind=kind)
    content = {
        "version": 2,
        "format": "party" if party else "state",
        "kind": kind,
        "header": header,
        "nation": NATION_PARTY if party else NATION_STATE,
        "number": number,
        "number_line": f"Số {number}" if party else f"Số: {number}",
        "place": place,
        "issued_on": issued_on.isoformat(),
        "date_text": date_text,
        "date_line": rendering.place_date_line(place, issued_on),
        "doc_kind": "QUYẾT ĐỊNH",
        "subject": title.strip(),
        "authority": authority or powers.deciding,
        "awarding": powers.awarding,
        "issuer_name": issuer.name,
        "legal_bases": legal_bases_lines(legal_bases, proposal),
        "decides": "QUYẾT ĐỊNH:",
        "articles": _close_articles(
            list(articles) if articles else _default_articles(kind, rows, year)
        ),
        "recipients": list(recipients) if recipients is not None else ["Như Điều 3;", "Lưu: VT."],
        "signer": signer_block(signature, signer_name),
        "annex": _annex(kind, rows, number, date_text, issuer),
    }
    return content


@transaction.atomic
def decision_issue(
    *,
    issuer: IssuingBody,
    kind: str,
    issued_on: dt.date,
    title: str,
    entries: Sequence[EntryInput],
    actor: User,
    legal_bases: Sequence[str] | None = None,
    articles: Sequence[str] | None = None,
    recipients: Sequence[str] | None = None,
    signing_authority: str | None = None,
    signer_title: str | None = None,
    signer_name: str | None = None,
    authority: str | None = None,
    place: str | None = None,
    signer_role: str | None = None,
    proposal: str = "",
) -> Decision:
    """Number, write and render a decision; for a commendation, record its commendations.

    ``legal_bases`` (the "Căn cứ …" lines) default to the issuer's for the kind
    (``legal_bases_for``); ``proposal`` names who proposed it ("Theo đề nghị của …").
    The authority and the signature follow the issuer's kind and ``signer_role`` (head or
    deputy; by default what the body is set up with); ``signing_authority`` and
    ``signer_title`` replace the lines above the signature when given.

    The number comes from the issuer's counter for the year, locked for the rest of the
    transaction. Everything printed goes into ``content``; the PDF is rendered from it
    alone, here, so the row records its SHA-256 and file name; the file itself is written
    to storage once the transaction has committed.
    """
    _check_actor(actor, issuer)
    if kind not in DecisionKind.values:
        raise InvalidInput(_("Unknown decision kind: %(kind)s") % {"kind": kind})
    if not title.strip():
        raise InvalidInput(_("A decision needs a subject."))
    rows = _prepare_rows(kind, entries)
    number_suffix(issuer)  # fail before taking a number

    year = issued_on.year
    sequence = _take_numbers(issuer=issuer, series=DocumentSeries.DECISION, year=year)
    number = decision_number(issuer, sequence)
    content = _decision_content(
        issuer=issuer,
        kind=kind,
        number=number,
        issued_on=issued_on,
        title=title,
        rows=rows,
        legal_bases=legal_bases,
        articles=articles,
        recipients=recipients,
        signing_authority=signing_authority,
        signer_title=signer_title,
        signer_name=signer_name,
        authority=authority,
        place=place,
        signer_role=signer_role,
        proposal=proposal,
    )

    decision = Decision.objects.create(
        issuer=issuer,
        kind=kind,
        status=DecisionStatus.DRAFT,
        title=title.strip(),
        year=year,
        sequence=sequence,
        number=number,
        issued_on=issued_on,
        content=content,
        created_by=actor,
    )
    commendations: list[Commendation | None] = [None] * len(rows)
    if kind == DecisionKind.COMMENDATION:
        # Born with the decision's number and date, in the issuing transaction.
        commendations = list(
            core_services.commendations_record(
                commendations=[
                    core_services.NewCommendation(
                        award=row.entry.award,
                        recipient_kind=row.entry.recipient_kind,
                        recipient_name=row.recipient_name,
                        unit_id=row.entry.unit.pk,
                        issuer_id=issuer.pk,
                        decision_number=number,
                        decision_date=issued_on,
                        citation=row.citation,
                        phase_id=row.entry.phase.pk if row.entry.phase else None,
                        initiative_id=row.entry.initiative.pk if row.entry.initiative else None,
                    )
                    for row in rows
                ]
            )
        )
    DecisionEntry.objects.bulk_create(
        [
            DecisionEntry(
                decision=decision,
                position=position,
                initiative=row.entry.initiative,
                commendation=commendation,
                unit=row.entry.unit,
                award=row.entry.award,
                recipient_kind=row.entry.recipient_kind,
                recipient_name=row.recipient_name,
                recipient_title=row.entry.recipient_title.strip(),
                unit_name=row.unit_name,
                parent_unit_name=row.parent_name,
                initiative_title=row.initiative_title,
                citation=row.citation,
            )
            for position, (row, commendation) in enumerate(zip(rows, commendations, strict=True), 1)
        ]
    )

    pdf = rendering.render_decision_pdf(content)
    decision.sha256 = _sha256(pdf)
    decision.status = DecisionStatus.ISSUED
    decision.issued_by = actor
    decision.issued_at = timezone.now()
    # Only the name now; the file once the issue is committed (a rolled-back issue writes
    # nothing). ``robust``: a failed write must not undo the caller's other after-commit
    # effects (notifications); reading the PDF renders and stores it again.
    decision.pdf.name = _decision_pdf_field().generate_filename(
        decision, decision_file_name(decision)
    )
    decision.save()
    decision_id, name = decision.pk, decision.pdf.name
    transaction.on_commit(
        lambda: _decision_pdf_write(decision_id=decision_id, name=name, data=pdf), robust=True
    )
    from .signatures import decision_seal_schedule

    decision_seal_schedule(decision)
    return decision


def draft_number(issuer: IssuingBody) -> str:
    """The number of a draft, its sequence left blank for the clerk to fill in once issued:
    ``     /QĐ-UBND`` (``     -QĐ/HU`` for a party body)."""
    blank = "\u00a0" * 6
    suffix = number_suffix(issuer)
    return f"{blank}-QĐ/{suffix}" if _is_party(issuer) else f"{blank}/QĐ-{suffix}"


def decision_preview_pdf(
    *,
    issuer: IssuingBody,
    kind: str,
    issued_on: dt.date,
    title: str,
    entries: Sequence[EntryInput],
    actor: User,
    legal_bases: Sequence[str] | None = None,
    proposal: str = "",
    signer_role: str | None = None,
    signer_name: str | None = None,
) -> bytes:
    """The PDF the decision would be if issued now, marked "DỰ THẢO" (draft) across every
    page and with its number left blank: nothing is stored, no number is taken.

    Checks what ``decision_issue`` checks, so a preview that renders is one that issues.
    """
    _check_actor(actor, issuer)
    if kind not in DecisionKind.values:
        raise InvalidInput(_("Unknown decision kind: %(kind)s") % {"kind": kind})
    if not title.strip():
        raise InvalidInput(_("A decision needs a subject."))
    rows = _prepare_rows(kind, entries)
    content = _decision_content(
        issuer=issuer,
        kind=kind,
        number=draft_number(issuer),
        issued_on=issued_on,
        title=title,
        rows=rows,
        legal_bases=legal_bases,
        articles=None,
        recipients=None,
        signing_authority=None,
        signer_title=None,
        signer_name=signer_name,
        authority=None,
        place=None,
        signer_role=signer_role,
        proposal=proposal,
    )
    content["draft"] = True
    return rendering.render_decision_pdf(content)


def decision_file_name(decision: Decision) -> str:
    """``QD-2023-0012-ubnd-hoa-an.pdf``: the name of an issued decision's file."""
    return f"QD-{decision.year}-{decision.sequence:04d}-{slugify(decision.issuer.code)}.pdf"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _decision_pdf_field():
    return Decision._meta.get_field("pdf")


def _read_stored(storage: Storage, name: str) -> bytes | None:
    """The file's bytes, or None when there is no such file."""
    if not name:
        return None
    try:
        with storage.open(name, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _decision_pdf_write(*, decision_id: int, name: str, data: bytes) -> str:
    """Write an issued decision's PDF; returns the name it was stored under.

    The storage never overwrites: when ``name`` is taken (a damaged file, or one left by
    an earlier database) it picks another name, and the row is pointed at it.
    """
    saved = _decision_pdf_field().storage.save(name, ContentFile(data))
    if saved != name:
        Decision.objects.filter(pk=decision_id).update(pdf=saved)
    return saved


def decision_pdf_bytes(*, decision: Decision) -> bytes:
    """The PDF of an issued decision exactly as issued: its bytes match the SHA-256 the
    issuing transaction recorded.

    The file is written after that transaction commits. When it is not in storage (the
    process died between the commit and the write) or does not match (a write cut short),
    the PDF is rendered again from the ``content`` snapshot, which gives the same bytes:
    WeasyPrint's output is fixed for a snapshot (no dates or random identifiers, the same in
    every process), so a render whose SHA-256 matches is the issued document, and it is
    stored. A render that does not match (templates, fonts or WeasyPrint changed since) is
    never served as the decision.
    """
    if not decision.is_issued or not decision.sha256:
        raise WrongState(_("The decision has not been issued."))
    name = decision.pdf.name
    stored = _read_stored(decision.pdf.storage, name)
    if stored is not None and _sha256(stored) == decision.sha256:
        return stored
    data = rendering.render_decision_pdf(decision.content)
    if _sha256(data) != decision.sha256:
        logger.error(
            "Decision %s: the PDF in storage is %s and a new render does not match its "
            "SHA-256 %s; not served.",
            decision.pk,
            "missing" if stored is None else "damaged",
            decision.sha256,
        )
        if stored is None:
            raise WrongState(
                _("The PDF of this decision is missing and cannot be made again as issued.")
            )
        raise WrongState(_("The stored PDF does not match its checksum."))
    logger.warning(
        "Decision %s: the PDF in storage was %s; stored again from its snapshot.",
        decision.pk,
        "missing" if stored is None else "damaged (kept beside the new copy)",
    )
    name = name or _decision_pdf_field().generate_filename(decision, decision_file_name(decision))
    decision.pdf.name = _decision_pdf_write(decision_id=decision.pk, name=name, data=data)
    return data


# --- Certificates -------------------------------------------------------------------------


def _new_code() -> str:
    return secrets.token_urlsafe(16)


def _certificate_content(decision: Decision, entry: DecisionEntry, register: str) -> dict:
    c = decision.content
    title = CERTIFICATE_AWARDS[entry.award][0]
    if entry.recipient_kind == RecipientKind.INDIVIDUAL:
        detail = (
            f"{entry.recipient_title}, {entry.unit_name}"
            if entry.recipient_title
            else entry.unit_name
        )
    elif entry.unit_name == entry.recipient_name:
        detail = entry.parent_unit_name
    else:
        detail = entry.unit_name
    return {
        "version": 1,
        "format": c["format"],
        "nation": c["nation"],
        "awarding": c["awarding"],
        "issuer_name": c["issuer_name"],
        "award": entry.award,
        "award_title": title,
        "award_label": CERTIFICATE_AWARDS[entry.award][2],
        "recipient_kind": entry.recipient_kind,
        "recipient_line": entry.recipient_name,
        "recipient_detail": detail,
        "citation": entry.citation or _default_citation(),
        "date_line": c["date_line"],
        "signer": c["signer"],
        "decision_number": c["number"],
        "decision_date_text": c["date_text"],
        "decision_issued_on": c["issued_on"],
        "register_number": register,
    }


@transaction.atomic
def certificates_issue(*, decision: Decision, actor: User | None = None) -> list[Certificate]:
    """One certificate for each Giấy khen or Bằng khen of an issued commendation decision.

    Entries that already have a certificate (valid, revoked or replaced) are left alone,
    so a second call issues nothing. Praise (biểu dương) has no certificate.
    """
    decision = Decision.objects.select_for_update().select_related("issuer").get(pk=decision.pk)
    if actor is not None:
        _check_actor(actor, decision.issuer)
    if not decision.is_issued:
        raise WrongState(_("The decision has not been issued."))
    if decision.kind != DecisionKind.COMMENDATION:
        raise WrongState(_("Only commendation decisions have certificates."))
    entries = list(
        decision.entries.filter(
            award__in=list(CERTIFICATE_AWARDS), commendation__isnull=False, certificates=None
        ).order_by("position")
    )
    if not entries:
        return []
    issuer = decision.issuer
    year = decision.year
    first = _take_numbers(
        issuer=issuer, series=DocumentSeries.CERTIFICATE, year=year, count=len(entries)
    )
    now = timezone.now()
    certificates = []
    for offset, entry in enumerate(entries):
        register = register_number(issuer, first + offset, entry.award)
        code = _new_code()
        certificates.append(
            Certificate(
                decision=decision,
                entry=entry,
                commendation_id=entry.commendation_id,
                issuer=issuer,
                year=year,
                register_sequence=first + offset,
                register_number=register,
                code=code,
                content=_certificate_content(decision, entry, register)
                | rendering.certificate_qr(code),
                issued_at=now,
                issued_by=actor,
            )
        )
    Certificate.objects.bulk_create(certificates)
    created = list(Certificate.objects.filter(decision=decision, entry__in=entries))
    CertificateEvent.objects.bulk_create(
        [
            CertificateEvent(certificate=c, action=CertificateAction.ISSUED, actor=actor, at=now)
            for c in created
        ]
    )
    from .signatures import certificates_seal_schedule

    certificates_seal_schedule(issuer_code=issuer.code, certificates=created)
    return sorted(created, key=lambda c: c.register_sequence)


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, actor: User) -> Certificate:
    """Revoke a valid certificate; its verification page then says so, with the reason."""
    certificate = (
        Certificate.objects.select_for_update().select_related("issuer").get(pk=certificate.pk)
    )
    _check_actor(actor, certificate.issuer)
    if certificate.status != CertificateStatus.VALID:
        raise WrongState(_("Only a valid certificate can be revoked."))
    if not reason.strip():
        raise InvalidInput(_("Give the reason for revoking the certificate."))
    now = timezone.now()
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_reason = reason.strip()
    certificate.revoked_at = now
    certificate.revoked_by = actor
    certificate.save(update_fields=["status", "revoked_reason", "revoked_at", "revoked_by"])
    CertificateEvent.objects.create(
        certificate=certificate,
        action=CertificateAction.REVOKED,
        actor=actor,
        at=now,
        reason=reason.strip(),
    )
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, actor: User, reason: str = "") -> Certificate:
    """A new certificate (new register number and code) for a lost or spoilt one.

    The old one is marked replaced and points to the new one; its code stops verifying
    as valid.
    """
    certificate = (
        Certificate.objects.select_for_update()
        .select_related("issuer", "decision", "entry")
        .get(pk=certificate.pk)
    )
    _check_actor(actor, certificate.issuer)
    if certificate.status != CertificateStatus.VALID:
        raise WrongState(_("Only a valid certificate can be re-issued."))
    now = timezone.now()
    # The next number in the register of the original's year, so a register number never
    # repeats among the certificates of one decision.
    year = certificate.year
    sequence = _take_numbers(
        issuer=certificate.issuer, series=DocumentSeries.CERTIFICATE, year=year
    )
    register = register_number(certificate.issuer, sequence, certificate.entry.award)
    certificate.status = CertificateStatus.REPLACED
    certificate.save(update_fields=["status"])
    code = _new_code()
    content = certificate.content | {"register_number": register} | rendering.certificate_qr(code)
    replacement = Certificate.objects.create(
        decision=certificate.decision,
        entry=certificate.entry,
        commendation_id=certificate.commendation_id,
        issuer=certificate.issuer,
        year=year,
        register_sequence=sequence,
        register_number=register,
        code=code,
        content=content,
        issued_at=now,
        issued_by=actor,
        replaces=certificate,
    )
    CertificateEvent.objects.create(
        certificate=certificate,
        action=CertificateAction.REPLACED,
        actor=actor,
        at=now,
        reason=reason.strip(),
    )
    CertificateEvent.objects.create(
        certificate=replacement,
        action=CertificateAction.ISSUED,
        actor=actor,
        at=now,
        reason=reason.strip(),
    )
    from .signatures import certificates_seal_schedule

    certificates_seal_schedule(issuer_code=certificate.issuer.code, certificates=[replacement])
    return replacement


AWARD_SLUGS = {
    AwardType.CERTIFICATE_OF_MERIT: "giay-khen",
    AwardType.COMMENDATION_CERTIFICATE: "bang-khen",
}


def certificates_slug(certificates: Sequence[Certificate]) -> str:
    """``giay-khen`` or ``bang-khen`` for file names; ``khen-thuong`` when mixed."""
    awards = {c.content.get("award") for c in certificates}
    if len(awards) == 1:
        return AWARD_SLUGS.get(awards.pop(), "khen-thuong")
    return "khen-thuong"


def certificate_file_name(certificate: Certificate) -> str:
    """``GK-2023-00012-ubnd-hoa-an.pdf``: one certificate's file, named like its decision's."""
    award = certificate.content.get("award", AwardType.CERTIFICATE_OF_MERIT)
    code = CERTIFICATE_AWARDS.get(award, CERTIFICATE_AWARDS[AwardType.CERTIFICATE_OF_MERIT])[1]
    return (
        f"{code}-{certificate.year}-{certificate.register_sequence:05d}-"
        f"{slugify(certificate.issuer.code)}.pdf"
    )


def certificate_pdf_bytes(*, certificate: Certificate, on_blank: bool = False) -> bytes:
    """One valid certificate's page, rendered from its snapshot (certificates are rendered
    when printed, never stored one by one). A revoked or replaced one is not printed."""
    if certificate.status != CertificateStatus.VALID:
        raise WrongState(_("Only a valid certificate can be printed."))
    certificates_refresh_qr([certificate])
    layouts = selectors.certificate_layouts(issuer_id=certificate.issuer_id, on_blank=on_blank)
    return rendering.render_certificates_pdf(
        [(certificate.content, certificate.code)], **_layout_options(layouts)
    )


def _layout_options(layouts: dict | None) -> dict:
    """``layouts`` only when the body has some: the one-argument call stays the common one
    (tests spy on the rendering functions with it)."""
    return {"layouts": layouts} if layouts else {}


def certificates_refresh_qr(certificates: Sequence[Certificate]) -> int:
    """Encode again the QR code kept in the snapshots whose verification URL is not the
    current one (``PUBLIC_BASE_URL`` changed since they were issued), so a reprint
    carries the address that answers now; the code, and so the path, stays the same.
    Returns how many changed."""
    changed = []
    for certificate in certificates:
        url = rendering.verify_url(certificate.code)
        if certificate.content.get("qr_url") != url:
            certificate.content = certificate.content | rendering.certificate_qr(certificate.code)
            changed.append(certificate)
    if changed:
        Certificate.objects.bulk_update(changed, ["content"])
    return len(changed)


def _layout_number(value, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("%(field)s must be a number of millimetres.") % {"field": name}
        ) from None
    if not low <= number <= high:
        raise InvalidInput(
            _("%(field)s must be between %(low)s and %(high)s.")
            % {"field": name, "low": low, "high": high}
        )
    return number


@transaction.atomic
def certificate_layout_save(
    *,
    issuer: IssuingBody,
    award: str,
    actor: User | None,
    page_size: str = "A4",
    blank_has_title: bool = True,
    offset_x_mm: float = 0,
    offset_y_mm: float = 0,
    fields: dict | None = None,
) -> CertificateLayout:
    """Set how one award's certificates of a body print: the page size, and where each
    variable text goes on its blanks (mm from the blank's top-left corner)."""
    if actor is not None:
        _check_actor(actor, issuer)
    if award not in CERTIFICATE_AWARDS:
        raise InvalidInput(_("Unknown award: %(award)s") % {"award": award})
    if page_size not in PageSize.values:
        raise InvalidInput(_("Unknown page size: %(size)s") % {"size": page_size})
    width, height = rendering.PAGE_MM[page_size]
    clean: dict[str, dict] = {}
    for name, box in (fields or {}).items():
        if name not in rendering.BLANK_FIELDS_A4:
            raise InvalidInput(_("Unknown field: %(field)s") % {"field": name})
        clean[name] = {}
        for key, value in box.items():
            if key not in ("x", "y", "width", "size"):
                raise InvalidInput(_("Unknown field: %(field)s") % {"field": f"{name}.{key}"})
            high = {"x": width, "y": height, "width": width, "size": 96}[key]
            clean[name][key] = _layout_number(value, f"{name}.{key}", 0, high)
    layout, _created = CertificateLayout.objects.update_or_create(
        issuer=issuer,
        award=award,
        defaults={
            "page_size": page_size,
            "blank_has_title": blank_has_title,
            "offset_x_mm": _layout_number(offset_x_mm, "offset_x_mm", -50, 50),
            "offset_y_mm": _layout_number(offset_y_mm, "offset_y_mm", -50, 50),
            "fields": clean,
        },
    )
    return layout


def calibration_pdf_bytes(*, layout: CertificateLayout) -> bytes:
    """The calibration page of a body's layout for one award (saved or not)."""
    spec = rendering.Layout(
        page_size=layout.page_size,
        on_blank=True,
        blank_has_title=layout.blank_has_title,
        offset_x=float(layout.offset_x_mm),
        offset_y=float(layout.offset_y_mm),
        fields=layout.fields or {},
    )
    label = CERTIFICATE_AWARDS.get(layout.award, ("", "", layout.award))[2]
    return rendering.render_calibration_pdf(spec, title=f"{label} – {layout.issuer.name}")


# --- Printing -----------------------------------------------------------------------------


@transaction.atomic
def print_job_start(
    *, decision: Decision, actor: User, per_recipient: bool = False, on_blank: bool = False
) -> PrintJob:
    """Queue the printing of a decision's valid certificates, complete or (``on_blank``)
    only their variable text for the body's pre-printed blanks; the task runs after commit."""
    _check_actor(actor, decision.issuer)
    if not decision.is_issued:
        raise WrongState(_("The decision has not been issued."))
    total = selectors.certificates_to_print(decision).count()
    if total == 0:
        raise WrongState(_("The decision has no valid certificates to print."))
    job = PrintJob.objects.create(
        decision=decision,
        requested_by=actor,
        per_recipient=per_recipient,
        on_blank=on_blank,
        total=total,
    )

    from .tasks import print_certificates

    transaction.on_commit(lambda: print_certificates.delay(job.pk))
    return job


def _file_name(certificate: Certificate) -> str:
    name = certificate.content.get("recipient_line", "").replace("đ", "d").replace("Đ", "D")
    fallback = AWARD_SLUGS.get(certificate.content.get("award"), "khen-thuong")
    return f"{certificate.register_sequence:05d}-{slugify(name)[:60] or fallback}.pdf"


def _split_pages(pdf: bytes) -> list[bytes]:
    """One PDF per page; cheaper than asking WeasyPrint to write each page again."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    pages = []
    for page in reader.pages:
        writer = PdfWriter()
        writer.add_page(page)
        buffer = io.BytesIO()
        writer.write(buffer)
        pages.append(buffer.getvalue())
    return pages


def _render_chunk(
    certificates: Sequence[Certificate],
    per_recipient: bool,
    layouts: dict[str, rendering.Layout] | None = None,
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """One WeasyPrint document (one layout pass) for a chunk of certificates; with one file
    per recipient, a certificate sealed with its body's key is its sealed file (the complete
    certificate: a print on blanks keeps its pages)."""
    certificates_refresh_qr(certificates)
    pdf = rendering.render_certificates_pdf(
        [(c.content, c.code) for c in certificates], **_layout_options(layouts)
    )
    files = []
    if per_recipient:
        from .signatures import sealed_certificate_files

        on_blank = any(layout.on_blank for layout in (layouts or {}).values())
        sealed = {} if on_blank else sealed_certificate_files([c.pk for c in certificates])
        files = [
            (_file_name(c), sealed.get(c.pk, page))
            for c, page in zip(certificates, _split_pages(pdf), strict=True)
        ]
    return pdf, files


def certificates_render(
    certificates: Sequence[Certificate],
    *,
    per_recipient: bool = False,
    chunk_size: int | None = None,
    on_blank: bool = False,
) -> tuple[bytes, list[tuple[str, bytes]]]:
    """One PDF of all the certificates, and one file per certificate when asked (in-process,
    for the command line; print jobs spread the chunks over the Celery workers)."""
    if not certificates:
        raise WrongState(_("The decision has no valid certificates to print."))
    chunk_size = chunk_size or PRINT_CHUNK_SIZE
    layouts = selectors.certificate_layouts(issuer_id=certificates[0].issuer_id, on_blank=on_blank)
    parts = []
    files: list[tuple[str, bytes]] = []
    for start in range(0, len(certificates), chunk_size):
        pdf, chunk_files = _render_chunk(
            certificates[start : start + chunk_size], per_recipient, layouts
        )
        parts.append(pdf)
        files += chunk_files
    return (parts[0] if len(parts) == 1 else _join_pdfs(parts)), files


def _zip(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    # PDFs are compressed already: store them.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()


def is_transient(error: BaseException) -> bool:
    """An error that a later attempt may not meet: the database restarted or dropped the
    connection (Django's OperationalError and InterfaceError wrap psycopg's)."""
    from django.db import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def _reason(error: BaseException) -> str:
    return (str(error) or repr(error))[:2000]


def _fail(job_id: int, reason: str) -> None:
    PrintJob.objects.filter(pk=job_id).exclude(status=PrintJobStatus.DONE).update(
        status=PrintJobStatus.FAILED, error=reason, finished_at=timezone.now()
    )


def print_job_fail(*, job_id: int, error: BaseException) -> None:
    """Fail a job visibly with the reason (its planning task gave up)."""
    _fail(job_id, _("Printing failed: %(reason)s") % {"reason": _reason(error)})


def print_chunk_fail(*, job_id: int, index: int, error: BaseException) -> None:
    """Record that a part could not be rendered, and fail its job visibly: the page and the
    API show why and offer to print the missing parts again (``print_job_retry``)."""
    reason = _reason(error)
    with transaction.atomic():
        PrintChunk.objects.filter(job_id=job_id, index=index, is_done=False).update(
            is_failed=True, error=reason
        )
        _fail(
            job_id,
            _("Part %(part)s could not be printed: %(reason)s")
            % {
                "part": index + 1,
                "reason": reason,
            },
        )


def _fan_out() -> bool:
    return settings.DOCUMENTS_PRINT_FAN_OUT


def print_job_run(*, job_id: int, chunk_size: int | None = None) -> PrintJob:
    """Plan a print job in chunks and render them.

    With ``DOCUMENTS_PRINT_FAN_OUT`` (the default) each chunk is a Celery task, so every
    worker process takes a share; otherwise the chunks render here, one after the other.
    A job already done is left as it is, and only chunks not yet done are queued again
    (a redelivered task).
    """
    chunk_size = chunk_size or PRINT_CHUNK_SIZE
    with transaction.atomic():
        job = PrintJob.objects.select_for_update().select_related("decision").get(pk=job_id)
        if job.status in (PrintJobStatus.DONE, PrintJobStatus.FAILED):
            return job
        if not job.chunks_total:
            ids = list(selectors.certificates_to_print(job.decision).values_list("id", flat=True))
            if not ids:
                job.status = PrintJobStatus.FAILED
                job.error = _("The decision has no valid certificates to print.")
                job.finished_at = timezone.now()
                job.save(update_fields=["status", "error", "finished_at"])
                return job
            PrintChunk.objects.bulk_create(
                [
                    PrintChunk(
                        job=job, index=index, certificate_ids=ids[start : start + chunk_size]
                    )
                    for index, start in enumerate(range(0, len(ids), chunk_size))
                ]
            )
            job.total = len(ids)
            job.done = 0
            job.chunks_total = -(-len(ids) // chunk_size)
            job.chunks_done = 0
            job.status = PrintJobStatus.RUNNING
            job.started_at = job.progressed_at = timezone.now()
            job.save()
        pending = list(job.chunks.filter(is_done=False).values_list("index", flat=True))
        if _fan_out() and len(pending) > 1:
            from .tasks import print_certificates_chunk

            transaction.on_commit(
                lambda: [print_certificates_chunk.delay(job.pk, index) for index in pending]
            )
            return job
    for index in pending:
        print_chunk_run(job_id=job.pk, index=index)
    if not pending:
        # Every part was done but the job never joined them (its last part's worker died
        # after recording it): join them now.
        print_job_finish(job_id=job.pk)
    job.refresh_from_db()
    return job


@transaction.atomic
def print_job_retry(*, job: PrintJob, actor: User) -> PrintJob:
    """Print the missing parts of a failed job again ("In lại phần còn thiếu").

    The parts already rendered are kept and joined with the new ones, so only the
    certificates of the parts that failed or never ran are rendered again. A job that
    failed before it was planned starts again from the plan.
    """
    job = PrintJob.objects.select_for_update().select_related("decision__issuer").get(pk=job.pk)
    _check_actor(actor, job.decision.issuer)
    if job.status != PrintJobStatus.FAILED:
        raise WrongState(_("Only a failed print job can print its missing parts again."))
    job.chunks.filter(is_done=False).update(is_failed=False, error="")
    job.status = PrintJobStatus.RUNNING if job.chunks_total else PrintJobStatus.QUEUED
    job.error = ""
    job.finished_at = None
    job.progressed_at = timezone.now()
    job.retries += 1
    job.save(update_fields=["status", "error", "finished_at", "progressed_at", "retries"])

    from .tasks import print_certificates

    transaction.on_commit(lambda: print_certificates.delay(job.pk))
    return job


@dataclass(frozen=True)
class PrintSweep:
    finished: list[int]
    failed: list[int]


def print_jobs_sweep(*, now: dt.datetime | None = None) -> PrintSweep:
    """Beat's sweeper: a job with no progress for ``DOCUMENTS_PRINT_STALL_AFTER`` seconds is
    joined when every part is done (its finisher died), else failed visibly with the parts
    that stopped, so that nobody waits for ever on "running 100/500"."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.DOCUMENTS_PRINT_STALL_AFTER)
    stalled = PrintJob.objects.filter(
        status__in=[PrintJobStatus.QUEUED, PrintJobStatus.RUNNING]
    ).filter(
        # A job never planned counts from its creation, one planned from its last progress.
        models.Q(progressed_at__lt=cutoff) | models.Q(progressed_at=None, created_at__lt=cutoff)
    )
    finished: list[int] = []
    failed: list[int] = []
    for job in stalled.only("id", "status", "chunks_total", "chunks_done"):
        if job.status == PrintJobStatus.RUNNING and job.chunks_done == job.chunks_total:
            print_job_finish(job_id=job.pk)
            finished.append(job.pk)
            continue
        with transaction.atomic():
            locked = PrintJob.objects.select_for_update().get(pk=job.pk)
            if locked.status not in (PrintJobStatus.QUEUED, PrintJobStatus.RUNNING) or (
                locked.progressed_at and locked.progressed_at >= cutoff
            ):
                continue  # it moved meanwhile
            missing = list(
                locked.chunks.filter(is_done=False)
                .order_by("index")
                .values_list("index", flat=True)
            )
            if missing:
                reason = _(
                    "Printing stopped: %(count)s of %(total)s parts were not printed "
                    "(parts %(parts)s). Print the missing parts again."
                ) % {
                    "count": len(missing),
                    "total": locked.chunks_total,
                    "parts": ", ".join(str(index + 1) for index in missing[:20])
                    + ("…" if len(missing) > 20 else ""),
                }
            else:
                reason = _("Printing never started. Print it again.")
            _fail(locked.pk, reason)
            failed.append(locked.pk)
            logger.warning("Print job %s stalled: %s", locked.pk, reason)
    return PrintSweep(finished=finished, failed=failed)


def _write_files(instance, files: Sequence[tuple[str, str, bytes]]) -> dict[str, str]:
    """Write ``(field, file name, bytes)`` for a model instance; returns the stored names.

    Called outside any transaction: the row that records the names is written afterwards,
    so a rollback never leaves a recorded name without its file.
    """
    stored: dict[str, str] = {}
    try:
        for field_name, file_name, data in files:
            field = instance._meta.get_field(field_name)
            stored[field_name] = field.storage.save(
                field.generate_filename(instance, file_name), ContentFile(data)
            )
    except BaseException:
        _delete_files(instance, stored)
        raise
    return stored


def _delete_files(instance, stored: dict[str, str]) -> None:
    for field_name, name in stored.items():
        instance._meta.get_field(field_name).storage.delete(name)


def print_chunk_run(*, job_id: int, index: int) -> None:
    """Render one chunk of a print job; the chunk that completes the job joins the parts.

    A transient error (the database restarted) propagates and the Celery task retries the
    part with backoff; any other error marks the part failed and fails the job with its
    reason. A part still rendering when its job failed is recorded all the same, so a retry
    of the missing parts has less to do.
    """
    chunk = PrintChunk.objects.select_related("job").get(job_id=job_id, index=index)
    job = chunk.job
    if chunk.is_done or job.status != PrintJobStatus.RUNNING:
        if chunk.is_done and job.status == PrintJobStatus.RUNNING:
            print_job_finish(job_id=job_id)  # a redelivered last part: join if not yet done
        return
    started_at = timezone.now()
    try:
        by_id = Certificate.objects.only("id", "code", "content", "register_sequence").in_bulk(
            chunk.certificate_ids
        )
        certificates = [by_id[pk] for pk in chunk.certificate_ids if pk in by_id]
        issuer_id = Decision.objects.values_list("issuer_id", flat=True).get(pk=job.decision_id)
        layouts = selectors.certificate_layouts(issuer_id=issuer_id, on_blank=job.on_blank)
        pdf, files = _render_chunk(certificates, job.per_recipient, layouts)
        parts = [("pdf", f"part-{index:04d}.pdf", pdf)]
        if job.per_recipient:
            parts.append(("zip", f"part-{index:04d}.zip", _zip(files)))
        stored = _write_files(chunk, parts)
        recorded = last = False
        try:
            with transaction.atomic():
                job = PrintJob.objects.select_for_update().get(pk=job_id)
                chunk = PrintChunk.objects.select_for_update().get(pk=chunk.pk)
                # Another delivery of this chunk may have finished first.
                if not chunk.is_done and job.status != PrintJobStatus.DONE:
                    chunk.pdf.name = stored["pdf"]
                    chunk.zip.name = stored.get("zip", "")
                    chunk.is_done = True
                    chunk.is_failed = False
                    chunk.error = ""
                    chunk.started_at = started_at
                    chunk.finished_at = timezone.now()
                    chunk.save()
                    job.done += len(certificates)
                    job.chunks_done += 1
                    job.progressed_at = chunk.finished_at
                    job.save(update_fields=["done", "chunks_done", "progressed_at"])
                    recorded = True
                    last = job.chunks_done == job.chunks_total
        finally:
            if not recorded:
                _delete_files(chunk, stored)
        if last:
            print_job_finish(job_id=job_id)
    except Exception as error:
        if is_transient(error):
            logger.warning("Print job %s, part %s: transient error, retried", job_id, index)
            raise
        logger.exception("Print job %s, part %s failed", job_id, index)
        print_chunk_fail(job_id=job_id, index=index, error=error)
        raise


def _join_pdfs(parts: list[bytes]) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _join_zips(parts: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for part in parts:
            with zipfile.ZipFile(io.BytesIO(part)) as source:
                for name in source.namelist():
                    archive.writestr(name, source.read(name))
    return buffer.getvalue()


def _complete(job: PrintJob) -> bool:
    return job.status == PrintJobStatus.RUNNING and job.chunks_done == job.chunks_total


def print_job_finish(*, job_id: int) -> PrintJob:
    """Join the parts of a job whose chunks are all done into its PDF (and ZIP).

    The joined files are written first, then recorded in one short transaction; a second
    finisher that loses the race deletes its own copies. The parts go after the commit.
    """
    job = PrintJob.objects.select_related("decision").get(pk=job_id)
    if not _complete(job):
        return job
    chunks = list(job.chunks.order_by("index"))
    awards = set(
        job.decision.entries.filter(certificates__isnull=False).values_list("award", flat=True)
    )
    prefix = AWARD_SLUGS.get(awards.pop(), "khen-thuong") if len(awards) == 1 else "khen-thuong"
    number = job.decision.number.replace("/", "-").replace("Đ", "D").replace("đ", "d")
    name = f"{prefix}-{slugify(number)}"
    try:
        files = [("pdf", f"{name}.pdf", _join_pdfs([_read(c.pdf) for c in chunks]))]
        if job.per_recipient:
            files.append(("zip", f"{name}.zip", _join_zips([_read(c.zip) for c in chunks])))
    except FileNotFoundError:
        job.refresh_from_db()
        if job.status == PrintJobStatus.DONE:
            return job  # another finisher joined the parts and removed them meanwhile
        raise
    stored = _write_files(job, files)
    recorded = False
    try:
        with transaction.atomic():
            job = PrintJob.objects.select_for_update().select_related("decision").get(pk=job_id)
            if _complete(job):
                job.pdf.name = stored["pdf"]
                job.zip.name = stored.get("zip", "")
                job.status = PrintJobStatus.DONE
                job.done = job.total
                job.finished_at = timezone.now()
                job.save()
                recorded = True
                part_files = [f.name for c in chunks for f in (c.pdf, c.zip) if f]
                storage = job.pdf.storage
                transaction.on_commit(lambda: [storage.delete(name) for name in part_files])
    finally:
        if not recorded:
            _delete_files(job, stored)
    return job


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()
