"""The permission matrix: every URL of the web, the API and the admin, against each role of
one unit (a district), for objects of its own unit, a child (its commune), a sibling (the
next district) and the parent (the province). Every cell has an expected outcome; a URL
without a row fails the test.

To add a URL: add a ``Row`` to ``ROWS`` (web and API, keyed by the URL's name) or, for a new
admin model, an entry to ``ADMIN_OBJECTS``. Rules read like the policy:
``scoped(...)`` = visible inside the subtree, 404 outside; ``personal`` = one's own only;
``public``; ``logged_in``. Each request runs in a rolled-back savepoint, so a POST in one
cell changes nothing for the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import (
    CycleStatus,
    IssuingBody,
    Role,
    Unit,
    UnitRole,
    User,
)
from core.tests.factories import (
    BoardFactory,
    CommendationFactory,
    IssuingBodyFactory,
    UserFactory,
    phase,
)
from core.tests.factories import (
    field as field_named,
)
from documents import services as document_services
from documents.models import PrintJob, PrintJobStatus
from documents.tests.factories import issue_commendation
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind
from notifications.selectors import inbox_channel_name
from workflows import services
from workflows.services import evidence
from workflows.tests.factories import ReviewCycleFactory, build_world, unit_official

from .api_support import fast_password_hashing

ROLES = (
    "anonymous",
    "official",
    "secretary",
    "member",
    "chair",
    "clerk",
    "leader",
    "staff",
    "superuser",
)
RELATIONS = ("own", "child", "sibling", "parent")
# Who holds a role of the district (everyone but anonymous, and the superuser, who holds
# none and sees everything as the operator).
IN_UNIT = {"official", "secretary", "member", "chair", "clerk", "leader", "staff"}

LOGIN = "login"  # a redirect to the login page (web, admin)
OK = {200}
REDIRECT = {302}
HIDDEN = {404}
API_LOGIN = {401}
# The request reached the service, which judged it (done, bad input, wrong actor, wrong
# state): anything but "not found" and a server error.
ANSWERED = {200, 201, 204, 302, 400, 403, 409}
RENDERED_FORM = {200, 302, 400, 403}

Expect = set[int] | str


# --- rules ------------------------------------------------------------------------------------


def public(answer: set[int]) -> Callable[[str, str], Expect]:
    return lambda role, relation: answer


def logged_in(answer: set[int], *, api: bool = False) -> Callable[[str, str], Expect]:
    def rule(role: str, relation: str) -> Expect:
        if role == "anonymous":
            return API_LOGIN if api else LOGIN
        return answer

    return rule


def scoped(
    inside: set[int] | Callable[[str], set[int]],
    *,
    api: bool = False,
    outside: set[int] = HIDDEN,
    superuser_sees_all: bool = False,
    relations_inside: tuple[str, ...] = ("own", "child"),
) -> Callable[[str, str], Expect]:
    """Inside the district's subtree the roles get ``inside``; outside (sibling, parent),
    404 like an unknown id."""

    def rule(role: str, relation: str) -> Expect:
        if role == "anonymous":
            return API_LOGIN if api else LOGIN
        if role == "superuser":
            if superuser_sees_all:
                return inside(role) if callable(inside) else inside
            return outside
        if relation in relations_inside:
            return inside(role) if callable(inside) else inside
        return outside

    return rule


def clerks_documents(answer: set[int], *, api: bool = False) -> Callable[[str, str], Expect]:
    """Decisions' pages, PDFs, print jobs: a clerk of the issuer's unit or above, or the
    superuser; everyone else 404 (staff included)."""

    def rule(role: str, relation: str) -> Expect:
        if role == "anonymous":
            return API_LOGIN if api else LOGIN
        if role == "superuser" or (role == "clerk" and relation in ("own", "child")):
            return answer
        return HIDDEN

    return rule


def personal(answer: set[int], *, api: bool = False) -> Callable[[str, str], Expect]:
    """A notification: its recipient's only (relation ``own``); anyone else's is 404."""

    def rule(role: str, relation: str) -> Expect:
        if role == "anonymous":
            return API_LOGIN if api else LOGIN
        return answer if relation == "own" else HIDDEN

    return rule


# --- rows -------------------------------------------------------------------------------------


@dataclass
class Row:
    """How to call one URL and what each cell answers. ``obj`` names the kind of object
    its id comes from (None: no id, one call per role)."""

    rule: Callable[[str, str], Expect]
    method: str = "get"
    obj: str | None = None
    args: Callable[[Any], list] | None = None
    data: dict = field(default_factory=dict)
    api: bool = False


INITIATIVE_ACTIONS = ("withdraw", "discontinue", "progress", "visit")

ROWS: dict[str, Row] = {
    # --- public and auth
    "set_language": Row(public(REDIRECT), method="post", data={"language": "vi"}),
    "api:token": Row(public({400}), method="post", api=True),
    "api:logout": Row(logged_in({204}, api=True), method="post", api=True),
    # The API's documentation is public (it holds no data).
    "schema": Row(public(OK), api=True),
    "swagger-ui": Row(public(OK), api=True),
    "workflows:login": Row(lambda role, rel: OK if role == "anonymous" else REDIRECT),
    "workflows:logout": Row(public(REDIRECT), method="post"),
    "core:home": Row(public(OK)),
    "documents:verify-form": Row(public(OK)),
    "documents:verify": Row(public(OK), obj="certificate_code"),
    "documents:verify-no-slash": Row(public(OK), obj="certificate_code"),
    # --- API lists and creations (the subtree is applied inside the list)
    "api:initiative-list": Row(logged_in(OK, api=True), api=True),
    "api:initiative-list POST": Row(logged_in({400}, api=True), method="post", api=True),
    "api:cycle-list": Row(logged_in({405}, api=True), api=True),  # lists: GET /tasks/ etc.
    "api:cycle-list POST": Row(logged_in({400}, api=True), method="post", api=True),
    "api:nomination-list": Row(logged_in({400}, api=True), method="post", api=True),
    "api:decision-list": Row(logged_in({405}, api=True), api=True),
    "api:decision-list POST": Row(logged_in({400}, api=True), method="post", api=True),
    # The draft PDF: the same input as issuing; an empty one is bad input for everyone.
    "api:decision-preview": Row(logged_in({405}, api=True), api=True),
    "api:decision-preview POST": Row(logged_in({400}, api=True), method="post", api=True),
    "api:notification-list": Row(logged_in(OK, api=True), api=True),
    "api:task-list": Row(logged_in(OK, api=True), api=True),
    "api:issuing-body-list": Row(logged_in(OK, api=True), api=True),
    # --- API objects of the tree
    "api:initiative-detail": Row(scoped(OK, api=True), obj="initiative", api=True),
    **{
        f"api:initiative-{action}": Row(
            scoped(ANSWERED, api=True), method="post", obj="initiative", api=True
        )
        for action in (
            "accept",
            "return",
            "reject",
            "resubmit",
            "withdraw",
            "discontinue",
            "reports",
            "visits",
            "evaluations",
            "close-evaluation",
            "decide",
        )
    },
    "api:cycle-detail": Row(
        scoped(OK, api=True, relations_inside=("own", "child", "parent")), obj="cycle", api=True
    ),
    "api:cycle-open": Row(
        scoped(ANSWERED, api=True, relations_inside=("own", "child", "parent")),
        method="post",
        obj="cycle",
        api=True,
    ),
    "api:cycle-close": Row(
        scoped(ANSWERED, api=True, relations_inside=("own", "child", "parent")),
        method="post",
        obj="cycle",
        api=True,
    ),
    "api:decision-detail": Row(scoped(OK, api=True), obj="decision", api=True),
    "api:decision-pdf": Row(scoped(OK, api=True), obj="decision", api=True),
    "api:certificate-pdf": Row(scoped(OK, api=True), obj="certificate", api=True),
    # A signed decision uploaded back: multipart only (the matrix posts JSON: 415 inside the
    # subtree, 404 outside).
    "api:decision-signed-pdf": Row(
        scoped(ANSWERED | {415}, api=True), method="post", obj="decision", api=True
    ),
    "api:notification-read": Row(personal(OK, api=True), method="post", obj="message", api=True),
    # --- web
    "notifications:inbox": Row(logged_in(OK)),
    "notifications:read-all": Row(logged_in(REDIRECT), method="post"),
    "notifications:detail": Row(personal(OK), obj="message"),
    "notifications:open": Row(personal(REDIRECT), obj="message"),
    # A decision's page and PDF: everyone of the subtree it concerns (its clerks act on it).
    "documents:decision": Row(scoped(OK, superuser_sees_all=True), obj="decision"),
    "documents:decision-pdf": Row(scoped(OK, superuser_sees_all=True), obj="decision"),
    "documents:decision-signed-pdf": Row(clerks_documents(ANSWERED), method="post", obj="decision"),
    "documents:decision-seal": Row(clerks_documents(ANSWERED), method="post", obj="decision"),
    "documents:print-job-create": Row(clerks_documents(REDIRECT), method="post", obj="decision"),
    "documents:print-job": Row(clerks_documents(OK), obj="print_job"),
    "documents:print-job-status": Row(clerks_documents(OK), obj="print_job"),
    "documents:print-job-file": Row(
        clerks_documents(OK), obj="print_job", args=lambda job: [job.pk, "pdf"]
    ),
    # An issuing body's settings (legal bases, certificate layouts): its clerks.
    "documents:issuer-settings": Row(clerks_documents(OK), obj="issuer"),
    "documents:issuer-legal-bases": Row(clerks_documents({302, 400}), method="post", obj="issuer"),
    "documents:issuer-layout": Row(
        clerks_documents({302, 400}),
        method="post",
        obj="issuer",
        args=lambda body: [body.pk, "certificate_of_merit"],
    ),
    "documents:issuer-calibration": Row(
        clerks_documents(OK), obj="issuer", args=lambda body: [body.pk, "certificate_of_merit"]
    ),
    "api:issuing-body-legal-bases": Row(
        scoped(OK, api=True, relations_inside=("own", "child", "parent")),
        obj="issuer",
        api=True,
    ),
    "api:issuing-body-legal-bases PUT": Row(
        scoped(ANSWERED, api=True, relations_inside=("own", "child", "parent")),
        method="put",
        obj="issuer",
        api=True,
    ),
    # Print jobs through the API (the clerks of the issuer's unit and above).
    "api:print-job": Row(clerks_documents(OK, api=True), obj="print_job", api=True),
    "api:print-job-retry": Row(
        clerks_documents({409}, api=True), method="post", obj="print_job", api=True
    ),
    "documents:print-job-retry": Row(clerks_documents({302, 409}), method="post", obj="print_job"),
    # Statistics of the caller's own subtree by default (a unit outside it is 404: the
    # stats app's tests); an empty body is bad input.
    "api:stats": Row(logged_in(OK, api=True), api=True),
    "api:target-list": Row(logged_in(OK, api=True), api=True),
    "api:target-list POST": Row(logged_in({400}, api=True), method="post", api=True),
    "api:indicator-list": Row(logged_in(OK, api=True), api=True),
    "api:indicator-list POST": Row(logged_in({400}, api=True), method="post", api=True),
    "stats:dashboard": Row(logged_in(OK)),
    "stats:report-pdf": Row(logged_in(OK)),
    "stats:report-xlsx": Row(logged_in(OK)),
    "stats:targets": Row(logged_in(OK)),
    "stats:indicators": Row(logged_in(OK)),
    "workflows:task-list": Row(logged_in(OK)),
    # A registration's review task: only the district secretary's own one opens (the
    # commune has a board of its own, which reviews the child's).
    "workflows:task-detail": Row(
        lambda role, rel: (
            LOGIN
            if role == "anonymous"
            else (OK if (role, rel) == ("secretary", "own") else HIDDEN)
        ),
        obj="task",
    ),
    "workflows:initiative-list": Row(logged_in(OK)),
    "workflows:initiative-register": Row(logged_in(RENDERED_FORM)),
    "workflows:initiative-detail": Row(scoped(OK), obj="initiative"),
    "workflows:initiative-action": Row(
        scoped(ANSWERED | {405}),
        method="post",
        obj="initiative",
        args=lambda initiative: [initiative.pk, "withdraw"],
    ),
    "workflows:nomination-create": Row(logged_in(RENDERED_FORM)),
    "workflows:cycle-list": Row(logged_in(OK)),
    "workflows:cycle-detail": Row(
        scoped(OK, relations_inside=("own", "child", "parent")), obj="cycle"
    ),
    "workflows:cycle-edit": Row(
        scoped(RENDERED_FORM, relations_inside=("own", "child", "parent")), obj="cycle"
    ),
    "workflows:cycle-rubric": Row(
        scoped(RENDERED_FORM, relations_inside=("own", "child", "parent")), obj="cycle"
    ),
    "workflows:cycle-decide": Row(
        scoped(RENDERED_FORM, relations_inside=("own", "child", "parent")), obj="cycle"
    ),
    "workflows:cycle-delete": Row(
        scoped(ANSWERED, relations_inside=("own", "child", "parent")), method="post", obj="cycle"
    ),
    "workflows:decision-list": Row(logged_in(OK)),
    "workflows:commendation-list": Row(logged_in(OK)),
    "workflows:unit-list": Row(logged_in(OK)),
    "workflows:unit-options": Row(logged_in(OK)),
    "workflows:board-list": Row(logged_in(OK)),
    "workflows:board-detail": Row(scoped(OK), obj="board"),
    "workflows:board-people": Row(scoped(ANSWERED), method="post", obj="board"),
    # Evidence: read by those who read the initiative; attached by its officials and boards.
    "workflows:attachment-file": Row(scoped(OK), obj="attachment"),
    "workflows:attachment-thumb": Row(scoped(OK), obj="attachment"),
    "workflows:attachment-upload": Row(scoped(ANSWERED), method="post", obj="initiative"),
    "workflows:cycle-create": Row(logged_in(RENDERED_FORM)),
    "workflows:cycle-open": Row(
        scoped(ANSWERED, relations_inside=("own", "child", "parent")), method="post", obj="cycle"
    ),
    "workflows:cycle-close": Row(
        scoped(ANSWERED, relations_inside=("own", "child", "parent")), method="post", obj="cycle"
    ),
}
# URL patterns that are not pages of the product: none may be left unlisted.
NOT_PAGES = {"admin"}  # the admin's URLs are checked from ADMIN_OBJECTS below


# --- the world --------------------------------------------------------------------------------


@dataclass
class Matrix:
    people: dict[str, User | None]
    objects: dict[tuple[str, str], Any]  # (kind, relation) -> object


def _clerk(unit: Unit) -> User:
    user = UserFactory(unit=unit)
    UnitRole.objects.create(unit=unit, user=user, role=Role.CLERK)
    return user


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return buffer.getvalue()


def build_matrix() -> Matrix:
    world = build_world()
    d, s = world.district, world.sibling
    commune_board = BoardFactory(unit=d.commune, quorum=1)
    boards = {
        "own": d.board,
        "child": commune_board,
        "sibling": s.board,
        "parent": world.province_board,
    }
    units = {"own": d.unit, "child": d.commune, "sibling": s.unit, "parent": world.province}
    officials = {
        "own": d.district_official,
        "child": d.official,
        "sibling": s.district_official,
        "parent": unit_official(world.province),
    }

    leader = UserFactory(unit=d.unit)
    UnitRole.objects.create(unit=d.unit, user=leader, role=Role.LEADER)
    staff = UserFactory(unit=d.unit, is_staff=True)
    UnitRole.objects.create(unit=d.unit, user=staff, role=Role.OFFICIAL)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["core", "notifications"])
    )
    people = {
        "anonymous": None,
        "official": d.district_official,
        "secretary": d.secretary,
        "member": d.members[0],
        "chair": d.chair,
        "clerk": _clerk(d.unit),
        "leader": leader,
        "staff": staff,
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }

    objects: dict[tuple[str, str], Any] = {}
    for relation in RELATIONS:
        unit = units[relation]
        initiative = services.initiative_register(
            actor=officials[relation],
            unit=unit,
            title=f"Mô hình {relation}",
            kind="collective",
            fields=[field_named("economy")],
            phase=phase("2021-2025"),
        )
        objects["initiative", relation] = initiative
        objects["task", relation] = next(
            t
            for t in __import__("viewflow.workflow.models", fromlist=["Task"]).Task.objects.filter(
                process__lifecycleprocess__initiative_id=initiative.pk, flow_task_type="HUMAN"
            )
        )
        objects["cycle", relation] = ReviewCycleFactory(
            board=boards[relation], status=CycleStatus.DRAFT
        )
        body = IssuingBodyFactory(unit=unit, code=f"body-{relation}", abbreviation="UBND")
        objects["issuer", relation] = body
        decision = issue_commendation(body, _clerk(unit), count=1)
        objects["decision", relation] = decision
        certificate = document_services.certificates_issue(decision=decision, actor=None)[0]
        objects["certificate", relation] = certificate
        objects["certificate_code", relation] = certificate
        job = PrintJob.objects.create(
            decision=decision, status=PrintJobStatus.DONE, total=1, done=1
        )
        job.pdf.save("job.pdf", ContentFile(b"%PDF-1.4 matrix"), save=True)
        objects["print_job", relation] = job
        objects["board", relation] = boards[relation]
        objects["attachment", relation] = evidence.attachment_add(
            actor=officials[relation], initiative=initiative, name="anh.png", data=_png()
        )
    return Matrix(people=people, objects=objects)


def message_to(matrix: Matrix, user: User) -> Message:
    """A message delivered to ``user``'s inbox."""
    initiative = matrix.objects["initiative", "own"]
    message, created = Message.objects.get_or_create(
        recipient=user,
        kind=MessageKind.TASK_WAITING,
        subject_type=ContentType.objects.get_for_model(initiative),
        subject_id=initiative.pk,
        due_on=timezone.localdate(),
        defaults={"initiative": initiative},
    )
    if created:
        Delivery.objects.create(
            message=message,
            channel=inbox_channel_name(),
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
        )
    return message


