"""Services and selectors for the digital signatures of decisions and certificates.

- ``decision_signed_pdf_accept``: the signer downloaded the issued PDF, signed it with their
  own token and uploads it back; accepted only as ``signing.check_signed_pdf`` says.
- ``decision_seal`` / ``certificates_seal``: the issuing body's seal, applied by the server
  with the key ``DOCUMENTS_SEAL_KEYS`` gives the body. Certificates of a body with a key are
  sealed after they are issued (``certificates_seal_schedule``, a Celery task per
  decision); its decisions too when its key says ``seal_decisions``, else when a clerk asks.
- ``signature_status``: what the verify page and the API show, checked again now.

Only this module writes ``DocumentSignature``. Files are written before the short
transaction that records them and deleted when it does not (as print jobs do).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, WrongState
from core.models import User

from . import services, signing
from .models import (
    Certificate,
    CertificateStatus,
    Decision,
    DocumentSignature,
    SignatureSource,
)

logger = logging.getLogger(__name__)

# A signed decision is the issued PDF plus a signature or two: far below this.
MAX_SIGNED_PDF_BYTES = 20 * 1024 * 1024


class SignatureState:
    UNSIGNED = "unsigned"
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True)
class SignatureStatus:
    """A document's signature as the verify page and the API show it."""

    status: str
    source: str = ""
    signer: str = ""
    issuer: str = ""
    signed_at: dt.datetime | None = None
    problem: str = ""

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "source": self.source or None,
            "signer": self.signer or None,
            "issuer": self.issuer or None,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "problem": self.problem or None,
        }


# --- Writing ------------------------------------------------------------------------------


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record(
    *,
    data: bytes,
    info: signing.SignatureInfo,
    source: str,
    file_name: str,
    decision: Decision | None = None,
    certificate: Certificate | None = None,
    actor: User | None = None,
) -> DocumentSignature | None:
    """Store the signed file, then record it; None when the document was signed meanwhile."""
    row = DocumentSignature(
        decision=decision,
        certificate=certificate,
        source=source,
        sha256=_sha256(data),
        signer=info.signer[:255],
        issuer=info.issuer[:255],
        serial=info.serial[:128],
        signed_at=info.signed_at,
        timestamped=info.timestamped,
        valid_until=info.not_after,
        created_by=actor,
    )
    field = DocumentSignature._meta.get_field("pdf")
    stored = field.storage.save(field.generate_filename(row, file_name), ContentFile(data))
    recorded = False
    try:
        with transaction.atomic():
            if decision is not None:
                Decision.objects.select_for_update().filter(pk=decision.pk).first()
                taken = DocumentSignature.objects.filter(decision=decision).exists()
            else:
                Certificate.objects.select_for_update().filter(pk=certificate.pk).first()
                taken = DocumentSignature.objects.filter(certificate=certificate).exists()
            if taken:
                return None
            row.pdf.name = stored
            row.save()
            recorded = True
    finally:
        if not recorded:
            field.storage.delete(stored)
    return row


def _signed_name(file_name: str) -> str:
    return file_name.removesuffix(".pdf") + "-signed.pdf"


def decision_signed_pdf_accept(
    *, decision: Decision, data: bytes, actor: User
) -> DocumentSignature:
    """Accept the decision's PDF signed by its signer; raises ``SignatureRejected`` (400,
    with the reason) unless it is this decision as issued, intact, whole, and signed with a
    valid certificate from a trusted root."""
    services._check_actor(actor, decision.issuer)
    if not decision.is_issued:
        raise WrongState(_("The decision has not been issued."))
    if DocumentSignature.objects.filter(decision=decision).exists():
        raise WrongState(_("This decision is already digitally signed."))
    if len(data) > MAX_SIGNED_PDF_BYTES:
        raise InvalidInput(_("The file is too large for a signed decision."))
    info = signing.check_signed_pdf(data, expected_sha256=decision.sha256)
    row = _record(
        data=data,
        info=info,
        source=SignatureSource.SIGNER,
        file_name=_signed_name(services.decision_file_name(decision)),
        decision=decision,
        actor=actor,
    )
    if row is None:
        raise WrongState(_("This decision is already digitally signed."))
    logger.info("Decision %s: signed PDF accepted, signed by %s", decision.pk, info.signer)
    return row


