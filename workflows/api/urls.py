"""``/api/v1/``: these paths are a contract (issue 3)."""

from django.urls import path

from documents import api as documents_api
from notifications import api as notifications_api
from stats import api as stats_api

from . import issuers, views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative-list"),
    path("initiatives/<int:pk>/", views.InitiativeDetailView.as_view(), name="initiative-detail"),
    path("initiatives/<int:pk>/accept/", views.AcceptView.as_view(), name="initiative-accept"),
    path("initiatives/<int:pk>/return/", views.ReturnView.as_view(), name="initiative-return"),
    path("initiatives/<int:pk>/reject/", views.RejectView.as_view(), name="initiative-reject"),
    path(
        "initiatives/<int:pk>/resubmit/",
        views.ResubmitView.as_view(),
        name="initiative-resubmit",
    ),
    path(
        "initiatives/<int:pk>/withdraw/",
        views.WithdrawView.as_view(),
        name="initiative-withdraw",
    ),
    path(
        "initiatives/<int:pk>/discontinue/",
        views.DiscontinueView.as_view(),
        name="initiative-discontinue",
    ),
    path("initiatives/<int:pk>/reports/", views.ReportView.as_view(), name="initiative-reports"),
    path("initiatives/<int:pk>/visits/", views.VisitView.as_view(), name="initiative-visits"),
    path(
        "initiatives/<int:pk>/evaluations/",
        views.EvaluationView.as_view(),
        name="initiative-evaluations",
    ),
    path(
        "initiatives/<int:pk>/close-evaluation/",
        views.CloseEvaluationView.as_view(),
        name="initiative-close-evaluation",
    ),
    path("initiatives/<int:pk>/decide/", views.DecideView.as_view(), name="initiative-decide"),
    path("cycles/", views.CycleListView.as_view(), name="cycle-list"),
    path("cycles/<int:pk>/", views.CycleDetailView.as_view(), name="cycle-detail"),
    path("cycles/<int:pk>/open/", views.CycleOpenView.as_view(), name="cycle-open"),
    path("cycles/<int:pk>/close/", views.CycleCloseView.as_view(), name="cycle-close"),
    path("nominations/", views.NominationListView.as_view(), name="nomination-list"),
    path("decisions/", views.DecisionListView.as_view(), name="decision-list"),
    path(
        "decisions/preview/",
        documents_api.DecisionPreviewView.as_view(),
        name="decision-preview",
    ),
    path("decisions/<int:pk>/", views.DecisionDetailView.as_view(), name="decision-detail"),
    path("decisions/<int:pk>/pdf/", documents_api.DecisionPdfView.as_view(), name="decision-pdf"),
    path(
        "decisions/<int:pk>/signed-pdf/",
        documents_api.DecisionSignedPdfView.as_view(),
        name="decision-signed-pdf",
    ),
    path(
        "certificates/<int:pk>/pdf/",
        documents_api.CertificatePdfView.as_view(),
        name="certificate-pdf",
    ),
    path("print-jobs/<int:pk>/", documents_api.PrintJobView.as_view(), name="print-job"),
    path(
        "print-jobs/<int:pk>/retry/",
        documents_api.PrintJobRetryView.as_view(),
        name="print-job-retry",
    ),
    path(
        "notifications/",
        notifications_api.NotificationListView.as_view(),
        name="notification-list",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications_api.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path("tasks/", views.TaskListView.as_view(), name="task-list"),
    path("issuing-bodies/", issuers.IssuingBodyListView.as_view(), name="issuing-body-list"),
    path(
        "issuing-bodies/<int:pk>/legal-bases/",
        issuers.IssuingBodyLegalBasesView.as_view(),
        name="issuing-body-legal-bases",
    ),
    path("stats/", stats_api.StatsView.as_view(), name="stats"),
    path("targets/", stats_api.TargetListView.as_view(), name="target-list"),
    path("indicators/", stats_api.IndicatorListView.as_view(), name="indicator-list"),
]
