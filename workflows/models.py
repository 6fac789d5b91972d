"""The lifecycle's own records: progress reports, monitoring visits, the yearly review case
(annual report and its evaluations), nominations for commendation, and the viewflow process
of each flow (``LifecycleProcess``, with concrete links to what it is about).

Only ``workflows.services`` writes these models. The initiative's status and history live in
``core`` and change through ``core.services.initiative_record_status``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process

from core.models import RecipientKind


class ProgressReport(models.Model):
    """A progress report the owner files at any time while the initiative is monitored."""

    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="progress_reports",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    text = models.TextField(_("report"))

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["initiative", "submitted_at"], name="progress_report_initiative"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} @ {self.submitted_at:%Y-%m-%d}"


class MonitoringVisit(models.Model):
    """A visit by board members to a monitored initiative (thăm nắm, kiểm tra, giám sát)."""

    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="monitoring_visits",
    )
    visited_on = models.DateField(_("visited on"))
    visitors = models.TextField(_("visitors"), blank=True)
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("monitoring visit")
        verbose_name_plural = _("monitoring visits")
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["initiative", "visited_on"], name="monitoring_visit_initiative"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} @ {self.visited_on}"


class AnnualReportStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting the report")
    SUBMITTED = "submitted", _("Under evaluation")
    EVALUATION_CLOSED = "evaluation_closed", _("Awaiting the decision")
    DECIDED = "decided", _("Decided")


class AnnualReport(models.Model):
    """The review case of one initiative in one review cycle: the owner's annual report, the
    board's evaluations, the score and the chair's decision.

    ``year`` repeats ``cycle.year`` so the database can hold the rule "one annual report per
    initiative and year" even when nested boards (a commune's and its province's) both open
    a cycle in the same year.
    """

    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="annual_reports",
    )
    cycle = models.ForeignKey(
        "core.ReviewCycle",
        verbose_name=_("review cycle"),
        on_delete=models.PROTECT,
        related_name="annual_reports",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AnnualReportStatus.choices,
        default=AnnualReportStatus.PENDING,
    )
    text = models.TextField(_("report"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_late = models.BooleanField(_("submitted after the due date"), default=False)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    recognise = models.BooleanField(_("recognise"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluation closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("evaluation closed at"), null=True, blank=True)
    # Who evaluates, set when the report is submitted: the cycle's board, or the nearest
    # board above it when too few of its members may evaluate (recusal); and how many
    # evaluations close it (that board's quorum, fewer only when it has fewer evaluators).
    evaluation_board = models.ForeignKey(
        "core.SteeringBoard",
        verbose_name=_("evaluating board"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    evaluations_required = models.PositiveSmallIntegerField(
        _("evaluations required"), null=True, blank=True
    )
    # The numbered decision that recognised the initiative in this cycle (step 6).
    recognition_decision = models.ForeignKey(
        "documents.Decision",
        verbose_name=_("recognition decision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recognised_reports",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("annual report")
        verbose_name_plural = _("annual reports")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "cycle"], name="annual_report_initiative_cycle"
            ),
            models.UniqueConstraint(
                fields=["initiative", "year"], name="annual_report_initiative_year"
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "status"], name="annual_report_cycle_status"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} – {self.year}"


class Evaluation(models.Model):
    """One board member's scores for one annual report."""

    annual_report = models.ForeignKey(
        AnnualReport,
        verbose_name=_("annual report"),
        on_delete=models.CASCADE,
        related_name="evaluations",
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("evaluator"),
        on_delete=models.PROTECT,
        related_name="evaluations",
    )
    scores = models.JSONField(_("scores"), default=dict)
    total = models.DecimalField(_("weighted score"), max_digits=6, decimal_places=2)
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["submitted_at", "id"]
        constraints = [
            # One evaluation per evaluator and cycle (an annual report belongs to one cycle).
            models.UniqueConstraint(
                fields=["annual_report", "evaluator"], name="evaluation_one_per_evaluator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.annual_report_id} – {self.evaluator_id}: {self.total}"


class NominationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    DECIDED = "decided", _("Decided")


class Nomination(models.Model):
    """A board's proposal to a higher body to commend recognised initiatives' owners."""

    board = models.ForeignKey(
        "core.SteeringBoard",
        verbose_name=_("proposing board"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    cycle = models.ForeignKey(
        "core.ReviewCycle",
        verbose_name=_("review cycle"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    awarding_body = models.ForeignKey(
        "core.IssuingBody",
        verbose_name=_("awarding body"),
        on_delete=models.PROTECT,
        related_name="nominations",
    )
    citation = models.TextField(_("citation"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=NominationStatus.choices,
        default=NominationStatus.DRAFT,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The commendation decision that decided the nomination (step 8).
    decision = models.OneToOneField(
        "documents.Decision",
        verbose_name=_("commendation decision"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nomination",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("nomination")
        verbose_name_plural = _("nominations")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["awarding_body", "status"], name="nomination_body_status"),
        ]

    def __str__(self) -> str:
        return f"{self.board} → {self.awarding_body}"


class NominationItem(models.Model):
    """One proposed recipient: the owner unit (collective) or the owner (individual)."""

    nomination = models.ForeignKey(
        Nomination, verbose_name=_("nomination"), on_delete=models.CASCADE, related_name="items"
    )
    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.PROTECT,
        related_name="nomination_items",
    )
    recipient_kind = models.CharField(
        _("recipient kind"), max_length=16, choices=RecipientKind.choices
    )
    recipient_name = models.CharField(_("recipient"), max_length=255)
    unit = models.ForeignKey(
        "core.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    approved = models.BooleanField(_("approved"), null=True, blank=True)

    class Meta:
        verbose_name = _("nominated recipient")
        verbose_name_plural = _("nominated recipients")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["nomination", "initiative"], name="nomination_item_once"
            ),
        ]

    def __str__(self) -> str:
        return self.recipient_name


# --- viewflow processes ---------------------------------------------------------------------


class ProcessKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    ANNUAL_REVIEW = "annual_review", _("Annual review")
    RECOGNITION = "recognition", _("Recognition decision")
    NOMINATION = "nomination", _("Nomination for commendation")


class LifecycleProcess(Process):
    """A viewflow process of the lifecycle, with concrete links to what it is about.

    ``unit`` is the unit whose subtree sees the process (the owner unit of the initiative,
    the board's unit for a recognition or a nomination): queues and process lists filter on
    its materialised path. ``kind`` repeats the flow class so the database can hold "one
    registration process per initiative".
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ProcessKind.choices)
    unit = models.ForeignKey(
        "core.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="processes",
    )
    annual_report = models.OneToOneField(
        AnnualReport,
        verbose_name=_("annual report"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="process",
    )
    cycle = models.ForeignKey(
        "core.ReviewCycle",
        verbose_name=_("review cycle"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="processes",
    )
    nomination = models.OneToOneField(
        Nomination,
        verbose_name=_("nomination"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="process",
    )

    class Meta:
        verbose_name = _("lifecycle process")
        verbose_name_plural = _("lifecycle processes")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative"],
                condition=models.Q(kind="registration"),
                name="lifecycle_process_one_registration",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "kind"], name="lifecycle_process_cycle_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


def _private_storage():
    from django.core.files.storage import storages

    return storages["private"]


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"evidence/{instance.initiative_id}/{filename}"


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Photo")
    PDF = "pdf", _("PDF")
    DOCX = "docx", _("Word document")
    XLSX = "xlsx", _("Excel workbook")


class Attachment(models.Model):
    """Evidence of an initiative (a photo, minutes, a report), possibly of one annual report
    or monitoring visit. Stored outside the web root (``STORAGES["private"]``); read through
    a view that checks the reader may see the initiative."""

    initiative = models.ForeignKey(
        "core.Initiative",
        verbose_name=_("initiative"),
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    annual_report = models.ForeignKey(
        "workflows.AnnualReport",
        verbose_name=_("annual report"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    monitoring_visit = models.ForeignKey(
        MonitoringVisit,
        verbose_name=_("monitoring visit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), storage=_private_storage, upload_to=_attachment_path)
    thumbnail = models.FileField(
        _("thumbnail"), storage=_private_storage, upload_to=_attachment_path, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    caption = models.CharField(_("caption"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["initiative", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name
