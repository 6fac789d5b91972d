"""``GET /api/v1/issuing-bodies/``: the bodies that issue decisions and awards, within the
caller's subtree (and the national ones), with what their documents print."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core import selectors as core_selectors
from core.models import IssuerKind, IssuingBody, Unit
from documents import selectors as documents_selectors
from documents import services as documents_services
from documents.models import DecisionKind
from workflows import selectors

from .serializers import InputSerializer, choice_text
from .views import ERRORS, ApiMixin, parse


class IssuingBodyFilterSerializer(InputSerializer):
    unit = serializers.CharField(
        required=False, help_text=gettext_lazy("A unit's code: that unit and every unit below it.")
    )

    def validate_unit(self, value: str) -> Unit:
        unit = Unit.objects.filter(code=value.strip()).first()
        if unit is None:
            raise serializers.ValidationError(_("Unknown unit code: %(code)s") % {"code": value})
        return unit


class IssuingBodySerializer(serializers.ModelSerializer):
    kind = choice_text(IssuerKind)
    unit = serializers.SlugRelatedField(
        read_only=True,
        slug_field="code",
        allow_null=True,
        help_text=gettext_lazy("The unit's code; none for a national body."),
    )
    header = serializers.SerializerMethodField(
        help_text=gettext_lazy("The lines printed top left of its documents.")
    )

    class Meta:
        model = IssuingBody
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "unit",
            "abbreviation",
            "header",
            "place",
            "signing_authority",
            "signer_title",
            "signer_name",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_header(self, body: IssuingBody) -> list[str]:
        return [line.strip() for line in body.header.splitlines() if line.strip()]


class IssuingBodyListView(ApiMixin, ListAPIView):
    serializer_class = IssuingBodySerializer

    def get_queryset(self) -> QuerySet[IssuingBody]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return IssuingBody.objects.none()
        filters = parse(IssuingBodyFilterSerializer, self.request.query_params.dict())
        roles = selectors.user_roles(user=self.request.user)
        return core_selectors.issuing_bodies_in(paths=roles.scope_paths, unit=filters.get("unit"))

    @extend_schema(
        operation_id="v1_issuing_bodies_list",
        parameters=[IssuingBodyFilterSerializer],
        responses={200: IssuingBodySerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Issuing bodies of my units' subtrees, of the units above them (where nominations go)
        and the national ones, by name."""
        return super().get(request, *args, **kwargs)


class LegalBasesSerializer(InputSerializer):
    """A body's "Căn cứ …" lines per decision kind, in printed order, without the final
    ";" or "." (a decision adds them: ";" after each, "." after the last line)."""

    recognition = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        required=False,
        max_length=30,
        help_text=gettext_lazy("The legal bases of recognition decisions."),
    )
    commendation = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        required=False,
        max_length=30,
        help_text=gettext_lazy("The legal bases of commendation decisions."),
    )


class IssuingBodyLegalBasesView(ApiMixin, APIView):
    def _body(self, request: Request, pk: int) -> IssuingBody:
        roles = selectors.user_roles(user=request.user)
        body = core_selectors.issuing_bodies_in(paths=roles.scope_paths).filter(pk=pk).first()
        if body is None:
            raise NotFound()
        return body

    def _answer(self, body: IssuingBody) -> Response:
        return Response(documents_selectors.legal_bases_by_kind(issuer=body))

    @extend_schema(
        operation_id="v1_issuing_bodies_legal_bases_retrieve",
        responses={200: LegalBasesSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, pk: int) -> Response:
        """The legal bases an issuing body prints in its decisions, per decision kind."""
        return self._answer(self._body(request, pk))

    @extend_schema(
        operation_id="v1_issuing_bodies_legal_bases_update",
        request=LegalBasesSerializer,
        responses={200: LegalBasesSerializer, 400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]},
    )
    def put(self, request: Request, pk: int) -> Response:
        """Replace the legal bases of the kinds given (a clerk of the body's unit or above)."""
        body = self._body(request, pk)
        data = parse(LegalBasesSerializer, request.data)
        for kind in DecisionKind.values:
            if kind in data:
                documents_services.legal_bases_set(
                    issuer=body, kind=kind, bases=data[kind], actor=request.user
                )
        return self._answer(body)
