"""Numbered decisions, their certificates, and certificate print jobs.

Only ``documents`` writes these models; other apps call ``documents.services``.
A decision's ``content`` and a certificate's ``content`` are snapshots of everything they
print, written once when issued: later renames of units or edits of templates never change
an issued document.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DecisionKind(models.TextChoices):
    RECOGNITION = "recognition", _("Recognition")
    COMMENDATION = "commendation", _("Commendation")


class DecisionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")


class DocumentSeries(models.TextChoices):
    """What a counter numbers: decisions, or the register of certificates."""

    DECISION = "decision", _("Decisions")
    CERTIFICATE = "certificate", _("Certificate register")


class DocumentCounter(models.Model):
    """The last number given in one series of one issuing body in one year.

    The issuing transaction locks this row (``select_for_update``) and takes the next
    number, so numbers are consecutive and never reused, even with concurrent issuers.
    """

    issuer = models.ForeignKey(
        "core.IssuingBody",
        verbose_name=_("issuing body"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    series = models.CharField(_("series"), max_length=16, choices=DocumentSeries.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    last_sequence = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "series", "year"], name="document_counter_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.series} {self.year}: {self.last_sequence}"


def _decision_upload_to(instance: Decision, filename: str) -> str:
    return f"documents/decisions/{instance.year}/{filename}"


class Decision(models.Model):
    """A numbered decision (Quyết định) of an issuing body: recognition or commendation."""

    issuer = models.ForeignKey(
        "core.IssuingBody",
        verbose_name=_("issuing body"),
        on_delete=models.PROTECT,
        related_name="decisions",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=DecisionKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=DecisionStatus.choices, default=DecisionStatus.DRAFT
    )
    title = models.CharField(_("subject"), max_length=500)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    content = models.JSONField(_("printed content"), default=dict, blank=True)
    pdf = models.FileField(_("PDF"), upload_to=_decision_upload_to, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["-issued_on", "-sequence", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "sequence"], name="decision_issuer_year_sequence"
            ),
            models.UniqueConstraint(
                fields=["issuer", "year", "number"],
                condition=~models.Q(number=""),
                name="decision_issuer_year_number",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | (
                    models.Q(sequence__isnull=False)
                    & models.Q(year__isnull=False)
                    & models.Q(issued_on__isnull=False)
                    & ~models.Q(number="")
                    & ~models.Q(sha256="")
                ),
                name="decision_issued_is_numbered",
            ),
        ]
        indexes = [models.Index(fields=["issuer", "number"], name="decision_issuer_number")]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_issued(self) -> bool:
        return self.status == DecisionStatus.ISSUED


class DecisionEntry(models.Model):
    """One row of a decision's annex: an initiative recognised, or a recipient commended.

    The text columns keep the names as they were when the decision was written.
    """

    decision = models.ForeignKey(
        Decision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="entries"
    )
    position = models.PositiveIntegerField(_("position"))
    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision_entries",
    )
    commendation = models.OneToOneField(
        "core.Commendation",
        verbose_name=_("commendation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decision_entry",
    )
    unit = models.ForeignKey(
        "core.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="decision_entries",
    )
    award = models.CharField(_("award"), max_length=32, blank=True)
    recipient_kind = models.CharField(_("recipient kind"), max_length=16)
    recipient_name = models.CharField(_("recipient"), max_length=255)
    recipient_title = models.CharField(_("position held"), max_length=255, blank=True)
    unit_name = models.CharField(_("unit name"), max_length=255)
    parent_unit_name = models.CharField(_("name of the unit above"), max_length=255, blank=True)
    initiative_title = models.CharField(_("initiative"), max_length=500, blank=True)
    citation = models.TextField(_("citation"), blank=True)

    class Meta:
        verbose_name = _("decision entry")
        verbose_name_plural = _("decision entries")
        ordering = ["decision", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "position"], name="decision_entry_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} #{self.position}: {self.recipient_name}"


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    REPLACED = "replaced", _("Replaced")


class Certificate(models.Model):
    """A Giấy khen or Bằng khen given by a decision, verifiable by its random code.

    ``register_number`` is the number in the issuer's register of certificates for the
    year: ``<sequence>/GK-<suffix>`` for a Giấy khen, ``<sequence>/BK-<suffix>`` for a Bằng
    khen, with one sequence per issuing body and year shared by both.
    """

    decision = models.ForeignKey(
        Decision, verbose_name=_("decision"), on_delete=models.PROTECT, related_name="certificates"
    )
    entry = models.ForeignKey(
        DecisionEntry,
        verbose_name=_("decision entry"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    commendation = models.ForeignKey(
        "core.Commendation",
        verbose_name=_("commendation"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    issuer = models.ForeignKey(
        "core.IssuingBody",
        verbose_name=_("issuing body"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    register_sequence = models.PositiveIntegerField(_("register sequence"))
    register_number = models.CharField(_("register number"), max_length=64)
    code = models.CharField(_("verification code"), max_length=64, unique=True)
    content = models.JSONField(_("printed content"), default=dict)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CertificateStatus.choices,
        default=CertificateStatus.VALID,
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["decision", "entry__position", "register_sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "register_sequence"],
                name="certificate_register_sequence",
            ),
            models.UniqueConstraint(
                fields=["issuer", "year", "register_number"],
                name="certificate_register_number",
            ),
            # At most one valid certificate per decision entry.
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(status="valid"),
                name="certificate_one_valid_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return self.register_number


class CertificateAction(models.TextChoices):
    ISSUED = "issued", _("Issued")
    REVOKED = "revoked", _("Revoked")
    REPLACED = "replaced", _("Replaced")


class CertificateEvent(models.Model):
    """The history of a certificate: who issued, revoked or replaced it, when and why."""

    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    action = models.CharField(_("action"), max_length=16, choices=CertificateAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("certificate event")
        verbose_name_plural = _("certificate events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.certificate_id}: {self.action}"


class PrintJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def _print_job_upload_to(instance: PrintJob, filename: str) -> str:
    return f"documents/print-jobs/{instance.pk}/{filename}"


class PrintJob(models.Model):
    """A batch print of a decision's certificates, rendered by a Celery task."""

    decision = models.ForeignKey(
        Decision, verbose_name=_("decision"), on_delete=models.CASCADE, related_name="print_jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PrintJobStatus.choices, default=PrintJobStatus.QUEUED
    )
    per_recipient = models.BooleanField(_("one file per recipient"), default=False)
    on_blank = models.BooleanField(
        _("on pre-printed blanks"),
        default=False,
        help_text=_("Only the variable text, placed for the body's blanks (phôi)."),
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    pdf = models.FileField(_("PDF"), upload_to=_print_job_upload_to, blank=True)
    zip = models.FileField(
        _("ZIP of PDFs per recipient"), upload_to=_print_job_upload_to, blank=True
    )
    chunks_total = models.PositiveIntegerField(_("parts"), default=0)
    chunks_done = models.PositiveIntegerField(_("parts done"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # The last sign of life (a part recorded, a retry asked): the sweeper fails a job whose
    # parts stopped for longer than DOCUMENTS_PRINT_STALL_AFTER.
    progressed_at = models.DateTimeField(_("last progress"), null=True, blank=True)
    retries = models.PositiveIntegerField(_("retries of the missing parts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("print job")
        verbose_name_plural = _("print jobs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.decision} – {self.done}/{self.total}"


def _print_chunk_upload_to(instance: PrintChunk, filename: str) -> str:
    return f"documents/print-jobs/{instance.job_id}/parts/{filename}"


class PrintChunk(models.Model):
    """One part of a print job: the certificates one WeasyPrint document renders.

    Parts are rendered by separate Celery tasks, so the workers of a machine (or of
    several) share a big batch; the task that finishes the last part joins them.
    """

    job = models.ForeignKey(
        PrintJob, verbose_name=_("print job"), on_delete=models.CASCADE, related_name="chunks"
    )
    index = models.PositiveIntegerField(_("position"))
    certificate_ids = models.JSONField(_("certificates"), default=list)
    is_done = models.BooleanField(_("done"), default=False)
    pdf = models.FileField(_("PDF"), upload_to=_print_chunk_upload_to, blank=True)
    zip = models.FileField(
        _("ZIP of PDFs per recipient"), upload_to=_print_chunk_upload_to, blank=True
    )
    # A part that could not be rendered (a permanent error, or transient ones beyond the
    # retries): the job fails with this reason and "print the missing parts" renders it again.
    is_failed = models.BooleanField(_("failed"), default=False)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("print job part")
        verbose_name_plural = _("print job parts")
        ordering = ["job", "index"]
        constraints = [
            models.UniqueConstraint(fields=["job", "index"], name="print_chunk_job_index"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index}"


class LegalBasis(models.Model):
    """One "Căn cứ …" line an issuing body prints in its decisions of one kind.

    Each body starts with defaults for its kind (``services.legal_bases_defaults``); a
    clerk edits them in the web or the API, and adjusts a decision's copy before issuing.
    The text is kept without its final ";" or ".": the decision adds them by position.
    """

    issuer = models.ForeignKey(
        "core.IssuingBody",
        verbose_name=_("issuing body"),
        on_delete=models.CASCADE,
        related_name="legal_bases",
    )
    kind = models.CharField(_("decision kind"), max_length=16, choices=DecisionKind.choices)
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["issuer", "kind", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "position"], name="legal_basis_position"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class PageSize(models.TextChoices):
    A4 = "A4", "A4"
    A3 = "A3", "A3"


class CertificateLayout(models.Model):
    """How one issuing body's certificates of one award print: the page size, and where
    each variable text goes on the pre-printed blank (phôi), in millimetres.

    ``fields`` maps a field name to ``{"x", "y", "width"}`` (mm from the top-left corner
    of the blank, the text centred on ``x + width / 2``) and may hold ``"size"`` (pt);
    a field left out takes its default for the page size. ``offset_x_mm``/``offset_y_mm``
    move everything: a printer that feeds the blank 2 mm low is corrected with -2.
    """

    issuer = models.ForeignKey(
        "core.IssuingBody",
        verbose_name=_("issuing body"),
        on_delete=models.CASCADE,
        related_name="certificate_layouts",
    )
    award = models.CharField(_("award"), max_length=32)
    page_size = models.CharField(
        _("page size"), max_length=8, choices=PageSize.choices, default=PageSize.A4
    )
    blank_has_title = models.BooleanField(
        _("the blank carries the award's title"),
        default=True,
        help_text=_("Untick when the blank has no printed “GIẤY KHEN” / “BẰNG KHEN”."),
    )
    offset_x_mm = models.DecimalField(
        _("shift right (mm)"), max_digits=5, decimal_places=1, default=0
    )
    offset_y_mm = models.DecimalField(
        _("shift down (mm)"), max_digits=5, decimal_places=1, default=0
    )
    fields = models.JSONField(_("field positions"), default=dict, blank=True)

    class Meta:
        verbose_name = _("certificate layout")
        verbose_name_plural = _("certificate layouts")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "award"], name="certificate_layout_award"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.award} {self.page_size}"


class SignatureSource(models.TextChoices):
    SIGNER = "signer", _("Signed by the signer with their own token")
    SEAL = "seal", _("Sealed by the server with the issuing body's key")


def _signed_pdf_upload_to(instance: DocumentSignature, filename: str) -> str:
    return f"documents/signed/{timezone.now():%Y}/{filename}"


class DocumentSignature(models.Model):
    """The digitally signed PDF of a decision or of a certificate (chữ ký số).

    A decision's is uploaded by its signer (their token) or made by the server with the
    body's seal; a certificate's is sealed by the server. One per document: once signed,
    it is the original (Decree 30/2020) and is served instead of the unsigned file. What the
    signature says (signer, CA, time) is recorded when it is accepted; whether it still
    validates is checked again whenever it is shown.
    """

    decision = models.OneToOneField(
        Decision,
        verbose_name=_("decision"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signature",
    )
    certificate = models.OneToOneField(
        Certificate,
        verbose_name=_("certificate"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signature",
    )
    source = models.CharField(_("signed by"), max_length=16, choices=SignatureSource.choices)
    pdf = models.FileField(_("signed PDF"), upload_to=_signed_pdf_upload_to)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    signer = models.CharField(_("signer"), max_length=255)
    issuer = models.CharField(_("certification authority"), max_length=255)
    serial = models.CharField(_("certificate serial number"), max_length=128, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    timestamped = models.BooleanField(_("timestamped"), default=False)
    valid_until = models.DateTimeField(_("signer's certificate valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("digital signature")
        verbose_name_plural = _("digital signatures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__isnull=False, certificate__isnull=True)
                | models.Q(decision__isnull=True, certificate__isnull=False),
                name="document_signature_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision_id or self.certificate_id}: {self.signer}"
