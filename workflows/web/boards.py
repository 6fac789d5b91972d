"""The board page: its members with their roles, adding a member found by name, removing
one, and the quorum. Everyone within the board's unit's subtree reads it; its secretary and
chair change it (``core.services`` writes the seats and announces the change, so that
evaluation tasks follow)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core import services as core_services
from core.errors import DomainError
from core.forms import CleanTextForm
from core.models import BOARD_ROLES, BoardMember, Role, SteeringBoard, User
from core.search import search
from workflows.takers import any_path, user_roles

USER_PICKER_SIZE = 20


class MemberAddForm(CleanTextForm):
    username = forms.CharField(
        label=gettext_lazy("Person"),
        max_length=150,
        help_text=gettext_lazy("Type a name; pick the person from the list."),
        widget=forms.TextInput(
            attrs={
                "list": "user-options",
                "autocomplete": "off",
                "hx-get": "",  # set per board in __init__
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#user-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[(r.value, r.label) for r in BOARD_ROLES]
    )

    def __init__(self, *args, board: SteeringBoard, **kwargs):
        super().__init__(*args, **kwargs)
        self.board = board
        self.fields["username"].widget.attrs["hx-get"] = f"/boards/{board.pk}/people/"

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = _candidates(self.board).filter(username=username).first()
        if user is None:
            raise forms.ValidationError(
                _("No one with the username “%(name)s” works in this board's units.")
                % {"name": username}
            )
        return user


class QuorumForm(CleanTextForm):
    quorum = forms.IntegerField(label=gettext_lazy("Quorum"), min_value=1, max_value=50)


def _candidates(board: SteeringBoard):
    """People who may sit on the board: those whose unit lies in the board's unit's subtree."""
    return User.objects.filter(is_active=True, unit__path__startswith=board.unit.path)


def _visible_board(request: HttpRequest, pk: int) -> SteeringBoard:
    paths = user_roles(user=request.user).scope_paths
    board = (
        SteeringBoard.objects.select_related("unit")
        .filter(any_path("unit__path", paths), pk=pk)
        .first()
    )
    if board is None:
        raise Http404
    return board


def _may_manage(user, board: SteeringBoard) -> bool:
    return BoardMember.objects.filter(
        board=board, user=user, role__in=[Role.SECRETARY, Role.CHAIR]
    ).exists()


@login_required
@require_http_methods(["GET", "POST"])
def board_detail(request: HttpRequest, pk: int) -> HttpResponse:
    board = _visible_board(request, pk)
    may_manage = _may_manage(request.user, board)
    add_form = MemberAddForm(board=board)
    quorum_form = QuorumForm(initial={"quorum": board.quorum})
    status = 200
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied(_("Only the board's secretary or chair may change its members."))
        action = request.POST.get("action")
        try:
            if action == "add":
                add_form = MemberAddForm(request.POST, board=board)
                if add_form.is_valid():
                    user, role = add_form.cleaned_data["username"], add_form.cleaned_data["role"]
                    core_services.board_member_add(board=board, user=user, role=role)
                    messages.success(
                        request,
                        _("%(person)s now sits on the board as %(role)s.")
                        % {"person": user, "role": Role(role).label},
                    )
                    return redirect("workflows:board-detail", pk=board.pk)
                status = 400
            elif action == "remove":
                seat = BoardMember.objects.filter(
                    board=board, pk=request.POST.get("member") or 0
                ).first()
                if seat is None:
                    raise Http404
                core_services.board_member_remove(board=board, user=seat.user, role=seat.role)
                messages.success(
                    request,
                    _("%(person)s no longer sits on the board as %(role)s.")
                    % {"person": seat.user, "role": seat.get_role_display()},
                )
                return redirect("workflows:board-detail", pk=board.pk)
            elif action == "quorum":
                quorum_form = QuorumForm(request.POST)
                if quorum_form.is_valid():
                    core_services.board_quorum_set(
                        board=board, quorum=quorum_form.cleaned_data["quorum"]
                    )
                    messages.success(request, _("The quorum was saved."))
                    return redirect("workflows:board-detail", pk=board.pk)
                status = 400
            else:
                status = 400
        except DomainError as error:
            messages.error(request, str(error))
            status = error.status
    members = BoardMember.objects.filter(board=board).select_related("user", "user__unit")
    order = {role.value: n for n, role in enumerate(BOARD_ROLES)}
    members = sorted(members, key=lambda m: (order.get(m.role, 99), str(m.user)))
    return render(
        request,
        "workflows/board_detail.html",
        {
            "board": board,
            "members": members,
            "may_manage": may_manage,
            "add_form": add_form,
            "quorum_form": quorum_form,
        },
        status=status,
    )


@login_required
def board_people(request: HttpRequest, pk: int) -> HttpResponse:
    """The member picker's suggestions (htmx): people of the board's units matching the
    typed name or username, accents aside."""
    board = _visible_board(request, pk)
    typed = (request.GET.get("username") or "").strip()[:100]
    people = _candidates(board)
    if typed:
        people = search(people, typed, ("full_name", "username"))
    people = people.select_related("unit").order_by("full_name", "username")[:USER_PICKER_SIZE]
    return render(request, "workflows/_user_options.html", {"people": people})


@login_required
def board_list(request: HttpRequest) -> HttpResponse:
    paths = user_roles(user=request.user).scope_paths
    boards = (
        SteeringBoard.objects.select_related("unit")
        .filter(any_path("unit__path", paths), is_active=True)
        .order_by("unit__path")[:200]
    )
    return render(request, "workflows/board_list.html", {"boards": boards})
