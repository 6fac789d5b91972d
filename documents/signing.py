"""Digital signatures (chữ ký số) on decisions and certificates, with pyHanko.

Two ways a PDF gets signed (Decree 30/2020/NĐ-CP makes a digitally signed PDF an original):

- the signer signs the issued PDF with their own token and uploads it back:
  ``check_signed_pdf`` accepts it only when every signature is intact, the last one covers
  the whole file (earlier ones everything but the later signatures), each signer's
  certificate is in its validity period and chains to a root in
  ``DOCUMENTS_TRUSTED_CA_FILE``, and the file's first revision is the issued PDF itself
  (its SHA-256 is the one the issuing transaction recorded);
- the issuing body's seal, applied by the server (``seal_pdf``) with the key configured
  for the body in ``DOCUMENTS_SEAL_KEYS`` (a PKCS#12 file, or a PKCS#11 token): PAdES
  baseline B-B, or B-T with a timestamp from ``DOCUMENTS_TSA_URL``, with a visible stamp
  (the body's name and the signing time) over the signature space.

``describe_signed_pdf`` tells the verify page and the API whether a stored signed PDF still
validates, by whom it was signed and when. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput

logger = logging.getLogger(__name__)

SEAL_FIELD = "DVK-Seal"
MM = 72 / 25.4


class Rejection:
    """Why an uploaded signed PDF is refused (the API's ``code``; the message is Vietnamese)."""

    NOT_PDF = "not_pdf"
    UNSIGNED = "unsigned"
    TAMPERED = "tampered"
    NOT_WHOLE_FILE = "not_whole_file"
    EXPIRED = "expired"
    UNTRUSTED = "untrusted"
    OTHER_DOCUMENT = "other_document"


def _messages() -> dict[str, str]:
    return {
        Rejection.NOT_PDF: _("The file is not a readable PDF."),
        Rejection.UNSIGNED: _("The PDF is not digitally signed."),
        Rejection.TAMPERED: _(
            "The digital signature is broken: the file was changed after it was signed."
        ),
        Rejection.NOT_WHOLE_FILE: _(
            "The digital signature does not cover the whole file: content was added after signing."
        ),
        Rejection.EXPIRED: _("The signer's certificate has expired or is not yet valid."),
        Rejection.UNTRUSTED: _(
            "The signer's certificate does not come from a trusted certification authority."
        ),
        Rejection.OTHER_DOCUMENT: _(
            "The signed PDF is not this decision as issued: it is another document or was "
            "changed before signing."
        ),
    }


def rejection_message(code: str) -> str:
    return _messages()[code]


class SignatureRejected(InvalidInput):
    """A signed PDF that cannot be accepted; ``code`` is one of ``Rejection``."""

    def __init__(self, code: str, detail: str = "") -> None:
        message = _messages()[code]
        super().__init__(f"{message} ({detail})" if detail else message)
        self.code = code


@dataclass(frozen=True)
class SignatureInfo:
    """The signature of a signed PDF: its last (outermost) signer, for display."""

    signer: str
    issuer: str
    serial: str
    signed_at: dt.datetime | None
    not_after: dt.datetime | None
    timestamped: bool
    signers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureCheck:
    """Whether a stored signed PDF still validates now, and why not."""

    valid: bool
    info: SignatureInfo | None
    reason: str = ""
    message: str = ""


# --- Trust --------------------------------------------------------------------------------


def _load_roots(path: str, mtime: float) -> tuple:
    from pyhanko.keys import load_certs_from_pemder

    roots = tuple(load_certs_from_pemder([path]))
    logger.info("Loaded %d trusted root(s) from %s", len(roots), path)
    return roots


_load_roots_cached = functools.lru_cache(maxsize=4)(_load_roots)


def trusted_roots() -> tuple:
    """The roots of ``DOCUMENTS_TRUSTED_CA_FILE`` (PEM, one or many); none when unset.

    Read again when the file changes (a new root added by the operator)."""
    path = settings.DOCUMENTS_TRUSTED_CA_FILE
    if not path:
        return ()
    try:
        mtime = os.stat(path).st_mtime
    except FileNotFoundError:
        logger.error("DOCUMENTS_TRUSTED_CA_FILE %s does not exist: no signature is trusted", path)
        return ()
    return _load_roots_cached(path, mtime)


def _validation_context(roots: tuple, moment: dt.datetime | None = None):
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=list(roots),
        # Fetching answers only about now; a past moment is judged on what the file holds.
        allow_fetching=settings.DOCUMENTS_SIGNATURE_FETCH_REVOCATION and moment is None,
        revocation_mode="soft-fail",
        moment=moment,
    )


