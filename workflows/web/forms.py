"""Web forms: they parse input only; the services check states, roles and subtrees.

The task forms (``StepForm``) are the input of a lifecycle step, named by its node in
``workflows.flows``: each builds itself for the task's process, says what the task page shows
beside it (``context``) and calls the step's one service (``perform``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from core import listing
from core.forms import CleanTextForm
from core.models import (
    AwardType,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    IssuingBody,
    Phase,
    SteeringBoard,
    Unit,
)
from core.rules import award_authority_problem
from core.search import fold
from workflows import selectors, services
from workflows.models import AnnualReport, AnnualReportStatus, Evaluation, Nomination

REVIEW_ACCEPT, REVIEW_RETURN, REVIEW_REJECT = "accept", "return", "reject"


class InitiativeFilterForm(CleanTextForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=listing.any_of(InitiativeStatus.choices)
    )
    field = forms.ModelChoiceField(
        label=_("Field"),
        required=False,
        empty_label=listing.ANY_LABEL,
        queryset=Field.objects.order_by("pk"),
        to_field_name="code",
    )
    phase = forms.ModelChoiceField(
        label=_("Phase"),
        required=False,
        empty_label=listing.ANY_LABEL,
        queryset=Phase.objects.order_by("code"),
        to_field_name="code",
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=listing.any_of(InitiativeKind.choices)
    )
    # The statistics' links (the dashboard) carry these: the same rules as the report.
    unit = forms.CharField(
        label=_("Unit code"), required=False, max_length=64, help_text=_("And the units below it.")
    )
    registered_from = forms.DateField(label=_("Registered from"), required=False)
    registered_to = forms.DateField(label=_("Registered until"), required=False)
    ongoing = forms.BooleanField(label=_("Not withdrawn or discontinued"), required=False)
    own = forms.BooleanField(label=_("The unit's own only"), required=False)
    replicas = forms.BooleanField(label=_("Replications only"), required=False)
    replicated_from = forms.CharField(
        label=_("Replicates the initiative (code)"), required=False, max_length=64
    )

    def filters(self) -> dict[str, object]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "status": data.get("status") or None,
            "field": data["field"].code if data.get("field") else None,
            "phase": data["phase"].code if data.get("phase") else None,
            "kind": data.get("kind") or None,
            "unit": data.get("unit") or None,
            "registered_from": data.get("registered_from"),
            "registered_to": data.get("registered_to"),
            "ongoing": bool(data.get("ongoing")),
            "own": bool(data.get("own")),
            "replicas": bool(data.get("replicas")),
            "replicated_from": data.get("replicated_from") or None,
        }


class InitiativeRegisterForm(CleanTextForm):
    # A code, not a select: a province holds thousands of units. The service checks that
    # the user is an official of the unit or of a unit above it.
    unit_code = forms.CharField(
        label=_("Unit code"),
        max_length=64,
        help_text=_("Your unit or a unit below it; the list suggests your own units."),
        widget=forms.TextInput(attrs={"list": "my-units", "autocomplete": "off"}),
    )
    title = forms.CharField(label=_("Title"), max_length=500)
    kind = forms.ChoiceField(label=_("Kind"), choices=InitiativeKind.choices)
    owner_name = forms.CharField(
        label=_("Owner (individual initiatives)"), max_length=255, required=False
    )
    fields = forms.ModelMultipleChoiceField(
        label=_("Fields"),
        queryset=Field.objects.order_by("pk"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    phase = forms.ModelChoiceField(label=_("Phase"), queryset=Phase.objects.order_by("code"))
    registered_on = forms.DateField(label=_("Registered on"), required=False)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea, required=False)
    replicated_from = forms.CharField(
        label=_("Replicates the initiative (code)"),
        max_length=64,
        required=False,
        help_text=_("When this initiative copies a model from elsewhere (nhân rộng)."),
    )

    def clean_replicated_from(self) -> Initiative | None:
        code = self.cleaned_data["replicated_from"].strip()
        if not code:
            return None
        source = Initiative.objects.select_related("owner_unit").filter(code=code).first()
        if source is None:
            raise forms.ValidationError(
                _("Unknown initiative code: %(code)s"), params={"code": code}
            )
        return source

    def clean_unit_code(self) -> Unit:
        code = self.cleaned_data["unit_code"].strip()
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise forms.ValidationError(_("Unknown unit code: %(code)s"), params={"code": code})
        return unit


class StepForm(CleanTextForm):
    """The web input of a lifecycle step, for one process."""

    def __init__(self, data=None, *, process, **kwargs):
        super().__init__(data, **kwargs)
        self.process = process

    @classmethod
    def for_process(cls, process, data=None) -> StepForm:
        return cls(data, process=process)

    def context(self) -> dict[str, Any]:
        """What the task page shows beside the form."""
        return {}

    def perform(self, actor) -> Any:
        raise NotImplementedError

    # A step that issues a document may show it first: ``preview`` returns the draft PDF.
    previewable = False

    def preview(self, actor) -> bytes:
        raise NotImplementedError

    @property
    def report(self) -> AnnualReport:
        if not hasattr(self, "_report"):
            self._report = AnnualReport.objects.select_related(
                "cycle", "cycle__board", "initiative", "evaluation_board"
            ).get(pk=self.process.annual_report_id)
        return self._report


class ReviewForm(StepForm):
    action = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (REVIEW_ACCEPT, _("Accept: the initiative is monitored from now on")),
            (REVIEW_RETURN, _("Return to the owner to edit and resubmit")),
            (REVIEW_REJECT, _("Reject for good")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when you return or reject."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("action") in (REVIEW_RETURN, REVIEW_REJECT)
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", _("Give a reason."))
        return data

    def perform(self, actor):
        service = {
            REVIEW_ACCEPT: services.initiative_accept,
            REVIEW_RETURN: services.initiative_return,
            REVIEW_REJECT: services.initiative_reject,
        }[self.cleaned_data["action"]]
        return service(
            actor=actor, initiative=self.process.initiative, reason=self.cleaned_data["reason"]
        )


class ResubmitForm(StepForm):
    title = forms.CharField(label=_("Title"), max_length=500)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    goals = forms.CharField(label=_("Goals"), widget=forms.Textarea, required=False)
    reason = forms.CharField(
        label=_("What you changed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    @classmethod
    def for_process(cls, process, data=None) -> StepForm:
        initiative = process.initiative
        initial = {
            "title": initiative.title,
            "description": initiative.description,
            "goals": initiative.goals,
        }
        return cls(data, process=process, initial=initial)

    def perform(self, actor):
        return services.initiative_resubmit(
            actor=actor, initiative=self.process.initiative, **self.cleaned_data
        )


class AnnualReportForm(StepForm):
    text = forms.CharField(label=_("Annual report"), widget=forms.Textarea(attrs={"rows": 8}))

    def context(self):
        return {"report": self.report}

    def perform(self, actor):
        return services.annual_report_submit(
            actor=actor, report=self.report, text=self.cleaned_data["text"]
        )


class EvaluationForm(StepForm):
    """One number per criterion of the cycle's rubric."""

    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    @classmethod
    def for_process(cls, process, data=None) -> StepForm:
        form = cls(data, process=process, criteria=())
        form.set_criteria(form.report.cycle.criteria.order_by("position", "pk"))
        return form

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_criteria(criteria)

    def set_criteria(self, criteria) -> None:
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[f"score_{criterion.code}"] = forms.DecimalField(
                label=criterion.name,
                min_value=0,
                max_value=criterion.max_score,
                decimal_places=2,
                # "85,5" as a Vietnamese types it; the page sums the weighted total live
                # (core/static/dvk/scoring.js) from these attributes.
                localize=True,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "data-weight": str(criterion.weight),
                        "data-max": str(criterion.max_score),
                    }
                ),
                help_text=_("Weight %(weight)s, from 0 to %(max)s")
                % {"weight": criterion.weight, "max": criterion.max_score},
            )
        self.order_fields([f"score_{c.code}" for c in self.criteria] + ["comment"])

    def scores(self) -> dict[str, str]:
        return {c.code: str(self.cleaned_data[f"score_{c.code}"]) for c in self.criteria}

    def context(self):
        return {"report": self.report, "criteria": self.criteria}

    def perform(self, actor):
        return services.evaluation_submit(
            actor=actor,
            report=self.report,
            scores=self.scores(),
            comment=self.cleaned_data["comment"],
        )