# --- the admin --------------------------------------------------------------------------------


def _history(matrix: Matrix, relation: str):
    return matrix.objects["initiative", relation].history.first()


def _user(matrix: Matrix, relation: str):
    return matrix.objects["initiative", relation].created_by


# An object of each admin model per relation (None: the model holds no tree data, one
# object is checked as "own"). A newly registered admin model without an entry fails.
ADMIN_OBJECTS: dict[str, Callable[[Matrix, str], Any] | None] = {
    "core.unit": lambda m, r: m.objects["initiative", r].owner_unit,
    "core.user": _user,
    "core.steeringboard": lambda m, r: m.objects["cycle", r].board,
    "core.reviewcycle": lambda m, r: m.objects["cycle", r],
    "core.initiative": lambda m, r: m.objects["initiative", r],
    "core.initiativestatuschange": _history,
    "core.issuingbody": lambda m, r: IssuingBody.objects.get(code=f"body-{r}"),
    "core.commendation": lambda m, r: CommendationFactory(
        unit=m.objects["initiative", r].owner_unit
    ),
    "core.field": None,
    "core.phase": None,
    "notifications.message": lambda m, r: (
        Message.objects.filter(recipient=_user(m, r)).first()
        or Message.objects.create(
            recipient=_user(m, r),
            kind=MessageKind.TASK_WAITING,
            subject_type=ContentType.objects.get_for_model(m.objects["initiative", r]),
            subject_id=m.objects["initiative", r].pk,
            due_on=timezone.localdate(),
        )
    ),
    "notifications.delivery": lambda m, r: None,
    "authtoken.tokenproxy": None,
    "auth.group": None,
    "django_celery_beat.periodictask": None,
    "django_celery_beat.crontabschedule": None,
    "django_celery_beat.intervalschedule": None,
    "django_celery_beat.solarschedule": None,
    "django_celery_beat.clockedschedule": None,
    "axes.accessattempt": None,
    "axes.accesslog": None,
    "axes.accessfailurelog": None,
    "stats.indicator": None,
    "stats.unitindicator": None,
    "stats.target": None,
    "viewflow.process": None,
    "viewflow.task": None,
}
# Models the admin shows but lets no one add (history, the outbox, axes' logs).
READ_ONLY_ADMIN = {
    "core.initiativestatuschange",
    "notifications.message",
    "notifications.delivery",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "viewflow.process",
    "viewflow.task",
    "stats.unitindicator",
    "stats.target",
}
# What a staff member of the district (model permissions for core and notifications) may
# open; other apps' models answer 403.
STAFF_APPS = {"core", "notifications"}