# --- Checking a signed PDF ----------------------------------------------------------------


def _name_of(name) -> str:
    """The common name of an X.509 name (asn1crypto), else its readable form."""
    native = name.native
    return native.get("common_name") or name.human_friendly


def _info(embedded, statuses) -> SignatureInfo:
    last_sig, last = embedded[-1], statuses[-1]
    cert = last.signing_cert
    signed_at = None
    if last.timestamp_validity is not None:
        signed_at = last.timestamp_validity.timestamp
    signed_at = signed_at or last.signer_reported_dt or last_sig.self_reported_timestamp
    return SignatureInfo(
        signer=_name_of(cert.subject),
        issuer=_name_of(cert.issuer),
        serial=format(cert.serial_number, "x"),
        signed_at=signed_at,
        not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
        timestamped=last.timestamp_validity is not None,
        signers=tuple(_name_of(s.signing_cert.subject) for s in statuses),
    )


def _first_revision_matches(data: bytes, end: int, expected_sha256: str) -> bool:
    """Is some prefix of ``data`` ending at an ``%%EOF`` before ``end`` the issued PDF?

    A signer's tool appends the signature as an incremental update, so the issued file is
    the first revision, byte for byte; ``end`` (where the first signature's value starts)
    keeps the check inside what that signature covers."""
    position = data.find(b"%%EOF")
    while 0 <= position < end:
        stop = position + 5
        for eol in (b"", b"\n", b"\r\n", b"\r"):
            if data[stop : stop + len(eol)] == eol and (
                hashlib.sha256(data[: stop + len(eol)]).hexdigest() == expected_sha256
            ):
                return True
        position = data.find(b"%%EOF", stop)
    return False


