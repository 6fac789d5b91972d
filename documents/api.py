"""The documents' files through the REST API (``/api/v1/``): a decision's PDF and one
certificate's PDF, for an API token (``Authorization: Token ...``) or a web session.

What a caller may read is what ``workflows.selectors.decisions_for_user`` gives them (the
decisions of their units' bodies, and those that list one of their units) and the
certificates of those decisions; anything else answers 404, as if it did not exist.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput
from core.models import User
from workflows import selectors as workflow_selectors
from workflows.api.errors import api_exception_handler
from workflows.api.serializers import DecisionCreateSerializer, ErrorSerializer, InputSerializer
from workflows.api.views import decision_request, parse

from . import selectors, services, signatures
from .api_serializers import SignatureSerializer
from .models import Certificate, Decision, PrintJob, PrintJobStatus


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the views answer the bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return data


def pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-cache"
    return response


def _pdf_responses(what: str) -> dict:
    error = "application/json"
    return {
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description=what),
        (404, error): OpenApiResponse(ErrorSerializer, description="Not found in your units"),
        (409, error): OpenApiResponse(ErrorSerializer, description="No PDF in this state"),
    }


def visible_decisions(user: User) -> QuerySet[Decision]:
    # The entries and certificates the selector prefetches are not needed for a file.
    return workflow_selectors.decisions_for_user(user=user).prefetch_related(None)


class _PdfView(APIView):
    renderer_classes = [JSONRenderer, PdfRenderer]

    def get_exception_handler(self):
        return api_exception_handler

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is JSON (``{"detail": ...}``) even for a client that asked for a PDF.
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class DecisionPdfView(_PdfView):
    @extend_schema(
        operation_id="v1_decisions_pdf",
        responses=_pdf_responses(
            "The decision's PDF: once digitally signed, the signed PDF (its first revision is "
            "the PDF as issued); before, exactly as issued (its SHA-256 is the decision's "
            "``sha256``): the file the signer downloads to sign with their token."
        ),
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        """The PDF of a decision of my units."""
        decision = visible_decisions(request.user).filter(pk=pk).first()
        if decision is None:
            raise NotFound()
        data, name = signatures.decision_document(decision=decision)
        return pdf_response(data, name)


class DecisionPreviewView(_PdfView):
    @extend_schema(
        operation_id="v1_decisions_preview",
        request=DecisionCreateSerializer,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The draft PDF, marked “DỰ THẢO” on every page, its number blank",
            ),
            **{
                (code, "application/json"): OpenApiResponse(ErrorSerializer, description=text)
                for code, text in (
                    (400, "Bad input"),
                    (403, "Wrong actor"),
                    (404, "Not found in your units"),
                    (409, "Wrong state (nothing to decide, already issued...)"),
                )
            },
        },
    )
    def post(self, request: Request) -> HttpResponse:
        """The PDF of the decision ``POST /api/v1/decisions/`` would issue with the same
        input, marked as a draft (“DỰ THẢO”), its number left blank: nothing is written, no
        number taken, the clerk's task stays open; refused as the issue would be."""
        pdf = decision_request(request).preview(request.user)
        return pdf_response(pdf, "du-thao-quyet-dinh.pdf")


