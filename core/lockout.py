"""What a locked-out login is answered (django-axes' ``AXES_LOCKOUT_CALLABLE``): 429 with
``Retry-After``, JSON ``{"detail": ...}`` for the API, the lock-out page for the web."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, seconds // 60)
    message = _(
        "This account or address is locked after repeated failed logins. Try again in "
        "%(minutes)s minutes, or ask an administrator to unlock it."
    ) % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "lockout.html", {"message": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response
