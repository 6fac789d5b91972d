"""The REST API (``/api/v1/``): thin views that parse, call a service of
``workflows.services`` (the steps complete their viewflow task themselves) or a selector, and
render.

Everything a user can reach is scoped to their subtree by the selectors: an initiative, a
cycle or a task outside it answers 404, as if it did not exist.
"""

from __future__ import annotations

import dataclasses

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import InvalidInput, NotAllowed, WrongState
from core.lockout import lockout_response
from core.models import CycleStatus, Initiative, ReviewCycle, Role, SteeringBoard
from core.selectors import scope_filter, unit_in_scope
from core.tokens import token_expires_at, token_issue
from documents.models import DecisionKind
from workflows import selectors, services
from workflows.models import AnnualReport, AnnualReportStatus, Evaluation, Nomination

from . import serializers as s
from .errors import api_exception_handler
from .throttling import AnonThrottle

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Bad input"),
    401: OpenApiResponse(s.ErrorSerializer, description="Not logged in, or the token expired"),
    403: OpenApiResponse(s.ErrorSerializer, description="Wrong actor"),
    404: OpenApiResponse(s.ErrorSerializer, description="Not found in your units"),
    409: OpenApiResponse(s.ErrorSerializer, description="Wrong state (already done...)"),
}


class ApiMixin:
    def get_exception_handler(self):
        return api_exception_handler


class ApiView(ApiMixin, APIView):
    pass


def parse(serializer_class, data) -> dict:
    # Every input goes through the project's input base (control characters refused).
    if not issubclass(serializer_class, s.InputSerializer):
        raise TypeError(f"{serializer_class.__name__} must derive from InputSerializer")
    if isinstance(data, QueryDict):
        # A plain dict: an empty value (?unit=) is refused like in a body, as the schema
        # says (minLength 1), instead of being read as absent.
        data = data.dict()
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _initiative(request: Request, pk: int) -> Initiative:
    initiative = selectors.initiatives_for_user(user=request.user).filter(pk=pk).first()
    if initiative is None:
        raise NotFound()
    return initiative


def _rendered(initiative: Initiative) -> dict:
    fresh = (
        Initiative.objects.select_related("owner_unit", "phase")
        .prefetch_related("fields")
        .get(pk=initiative.pk)
    )
    return s.InitiativeSerializer(fresh).data


def _report(initiative: Initiative, cycle_id: int | None = None) -> AnnualReport:
    reports = AnnualReport.objects.filter(initiative=initiative).select_related("cycle")
    if cycle_id is not None:
        report = reports.filter(cycle_id=cycle_id).first()
    else:
        report = (
            reports.filter(cycle__status=CycleStatus.OPEN, status=AnnualReportStatus.PENDING)
            .order_by("-year")
            .first()
        )
    if report is None:
        raise WrongState(_("This initiative has no annual report in this review cycle."))
    return report


def _referenced(queryset: QuerySet, path_lookup: str, request: Request, pk: int):
    """An object a request body names by id, if it lies in the caller's scope (the one
    scope rule, ``core.selectors.scope_filter``). Unknown and out of scope answer alike
    (404), so ids cannot be probed; inside the scope, the service judges the actor (403)."""
    return queryset.filter(scope_filter(user=request.user, lookup=path_lookup), pk=pk).first()


def _board(request: Request, board_id: int | None) -> SteeringBoard:
    """The board named in the body, or the one board the user is secretary of."""
    if board_id is not None:
        board = _referenced(
            SteeringBoard.objects.select_related("unit"), "unit__path", request, board_id
        )
        if board is None:
            raise NotFound(_("Unknown steering board: %(board)s") % {"board": board_id})
        return board
    boards = list(
        SteeringBoard.objects.select_related("unit").filter(
            members__user=request.user, members__role=Role.SECRETARY
        )
    )
    if not boards:
        raise NotAllowed(_("Only the secretary of the steering board may do this."))
    if len(boards) > 1:
        raise InvalidInput(_("You are the secretary of several boards: say which one."))
    return boards[0]


# --- auth -------------------------------------------------------------------------------------


