"""Evidence: photos, minutes and documents attached to an initiative (its registration, an
annual report or a monitoring visit), which is what boards judge by.

The type is read from the file's bytes (``filetype``), never trusted from its name: a renamed
program is refused, and so is a name whose extension does not match its content. Photos are
re-encoded (which drops their metadata), downscaled to ``ATTACHMENT_IMAGE_MAX_SIDE`` and
given a thumbnail."""

from __future__ import annotations

import io
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.errors import InvalidInput, NotAllowed
from core.models import Initiative, User

from .. import takers
from ..models import AnnualReport, Attachment, AttachmentKind, MonitoringVisit

THUMBNAIL_SIDE = 320
# Detected MIME type → (kind, the extensions a name may carry).
ACCEPTED = {
    "image/jpeg": (AttachmentKind.IMAGE, {".jpg", ".jpeg"}),
    "image/png": (AttachmentKind.IMAGE, {".png"}),
    "image/webp": (AttachmentKind.IMAGE, {".webp"}),
    "application/pdf": (AttachmentKind.PDF, {".pdf"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        AttachmentKind.DOCX,
        {".docx"},
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        AttachmentKind.XLSX,
        {".xlsx"},
    ),
}


def may_attach(user: User, initiative: Initiative) -> bool:
    """The owner's officials and the members of the boards above the owner attach evidence."""
    subject = takers.Subject(unit_path=initiative.owner_unit.path)
    return takers.may_take(takers.Taker.OWNER_OFFICIAL, user, subject) or (
        takers.holds_board_role_above(user, initiative.owner_unit)
    )


def _image(data: bytes) -> tuple[bytes, bytes, str]:
    """The photo downscaled and re-encoded, its thumbnail, and the extension."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise InvalidInput(_("The photo cannot be read.")) from error
    keep_alpha = image.mode in ("RGBA", "LA", "P")
    image = image.convert("RGBA" if keep_alpha else "RGB")
    side = settings.ATTACHMENT_IMAGE_MAX_SIDE
    image.thumbnail((side, side))
    fmt, ext = ("PNG", ".png") if keep_alpha else ("JPEG", ".jpg")
    stored = io.BytesIO()
    image.save(stored, fmt, **({"quality": 85, "optimize": True} if fmt == "JPEG" else {}))
    thumb = image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=80)
    return stored.getvalue(), small.getvalue(), ext


@transaction.atomic
def attachment_add(
    *,
    actor: User,
    initiative: Initiative,
    name: str,
    data: bytes,
    caption: str = "",
    annual_report: AnnualReport | None = None,
    monitoring_visit: MonitoringVisit | None = None,
) -> Attachment:
    """Attach one file to ``initiative`` (and to one of its annual reports or visits)."""
    if not may_attach(actor, initiative):
        raise NotAllowed(_("Only the owner's officials and the boards above it attach evidence."))
    for part in (annual_report, monitoring_visit):
        if part is not None and part.initiative_id != initiative.pk:
            raise InvalidInput(_("The report or visit belongs to another initiative."))
    if not data:
        raise InvalidInput(_("The file is empty."))
    if len(data) > settings.ATTACHMENT_MAX_BYTES:
        raise InvalidInput(
            _("The file is larger than %(limit)s MB.")
            % {"limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    detected = filetype.guess(data)
    mime = detected.mime if detected else ""
    if mime not in ACCEPTED:
        raise InvalidInput(
            _("Only photos (JPEG, PNG, WebP), PDF, Word and Excel files are accepted.")
        )
    kind, extensions = ACCEPTED[mime]
    original = PurePath(name or "").name[:200] or "tep"
    if PurePath(original).suffix.lower() not in extensions:
        raise InvalidInput(
            _("The file's name (%(name)s) does not match its content.") % {"name": original}
        )
    attachment = Attachment(
        initiative=initiative,
        annual_report=annual_report,
        monitoring_visit=monitoring_visit,
        kind=kind,
        original_name=original,
        caption=caption.strip()[:255],
        uploaded_by=actor,
        size=len(data),
    )
    stem = PurePath(original).stem[:80] or "tep"
    if kind == AttachmentKind.IMAGE:
        data, thumbnail, ext = _image(data)
        attachment.size = len(data)
        attachment.thumbnail.save(f"{stem}-nho.jpg", ContentFile(thumbnail), save=False)
        attachment.file.save(f"{stem}{ext}", ContentFile(data), save=False)
    else:
        attachment.file.save(original, ContentFile(data), save=False)
    attachment.save()
    return attachment
