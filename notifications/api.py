"""The in-app inbox through the REST API (``/api/v1/notifications/``): the caller's messages,
newest first, and marking one read. Another person's message answers 404.

A message is rendered when it is read, in the language the request asks for
(``Accept-Language``, or the language cookie of a web session), else in the caller's own
(``User.language``), as the e-mail of the same message is.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.api.errors import api_exception_handler
from workflows.api.serializers import ErrorSerializer

from . import selectors, services
from .models import Message, MessageKind
from .rendering import Rendered, render_for_recipient, render_message


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=" | ".join(MessageKind.values))
    subject = serializers.CharField()
    body = serializers.CharField(
        help_text=gettext_lazy("Plain text; paragraphs separated by a blank line.")
    )
    link = serializers.URLField(
        help_text=gettext_lazy(
            "The web page of the message's task; opening it marks the message read."
        )
    )
    read = serializers.BooleanField()
    created_at = serializers.DateTimeField()


def _asks_for_a_language(request: Request) -> bool:
    return "HTTP_ACCEPT_LANGUAGE" in request.META or (
        settings.LANGUAGE_COOKIE_NAME in request.COOKIES
    )


def _rendered(request: Request, message: Message) -> Rendered:
    if _asks_for_a_language(request):
        return render_message(message)  # in the language LocaleMiddleware chose
    return render_for_recipient(message)


def _item(request: Request, message: Message) -> dict:
    text = _rendered(request, message)
    return {
        "id": message.pk,
        "kind": message.kind,
        "subject": text.subject,
        "body": text.body,
        "link": text.link,
        "read": message.read_at is not None,
        "created_at": message.created_at,
    }


class _ApiMixin:
    def get_exception_handler(self):
        return api_exception_handler


class NotificationListView(_ApiMixin, ListAPIView):
    serializer_class = NotificationSerializer

    def get_queryset(self) -> QuerySet[Message]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Message.objects.none()
        return selectors.inbox(user=self.request.user)

    @extend_schema(operation_id="v1_notifications_list")
    def get(self, request: Request, *args, **kwargs) -> Response:
        """My in-app messages (reminders, notices), newest first."""
        return super().get(request, *args, **kwargs)

    def list(self, request: Request, *args, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        items = [_item(request, message) for message in page]
        return self.get_paginated_response(self.get_serializer(items, many=True).data)


class NotificationReadView(_ApiMixin, APIView):
    @extend_schema(
        operation_id="v1_notifications_read",
        request=None,
        responses={
            200: NotificationSerializer,
            404: OpenApiResponse(ErrorSerializer, description="Not one of my messages"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Mark one of my messages read (again: no change)."""
        message = selectors.inbox(user=request.user).filter(pk=pk).first()
        if message is None:
            raise NotFound()
        services.message_mark_read(user=request.user, message=message)
        return Response(NotificationSerializer(_item(request, message)).data)