def _validate(data: bytes, roots: tuple, at: dt.datetime | None = None):
    """Read and validate every embedded signature; raises ``SignatureRejected``."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not data.lstrip()[:5] == b"%PDF-":
        raise SignatureRejected(Rejection.NOT_PDF)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        # An uploaded file is anybody's bytes: whatever the parser trips on, it is no PDF.
        logger.info("Unreadable PDF uploaded: %r", error)
        raise SignatureRejected(Rejection.NOT_PDF) from error
    if not embedded:
        raise SignatureRejected(Rejection.UNSIGNED)
    now = at or timezone.now()
    statuses = []
    for position, signature in enumerate(embedded):
        try:
            status = validate_pdf_signature(
                signature,
                signer_validation_context=_validation_context(roots, at),
                ts_validation_context=_validation_context(roots, at),
            )
            judged_at = now
            stamp = status.timestamp_validity
            if (
                status.intact
                and status.valid
                and not status.trusted
                and stamp is not None
                and stamp.trusted
                and stamp.timestamp <= now
            ):
                # PAdES B-T: a trusted timestamp proves the signature existed then; the
                # signer's certificate is judged at that moment (it may have expired since).
                judged_at = stamp.timestamp
                status = validate_pdf_signature(
                    signature,
                    signer_validation_context=_validation_context(roots, judged_at),
                    ts_validation_context=_validation_context(roots, at),
                )
        except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
            logger.info("Signature that cannot be validated: %r", error)
            raise SignatureRejected(Rejection.TAMPERED) from error
        if not (status.intact and status.valid):
            raise SignatureRejected(Rejection.TAMPERED)
        cert = status.signing_cert
        validity = cert["tbs_certificate"]["validity"]
        if not (validity["not_before"].native <= judged_at <= validity["not_after"].native):
            raise SignatureRejected(Rejection.EXPIRED, _name_of(cert.subject))
        if not status.trusted:
            raise SignatureRejected(Rejection.UNTRUSTED, _name_of(cert.issuer))
        last = position == len(embedded) - 1
        coverage = status.coverage
        if last and coverage != SignatureCoverageLevel.ENTIRE_FILE:
            raise SignatureRejected(Rejection.NOT_WHOLE_FILE)
        if not last and not (
            coverage >= SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level is not None
            and status.modification_level <= ModificationLevel.FORM_FILLING
            and status.docmdp_ok
        ):
            raise SignatureRejected(Rejection.NOT_WHOLE_FILE)
        statuses.append(status)
    return embedded, statuses


def check_signed_pdf(
    data: bytes, *, expected_sha256: str, at: dt.datetime | None = None
) -> SignatureInfo:
    """Accept a PDF signed with a signer's own token, or raise ``SignatureRejected``.
    ``at``: judge it as of another moment than now (tests, audits)."""
    embedded, statuses = _validate(data, trusted_roots(), at)
    first_contents_start = embedded[0].byte_range[1]
    if not _first_revision_matches(data, first_contents_start, expected_sha256):
        raise SignatureRejected(Rejection.OTHER_DOCUMENT)
    return _info(embedded, statuses)


def inspect_signed_pdf(data: bytes, *, at: dt.datetime | None = None) -> SignatureInfo:
    """Validate a signed PDF (intact, whole, trusted, in validity) whatever its content."""
    return _info(*_validate(data, trusted_roots(), at))


def describe_signed_pdf(
    data: bytes, *, expected_sha256: str = "", at: dt.datetime | None = None
) -> SignatureCheck:
    """Does a stored signed PDF still validate now (certificates expire, roots change)?
    A timestamped one (B-T) is judged at its timestamp's time, so it outlives its signer's
    certificate; an untimestamped one (B-B) stops validating when that certificate expires."""
    try:
        if expected_sha256:
            info = check_signed_pdf(data, expected_sha256=expected_sha256, at=at)
        else:
            info = inspect_signed_pdf(data, at=at)
    except SignatureRejected as rejected:
        return SignatureCheck(
            valid=False, info=_read_info(data), reason=rejected.code, message=rejected.message
        )
    return SignatureCheck(valid=True, info=info)


def _read_info(data: bytes) -> SignatureInfo | None:
    """Who signed, even when the signature no longer validates (for the page to say so)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = sorted(reader.embedded_signatures, key=lambda s: s.signed_revision)
        if not embedded:
            return None
        cert = embedded[-1].signer_cert
        return SignatureInfo(
            signer=_name_of(cert.subject),
            issuer=_name_of(cert.issuer),
            serial=format(cert.serial_number, "x"),
            signed_at=embedded[-1].self_reported_timestamp,
            not_after=cert["tbs_certificate"]["validity"]["not_after"].native,
            timestamped=False,
            signers=tuple(_name_of(s.signer_cert.subject) for s in embedded),
        )
    except Exception:  # noqa: BLE001 - a damaged file has no signer to show
        logger.warning("Could not read the signer of a signed PDF", exc_info=True)
        return None


# --- The body's seal ----------------------------------------------------------------------


