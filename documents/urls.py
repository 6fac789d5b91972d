from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    # Public: the QR code on a certificate opens this page.
    path("verify/", views.verify_form, name="verify-form"),
    path("verify/<str:code>/", views.verify, name="verify"),
    path("verify/<str:code>", views.verify),
    path("documents/decisions/<int:pk>/", views.decision_detail, name="decision"),
    path("documents/decisions/<int:pk>/pdf", views.decision_pdf, name="decision-pdf"),
    path(
        "documents/decisions/<int:pk>/signed-pdf",
        views.decision_signed_pdf_upload,
        name="decision-signed-pdf",
    ),
    path("documents/decisions/<int:pk>/seal", views.decision_seal, name="decision-seal"),
    path("documents/decisions/<int:pk>/print", views.print_job_create, name="print-job-create"),
    path("documents/print-jobs/<int:pk>/", views.print_job_detail, name="print-job"),
    path("documents/print-jobs/<int:pk>/status", views.print_job_status, name="print-job-status"),
    path("documents/print-jobs/<int:pk>/retry", views.print_job_retry, name="print-job-retry"),
    path(
        "documents/print-jobs/<int:pk>/<str:kind>",
        views.print_job_file,
        name="print-job-file",
    ),
    path("documents/issuers/<int:pk>/", views.issuer_settings, name="issuer-settings"),
    path(
        "documents/issuers/<int:pk>/legal-bases",
        views.issuer_legal_bases,
        name="issuer-legal-bases",
    ),
    path(
        "documents/issuers/<int:pk>/layouts/<str:award>",
        views.issuer_layout,
        name="issuer-layout",
    ),
    path(
        "documents/issuers/<int:pk>/layouts/<str:award>/calibration.pdf",
        views.issuer_calibration_pdf,
        name="issuer-calibration",
    ),
]