def admin_expect(label: str, page: str, role: str, relation: str | None) -> Expect:
    if role not in ("staff", "superuser"):
        return LOGIN
    app = label.split(".")[0]
    if role == "staff" and app not in STAFF_APPS:
        return {403}
    if page == "add":
        return {403} if label in READ_ONLY_ADMIN else OK
    if page == "delete" and label in ("core.initiativestatuschange", "stats.indicator"):
        # No one deletes history (refused before the id is even looked up), nor an
        # indicator that values refer to (it is retired instead).
        return {403}
    if page == "changelist":
        return OK
    scoped_model = ADMIN_OBJECTS.get(label) is not None
    visible = role == "superuser" or not scoped_model or relation in ("own", "child")
    if not visible:
        return "admin-hidden"
    return OK


# --- running the cells ------------------------------------------------------------------------


def url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                if pattern.name:
                    names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
                elif str(pattern.pattern) == "verify/<str:code>":
                    names.add("documents:verify-no-slash")
                else:
                    names.add(f"unnamed:{pattern.pattern}")

    walk(get_resolver().url_patterns, None)
    return names


def _client(user: User | None, api: bool):
    if api:
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _call(client, method: str, url: str, data: dict, api: bool):
    with transaction.atomic():
        if api and method in ("post", "put"):
            response = getattr(client, method)(url, data, format="json")
        else:
            response = getattr(client, method)(url, data)
        transaction.set_rollback(True)
    return response