@dataclass(frozen=True)
class SealKey:
    """A body's key as ``DOCUMENTS_SEAL_KEYS`` gives it (never stored in the database).

    PKCS#12: ``pkcs12`` (file path) and ``password_env`` (the environment variable holding
    its password). PKCS#11: ``pkcs11_module``, ``pkcs11_slot`` or ``pkcs11_token``,
    ``pkcs11_key_label`` (and ``pkcs11_cert_label``, default the key's label) and
    ``pin_env``. ``seal_decisions``: seal the body's decisions when they are issued too.
    """

    issuer_code: str
    pkcs12: str = ""
    password_env: str = ""
    pkcs11_module: str = ""
    pkcs11_slot: int | None = None
    pkcs11_token: str = ""
    pkcs11_key_label: str = ""
    pkcs11_cert_label: str = ""
    pin_env: str = ""
    seal_decisions: bool = False


def seal_key(issuer_code: str) -> SealKey | None:
    """The configured key of an issuing body, or None when it has none."""
    config = settings.DOCUMENTS_SEAL_KEYS.get(issuer_code)
    if not config:
        return None
    known = set(SealKey.__dataclass_fields__) - {"issuer_code"}
    unknown = set(config) - known
    if unknown:
        raise ValueError(
            f"DOCUMENTS_SEAL_KEYS[{issuer_code!r}]: unknown keys {', '.join(sorted(unknown))}"
        )
    key = SealKey(issuer_code=issuer_code, **config)
    if bool(key.pkcs12) == bool(key.pkcs11_module):
        raise ValueError(
            f"DOCUMENTS_SEAL_KEYS[{issuer_code!r}]: give either pkcs12 or pkcs11_module"
        )
    return key


def _secret(name: str) -> bytes | None:
    if not name:
        return None
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"The environment variable {name} (a seal key's secret) is not set")
    return value.encode()


@functools.lru_cache(maxsize=16)
def _pkcs12_signer(path: str, password_env: str, mtime: float):
    from pyhanko.sign import signers

    return signers.SimpleSigner.load_pkcs12_data(
        Path(path).read_bytes(), [], passphrase=_secret(password_env)
    )


def _signer(key: SealKey):
    if key.pkcs12:
        return _pkcs12_signer(key.pkcs12, key.password_env, os.stat(key.pkcs12).st_mtime)
    return _pkcs11_signer(key)


@functools.lru_cache(maxsize=16)
def _pkcs11_signer(key: SealKey):
    """A signer on a PKCS#11 token; the session stays open for the process's life."""
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign import pkcs11

    session = pkcs11.open_pkcs11_session(
        key.pkcs11_module,
        slot_no=key.pkcs11_slot,
        token_criteria=TokenCriteria(label=key.pkcs11_token) if key.pkcs11_token else None,
        user_pin=(_secret(key.pin_env) or b"").decode() or None,
    )
    return pkcs11.PKCS11Signer(
        session,
        key_label=key.pkcs11_key_label,
        cert_label=key.pkcs11_cert_label or key.pkcs11_key_label,
    )


def reset_caches() -> None:
    """Forget loaded keys and roots (tests; a key file replaced at run time is seen anyway)."""
    _load_roots_cached.cache_clear()
    _pkcs12_signer.cache_clear()
    _pkcs11_signer.cache_clear()


def _stamp_box(pdf: bytes, anchors: tuple[str, str]) -> tuple[int, tuple[int, int, int, int]]:
    """Where the seal goes: over the signature space, between the signer's title and name
    (on the page that has them, the last one first), reaching left of them as a red seal
    does (Decree 30, Annex I)."""
    import pdfplumber

    title, name = anchors
    width, tall = 62 * MM, 24 * MM
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        found = None
        for page_index in range(len(document.pages) - 1, -1, -1):
            page = document.pages[page_index]
            lines = page.extract_text_lines() if title else []
            title_line = next((ln for ln in reversed(lines) if title in ln["text"]), None)
            if title_line is not None:
                name_line = next(
                    (
                        ln
                        for ln in lines
                        if name and name in ln["text"] and ln["top"] > title_line["bottom"]
                    ),
                    None,
                )
                found = page_index, float(page.height), title_line, name_line
                break
        if found is None:
            # No signer block: bottom right of the last page, above the margin.
            page = document.pages[-1]
            height = float(page.height)
            x1, top = float(page.width) - 25 * MM - width, height - 30 * MM - tall
            page_index = len(document.pages) - 1
        else:
            page_index, height, title_line, name_line = found
            centre = (title_line["x0"] + title_line["x1"]) / 2
            x1 = centre - width * 0.6
            below = title_line["bottom"] + 1 * MM
            above = name_line["top"] - 1 * MM if name_line is not None else below + tall
            # A narrow signature space gets a flatter stamp, never one over the name.
            tall = min(tall, max(12 * MM, above - below))
            top = below + max(0.0, (above - below - tall) / 2)
    # pdfplumber measures from the top, PDF boxes from the bottom.
    return page_index, (
        round(x1),
        round(height - top - tall),
        round(x1 + width),
        round(height - top),
    )


