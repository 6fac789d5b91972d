"""Thin views: the public verification page, decision PDFs, certificate print jobs.

Permission for everything but verification: a superuser, or a clerk of the issuer's unit or of a
unit above it (``selectors.user_can_manage_issuer``); finer rules come with the lifecycle.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from core.errors import DomainError
from core.models import IssuingBody

from . import selectors, services, signatures, signing
from .forms import CertificateLayoutForm, LegalBasesForm
from .models import CertificateStatus, Decision, DecisionKind, PrintJob, PrintJobStatus


def _language(request: HttpRequest) -> str:
    """``?lang=en`` or ``?lang=vi`` wins over the negotiated language."""
    wanted = request.GET.get("lang", "")
    if wanted in dict(settings.LANGUAGES):
        return wanted
    return translation.get_language() or settings.LANGUAGE_CODE


@require_GET
def verify_form(request: HttpRequest) -> HttpResponse:
    """Public: a box to type a certificate's verification code (printed under its QR code) or
    its register number. A known code opens its page; a register number lists the
    certificates that carry it (without their codes)."""
    typed = request.GET.get("code", "").strip()[:100]
    matches: list = []
    if typed:
        if selectors.certificate_by_code(typed) is not None:
            return redirect("documents:verify", code=typed)
        matches = selectors.certificates_by_register_number(typed)
    response = render(
        request,
        "documents/verify_form.html",
        {"typed": typed, "matches": matches, "searched": bool(typed)},
        status=404 if typed and not matches else 200,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: is the certificate with this QR code genuine, and still valid?"""
    with translation.override(_language(request)):
        certificate = selectors.certificate_by_code(code)
        if certificate is None:
            response = render(request, "documents/verify_not_found.html", status=404)
        else:
            replacement = getattr(certificate, "replaced_by", None)
            response = render(
                request,
                "documents/verify.html",
                {
                    "certificate": certificate,
                    "signature": signatures.signature_status(certificate),
                    "c": certificate.content,
                    "replacement": replacement
                    if certificate.status == CertificateStatus.REPLACED
                    else None,
                },
            )
        response["Content-Language"] = translation.get_language()
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def _error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return render(request, "documents/error.html", {"message": error.message}, status=error.status)


def _manageable_decision(request: HttpRequest, pk: int) -> Decision:
    decision = get_object_or_404(
        Decision.objects.select_related("issuer__unit", "signature"), pk=pk
    )
    if not selectors.user_can_manage_issuer(request.user, decision.issuer):
        raise Http404
    return decision


def _manageable_job(request: HttpRequest, pk: int) -> PrintJob:
    job = get_object_or_404(PrintJob.objects.select_related("decision__issuer__unit"), pk=pk)
    if not selectors.user_can_manage_issuer(request.user, job.decision.issuer):
        raise Http404
    return job


def _readable_decision(request: HttpRequest, pk: int) -> Decision:
    """A decision the user may read: its issuer's clerks (and staff), and everyone the
    decision concerns within the tree (``workflows.selectors.decisions_for_user``: the
    issuer's subtree and the units its entries list). Anything else is 404."""
    from workflows.selectors import decisions_for_user  # documents sits below workflows

    decision = get_object_or_404(
        Decision.objects.select_related("issuer__unit", "signature"), pk=pk
    )
    if selectors.user_can_manage_issuer(request.user, decision.issuer):
        return decision
    if not decisions_for_user(user=request.user).filter(pk=pk).exists():
        raise Http404
    return decision


def _decision_page(
    request: HttpRequest, decision: Decision, status: int = 200, **extra
) -> HttpResponse:
    """The decision page every list, notice and task links to: its facts, the units and
    people it lists, its PDF and signature, and (for its issuer's clerks) signing, sealing
    and printing."""
    may_manage = selectors.user_can_manage_issuer(request.user, decision.issuer)
    return render(
        request,
        "documents/decision_detail.html",
        {
            "decision": decision,
            "entries": decision.entries.select_related("unit").order_by("position"),
            "may_manage": may_manage,
            "signature": signatures.signature_status(decision),
            "can_seal": may_manage
            and decision.is_issued
            and signing.seal_key(decision.issuer.code) is not None,
            "certificate_count": selectors.certificates_to_print(decision).count()
            if may_manage
            else 0,
            "jobs": selectors.print_jobs_for_decision(decision) if may_manage else [],
            **extra,
        },
        status=status,
    )