class TokenView(ApiMixin, ObtainAuthToken):
    """A token for the ``Authorization: Token <token>`` header, from a username and password.

    It works ``API_TOKEN_LIFETIME_HOURS`` (``expires``); repeated failures lock the account
    and the address out (django-axes: 429 with ``Retry-After``)."""

    # DRF's view has no throttle: this one counts per address like any anonymous call.
    throttle_classes = [AnonThrottle]

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            200: s.TokenSerializer,
            400: ERRORS[400],
            429: OpenApiResponse(s.ErrorSerializer, description="Locked out or throttled"),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        parse(s.TokenRequestSerializer, request.data)
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # django-axes marks the request it was given: here DRF's, which its middleware
        # (reading Django's) does not see.
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request._request)
        if not valid:
            raise ValidationError(serializer.errors)
        token = token_issue(user=serializer.validated_data["user"])
        return Response({"token": token.key, "expires": token_expires_at(token)})


class LogoutView(ApiView):
    """Revoke the token this request carries (a session is left as it is)."""

    @extend_schema(
        request=None,
        responses={204: OpenApiResponse(description="Token revoked"), 401: ERRORS[401]},
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, Token):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- initiatives --------------------------------------------------------------------------------


class InitiativeListView(ApiMixin, ListAPIView):
    """Initiatives of my units, newest first; POST registers one."""

    serializer_class = s.InitiativeSerializer

    def get_queryset(self) -> QuerySet[Initiative]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return Initiative.objects.none()
        # A plain dict: an empty value is refused like in a body, not read as absent.
        filters = parse(s.InitiativeFilterSerializer, self.request.query_params.dict())
        return selectors.initiative_list(user=self.request.user, **filters)

    @extend_schema(
        operation_id="v1_initiatives_list",
        parameters=[s.InitiativeFilterSerializer],
        responses={200: s.InitiativeSerializer(many=True), 400: ERRORS[400]},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        """Initiatives of my units, newest first."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.InitiativeCreateSerializer,
        responses={201: s.InitiativeSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        """Register an initiative (the import's column names); its review goes to the
        responsible board's secretary."""
        data = parse(s.InitiativeCreateSerializer, request.data)
        if not unit_in_scope(user=request.user, unit=data["unit_code"]):
            # Outside one's tree a unit code is answered like an unknown one (no probing).
            raise ValidationError(
                {"unit_code": [_("Unknown unit code: %(code)s") % {"code": data["unit_code"].code}]}
            )
        initiative = services.initiative_register(
            actor=request.user,
            unit=data["unit_code"],
            title=data["title"],
            kind=data["kind"],
            fields=data["fields"],
            phase=data["phase"],
            registered_on=data.get("registered_on"),
            owner_name=data["owner_name"],
            description=data["description"],
            goals=data["goals"],
            replicated_from=data["replicated_from"],
        )
        return Response(_rendered(initiative), status=status.HTTP_201_CREATED)


class InitiativeDetailView(ApiView):
    @extend_schema(responses={200: s.InitiativeDetailSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        """One initiative with its history, reports, visits and evaluations."""
        _initiative(request, pk)
        initiative = selectors.initiative_records(initiative_id=pk)
        return Response(s.InitiativeDetailSerializer(initiative).data)


class _InitiativeStep(ApiView):
    """POST with ``{"reason"}``: one step of the registration or an ending."""

    step = None  # a service (actor, initiative, reason)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.InitiativeSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        initiative = _initiative(request, pk)
        data = parse(s.ReasonSerializer, request.data)
        self.step(actor=request.user, initiative=initiative, reason=data["reason"])
        return Response(_rendered(initiative))


class AcceptView(_InitiativeStep):
    """The responsible board's secretary accepts a registration: → monitored."""

    step = staticmethod(services.initiative_accept)


class ReturnView(_InitiativeStep):
    """Send a registration back to the owner with a reason: → returned."""

    step = staticmethod(services.initiative_return)


class RejectView(_InitiativeStep):
    """Refuse a registration for good, with a reason: → rejected."""

    step = staticmethod(services.initiative_reject)


class WithdrawView(_InitiativeStep):
    """The owner withdraws the initiative, with a reason: → withdrawn."""

    step = staticmethod(services.initiative_withdraw)


class DiscontinueView(_InitiativeStep):
    """A responsible board's secretary or chair stops the initiative: → discontinued."""

    step = staticmethod(services.initiative_discontinue)


class ResubmitView(ApiView):
    @extend_schema(
        request=s.InitiativeResubmitSerializer, responses={200: s.InitiativeSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        """The owner edits a returned registration and sends it back: → registered."""
        initiative = _initiative(request, pk)
        changes = parse(s.InitiativeResubmitSerializer, request.data)
        services.initiative_resubmit(actor=request.user, initiative=initiative, **changes)
        return Response(_rendered(initiative))


class ReportView(ApiView):
    @extend_schema(
        request=s.ReportCreateSerializer,
        responses={
            201: OpenApiResponse(
                s.AnnualReportSerializer,
                description="The annual report (kind annual) or the progress report",
            ),
            **ERRORS,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Submit the annual report of the open cycle (``kind`` annual, the default) or a
        progress report (``kind`` progress)."""
        initiative = _initiative(request, pk)
        data = parse(s.ReportCreateSerializer, request.data)
        if data["kind"] == s.ReportCreateSerializer.KIND_PROGRESS:
            report = services.progress_report_submit(
                actor=request.user, initiative=initiative, text=data["text"]
            )
            return Response(s.ProgressReportSerializer(report).data, status=201)
        report = services.annual_report_submit(
            actor=request.user,
            report=_report(initiative, data.get("cycle")),
            text=data["text"],
        )
        return Response(s.AnnualReportSerializer(report).data, status=201)


class VisitView(ApiView):
    @extend_schema(
        request=s.VisitCreateSerializer, responses={201: s.MonitoringVisitSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        """A responsible board's member records a monitoring visit."""
        initiative = _initiative(request, pk)
        data = parse(s.VisitCreateSerializer, request.data)
        visit = services.monitoring_visit_record(actor=request.user, initiative=initiative, **data)
        return Response(s.MonitoringVisitSerializer(visit).data, status=201)


class EvaluationView(ApiView):
    @extend_schema(
        request=s.EvaluationCreateSerializer, responses={201: s.EvaluationSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        """A board member scores the annual report of ``cycle`` against its rubric."""
        initiative = _initiative(request, pk)
        data = parse(s.EvaluationCreateSerializer, request.data)
        evaluation = services.evaluation_submit(
            actor=request.user,
            report=_report(initiative, data["cycle"]),
            scores=data["scores"],
            comment=data["comment"],
        )
        evaluation = Evaluation.objects.select_related("evaluator", "annual_report").get(
            pk=evaluation.pk
        )
        return Response(s.EvaluationSerializer(evaluation).data, status=201)


class CloseEvaluationView(ApiView):
    @extend_schema(
        request=s.CycleRefSerializer, responses={200: s.AnnualReportSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        """The secretary closes the evaluation once a quorum has scored: → evaluated."""
        initiative = _initiative(request, pk)
        data = parse(s.CycleRefSerializer, request.data)
        report = services.evaluation_close(
            actor=request.user, report=_report(initiative, data["cycle"])
        )
        return Response(s.AnnualReportSerializer(report).data)


class DecideView(ApiView):
    @extend_schema(request=s.DecideSerializer, responses={200: s.AnnualReportSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The chair decides whether to recognise; not recognised → monitored."""
        initiative = _initiative(request, pk)
        data = parse(s.DecideSerializer, request.data)
        report = services.initiative_decide(
            actor=request.user,
            report=_report(initiative, data["cycle"]),
            recognise=data["recognise"],
        )
        return Response(s.AnnualReportSerializer(report).data)


# --- review cycles ------------------------------------------------------------------------------


def _cycle(request: Request, pk: int) -> ReviewCycle:
    cycle = selectors.cycles_for_user(user=request.user).filter(pk=pk).first()
    if cycle is None:
        raise NotFound()
    return cycle


class CycleListView(ApiView):
    @extend_schema(request=s.CycleCreateSerializer, responses={201: s.CycleSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        """The board's secretary sets up a draft review cycle with its rubric (the usual
        five criteria when ``criteria`` is left out)."""
        data = parse(s.CycleCreateSerializer, request.data)
        board = _board(request, data.pop("board", None))
        if "criteria" in data:
            data["criteria"] = [dict(item) for item in data["criteria"]]
        cycle = services.cycle_create(actor=request.user, board=board, **data)
        return Response(s.CycleSerializer(_cycle(request, cycle.pk)).data, status=201)


class CycleDetailView(ApiView):
    @extend_schema(responses={200: s.CycleSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        """A review cycle: its deadlines, rubric (``code``, ``weight``, ``max``) and pass mark."""
        return Response(s.CycleSerializer(_cycle(request, pk)).data)


class CycleOpenView(ApiView):
    @extend_schema(request=None, responses={200: s.CycleOpenedSerializer, **ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        """The secretary opens the cycle: every initiative taking part gets its annual
        report task."""
        cycle = _cycle(request, pk)
        created = services.cycle_open(cycle=cycle, actor=request.user)
        cycle.refresh_from_db(fields=["status"])
        return Response({"id": cycle.pk, "status": cycle.status, "reports": created})


class CycleCloseView(ApiView):
    @extend_schema(
        request=s.CycleCloseSerializer, responses={200: s.CycleClosedSerializer, **ERRORS}
    )
    def post(self, request: Request, pk: int) -> Response:
        """The secretary closes the cycle: reports not submitted and evaluations not closed end
        with it. Refused (409, with what is pending) while the chair or the clerk still has
        decisions to take, unless ``force`` is given with a ``reason``."""
        cycle = _cycle(request, pk)
        data = parse(s.CycleCloseSerializer, request.data)
        work = services.cycle_close(
            actor=request.user, cycle=cycle, force=data["force"], reason=data["reason"]
        )
        cycle.refresh_from_db(fields=["status"])
        return Response(
            {"id": cycle.pk, "status": cycle.status, "was_open": dataclasses.asdict(work)}
        )


# --- nominations --------------------------------------------------------------------------------


class NominationListView(ApiView):
    @extend_schema(
        request=s.NominationCreateSerializer, responses={201: s.NominationSerializer, **ERRORS}
    )
    def post(self, request: Request) -> Response:
        """The secretary proposes recognised initiatives' owners to an awarding body; its
        clerk gets the commendation task."""
        data = parse(s.NominationCreateSerializer, request.data)
        board = _board(request, data.get("board"))
        cycle = None
        if data.get("cycle") is not None:
            cycle = selectors.cycles_for_user(user=request.user).filter(pk=data["cycle"]).first()
            if cycle is None:
                raise NotFound(_("Unknown review cycle: %(cycle)s") % {"cycle": data["cycle"]})
        items = _initiatives_named(request, data["initiatives"])
        nomination = services.nomination_create(
            actor=request.user,
            board=board,
            awarding_body=data["awarding_body"],
            items=items,
            citation=data["citation"],
            cycle=cycle,
        )
        nomination = (
            Nomination.objects.select_related("awarding_body")
            .prefetch_related("items__initiative", "items__unit")
            .get(pk=nomination.pk)
        )
        return Response(s.NominationSerializer(nomination).data, status=201)


def _initiatives_named(request: Request, names: list[str]) -> list[Initiative]:
    """Initiatives of the user's units by id or code, in the order given."""
    ids = {name for name in names if name.isdigit()}
    visible = selectors.initiatives_for_user(user=request.user)
    found = {str(i.pk): i for i in visible.filter(pk__in=ids)} if ids else {}
    found |= {i.code: i for i in visible.filter(code__in=set(names) - ids)}
    missing = [name for name in names if name not in found]
    if missing:
        # Unknown and outside one's units alike.
        raise NotFound(_("Unknown initiatives: %(codes)s") % {"codes": ", ".join(missing)})
    return [found[name] for name in names]


# --- decisions ----------------------------------------------------------------------------------


def _decision_response(request: Request, pk: int, status_code: int = 200) -> Response:
    decision = selectors.decisions_for_user(user=request.user).filter(pk=pk).first()
    if decision is None:
        raise NotFound()
    return Response(
        s.DecisionSerializer(decision, context={"request": request}).data, status=status_code
    )


@dataclasses.dataclass
class DecisionRequest:
    """What a ``DecisionCreateSerializer`` input asks for, resolved in the caller's scope:
    the review cycle to recognise from, or the nomination to commend (with its award and
    approved items), and the decision's text options. ``issue`` and ``preview`` call the
    service pair with the same arguments, so a preview is what the issue would write."""

    cycle: ReviewCycle | None
    nomination: Nomination | None
    award: str | None
    items: list[int] | None
    options: dict

    def _call(self, recognition, commendation, actor):
        if self.cycle is not None:
            return recognition(actor=actor, cycle=self.cycle, **self.options)
        return commendation(
            actor=actor,
            nomination=self.nomination,
            award=self.award,
            approved_item_ids=self.items,
            **self.options,
        )

    def issue(self, actor):
        return self._call(services.recognition_decision_issue, services.nomination_commend, actor)

    def preview(self, actor) -> bytes:
        return self._call(
            services.recognition_decision_preview, services.nomination_commend_preview, actor
        )


def decision_request(request: Request) -> DecisionRequest:
    """The decision ``request`` asks for (``DecisionCreateSerializer``); an unknown cycle or
    nomination and one outside the caller's scope answer alike, 404 (inside the scope the
    services answer a wrong actor with 403)."""
    data = parse(s.DecisionCreateSerializer, request.data)
    options = {key: data[key] for key in ("issued_on", "title") if data.get(key) not in (None, "")}
    # Given legal bases and proposer replace the defaults ("" = no proposer line).
    options |= {key: data[key] for key in ("legal_bases", "proposal") if key in data}
    options |= {key: data[key] for key in ("signer_role", "signer_name") if data.get(key)}
    if data["kind"] == DecisionKind.RECOGNITION:
        cycle = selectors.cycles_for_user(user=request.user).filter(pk=data["cycle"]).first()
        if cycle is None:
            raise NotFound(_("Unknown review cycle: %(cycle)s") % {"cycle": data["cycle"]})
        return DecisionRequest(
            cycle=cycle, nomination=None, award=None, items=None, options=options
        )
    nomination = _referenced(
        Nomination.objects.all(), "awarding_body__unit__path", request, data["nomination"]
    ) or _referenced(Nomination.objects.all(), "board__unit__path", request, data["nomination"])
    if nomination is None:
        raise NotFound(_("Unknown nomination: %(nomination)s") % {"nomination": data["nomination"]})
    if data.get("citation"):
        options["citation"] = data["citation"]
    return DecisionRequest(
        cycle=None,
        nomination=nomination,
        award=data["award"],
        items=data.get("items"),
        options=options,
    )


class DecisionListView(ApiView):
    @extend_schema(
        request=s.DecisionCreateSerializer, responses={201: s.DecisionSerializer, **ERRORS}
    )
    def post(self, request: Request) -> Response:
        """Issue a numbered decision, completing its viewflow task: the board unit's clerk
        recognises what the chair chose in a cycle (``kind`` recognition, ``cycle``), or the
        awarding body unit's clerk approves all or some of a nomination with an award
        (``kind`` commendation, ``nomination``, ``award``, ``items``). ``POST
        /api/v1/decisions/preview/`` with the same input answers its draft PDF first."""
        decision = decision_request(request).issue(request.user)
        return _decision_response(request, decision.pk, status.HTTP_201_CREATED)


class DecisionDetailView(ApiView):
    @extend_schema(responses={200: s.DecisionSerializer, 404: ERRORS[404]})
    def get(self, request: Request, pk: int) -> Response:
        """A decision of my units (issued by a body of my subtree, or listing one of my
        units), with its entries and the link to its PDF."""
        return _decision_response(request, pk)


# --- tasks --------------------------------------------------------------------------------------


def task_actions(task) -> list[str]:
    """The API calls that complete the task: its step's ``api`` (``workflows.flows``)."""
    return task.flow_task.api_urls(task.process.lifecycleprocess)


class TaskListView(ApiMixin, ListAPIView):
    """My inbox and the queue I may take from: open tasks, oldest first."""

    serializer_class = s.TaskSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator
            return selectors.Task.objects.none()
        return selectors.tasks_for_user(user=self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "actions": task_actions}

    def list(self, request: Request, *args, **kwargs) -> Response:
        # Paged on ids (no join), then the page's rows: a queue of thousands stays fast.
        page = self.paginate_queryset(selectors.task_ids_for_user(user=request.user))
        tasks = selectors.tasks_by_ids(page)
        return self.get_paginated_response(self.get_serializer(tasks, many=True).data)
