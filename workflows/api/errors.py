"""Every error of the API answers ``{"detail": "<message>"}`` in the request's language:
domain errors with their own status (409 wrong state, 403 wrong actor, 400 bad input),
validation errors with 400 (their field-by-field messages under ``errors`` too)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler
from viewflow.workflow.exceptions import FlowLockFailed

from core.errors import DomainError


def _first_message(detail: Any, path: tuple[str, ...] = ()) -> str:
    """The first validation message, prefixed by the field it is about (``fields: ...``)."""
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        return _first_message(value, path if key == "non_field_errors" else (*path, str(key)))
    if isinstance(detail, list) and detail:
        return _first_message(detail[0], path)
    return f"{'.'.join(path)}: {detail}" if path else str(detail)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=exc.status)
    if isinstance(exc, FlowLockFailed):
        return Response(
            {"detail": _("Someone else is completing this step right now; try again in a moment.")},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, exceptions.ParseError):
        # DRF's message for a bad JSON body is English whatever the language.
        exc = exceptions.ParseError(_("The request body is not valid JSON."))
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": _first_message(exc.detail), "errors": exc.detail}
    return response


def not_found(request, exception=None):
    """Django's 404 page, or ``{"detail": ...}`` under /api/ (a path no view matches)."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)