@login_required
@require_GET
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _decision_page(request, _readable_decision(request, pk))


@login_required
@require_GET
def decision_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _readable_decision(request, pk)
    try:
        if request.GET.get("issued") == "1":
            # The PDF exactly as issued: the file a signer signs with their token.
            data = services.decision_pdf_bytes(decision=decision)
            name = services.decision_file_name(decision)
        else:
            data, name = signatures.decision_document(decision=decision)
    except DomainError as error:
        return _error(request, error)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, name)
    # Never kept by a shared cache (a proxy in the office, a CDN).
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def decision_signed_pdf_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The decision's PDF, signed with the signer's own token, uploaded back."""
    decision = _manageable_decision(request, pk)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise signing.SignatureRejected(signing.Rejection.NOT_PDF)
        if upload.size > signatures.MAX_SIGNED_PDF_BYTES:
            raise DomainError(_("The file is too large for a signed decision."))
        signatures.decision_signed_pdf_accept(
            decision=decision, data=upload.read(), actor=request.user
        )
    except DomainError as error:
        return _decision_page(request, decision, status=error.status, upload_error=error.message)
    return redirect("documents:decision", pk=decision.pk)


@login_required
@require_POST
def decision_seal(request: HttpRequest, pk: int) -> HttpResponse:
    """Seal the decision with its body's key, on a clerk's request."""
    decision = _manageable_decision(request, pk)
    try:
        signatures.decision_seal(decision=decision, actor=request.user)
    except DomainError as error:
        return _error(request, error)
    return redirect("documents:decision", pk=decision.pk)


@login_required
@require_POST
def print_job_create(request: HttpRequest, pk: int) -> HttpResponse:
    decision = _manageable_decision(request, pk)
    try:
        job = services.print_job_start(
            decision=decision,
            actor=request.user,
            per_recipient=request.POST.get("per_recipient") in ("1", "on", "true"),
            on_blank=request.POST.get("on_blank") in ("1", "on", "true"),
        )
    except DomainError as error:
        return _error(request, error)
    return redirect("documents:print-job", pk=job.pk)


def _job_status(job: PrintJob) -> dict:
    done = job.status == PrintJobStatus.DONE
    failed = job.status == PrintJobStatus.FAILED
    missing = selectors.print_job_missing(job) if failed else None
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "done": job.done,
        "total": job.total,
        "pdf_url": reverse("documents:print-job-file", args=[job.pk, "pdf"])
        if done and job.pdf
        else None,
        "zip_url": reverse("documents:print-job-file", args=[job.pk, "zip"])
        if done and job.zip
        else None,
        "error": job.error if failed else "",
        "missing_parts": missing.parts if missing else [],
        "missing_certificates": missing.certificates if missing else 0,
        "retry_url": reverse("documents:print-job-retry", args=[job.pk]) if failed else None,
    }


@login_required
@require_GET
def print_job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _manageable_job(request, pk)
    return render(request, "documents/print_job.html", {"job": job, "status": _job_status(job)})


@login_required
@require_POST
def print_job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """ "In lại phần còn thiếu": print only the parts of a failed job that are missing."""
    job = _manageable_job(request, pk)
    try:
        services.print_job_retry(job=job, actor=request.user)
    except DomainError as error:
        return _error(request, error)
    return redirect("documents:print-job", pk=job.pk)


@login_required
@require_GET
def print_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    job = _manageable_job(request, pk)
    return JsonResponse(_job_status(job), headers={"Cache-Control": "no-store"})


@login_required
@require_GET
def print_job_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    job = _manageable_job(request, pk)
    field = {"pdf": job.pdf, "zip": job.zip}.get(kind)
    if job.status != PrintJobStatus.DONE or not field:
        raise Http404
    content_type = "application/pdf" if kind == "pdf" else "application/zip"
    return FileResponse(
        field.open("rb"),
        as_attachment=True,
        filename=field.name.rsplit("/", 1)[-1],
        content_type=content_type,
        headers={"Cache-Control": "private, no-cache"},
    )


# --- A body's document settings: legal bases and certificate layouts ------------------------


def _manageable_issuer(request: HttpRequest, pk: int) -> IssuingBody:
    issuer = get_object_or_404(IssuingBody.objects.select_related("unit"), pk=pk)
    if not selectors.user_can_manage_issuer(request.user, issuer):
        raise Http404
    return issuer


def _award_or_404(award: str) -> str:
    if award not in services.CERTIFICATE_AWARDS:
        raise Http404
    return award


def _settings_page(request, issuer, *, legal_form=None, layout_forms=None, status=200):
    bases = selectors.legal_bases_by_kind(issuer=issuer)
    legal_form = legal_form or LegalBasesForm(
        initial={kind: "\n".join(lines) for kind, lines in bases.items()}
    )
    layout_forms = layout_forms or {}
    layouts = []
    for award, (_title, _code, label) in services.CERTIFICATE_AWARDS.items():
        layout = selectors.certificate_layout(issuer=issuer, award=award)
        layouts.append(
            {
                "award": award,
                "label": label,
                "form": layout_forms.get(award) or CertificateLayoutForm(layout=layout),
            }
        )
    return render(
        request,
        "documents/issuer_settings.html",
        {"issuer": issuer, "legal_form": legal_form, "layouts": layouts},
        status=status,
    )


@login_required
@require_GET
def issuer_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """A body's legal bases and certificate layouts, for its clerks."""
    return _settings_page(request, _manageable_issuer(request, pk))