class CloseEvaluationForm(StepForm):
    def context(self):
        report = self.report
        return {
            "report": report,
            "scored": Evaluation.objects.filter(annual_report=report).count(),
            "eligible": selectors.report_evaluators(report=report).count(),
            "quorum": services.evaluations_required(report),
        }

    def perform(self, actor):
        return services.evaluation_close(actor=actor, report=self.report)


class DecideForm(StepForm):
    recognise = forms.TypedChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        choices=[
            ("yes", _("Recognise: goes into the cycle's recognition decision")),
            ("no", _("Do not recognise: the initiative goes back to monitoring")),
        ],
    )

    def context(self):
        return {
            "report": self.report,
            "cycle_list": selectors.decision_list(cycle=self.report.cycle),
        }

    def perform(self, actor):
        return services.initiative_decide(
            actor=actor, report=self.report, recognise=self.cleaned_data["recognise"]
        )


class CycleCreateForm(CleanTextForm):
    phase = forms.ModelChoiceField(label=_("Phase"), queryset=Phase.objects.order_by("code"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("Opens on"))
    report_due = forms.DateField(label=_("Reports due"))
    evaluation_due = forms.DateField(label=_("Evaluations due"))
    decision_due = forms.DateField(label=_("Decisions due"))
    pass_mark = forms.DecimalField(
        label=_("Pass mark"), initial=70, min_value=0, decimal_places=2, localize=True
    )


class CycleCloseForm(CleanTextForm):
    force = forms.BooleanField(
        label=_("Close although decisions are still pending"), required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when you force the closing."),
    )


class DecisionTextMixin(CleanTextForm):
    """The legal bases and the proposer of a decision, adjustable before it is issued;
    prefilled with the issuing body's bases and the proposing board."""

    legal_bases = forms.CharField(
        label=_("Legal bases"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text=_("One “Căn cứ …” per line; “;” and the final “.” are added."),
    )
    proposal = forms.CharField(
        label=_("Proposed by (Theo đề nghị của …)"), required=False, max_length=500
    )
    signer_role = forms.ChoiceField(
        label=_("Who signs"),
        required=False,
        choices=[("", _("As the issuing body is set up"))],
        help_text=_("A deputy signs “KT.” (or for a collective body “TM.”) on the head's behalf."),
    )
    signer_name = forms.CharField(
        label=_("Signer's name"),
        required=False,
        max_length=128,
        help_text=_("Leave empty for the issuing body's signer."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from documents.services import SignerRole

        self.fields["signer_role"].choices = [
            ("", _("As the issuing body is set up")),
            *SignerRole.choices,
        ]

    def prefill(self, issuer, kind: str, proposal: str) -> None:
        from documents import selectors as documents_selectors

        if issuer is not None:
            self.fields["legal_bases"].initial = "\n".join(
                documents_selectors.legal_bases_for(issuer=issuer, kind=kind)
            )
        self.fields["proposal"].initial = proposal

    def decision_text(self) -> dict:
        """The ``legal_bases`` and ``proposal`` to pass to the service."""
        lines = [
            line.strip() for line in self.cleaned_data["legal_bases"].splitlines() if line.strip()
        ]
        text = {"legal_bases": lines or None, "proposal": self.cleaned_data["proposal"].strip()}
        if self.cleaned_data.get("signer_role"):
            text["signer_role"] = self.cleaned_data["signer_role"]
        if self.cleaned_data.get("signer_name", "").strip():
            text["signer_name"] = self.cleaned_data["signer_name"].strip()
        return text


class RecognitionDecisionForm(DecisionTextMixin, StepForm):
    issued_on = forms.DateField(
        label=_("Issue date"),
        required=False,
        help_text=_("Leave empty for today."),
    )

    @property
    def cycle(self):
        return self.process.cycle

    @classmethod
    def for_process(cls, process, data=None) -> StepForm:
        form = cls(data, process=process)
        board = form.cycle.board
        form.prefill(
            services.recognition_issuer(unit=board.unit),
            "recognition",
            services.recognition_proposal(board),
        )
        return form

    def context(self):
        chosen = (
            AnnualReport.objects.filter(
                cycle=self.cycle,
                status=AnnualReportStatus.DECIDED,
                recognise=True,
                recognition_decision__isnull=True,
            )
            .select_related("initiative", "initiative__owner_unit")
            .order_by("-score", "pk")
        )
        return {
            "cycle": self.cycle,
            "chosen": list(chosen),
            "issuer": services.recognition_issuer(unit=self.cycle.board.unit),
        }

    def perform(self, actor):
        issued_on = self.cleaned_data["issued_on"]
        return services.recognition_decision_issue(
            actor=actor,
            cycle=self.cycle,
            **({"issued_on": issued_on} if issued_on else {}),
            **self.decision_text(),
        )

    previewable = True

    def preview(self, actor) -> bytes:
        issued_on = self.cleaned_data["issued_on"]
        return services.recognition_decision_preview(
            actor=actor,
            cycle=self.cycle,
            **({"issued_on": issued_on} if issued_on else {}),
            **self.decision_text(),
        )


class CommendForm(DecisionTextMixin, StepForm):
    """Approve all or some of a nomination's recipients, with one award."""

    items = forms.MultipleChoiceField(
        label=_("Approved recipients"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Recipients left unticked are refused."),
    )
    award = forms.ChoiceField(label=_("Award"), choices=AwardType.choices)
    issued_on = forms.DateField(
        label=_("Issue date"), required=False, help_text=_("Leave empty for today.")
    )
    citation = forms.CharField(
        label=_("Citation"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Leave empty to keep the nomination's citation."),
    )

    @classmethod
    def for_process(cls, process, data=None) -> StepForm:
        nomination = Nomination.objects.select_related("awarding_body", "board").get(
            pk=process.nomination_id
        )
        items = list(nomination.items.select_related("initiative", "unit").order_by("pk"))
        form = cls(data, process=process, items=items)
        form.nomination = nomination
        form.prefill(
            nomination.awarding_body, "commendation", services.nomination_proposal(nomination)
        )
        # Only the awards this body may give (a district's body offers no Bằng khen).
        form.fields["award"].choices = [
            (value, label)
            for value, label in AwardType.choices
            if award_authority_problem(value, nomination.awarding_body) is None
        ]
        return form

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["items"].choices = [
            (
                str(item.pk),
                f"{item.recipient_name} – {item.initiative.code} {item.initiative.title}",
            )
            for item in items
        ]
        self.fields["items"].initial = [str(item.pk) for item in items]

    def approved_item_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["items"]]

    def context(self):
        return {"nomination": self.nomination, "items": self.items}

    def perform(self, actor):
        data = self.cleaned_data
        return services.nomination_commend(
            actor=actor,
            nomination=self.nomination,
            award=data["award"],
            approved_item_ids=self.approved_item_ids(),
            issued_on=data["issued_on"],
            citation=data["citation"],
            **self.decision_text(),
        )

    previewable = True

    def preview(self, actor) -> bytes:
        data = self.cleaned_data
        return services.nomination_commend_preview(
            actor=actor,
            nomination=self.nomination,
            award=data["award"],
            approved_item_ids=self.approved_item_ids(),
            issued_on=data["issued_on"],
            citation=data["citation"],
            **self.decision_text(),
        )


class NominationForm(CleanTextForm):
    """Propose recognised initiatives of the secretary's boards to an awarding body."""

    board = forms.ModelChoiceField(label=_("Steering board"), queryset=SteeringBoard.objects.none())
    initiatives = forms.ModelMultipleChoiceField(
        label=_("Recognised initiatives"),
        queryset=Initiative.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    awarding_body = forms.ModelChoiceField(
        label=_("Awarding body"), queryset=IssuingBody.objects.none()
    )
    citation = forms.CharField(label=_("Citation"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, boards, initiatives, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = boards
        self.fields["initiatives"].queryset = initiatives
        self.fields["initiatives"].label_from_instance = lambda i: (
            f"{i.code} – {i.title} ({i.owner_unit.name})"
        )
        self.fields["awarding_body"].queryset = bodies


class EndInitiativeForm(CleanTextForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ProgressReportForm(CleanTextForm):
    text = forms.CharField(label=_("Progress report"), widget=forms.Textarea(attrs={"rows": 4}))


class MonitoringVisitForm(CleanTextForm):
    visited_on = forms.DateField(label=_("Visit date"))
    visitors = forms.CharField(label=_("Visitors"), max_length=500, required=False)
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea(attrs={"rows": 3}))


class CriterionForm(CleanTextForm):
    """One criterion of a draft cycle's rubric: its name, weight and maximum score (the code
    stays for an existing criterion; a new one gets one from its name)."""

    code = forms.SlugField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Criterion"), max_length=255)
    weight = forms.DecimalField(
        label=_("Weight"),
        min_value=Decimal("0.01"),
        max_digits=6,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "data-rubric-weight": ""}),
    )
    max_score = forms.IntegerField(label=_("Maximum"), min_value=1, max_value=1000, initial=100)


class BaseRubricFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not rows:
            raise forms.ValidationError(_("The rubric needs at least one criterion."))
        total = sum(row["weight"] for row in rows)
        if total != 100:
            raise forms.ValidationError(
                _("The weights add up to %(total)s; they must add up to 100.")
                % {"total": formats.number_format(total)}
            )
        used: set[str] = set()
        for row in rows:
            code = row.get("code") or slugify(fold(row["name"]))[:60] or "tieu-chi"
            base, n = code, 2
            while code in used:
                code, n = f"{base}-{n}", n + 1
            used.add(code)
            row["code"] = code

    def criteria(self) -> list[dict]:
        return [
            {
                "code": form.cleaned_data["code"],
                "name": form.cleaned_data["name"],
                "weight": form.cleaned_data["weight"],
                "max": form.cleaned_data["max_score"],
            }
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


RubricFormSet = forms.formset_factory(
    CriterionForm, formset=BaseRubricFormSet, extra=1, can_delete=True, max_num=20
)


class PassMarkForm(CleanTextForm):
    pass_mark = forms.DecimalField(
        label=_("Pass mark"), min_value=0, max_value=100, decimal_places=2, localize=True
    )


class AttachmentForm(CleanTextForm):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A photo (JPEG, PNG, WebP), a PDF, a Word or an Excel file."),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.webp,.pdf,.docx,.xlsx"}),
    )
    caption = forms.CharField(label=_("Caption"), max_length=255, required=False)
    part = forms.ChoiceField(
        label=_("Evidence of"),
        required=False,
        help_text=_("The registration itself, one of its annual reports or monitoring visits."),
    )

    def __init__(self, *args, initiative=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("The registration"))]
        if initiative is not None:
            # The initiative comes from ``initiative_records``: its reports (with their
            # cycles) and visits are loaded already; newest first.
            reports = sorted(
                initiative.annual_reports.all(), key=lambda r: (r.cycle.year, r.pk), reverse=True
            )
            visits = sorted(
                initiative.monitoring_visits.all(), key=lambda v: (v.visited_on, v.pk), reverse=True
            )
            choices += [
                (f"report-{report.pk}", _("Annual report %(year)s") % {"year": report.cycle.year})
                for report in reports
            ]
            choices += [
                (
                    f"visit-{visit.pk}",
                    _("Monitoring visit of %(day)s")
                    % {"day": visit.visited_on.strftime("%d/%m/%Y")},
                )
                for visit in visits
            ]
        self.fields["part"].choices = choices
        self.initiative = initiative

    def part_objects(self) -> dict:
        """``annual_report`` / ``monitoring_visit`` for the service, from the chosen part."""
        value = self.cleaned_data.get("part") or ""
        kind, _sep, pk = value.partition("-")
        if kind == "report":
            return {"annual_report": self.initiative.annual_reports.get(pk=pk)}
        if kind == "visit":
            return {"monitoring_visit": self.initiative.monitoring_visits.get(pk=pk)}
        return {}