class CertificatePdfView(_PdfView):
    @extend_schema(
        operation_id="v1_certificates_pdf",
        responses=_pdf_responses(
            "One certificate (Giấy khen, Bằng khen) on one A4 landscape "
            "page, with its QR code, sealed with the issuing body's key when it has one; only a "
            "valid one (409 when revoked or replaced)."
        ),
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        """The PDF of one certificate of a decision of my units."""
        certificate = (
            Certificate.objects.select_related("issuer")
            .filter(pk=pk, decision__in=visible_decisions(request.user).values("pk"))
            .first()
        )
        if certificate is None:
            raise NotFound()
        data, name = signatures.certificate_document(certificate=certificate)
        return pdf_response(data, name)


class SignedPdfUploadSerializer(InputSerializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text=gettext_lazy("The decision's PDF as issued, signed with the signer's token."),
    )


class DecisionSignedPdfView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def get_exception_handler(self):
        return api_exception_handler

    @extend_schema(
        operation_id="v1_decisions_signed_pdf_create",
        request={"multipart/form-data": SignedPdfUploadSerializer},
        responses={
            201: SignatureSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Not accepted: not signed, tampered, untrusted, expired, another "
                "document (the reason in ``detail``)",
            ),
            403: OpenApiResponse(ErrorSerializer, description="Not a clerk of the body"),
            404: OpenApiResponse(ErrorSerializer, description="Not found in your units"),
            409: OpenApiResponse(ErrorSerializer, description="Not issued, or already signed"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Upload the decision's PDF signed with the signer's own token (multipart ``file``).
        Accepted only when the signature is intact, covers the whole file, chains to a
        trusted root and the signed content is this decision as issued."""
        decision = visible_decisions(request.user).filter(pk=pk).first()
        if decision is None:
            raise NotFound()
        upload = parse(SignedPdfUploadSerializer, request.data)["file"]
        if upload.size > signatures.MAX_SIGNED_PDF_BYTES:
            raise InvalidInput(_("The file is too large for a signed decision."))
        signatures.decision_signed_pdf_accept(
            decision=decision, data=upload.read(), actor=request.user
        )
        decision = Decision.objects.select_related("signature").get(pk=decision.pk)
        return Response(
            SignatureSerializer(signatures.signature_status(decision).as_dict()).data,
            status=201,
        )


# --- print jobs -------------------------------------------------------------------------------


class PrintJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    decision = serializers.IntegerField(source="decision_id")
    status = serializers.ChoiceField(choices=PrintJobStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    done = serializers.IntegerField(help_text="Certificates printed so far.")
    total = serializers.IntegerField()
    parts = serializers.IntegerField(source="chunks_total")
    parts_done = serializers.IntegerField(source="chunks_done")
    error = serializers.CharField(help_text="Why the job failed (empty unless failed).")
    missing_parts = serializers.ListField(
        child=serializers.IntegerField(), help_text="Parts not printed (1-based), when failed."
    )
    missing_certificates = serializers.IntegerField()
    retries = serializers.IntegerField(help_text="Times its missing parts were printed again.")
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    pdf_url = serializers.CharField(allow_null=True, help_text="The joined PDF, when done.")


def print_job_data(job: PrintJob, request: Request) -> dict:
    failed = job.status == PrintJobStatus.FAILED
    missing = selectors.print_job_missing(job) if failed else None
    done = job.status == PrintJobStatus.DONE and bool(job.pdf)
    return PrintJobSerializer(
        {
            **{f: getattr(job, f) for f in ("id", "decision_id", "status", "done", "total")},
            "get_status_display": job.get_status_display(),
            "chunks_total": job.chunks_total,
            "chunks_done": job.chunks_done,
            "error": job.error if failed else "",
            "missing_parts": missing.parts if missing else [],
            "missing_certificates": missing.certificates if missing else 0,
            "retries": job.retries,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "pdf_url": request.build_absolute_uri(
                reverse("documents:print-job-file", args=[job.pk, "pdf"])
            )
            if done
            else None,
        }
    ).data


def _manageable_job(request: Request, pk: int) -> PrintJob:
    job = PrintJob.objects.select_related("decision__issuer__unit").filter(pk=pk).first()
    if job is None or not selectors.user_can_manage_issuer(request.user, job.decision.issuer):
        raise NotFound()
    return job


_JOB_ERRORS = {
    404: OpenApiResponse(ErrorSerializer, description="Not found in your units"),
}


class PrintJobView(APIView):
    def get_exception_handler(self):
        return api_exception_handler

    @extend_schema(
        operation_id="v1_print_jobs_retrieve",
        responses={200: PrintJobSerializer, **_JOB_ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        """A print job of certificates: its progress, and when it failed, why and which
        parts are missing."""
        return Response(print_job_data(_manageable_job(request, pk), request))


class PrintJobRetryView(APIView):
    def get_exception_handler(self):
        return api_exception_handler

    @extend_schema(
        operation_id="v1_print_jobs_retry",
        request=None,
        responses={
            202: PrintJobSerializer,
            403: OpenApiResponse(ErrorSerializer, description="Wrong actor"),
            409: OpenApiResponse(ErrorSerializer, description="The job has not failed"),
            **_JOB_ERRORS,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """In lại phần còn thiếu: print again only the parts of a failed job that are
        missing; the parts already printed are kept and joined with them."""
        job = services.print_job_retry(job=_manageable_job(request, pk), actor=request.user)
        return Response(print_job_data(job, request), status=202)
