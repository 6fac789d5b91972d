"""A memo for one page's repeated look-ups (the user's roles, scope and board seats): many
parts of a page ask the same question (the list's scope, the menu, the page's actions), and
each answer costs a query and its SQL compilation.

It is active only while ``RequestMemoMiddleware`` answers a GET or HEAD request, which
changes no role, so what it holds cannot go stale; it is dropped when the response is
made. Outside such a request (a POST, a service, a Celery task, a test calling a selector
directly) every call computes afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("dvk_request_memo", default=None)

SAFE_METHODS = ("GET", "HEAD")


def memoised(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` within the current safe request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


class RequestMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            return self.get_response(request)
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