# What a stamp prints: Vietnamese letters, digits and punctuation. The stamp's font keeps
# these glyphs only, so pyHanko subsets a small font at each signature, not the whole one.
STAMP_ALPHABET = (
    "AĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXYFJWZ"
    "ÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
    "0123456789 .,:;-–/()*&'\"“”%+#"
)
STAMP_ALPHABET += STAMP_ALPHABET.lower()


@functools.lru_cache(maxsize=2)
def _stamp_font(path: str) -> str:
    """The stamp's font: the letters a stamp prints, without layout tables, scaled to 1000
    units per em, written once per process.

    pyHanko's OpenType engine writes glyph widths in the font's own units, which PDF reads
    as thousandths: a 2048-unit font (Liberation) would print its letters spread apart. And
    subsetting the whole font at every signature costs a quarter of a second."""
    import tempfile

    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(path)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=STAMP_ALPHABET)
    subsetter.subset(font)
    for table in ("GSUB", "GPOS", "GDEF", "FFTM", "kern"):
        if table in font:
            del font[table]
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    target = Path(tempfile.gettempdir()) / f"dvk-stamp-{digest}-{os.getpid()}.ttf"
    font.save(str(target))
    return str(target)


def seal_pdf(
    pdf: bytes,
    *,
    key: SealKey,
    body_name: str,
    anchors: tuple[str, str] = ("", ""),
    location: str = "",
) -> bytes:
    """Sign ``pdf`` with the body's key: PAdES B-B (B-T with ``DOCUMENTS_TSA_URL``), with a
    visible stamp naming the body and the signing time."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.stamp import TextStampStyle

    page, box = _stamp_box(pdf, anchors)
    font = _stamp_font(str(Path(settings.DOCUMENTS_FONT_DIR) / "LiberationSerif-Regular.ttf"))
    local = timezone.localtime()
    style = TextStampStyle(
        stamp_text="Ký số bởi: %(body)s\nThời gian ký: %(local_time)s",
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(font, font_size=9)),
        border_width=1,
        border_color=(0.75, 0.1, 0.1),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason="Đóng dấu số của cơ quan ban hành",
        location=location or None,
        name=body_name,
    )
    timestamper = (
        timestamps.HTTPTimeStamper(settings.DOCUMENTS_TSA_URL)
        if settings.DOCUMENTS_TSA_URL
        else None
    )
    signer = signers.PdfSigner(
        meta,
        signer=_signer(key),
        timestamper=timestamper,
        stamp_style=style,
        new_field_spec=fields.SigFieldSpec(SEAL_FIELD, on_page=page, box=box),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    output = signer.sign_pdf(
        writer,
        # Room for the CMS container (the chain of an ordinary CA, and a timestamp token
        # with B-T): reserved up front, pyHanko skips the trial signature that measures it.
        bytes_reserved=32_000 if timestamper else 16_000,
        appearance_text_params={
            "body": body_name,
            "local_time": local.strftime("%H:%M:%S ngày %d/%m/%Y"),
        },
    )
    return output.getvalue()
