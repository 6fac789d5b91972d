"""The in-app inbox: a list, a message, and "open" (mark read, go to the task)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import selectors, services
from .links import target_path
from .models import Message
from .rendering import render_message

PAGE_SIZE = 50
# The inbox's sorts (the default: newest first).
INBOX_SORTS = {
    "received": (gettext_lazy("Received"), ("created_at",)),
    "initiative": (gettext_lazy("Initiative"), ("initiative__code",)),
}


def _own_message(request, pk: int) -> Message:
    message = selectors.inbox(user=request.user).filter(pk=pk).first()
    if message is None:
        raise Http404
    return message


@login_required
def inbox(request):
    """My notices, newest first; searched by the initiative's code or title, the unit or the
    board, and exported (``?export=xlsx|csv``)."""
    from django.utils.translation import gettext as _

    from core import listing
    from core.search import search

    controls, state = listing.list_controls(request)
    sort = listing.sort_choice(request, state, INBOX_SORTS)
    messages = selectors.inbox(user=request.user)
    if sort.order:
        messages = messages.order_by(*sort.order)
    if state.q:
        messages = search(
            messages,
            state.q,
            (
                "initiative__code",
                "initiative__title",
                "initiative__owner_unit__name",
                "cycle__board__name",
            ),
        )
    fmt = request.GET.get("export", "")
    if fmt:
        refused = listing.export_format_error(fmt) or listing.too_many_rows(messages.count())
        if refused is not None:
            return refused
        return listing.rows_response(
            fmt,
            [_("Notice"), _("Received"), _("Read on")],
            ([render_message(m).subject, m.created_at, m.read_at] for m in messages),
            name="thong-bao",
        )
    if "per_page" not in request.GET:
        state.per_page = PAGE_SIZE
    page = listing.paginate(request, messages, state)
    # Rendered in the language of the page being shown.
    items = [(message, render_message(message)) for message in page.object_list]
    return render(
        request,
        "notifications/inbox.html",
        {
            "page": page,
            "items": items,
            "unread": selectors.unread_count(user=request.user),
            "controls": controls,
            "notices": state.notices,
            "sort": sort,
            "per_page": state.per_page,
            "per_page_choices": listing.PER_PAGE_CHOICES,
            "export": listing.export_links(request),
            "query": listing.page_query(request),
            "search_hint": _("Initiative, unit or board"),
        },
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
