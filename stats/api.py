"""``/api/v1/stats/``, ``/api/v1/targets/`` and ``/api/v1/indicators/``: thin views that
parse their input through a serializer, call ``stats.selectors`` or ``stats.services``, and
render. A unit outside the caller's subtree answers 404."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.models import SteeringBoard, UnitKind
from workflows.api.serializers import InputSerializer, PhaseField
from workflows.api.views import ERRORS, ApiView, parse

from . import scope, selectors, services
from .models import Indicator, IndicatorValueKind, Target, TargetKind, UnitIndicator

UNIT_KIND_HELP = " | ".join(UnitKind.values)


# --- input ----------------------------------------------------------------------------------


class StatsQuerySerializer(InputSerializer):
    unit = serializers.CharField(
        required=False,
        max_length=64,
        help_text=gettext_lazy("A unit's code (default: the highest of my units)."),
    )
    phase = serializers.RegexField(
        r"^\d{4}-\d{4}$",
        required=False,
        help_text=gettext_lazy("A phase, e.g. 2016-2020."),
    )
    year = serializers.IntegerField(
        required=False, min_value=1900, max_value=2200, help_text=gettext_lazy("A year.")
    )


class TargetQuerySerializer(InputSerializer):
    unit = serializers.CharField(required=False, max_length=64)
    phase = serializers.RegexField(r"^\d{4}-\d{4}$", required=False)


class TargetInputSerializer(InputSerializer):
    unit = serializers.CharField(
        max_length=64, help_text=gettext_lazy("The code of the unit whose board sets it.")
    )
    phase = PhaseField(help_text="2021-2025")
    kind = serializers.CharField(max_length=32, help_text=" | ".join(TargetKind.values))
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text=gettext_lazy("A percentage for shares, a number for counts."),
    )
    unit_kind = serializers.CharField(
        max_length=16, required=False, allow_blank=True, default="", help_text=UNIT_KIND_HELP
    )
    indicator = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Indicator.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        default=None,
    )

    def validate_kind(self, value: str) -> str:
        if value not in TargetKind.values:
            raise serializers.ValidationError(
                _("Unknown kind of target “%(kind)s”.") % {"kind": value}
            )
        return value

    def validate_unit_kind(self, value: str) -> str:
        if value and value not in UnitKind.values:
            raise serializers.ValidationError(
                _("Unknown kind of unit “%(kind)s”.") % {"kind": value}
            )
        return value


class IndicatorQuerySerializer(InputSerializer):
    unit = serializers.CharField(required=False, max_length=64)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2200)


class IndicatorInputSerializer(InputSerializer):
    unit = serializers.CharField(max_length=64)
    indicator = serializers.SlugRelatedField(
        slug_field="code", queryset=Indicator.objects.filter(is_active=True)
    )
    year = serializers.IntegerField(min_value=1900, max_value=2200)
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text=gettext_lazy("1 or 0 for a yes/no indicator, else the number."),
    )


# --- output: the shape of ``movement_statistics`` (the OpenAPI schema) ------------------------


def _counts(help_text: str = "") -> serializers.DictField:
    return serializers.DictField(child=serializers.IntegerField(), help_text=help_text)


class NewFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_field = _counts()
    by_kind = _counts()


class InitiativeFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        help_text=gettext_lazy("Registered up to the period's end, not withdrawn or discontinued.")
    )
    by_field = _counts(gettext_lazy("Field code: count (an initiative once per field)."))
    by_kind = _counts()
    by_status = _counts()
    new = NewFiguresSerializer()


class CommendationFiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text=gettext_lazy("Award events (lượt)."))
    by_award = _counts()
    by_recipient_kind = _counts()
    by_issuer = _counts(gettext_lazy("Issuing body's name: count."))


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ByUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=UNIT_KIND_HELP)
    own = serializers.BooleanField(
        help_text=gettext_lazy("The chosen unit's own initiatives (not a child's).")
    )
    initiatives = InitiativeFiguresSerializer()
    commendations = CommendationFiguresSerializer()


class ByYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    registered = serializers.IntegerField()
    recognised = serializers.IntegerField()
    commended = serializers.IntegerField()


class RecognisedSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_field = _counts()


class ReplicatedSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    replicas = serializers.IntegerField()


class ReplicationSerializer(serializers.Serializer):
    total = serializers.IntegerField(
        help_text=gettext_lazy("Initiatives registered in the period as replications.")
    )
    top = ReplicatedSerializer(many=True)


class UnitCountSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    with_board = serializers.IntegerField()
    without_board = serializers.IntegerField()


class QueueSerializer(serializers.Serializer):
    waiting = serializers.IntegerField()
    overdue = serializers.IntegerField()
    oldest_due = serializers.DateField(allow_null=True)


class OverdueSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    reports = serializers.IntegerField()
    evaluations = serializers.IntegerField()
    decisions = serializers.IntegerField()


class BoardsSerializer(serializers.Serializer):
    units = serializers.DictField(child=UnitCountSerializer(), help_text=UNIT_KIND_HELP)
    cycles_open = serializers.IntegerField()
    queues = serializers.DictField(
        child=QueueSerializer(), help_text="reports | evaluations | decisions"
    )
    overdue_by_unit = OverdueSerializer(many=True)


class IndicatorFigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    value_kind = serializers.CharField(help_text=" | ".join(IndicatorValueKind.values))
    unit_kind = serializers.CharField(allow_null=True)
    units_reporting = serializers.IntegerField()
    yes = serializers.IntegerField(required=False)
    units = serializers.IntegerField(required=False)
    share = serializers.FloatField(required=False, allow_null=True)
    value = serializers.FloatField(required=False, allow_null=True)


class TargetFigureSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=" | ".join(TargetKind.values))
    unit_kind = serializers.CharField(allow_null=True)
    indicator = serializers.CharField(allow_null=True)
    is_share = serializers.BooleanField()
    target = serializers.FloatField()
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    measured = serializers.FloatField(allow_null=True)
    progress = serializers.FloatField(allow_null=True)
    met = serializers.BooleanField()


class StatisticsSerializer(serializers.Serializer):
    unit = UnitRefSerializer()
    phase = serializers.CharField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    initiatives = InitiativeFiguresSerializer()
    commendations = CommendationFiguresSerializer()
    by_unit = ByUnitSerializer(many=True)
    by_year = ByYearSerializer(many=True)
    recognised = RecognisedSerializer()
    replication = ReplicationSerializer()
    boards = BoardsSerializer()
    indicators = IndicatorFigureSerializer(many=True)
    targets = TargetFigureSerializer(many=True)


class TargetSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="board.unit.code", read_only=True)
    phase = serializers.CharField(source="phase.code", read_only=True)
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    kind = serializers.CharField(read_only=True, help_text=" | ".join(TargetKind.values))
    unit_kind = serializers.CharField(read_only=True, help_text=UNIT_KIND_HELP)

    class Meta:
        model = Target
        fields = ["id", "unit", "phase", "kind", "unit_kind", "indicator", "value", "set_at"]
        read_only_fields = fields


class UnitIndicatorSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = UnitIndicator
        fields = ["id", "unit", "indicator", "year", "value", "recorded_at"]
        read_only_fields = fields


# --- views ------------------------------------------------------------------------------------


class StatsView(ApiView):
    @extend_schema(
        operation_id="v1_stats_retrieve",
        parameters=[StatsQuerySerializer],
        responses={200: StatisticsSerializer, 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        """The movement's statistics for a unit's subtree and a period: the figures of
        ``movement_report --format json`` plus by_unit, by_year, recognised, replication,
        boards, indicators and targets."""
        query = parse(StatsQuerySerializer, request.query_params)
        unit = scope.visible_unit(user=request.user, code=query.get("unit"))
        phase, year = scope.resolve_period(phase_code=query.get("phase"), year=query.get("year"))
        return Response(selectors.movement_statistics(unit=unit, phase=phase, year=year))


def _board_of(user, code: str) -> SteeringBoard:
    unit = scope.visible_unit(user=user, code=code)
    board = SteeringBoard.objects.filter(unit=unit).first()
    if board is None:
        raise scope.OutOfScope(_("The unit %(code)s has no steering board.") % {"code": unit.code})
    return board


class TargetListView(ApiView):
    @extend_schema(
        operation_id="v1_targets_list",
        parameters=[TargetQuerySerializer],
        responses={200: TargetSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        """The targets set by the board of a unit of mine (default: my highest unit)."""
        query = parse(TargetQuerySerializer, request.query_params)
        unit = scope.visible_unit(user=request.user, code=query.get("unit"))
        targets = Target.objects.filter(board__unit=unit).select_related(
            "board__unit", "phase", "indicator"
        )
        if query.get("phase"):
            targets = targets.filter(phase__code=query["phase"])
        return Response(
            TargetSerializer(targets.order_by("phase__starts_on", "kind"), many=True).data
        )

    @extend_schema(
        operation_id="v1_targets_set",
        request=TargetInputSerializer,
        responses={
            200: TargetSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: ERRORS[404],
        },
    )
    def post(self, request: Request) -> Response:
        """Set (or change) a target of the phase for the board's subtree: the board's
        secretary or chair."""
        data = parse(TargetInputSerializer, request.data)
        board = _board_of(request.user, data["unit"])
        target = services.target_set(
            actor=request.user,
            board=board,
            phase=data["phase"],
            kind=data["kind"],
            value=data["value"],
            unit_kind=data["unit_kind"],
            indicator=data["indicator"],
        )
        return Response(TargetSerializer(target).data, status=status.HTTP_200_OK)


class IndicatorListView(ApiView):
    @extend_schema(
        operation_id="v1_indicators_list",
        parameters=[IndicatorQuerySerializer],
        responses={200: UnitIndicatorSerializer(many=True), 400: ERRORS[400], 404: ERRORS[404]},
    )
    def get(self, request: Request) -> Response:
        """The indicator values recorded for a unit of mine."""
        query = parse(IndicatorQuerySerializer, request.query_params)
        unit = scope.visible_unit(user=request.user, code=query.get("unit"))
        values = UnitIndicator.objects.filter(unit=unit).select_related("unit", "indicator")
        if query.get("year"):
            values = values.filter(year=query["year"])
        return Response(UnitIndicatorSerializer(values, many=True).data)

    @extend_schema(
        operation_id="v1_indicators_record",
        request=IndicatorInputSerializer,
        responses={
            200: UnitIndicatorSerializer,
            400: ERRORS[400],
            403: ERRORS[403],
            404: OpenApiResponse(ERRORS[404].response, description="Unit not in my units"),
        },
    )
    def post(self, request: Request) -> Response:
        """Record a unit's indicator for a year: the unit's officials or a board above it."""
        data = parse(IndicatorInputSerializer, request.data)
        unit = scope.visible_unit(user=request.user, code=data["unit"])
        row = services.indicator_record(
            actor=request.user,
            unit=unit,
            indicator=data["indicator"],
            year=data["year"],
            value=data["value"],
        )
        return Response(UnitIndicatorSerializer(row).data)
