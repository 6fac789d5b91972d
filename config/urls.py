from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("workflows.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("notifications.urls")),
    path("", include("documents.urls")),
    path("", include("workflows.web.urls")),
    path("", include("stats.urls")),
    path("", include("core.urls")),
]

# The API answers an unknown path (a non-numeric id) in JSON like any other 404.
handler404 = "workflows.api.errors.not_found"
