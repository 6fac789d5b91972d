from django.contrib.auth import views as auth_views
from django.urls import path

from . import boards, lists, views

app_name = "workflows"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="workflows/login.html",
            redirect_authenticated_user=True,
            next_page="/tasks/",
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="/"), name="logout"),
    path("tasks/", lists.task_list, name="task-list"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("initiatives/", lists.initiative_list, name="initiative-list"),
    path("initiatives/new/", views.initiative_register, name="initiative-register"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative-detail"),
    path(
        "initiatives/<int:pk>/attachments/",
        views.attachment_upload,
        name="attachment-upload",
    ),
    path(
        "initiatives/<int:pk>/<slug:action>/",
        views.initiative_action,
        name="initiative-action",
    ),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment-file"),
    path(
        "attachments/<int:pk>/thumb/",
        views.attachment_file,
        {"variant": "thumb"},
        name="attachment-thumb",
    ),
    path("nominations/new/", views.nomination_create, name="nomination-create"),
    path("cycles/", lists.cycle_list, name="cycle-list"),
    path("cycles/new/", views.cycle_create, name="cycle-create"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle-detail"),
    path("cycles/<int:pk>/edit/", views.cycle_edit, name="cycle-edit"),
    path("cycles/<int:pk>/delete/", views.cycle_delete, name="cycle-delete"),
    path("cycles/<int:pk>/rubric/", views.cycle_rubric, name="cycle-rubric"),
    path("cycles/<int:pk>/decide/", views.cycle_decide, name="cycle-decide"),
    path("cycles/<int:pk>/open/", views.cycle_open, name="cycle-open"),
    path("cycles/<int:pk>/close/", views.cycle_close, name="cycle-close"),
    path("decisions/", lists.decision_list, name="decision-list"),
    path("commendations/", lists.commendation_list, name="commendation-list"),
    path("units/", lists.unit_list, name="unit-list"),
    path("units/options/", lists.unit_options, name="unit-options"),
    path("boards/", boards.board_list, name="board-list"),
    path("boards/<int:pk>/", boards.board_detail, name="board-detail"),
    path("boards/<int:pk>/people/", boards.board_people, name="board-people"),
]
