"""Reads shared by views, commands and services of the documents app."""

from __future__ import annotations

import re

from django.db.models import QuerySet

from core.models import IssuingBody, Role, UnitRole, User

from .models import Certificate, CertificateStatus, Decision, DecisionStatus, PrintJob

# Codes are secrets.token_urlsafe output: URL-safe base64, 22 characters for 16 bytes.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def user_can_manage_issuer(user: User | None, issuer: IssuingBody) -> bool:
    """Staff, or a clerk of the issuer's unit or of a unit above it.

    Deliberately simple until the lifecycle brings per-flow permissions.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.is_superuser:
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
    return Certificate.objects.select_related("decision", "replaced_by").filter(code=code).first()


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
