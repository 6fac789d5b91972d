"""The in-app inbox: a list, a message, and "open" (mark read, go to the task)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .links import target_path
from .models import Message
from .rendering import render_message

PAGE_SIZE = 50


def _own_message(request, pk: int) -> Message:
    message = selectors.inbox(user=request.user).filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # Rendered in the language of the page being shown.
    items = [(message, render_message(message)) for message in page.object_list]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "items": items, "unread": selectors.unread_count(user=request.user)},
    )


@login_required
def detail(request, pk: int):
    message = _own_message(request, pk)
    services.message_mark_read(user=request.user, message=message)
    return render(
        request,
        "notifications/detail.html",
        {"notification": message, "text": render_message(message), "target": target_path(message)},
    )


@login_required
def open_message(request, pk: int):
    """The link in an email: mark the message read and go to its task."""
    message = _own_message(request, pk)
    services.message_mark_read(user=request.user, message=message)
    return redirect(target_path(message))


@login_required
@require_POST
def mark_all_read(request):
    services.messages_mark_all_read(user=request.user)
    return redirect("notifications:inbox")
