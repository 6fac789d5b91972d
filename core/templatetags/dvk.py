"""Template helpers of the base layout: breadcrumbs, list sorting links, numbers."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()


def _url(target) -> str:
    if not target:
        return ""
    target = str(target)
    return target if target.startswith("/") else reverse(target)


@register.simple_tag
def breadcrumbs(*pairs):
    """``{% breadcrumbs "workflows:initiative-list" _("Initiatives") "" initiative.code %}``:
    the home page first, then each (url name or path, label); an empty url is the current
    page."""
    crumbs = [("/", _("Home"))] + [
        (_url(pairs[i]), pairs[i + 1]) for i in range(0, len(pairs) - 1, 2)
    ]
    items = []
    for url, label in crumbs:
        if url:
            items.append(
                format_html('<li class="breadcrumb-item"><a href="{}">{}</a></li>', url, label)
            )
        else:
            items.append(
                format_html('<li class="breadcrumb-item active" aria-current="page">{}</li>', label)
            )
    return format_html(
        '<nav aria-label="{}"><ol class="breadcrumb">{}</ol></nav>',
        _("Breadcrumb"),
        format_html_join("", "{}", ((item,) for item in items)),
    )


@register.filter
def score_of(scores, code):
    """An evaluation's score for one criterion as a number (so it prints "85,5" in
    Vietnamese), from the JSON the evaluation keeps by criterion code."""
    from decimal import Decimal, InvalidOperation

    value = (scores or {}).get(code)
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value