def _matches(response, expect: Expect) -> bool:
    if expect == LOGIN:
        return response.status_code == 302 and "login" in response["Location"]
    if expect == "admin-hidden":
        return response.status_code == 302 and response["Location"] == reverse("admin:index")
    return response.status_code in expect


def _url(name: str, args: list) -> str:
    if name == "documents:verify-no-slash":
        return f"/verify/{args[0]}"
    return reverse(name.split(" ")[0], args=args)


def _arg(kind: str, obj) -> Any:
    return obj.code if kind == "certificate_code" else obj.pk


@pytest.fixture
def matrix(db, settings, tmp_path):
    fast_password_hashing(settings)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"},
    }
    return build_matrix()


def test_every_url_has_a_row():
    missing = sorted(url_names() - {name.split(" ")[0] for name in ROWS})
    assert not missing, f"URLs without a row in ROWS: {missing}"
    unknown = sorted({name.split(" ")[0] for name in ROWS} - url_names())
    assert not unknown, f"rows for URLs that do not exist: {unknown}"
    labels = {model._meta.label_lower for model in admin.site._registry}
    assert not (labels - set(ADMIN_OBJECTS)), sorted(labels - set(ADMIN_OBJECTS))


def test_the_permission_matrix(matrix):
    others_message = message_to(matrix, UserFactory())  # another person's
    mismatches: list[str] = []
    cells = 0
    for role in ROLES:
        user = matrix.people[role]
        messages = {"own": user and message_to(matrix, user), "sibling": others_message}
        for name, row in ROWS.items():
            relations = RELATIONS if row.obj else (None,)
            if row.obj == "message":
                relations = ("own", "sibling") if user else ("sibling",)
            if row.obj == "certificate_code":
                relations = ("own",)
            for relation in relations:
                args: list = []
                if row.obj == "message":
                    args = [messages[relation].pk]
                elif row.obj:
                    obj = matrix.objects[row.obj, relation]
                    args = row.args(obj) if row.args else [_arg(row.obj, obj)]
                url = _url(name, args)
                response = _call(_client(user, row.api), row.method, url, row.data, row.api)
                expect = row.rule(role, relation or "own")
                cells += 1
                if not _matches(response, expect):
                    mismatches.append(
                        f"{role:9} {relation or '-':7} {row.method.upper():4} {url} "
                        f"-> {response.status_code} {response.get('Location', '')}, expected {expect}"
                    )
    assert cells > 500
    assert not mismatches, "\n" + "\n".join(mismatches)