def _key_for(issuer_code: str) -> signing.SealKey:
    key = signing.seal_key(issuer_code)
    if key is None:
        raise WrongState(_("This issuing body has no signing key."))
    return key


def _anchors(signer: dict) -> tuple[str, str]:
    return signer.get("title", ""), signer.get("name", "")


def decision_seal(*, decision: Decision, actor: User | None = None) -> DocumentSignature:
    """Seal an issued decision with its body's key (when its key says so, at issue; or when
    a clerk asks). A decision already signed is left as it is."""
    decision = Decision.objects.select_related("issuer").get(pk=decision.pk)
    if actor is not None:
        services._check_actor(actor, decision.issuer)
    if not decision.is_issued:
        raise WrongState(_("The decision has not been issued."))
    existing = DocumentSignature.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    key = _key_for(decision.issuer.code)
    sealed = signing.seal_pdf(
        services.decision_pdf_bytes(decision=decision),
        key=key,
        body_name=decision.issuer.name,
        anchors=_anchors(decision.content.get("signer", {})),
        location=decision.content.get("place", ""),
    )
    info = signing.check_signed_pdf(sealed, expected_sha256=decision.sha256)
    row = _record(
        data=sealed,
        info=info,
        source=SignatureSource.SEAL,
        file_name=_signed_name(services.decision_file_name(decision)),
        decision=decision,
        actor=actor,
    )
    return row or DocumentSignature.objects.get(decision=decision)


def certificate_sealed_pdf(certificate: Certificate, key: signing.SealKey) -> bytes:
    """One certificate's page, complete (not the layout for blanks: a file is sent, not
    printed on a phôi), sealed with its body's key."""
    pdf = services.certificate_pdf_bytes(certificate=certificate)
    return signing.seal_pdf(
        pdf,
        key=key,
        body_name=certificate.content.get("issuer_name") or certificate.issuer.name,
        anchors=_anchors(certificate.content.get("signer", {})),
    )


def certificates_seal(*, certificate_ids: Sequence[int]) -> int:
    """Seal the valid certificates among ``certificate_ids`` that are not sealed yet, one
    file each; returns how many were sealed. Run again, it seals none twice."""
    certificates = list(
        Certificate.objects.select_related("issuer")
        .filter(pk__in=certificate_ids, status=CertificateStatus.VALID, signature__isnull=True)
        .order_by("register_sequence")
    )
    sealed = 0
    for certificate in certificates:
        key = signing.seal_key(certificate.issuer.code)
        if key is None:
            continue
        data = certificate_sealed_pdf(certificate, key)
        info = signing.inspect_signed_pdf(data)
        if _record(
            data=data,
            info=info,
            source=SignatureSource.SEAL,
            file_name=_signed_name(services.certificate_file_name(certificate)),
            certificate=certificate,
        ):
            sealed += 1
    return sealed


def certificates_seal_schedule(*, issuer_code: str, certificates: Sequence[Certificate]) -> None:
    """After the issuing transaction commits, seal these certificates (a Celery task) when
    their body has a key. Called by ``services`` inside the issuing transaction."""
    if not certificates or signing.seal_key(issuer_code) is None:
        return
    from .tasks import seal_certificates

    ids = [c.pk for c in certificates]
    transaction.on_commit(lambda: seal_certificates.delay(ids))


def decision_seal_schedule(decision: Decision) -> None:
    """After the issuing transaction commits, seal the decision when its body's key says
    ``seal_decisions``."""
    key = signing.seal_key(decision.issuer.code)
    if key is None or not key.seal_decisions:
        return
    from .tasks import seal_decision

    decision_id = decision.pk
    transaction.on_commit(lambda: seal_decision.delay(decision_id))


