from django.urls import path

from . import views

app_name = "stats"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/report.pdf", views.report_pdf, name="report-pdf"),
    path("dashboard/report.xlsx", views.report_xlsx, name="report-xlsx"),
    path("dashboard/targets/", views.targets, name="targets"),
    path("dashboard/indicators/", views.indicators, name="indicators"),
]