@login_required
@require_POST
def issuer_legal_bases(request: HttpRequest, pk: int) -> HttpResponse:
    issuer = _manageable_issuer(request, pk)
    form = LegalBasesForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, issuer, legal_form=form, status=400)
    try:
        for kind in DecisionKind.values:
            services.legal_bases_set(
                issuer=issuer, kind=kind, bases=form.lines(kind), actor=request.user
            )
    except DomainError as error:
        return _error(request, error)
    return redirect("documents:issuer-settings", pk=issuer.pk)


@login_required
@require_POST
def issuer_layout(request: HttpRequest, pk: int, award: str) -> HttpResponse:
    issuer = _manageable_issuer(request, pk)
    layout = selectors.certificate_layout(issuer=issuer, award=_award_or_404(award))
    form = CertificateLayoutForm(request.POST, layout=layout)
    if not form.is_valid():
        return _settings_page(request, issuer, layout_forms={award: form}, status=400)
    data = form.cleaned_data
    try:
        services.certificate_layout_save(
            issuer=issuer,
            award=award,
            actor=request.user,
            page_size=data["page_size"],
            blank_has_title=data["blank_has_title"],
            offset_x_mm=data["offset_x_mm"],
            offset_y_mm=data["offset_y_mm"],
            fields=form.positions(),
        )
    except DomainError as error:
        return _error(request, error)
    return redirect("documents:issuer-settings", pk=issuer.pk)


@login_required
@require_GET
def issuer_calibration_pdf(request: HttpRequest, pk: int, award: str) -> HttpResponse:
    """The calibration page (mm grid, a crosshair at each field) of one award's layout."""
    issuer = _manageable_issuer(request, pk)
    layout = selectors.certificate_layout(issuer=issuer, award=_award_or_404(award))
    response = HttpResponse(
        services.calibration_pdf_bytes(layout=layout), content_type="application/pdf"
    )
    response["Content-Disposition"] = content_disposition_header(
        False, f"can-chinh-{services.AWARD_SLUGS[award]}-{issuer.code}.pdf"
    )
    response["Cache-Control"] = "private, no-cache"
    return response
