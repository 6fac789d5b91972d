from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read-all", views.mark_all_read, name="read-all"),
    path("notifications/<int:pk>/", views.detail, name="detail"),
    path("notifications/<int:pk>/go", views.open_message, name="open"),
]
