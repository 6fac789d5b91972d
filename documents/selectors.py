"""Reads shared by views, commands and services of the documents app."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import QuerySet

from core.models import IssuingBody, Role, UnitRole, User
from core.selectors import scope_paths

from . import legal
from .models import (
    Certificate,
    CertificateLayout,
    CertificateStatus,
    Decision,
    DecisionKind,
    DecisionStatus,
    LegalBasis,
    PrintChunk,
    PrintJob,
)
from .rendering import Layout

# Codes are secrets.token_urlsafe output: URL-safe base64, 22 characters for 16 bytes.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def user_can_manage_issuer(user: User | None, issuer: IssuingBody) -> bool:
    """A clerk of the issuer's unit or of a unit above it, or a superuser (the operator:
    ``core.selectors.scope_paths``). Staff status gives nothing here: it opens the admin,
    not another district's decisions, PDFs, print jobs or ZIPs."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if scope_paths(user=user) is None:
        return True
    unit = issuer.unit
    if unit is None:
        return False
    clerk_units = UnitRole.objects.filter(user=user, role=Role.CLERK).values_list(
        "unit__path", flat=True
    )
    return any(path and unit.path.startswith(path) for path in clerk_units)


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate a QR code points to, or None for any unknown or malformed code."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        return None
    return (
        Certificate.objects.select_related("decision", "replaced_by", "signature")
        .filter(code=code)
        .first()
    )


def certificates_by_register_number(number: str, limit: int = 20) -> list[Certificate]:
    """Certificates with this register number (unique per issuer and year, so possibly one
    per issuer and year), newest first; at most ``limit``."""
    number = (number or "").strip()
    if not number or len(number) > 64:
        return []
    return list(
        Certificate.objects.select_related("issuer")
        .filter(register_number=number)
        .order_by("-year", "issuer__name")[:limit]
    )


def decision_find(*, number: str, issuer_code: str, year: int | None = None) -> QuerySet[Decision]:
    """Issued decisions with this number of this issuer (numbers restart every year)."""
    decisions = Decision.objects.filter(
        issuer__code=issuer_code, number=number, status=DecisionStatus.ISSUED
    )
    if year is not None:
        decisions = decisions.filter(year=year)
    return decisions.order_by("-year")


def certificates_to_print(decision: Decision) -> QuerySet[Certificate]:
    """The valid certificates of a decision, in the annex's order."""
    return (
        Certificate.objects.filter(decision=decision, status=CertificateStatus.VALID)
        .only("id", "code", "content", "register_number", "register_sequence", "entry_id")
        .order_by("entry__position", "register_sequence")
    )


def print_jobs_for_decision(decision: Decision, limit: int = 10) -> QuerySet[PrintJob]:
    return PrintJob.objects.filter(decision=decision).order_by("-created_at", "-id")[:limit]


@dataclass(frozen=True)
class PrintJobMissing:
    """What a failed or stalled print job still lacks: the parts not rendered and the
    certificates on them."""

    parts: list[int]  # 1-based, as the page shows them
    certificates: int


def print_job_missing(job: PrintJob) -> PrintJobMissing:
    if not job.chunks_total:  # never planned: everything is missing
        return PrintJobMissing(parts=[], certificates=job.total)
    rows = list(
        PrintChunk.objects.filter(job=job, is_done=False)
        .order_by("index")
        .values_list("index", "certificate_ids")
    )
    return PrintJobMissing(
        parts=[index + 1 for index, _ids in rows],
        certificates=sum(len(ids) for _index, ids in rows),
    )


def legal_bases_for(*, issuer: IssuingBody, kind: str) -> list[str]:
    """The body's legal bases for a decision kind, in order; its defaults when it has
    none stored (a body made before they existed, or in the admin)."""
    texts = list(
        LegalBasis.objects.filter(issuer=issuer, kind=kind)
        .order_by("position")
        .values_list("text", flat=True)
    )
    return texts or legal.legal_bases_defaults(issuer, kind)


def legal_bases_by_kind(*, issuer: IssuingBody) -> dict[str, list[str]]:
    return {kind: legal_bases_for(issuer=issuer, kind=kind) for kind in DecisionKind.values}


def certificate_layouts(*, issuer_id: int, on_blank: bool = False) -> dict[str, Layout]:
    """The body's certificate layout per award (page size, and the fields' boxes when
    printing on blanks); an award with no row prints on A4."""
    return {
        row.award: Layout(
            page_size=row.page_size,
            on_blank=on_blank,
            blank_has_title=row.blank_has_title,
            offset_x=float(row.offset_x_mm),
            offset_y=float(row.offset_y_mm),
            fields=row.fields or {},
        )
        for row in CertificateLayout.objects.filter(issuer_id=issuer_id)
    }


def certificate_layout(*, issuer: IssuingBody, award: str) -> CertificateLayout:
    """The stored layout of one award, or an unsaved one with the defaults."""
    return CertificateLayout.objects.filter(issuer=issuer, award=award).first() or (
        CertificateLayout(issuer=issuer, award=award)
    )