# --- Reading ------------------------------------------------------------------------------


def signed_pdf_bytes(signature: DocumentSignature) -> bytes | None:
    """The stored signed file if it is the one recorded, else None (never served)."""
    try:
        with signature.pdf.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        logger.error("Signed PDF %s is missing", signature.pdf.name)
        return None
    if _sha256(data) != signature.sha256:
        logger.error("Signed PDF %s does not match its SHA-256", signature.pdf.name)
        return None
    return data


def certificates_unsealed(*, issuer_code: str) -> QuerySet[Certificate]:
    """Ids of a body's valid certificates without a seal, in register order."""
    return (
        Certificate.objects.filter(
            issuer__code=issuer_code, status=CertificateStatus.VALID, signature__isnull=True
        )
        .order_by("year", "register_sequence")
        .values_list("id", flat=True)
    )


def sealed_certificate_files(certificate_ids: Sequence[int]) -> dict[int, bytes]:
    """The sealed files of those certificates that have one (intact on disk), by id."""
    files = {}
    for signature in DocumentSignature.objects.filter(certificate_id__in=certificate_ids):
        data = signed_pdf_bytes(signature)
        if data is not None:
            files[signature.certificate_id] = data
    return files


def _signature_of(document: Decision | Certificate) -> DocumentSignature | None:
    try:
        return document.signature
    except DocumentSignature.DoesNotExist:
        return None


def signature_status(document: Decision | Certificate) -> SignatureStatus:
    """Is the document's PDF signed, by whom, and does the signature still validate now?"""
    signature = _signature_of(document)
    if signature is None:
        return SignatureStatus(status=SignatureState.UNSIGNED)
    data = signed_pdf_bytes(signature)
    if data is None:
        check = signing.SignatureCheck(
            valid=False, info=None, reason="missing", message=_("The signed file is missing.")
        )
    else:
        expected = document.sha256 if isinstance(document, Decision) else ""
        check = signing.describe_signed_pdf(data, expected_sha256=expected)
    return SignatureStatus(
        status=SignatureState.VALID if check.valid else SignatureState.INVALID,
        source=signature.source,
        signer=signature.signer,
        issuer=signature.issuer,
        signed_at=signature.signed_at,
        problem=check.message,
    )


def recorded_signature_status(document: Decision | Certificate) -> SignatureStatus:
    """The signature as recorded, without reading the file: for lists of many certificates.
    It stops being valid when the signer's certificate expires; the verify page and a
    decision's own answer check the file itself (``signature_status``)."""
    signature = _signature_of(document)
    if signature is None:
        return SignatureStatus(status=SignatureState.UNSIGNED)
    expired = signature.valid_until is not None and signature.valid_until < timezone.now()
    return SignatureStatus(
        status=SignatureState.INVALID if expired else SignatureState.VALID,
        source=signature.source,
        signer=signature.signer,
        issuer=signature.issuer,
        signed_at=signature.signed_at,
        problem=signing.rejection_message(signing.Rejection.EXPIRED) if expired else "",
    )


def decision_document(*, decision: Decision) -> tuple[bytes, str]:
    """The decision's original: its signed PDF once signed, else the PDF as issued."""
    signature = _signature_of(decision)
    if signature is not None:
        data = signed_pdf_bytes(signature)
        if data is not None:
            return data, _signed_name(services.decision_file_name(decision))
    return services.decision_pdf_bytes(decision=decision), services.decision_file_name(decision)


def certificate_document(*, certificate: Certificate) -> tuple[bytes, str]:
    """One certificate's file: sealed once its body's seal is applied, else rendered."""
    if certificate.status == CertificateStatus.VALID:
        signature = _signature_of(certificate)
        if signature is not None:
            data = signed_pdf_bytes(signature)
            if data is not None:
                return data, _signed_name(services.certificate_file_name(certificate))
    return (
        services.certificate_pdf_bytes(certificate=certificate),
        services.certificate_file_name(certificate),
    )
