"""Serializers of the REST API: input ones parse a request body (names as in the import
files), output ones render what a service or selector returned. No rule lives here."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.importing import INITIATIVE_KINDS, FieldResolver, PhaseResolver
from core.models import (
    AwardType,
    CycleStatus,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuingBody,
    Phase,
    RecipientKind,
    ReviewCycle,
    Unit,
)
from core.text import refuse_control_characters
from documents import rendering as document_rendering
from documents import signatures as document_signatures
from documents.api_serializers import SignatureSerializer
from documents.models import Certificate, CertificateStatus, Decision, DecisionEntry, DecisionKind
from workflows.models import (
    AnnualReport,
    AnnualReportStatus,
    Evaluation,
    MonitoringVisit,
    Nomination,
    NominationItem,
    NominationStatus,
    ProcessKind,
    ProgressReport,
)

DATE_FORMATS = ["iso-8601", "%d/%m/%Y"]


def choice_text(choices: type[models.TextChoices], **kwargs: Any) -> serializers.CharField:
    """A status or kind rendered as its value; the values are listed in the schema's
    description rather than as an enum component (several models have a ``status``)."""
    return serializers.CharField(read_only=True, help_text=" | ".join(choices.values), **kwargs)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=gettext_lazy("What went wrong, for a person."))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires = serializers.DateTimeField(help_text="After this the token answers 401.")


# --- input --------------------------------------------------------------------------------------


class InputSerializer(serializers.Serializer):
    """The base of every API input (bodies and query strings, through ``views.parse``):
    every text field, nested ones and list items included, refuses control characters
    (``core.text``), the rule the importers and the web forms follow."""

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            _guard_text(field)
        return fields


class TokenRequestSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)


def _guard_text(field: serializers.Field) -> None:
    if isinstance(field, serializers.CharField):
        if refuse_control_characters not in field.validators:
            field.validators.append(refuse_control_characters)
    elif isinstance(field, serializers.ListField):
        _guard_text(field.child)
    elif isinstance(field, serializers.ListSerializer):
        _guard_text(field.child)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string", "description": "codes or names separated by “;”"},
        ]
    }
)
class FieldsField(serializers.Field):
    """Fields of an initiative: a list of codes or names, or one “;”-separated string."""

    def to_internal_value(self, data: Any) -> list[Field]:
        if isinstance(data, str):
            names = [part.strip() for part in data.split(";")]
        elif isinstance(data, list) and all(isinstance(item, str) for item in data):
            names = [item.strip() for item in data]
        else:
            raise serializers.ValidationError(
                _("Give the fields as a list of codes or names, or separated by “;”.")
            )
        names = [name for name in names if name]
        if not names:
            raise serializers.ValidationError(_("Choose at least one field."))
        resolver = FieldResolver()
        ids: list[int] = []
        for name in names:
            match = resolver.resolve(name)
            if not isinstance(match, int):
                raise serializers.ValidationError(
                    _("Unknown field: %(name)s. The fields are: %(fields)s")
                    % {"name": name, "fields": resolver.listing}
                )
            if match not in ids:
                ids.append(match)
        by_id = Field.objects.in_bulk(ids)
        return [by_id[pk] for pk in ids]

    def to_representation(self, value):  # pragma: no cover - input only
        return value


class PhaseField(serializers.CharField):
    """A phase by its code, “2016 - 2020” or “Giai đoạn 2016 - 2020”; it must exist."""

    def to_internal_value(self, data: Any) -> Phase:
        text = super().to_internal_value(data)
        resolver = PhaseResolver()
        code = resolver.resolve(text)
        if code is None or code not in resolver.ids:
            raise serializers.ValidationError(_("Unknown phase: %(phase)s") % {"phase": text})
        return Phase.objects.get(pk=resolver.ids[code])


class KindField(serializers.CharField):
    """collective / individual, or tập thể / cá nhân."""

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        kind = INITIATIVE_KINDS.get(text)
        if kind is None:
            raise serializers.ValidationError(
                _("Unknown kind of initiative: %(kind)s") % {"kind": text}
            )
        return kind


class InitiativeCreateSerializer(InputSerializer):
    title = serializers.CharField(max_length=500)
    unit_code = serializers.CharField()
    kind = KindField(help_text="collective | individual (tập thể | cá nhân)")
    fields = FieldsField()
    phase = PhaseField(help_text="2021-2025")
    registered_on = serializers.DateField(required=False, input_formats=DATE_FORMATS)
    owner_name = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    goals = serializers.CharField(required=False, allow_blank=True, default="")
    replicated_from = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text=gettext_lazy("The code of the initiative it replicates (nhân rộng), if any."),
    )

    def validate_unit_code(self, value: str) -> Unit:
        unit = Unit.objects.filter(code=value.strip()).first()
        if unit is None:
            raise serializers.ValidationError(_("Unknown unit code: %(code)s") % {"code": value})
        return unit

    def validate_replicated_from(self, value: str) -> Initiative | None:
        if not value.strip():
            return None
        source = Initiative.objects.select_related("owner_unit").filter(code=value.strip()).first()
        if source is None:
            raise serializers.ValidationError(
                _("Unknown initiative code: %(code)s") % {"code": value}
            )
        return source


class InitiativeResubmitSerializer(InputSerializer):
    """What the owner changes before resubmitting; anything left out stays as it is."""

    title = serializers.CharField(max_length=500, required=False)
    kind = KindField(required=False)
    fields = FieldsField(required=False)
    phase = PhaseField(required=False)
    owner_name = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    goals = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class InitiativeFilterSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=InitiativeStatus.choices, required=False)
    field = serializers.CharField(required=False, help_text=gettext_lazy("A field's code."))
    unit = serializers.CharField(
        required=False, help_text=gettext_lazy("A unit's code: that unit and every unit below it.")
    )
    phase = serializers.CharField(required=False, help_text="2021-2025")
    kind = serializers.ChoiceField(choices=InitiativeKind.choices, required=False)


class ReportCreateSerializer(InputSerializer):
    KIND_ANNUAL = "annual"
    KIND_PROGRESS = "progress"

    kind = serializers.ChoiceField(
        choices=[(KIND_ANNUAL, "annual"), (KIND_PROGRESS, "progress")], default=KIND_ANNUAL
    )
    text = serializers.CharField(allow_blank=True)
    cycle = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("For an annual report: the review cycle (default: the open one)."),
    )


class VisitCreateSerializer(InputSerializer):
    visited_on = serializers.DateField(input_formats=DATE_FORMATS)
    findings = serializers.CharField(allow_blank=True)
    visitors = serializers.CharField(required=False, allow_blank=True, default="")


class CycleRefSerializer(InputSerializer):
    cycle = serializers.IntegerField()


SCORES_SCHEMA = {
    "type": "object",
    "description": "One score per criterion of the cycle's rubric: the keys are the criteria's "
    "``code`` (``GET /api/v1/cycles/{id}/`` lists them, usually effectiveness, participation, "
    "creativity, replicability, sustainability), each value a number from 0 to the "
    "criterion's ``max``.",
    "additionalProperties": {"type": "number", "minimum": 0},
    "example": {
        "effectiveness": 80,
        "participation": 75,
        "creativity": 70,
        "replicability": 85,
        "sustainability": 80,
    },
}


@extend_schema_field(SCORES_SCHEMA)
class ScoresField(serializers.DictField):
    """Scores by criterion code. Each value is checked against the rubric by the service,
    which names the criterion in its message; here only the object shape."""

    child = serializers.JSONField()


class EvaluationCreateSerializer(CycleRefSerializer):
    scores = ScoresField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class DecideSerializer(CycleRefSerializer):
    recognise = serializers.BooleanField()


class CriterionInputSerializer(InputSerializer):
    code = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    max = serializers.IntegerField(required=False, default=100)


class CycleCloseSerializer(InputSerializer):
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("Close although decisions are still pending (give a reason)."),
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CycleCreateSerializer(InputSerializer):
    board = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("The board's id; default: the one board you are secretary of."),
    )
    phase = PhaseField(help_text="2021-2025")
    year = serializers.IntegerField()
    opens_on = serializers.DateField(input_formats=DATE_FORMATS)
    report_due = serializers.DateField(input_formats=DATE_FORMATS)
    evaluation_due = serializers.DateField(input_formats=DATE_FORMATS)
    decision_due = serializers.DateField(input_formats=DATE_FORMATS)
    pass_mark = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    criteria = CriterionInputSerializer(many=True, required=False)


class NominationCreateSerializer(InputSerializer):
    board = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("The board's id; default: the one board you are secretary of."),
    )
    cycle = serializers.IntegerField(required=False)
    awarding_body = serializers.CharField(help_text=gettext_lazy("The body's code or id."))
    initiatives = serializers.ListField(
        child=serializers.CharField(), allow_empty=False, help_text="ids or codes"
    )
    citation = serializers.CharField(allow_blank=True)

    def validate_awarding_body(self, value: str) -> IssuingBody:
        value = value.strip()
        body = IssuingBody.objects.filter(code=value).first()
        if body is None and value.isdigit():
            body = IssuingBody.objects.filter(pk=int(value)).first()
        if body is None:
            raise serializers.ValidationError(
                _("Unknown awarding body: %(body)s") % {"body": value}
            )
        return body


class DecisionCreateSerializer(InputSerializer):
    """``{"kind": "recognition", "cycle"}`` or ``{"kind": "commendation", "nomination",
    "award", "items"?}``; ``issued_on`` defaults to today."""

    kind = serializers.ChoiceField(choices=DecisionKind.choices)
    cycle = serializers.IntegerField(required=False)
    nomination = serializers.IntegerField(required=False)
    items = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_empty=False,
        help_text=gettext_lazy("Ids of the nomination's items to approve; default: all."),
    )
    award = serializers.ChoiceField(choices=AwardType.choices, required=False)
    issued_on = serializers.DateField(required=False, input_formats=DATE_FORMATS)
    citation = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField(required=False, allow_blank=True)
    legal_bases = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "The “Căn cứ …” lines of this decision; default: the issuing body's."
        ),
    )
    proposal = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text=gettext_lazy(
            "Who proposed it (“Theo đề nghị của …”); default: the proposing board."
        ),
    )

    signer_role = serializers.ChoiceField(
        choices=[("head", "head"), ("deputy", "deputy")],
        required=False,
        help_text=gettext_lazy(
            "head, or deputy (“KT. CHỦ TỊCH / PHÓ CHỦ TỊCH”); default: as the body is set up."
        ),
    )
    signer_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=128,
        help_text=gettext_lazy("Default: the issuing body's signer."),
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["kind"] == DecisionKind.RECOGNITION:
            if attrs.get("cycle") is None:
                raise serializers.ValidationError({"cycle": _("This field is required.")})
        else:
            if attrs.get("nomination") is None:
                raise serializers.ValidationError({"nomination": _("This field is required.")})
            if not attrs.get("award"):
                raise serializers.ValidationError({"award": _("This field is required.")})
        return attrs


# --- output -------------------------------------------------------------------------------------


class InitiativeSerializer(serializers.ModelSerializer):
    status = choice_text(InitiativeStatus)
    kind = choice_text(InitiativeKind)
    unit_code = serializers.CharField(source="owner_unit.code")
    unit_name = serializers.CharField(source="owner_unit.name")
    # The prefetched fields: one query for a whole page.
    fields = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")
    phase = serializers.CharField(source="phase.code")

    class Meta:
        model = Initiative
        fields = [
            "id",
            "code",
            "title",
            "status",
            "unit_code",
            "unit_name",
            "kind",
            "fields",
            "phase",
            "registered_on",
            "owner_name",
            "description",
        ]


class HistorySerializer(serializers.ModelSerializer):
    from_status = choice_text(InitiativeStatus)
    to_status = choice_text(InitiativeStatus)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = InitiativeStatusChange
        fields = ["from_status", "to_status", "actor", "at", "reason"]

    def get_actor(self, change: InitiativeStatusChange) -> str | None:
        return str(change.actor) if change.actor_id else None


class ProgressReportSerializer(serializers.ModelSerializer):
    author = serializers.StringRelatedField()

    class Meta:
        model = ProgressReport
        fields = ["id", "initiative", "author", "submitted_at", "text"]


class MonitoringVisitSerializer(serializers.ModelSerializer):
    recorded_by = serializers.StringRelatedField()

    class Meta:
        model = MonitoringVisit
        fields = ["id", "initiative", "visited_on", "visitors", "findings", "recorded_by"]


class EvaluationSerializer(serializers.ModelSerializer):
    evaluator = serializers.StringRelatedField()
    scores = ScoresField(read_only=True)
    cycle = serializers.IntegerField(source="annual_report.cycle_id")

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "annual_report",
            "cycle",
            "evaluator",
            "scores",
            "total",
            "comment",
            "submitted_at",
        ]


class AnnualReportSerializer(serializers.ModelSerializer):
    status = choice_text(AnnualReportStatus)

    class Meta:
        model = AnnualReport
        fields = [
            "id",
            "initiative",
            "cycle",
            "year",
            "status",
            "due_on",
            "text",
            "submitted_at",
            "submitted_late",
            "score",
            "passed",
            "recognise",
        ]


class AnnualReportDetailSerializer(AnnualReportSerializer):
    evaluations = EvaluationSerializer(many=True)

    class Meta(AnnualReportSerializer.Meta):
        fields = [*AnnualReportSerializer.Meta.fields, "evaluations"]


class InitiativeDetailSerializer(InitiativeSerializer):
    attachment_count = serializers.IntegerField(
        source="attachments.count",
        read_only=True,
        help_text=gettext_lazy("Evidence files attached (photos, minutes, documents)."),
    )
    history = HistorySerializer(many=True)
    progress_reports = ProgressReportSerializer(many=True)
    monitoring_visits = MonitoringVisitSerializer(many=True)
    annual_reports = AnnualReportDetailSerializer(many=True)

    class Meta(InitiativeSerializer.Meta):
        fields = [
            *InitiativeSerializer.Meta.fields,
            "goals",
            "attachment_count",
            "history",
            "progress_reports",
            "monitoring_visits",
            "annual_reports",
        ]


class CriterionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    max = serializers.IntegerField(source="max_score")


class CycleSerializer(serializers.ModelSerializer):
    board_name = serializers.CharField(source="board.name")
    unit_code = serializers.CharField(source="board.unit.code")
    phase = serializers.CharField(source="phase.code")
    status = choice_text(CycleStatus)
    criteria = CriterionSerializer(many=True)

    class Meta:
        model = ReviewCycle
        fields = [
            "id",
            "board",
            "board_name",
            "unit_code",
            "phase",
            "year",
            "status",
            "opens_on",
            "report_due",
            "evaluation_due",
            "decision_due",
            "pass_mark",
            "criteria",
        ]


class CycleOpenWorkSerializer(serializers.Serializer):
    reports_pending = serializers.IntegerField(help_text="annual reports not submitted")
    evaluations_open = serializers.IntegerField(help_text="reports whose evaluation is open")
    decisions_pending = serializers.IntegerField(help_text="evaluations awaiting the chair")
    recognitions_pending = serializers.IntegerField(
        help_text="recognised by the chair, awaiting the recognition decision"
    )


class CycleClosedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    was_open = CycleOpenWorkSerializer(help_text="What was still open when the cycle closed.")


class CycleOpenedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = choice_text(CycleStatus)
    reports = serializers.IntegerField(help_text=gettext_lazy("Annual reports created."))


class NominationItemSerializer(serializers.ModelSerializer):
    recipient_kind = choice_text(RecipientKind)
    code = serializers.CharField(source="initiative.code")
    unit_code = serializers.CharField(source="unit.code")

    class Meta:
        model = NominationItem
        fields = [
            "id",
            "initiative",
            "code",
            "recipient_kind",
            "recipient_name",
            "unit_code",
            "approved",
        ]


class NominationSerializer(serializers.ModelSerializer):
    status = choice_text(NominationStatus)
    awarding_body = serializers.SlugRelatedField(slug_field="code", read_only=True)
    items = NominationItemSerializer(many=True)

    class Meta:
        model = Nomination
        fields = [
            "id",
            "status",
            "board",
            "cycle",
            "awarding_body",
            "citation",
            "items",
            "created_at",
        ]


class TaskInitiativeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    status = choice_text(InitiativeStatus)


class TaskSerializer(serializers.Serializer):
    """An open viewflow task: what it is about and the API calls that complete it."""

    id = serializers.IntegerField()
    process = serializers.IntegerField(source="process_id")
    flow = choice_text(ProcessKind, source="process.lifecycleprocess.kind")
    task = serializers.CharField(source="flow_task.name")
    title = serializers.SerializerMethodField()
    status = serializers.CharField(help_text="NEW (in a queue) | ASSIGNED (in my inbox)")
    owner = serializers.SerializerMethodField()
    created = serializers.DateTimeField()
    unit_code = serializers.CharField(source="process.lifecycleprocess.unit.code")
    initiative = serializers.SerializerMethodField()
    cycle = serializers.IntegerField(source="process.lifecycleprocess.cycle_id", allow_null=True)
    nomination = serializers.IntegerField(
        source="process.lifecycleprocess.nomination_id", allow_null=True
    )
    actions = serializers.SerializerMethodField()

    def get_title(self, task) -> str:
        return str(task.flow_task.task_title)

    def get_owner(self, task) -> str | None:
        return str(task.owner) if task.owner_id else None

    @extend_schema_field(TaskInitiativeSerializer(allow_null=True))
    def get_initiative(self, task) -> dict | None:
        initiative = task.process.lifecycleprocess.initiative
        if initiative is None:
            return None
        return TaskInitiativeSerializer(initiative).data

    def get_actions(self, task) -> list[str]:
        """The API paths (POST) that complete this task."""
        return self.context["actions"](task)


def _absolute(context: dict, path: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class CertificateBriefSerializer(serializers.Serializer):
    register_number = serializers.CharField(help_text="125/GK-UBND")
    code = serializers.CharField(help_text=gettext_lazy("The verification code in the QR code."))


class CertificateSerializer(serializers.ModelSerializer):
    """A certificate (Giấy khen, Bằng khen) of an entry, with its public verification page and
    its PDF (token or session)."""

    status = choice_text(CertificateStatus)
    code = serializers.CharField(help_text=gettext_lazy("The verification code in the QR code."))
    verify_url = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()
    signature = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "register_number",
            "code",
            "status",
            "issued_at",
            "verify_url",
            "pdf",
            "signature",
        ]

    @extend_schema_field(SignatureSerializer)
    def get_signature(self, certificate: Certificate) -> dict:
        """The body's seal on the certificate's PDF, as recorded (valid until the seal's
        certificate expires; the verify page checks the file itself)."""
        return document_signatures.recorded_signature_status(certificate).as_dict()

    @extend_schema_field(OpenApiTypes.URI)
    def get_verify_url(self, certificate: Certificate) -> str:
        """The public page the QR code opens (no login)."""
        return document_rendering.verify_url(certificate.code)

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, certificate: Certificate) -> str:
        return _absolute(
            self.context, reverse("api:certificate-pdf", kwargs={"pk": certificate.pk})
        )


class DecisionEntrySerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code")
    certificate = serializers.SerializerMethodField(
        help_text=gettext_lazy("The latest certificate of the entry (null for none).")
    )
    certificates = serializers.SerializerMethodField(
        help_text=gettext_lazy(
            "Every certificate of the entry, oldest first: a replaced one and its replacement."
        )
    )

    class Meta:
        model = DecisionEntry
        fields = [
            "position",
            "initiative",
            "initiative_title",
            "recipient_kind",
            "recipient_name",
            "unit_code",
            "unit_name",
            "award",
            "citation",
            "certificate",
            "certificates",
        ]

    @staticmethod
    def _certificates(entry: DecisionEntry) -> list[Certificate]:
        # Sorted here: the prefetched rows, no query per entry.
        return sorted(entry.certificates.all(), key=lambda c: c.register_sequence)

    @extend_schema_field(CertificateBriefSerializer(allow_null=True))
    def get_certificate(self, entry: DecisionEntry) -> dict | None:
        certificates = self._certificates(entry)
        if not certificates:
            return None
        return CertificateBriefSerializer(certificates[-1]).data

    @extend_schema_field(CertificateSerializer(many=True))
    def get_certificates(self, entry: DecisionEntry) -> list[dict]:
        return CertificateSerializer(
            self._certificates(entry), many=True, context=self.context
        ).data


class DecisionIssuerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class DecisionSerializer(serializers.ModelSerializer):
    kind = choice_text(DecisionKind)
    issuer = DecisionIssuerSerializer()
    entries = DecisionEntrySerializer(many=True)
    pdf = serializers.SerializerMethodField()
    signature = serializers.SerializerMethodField()

    class Meta:
        model = Decision
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "title",
            "issued_on",
            "issuer",
            "entries",
            "pdf",
            "sha256",
            "signature",
        ]

    @extend_schema_field(SignatureSerializer)
    def get_signature(self, decision: Decision) -> dict:
        """Whether the decision's PDF is digitally signed, by whom, and whether the signature
        still validates (checked now)."""
        return document_signatures.signature_status(decision).as_dict()

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, decision: Decision) -> str:
        """The decision's PDF through the API (token or session)."""
        return _absolute(self.context, reverse("api:decision-pdf", kwargs={"pk": decision.pk}))