def test_the_admin_matrix(matrix):
    mismatches: list[str] = []
    cells = 0
    registry = {model._meta.label_lower: model for model in admin.site._registry}
    for role in ROLES:
        client = _client(matrix.people[role], api=False)
        for label, model in sorted(registry.items()):
            meta = model._meta
            prefix = f"admin:{meta.app_label}_{meta.model_name}"
            pages = [("changelist", None, reverse(f"{prefix}_changelist"))]
            pages.append(("add", None, reverse(f"{prefix}_add")))
            builder = ADMIN_OBJECTS[label]
            for relation in RELATIONS if builder else ("own",):
                obj = builder(matrix, relation) if builder else model.objects.first()
                if obj is None:
                    continue
                for page in ("change", "history", "delete"):
                    pages.append((page, relation, reverse(f"{prefix}_{page}", args=[obj.pk])))
            for page, relation, url in pages:
                response = _call(client, "get", url, {}, api=False)
                expect = admin_expect(label, page, role, relation)
                cells += 1
                if not _matches(response, expect):
                    mismatches.append(
                        f"{role:9} {relation or '-':7} {url} -> {response.status_code} "
                        f"{response.get('Location', '')}, expected {expect}"
                    )
    assert cells > 300
    assert not mismatches, "\n" + "\n".join(mismatches)
