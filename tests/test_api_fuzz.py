"""Schema fuzzing (schemathesis) of the API against its own OpenAPI document: for every
operation, generated requests with a real token (a district secretary's, with data in
their tree) never get a server error, and every answer (status, content type, body) is the
one the schema documents. Bounded examples per operation, to run in CI on both databases.

A new endpoint is fuzzed without a line here; it must document every answer (its 400, 404,
409...) and parse its input with an ``InputSerializer``.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis import checks

from core.models import CycleStatus, InitiativeStatus
from core.tests.factories import InitiativeFactory
from workflows.tests.factories import ReviewCycleFactory, build_world

from .api_support import add_issuers_and_clerks, fast_password_hashing

EXAMPLES_PER_OPERATION = 12
ALL_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.ignored_auth,
    checks.use_after_free,
]
RUNS = {"cases": 0}


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request):
    yield
    # Printed with -s; the figure the README's measured section quotes.
    print(f"\nschemathesis cases run: {RUNS['cases']}")


def _schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    # Plain JSON (lazy translations and enums become strings), as /api/schema/ serves it.
    raw = json.loads(json.dumps(document, default=str))
    loaded = schemathesis.openapi.from_dict(raw)
    # Django's WSGI handler itself: config.wsgi also refuses to start on a loopback
    # PUBLIC_BASE_URL, which the tests use.
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


@pytest.fixture
def token(django_db_setup, django_db_blocker, db, settings_override):
    """A district secretary with a cycle, initiatives and decisions in their tree."""
    world = add_issuers_and_clerks(build_world())
    d = world.district
    InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.REGISTERED)
    ReviewCycleFactory(board=d.board, status=CycleStatus.DRAFT)
    return Token.objects.create(user=d.secretary).key


@pytest.fixture
def settings_override(settings):
    fast_password_hashing(settings)
    # The fuzzer sends hundreds of requests a minute; throttling is tested elsewhere.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/min", "user": "100000/min"},
    }
    settings.AXES_ENABLED = False
    # Requests run through the WSGI handler, which would close the test's connection
    # (and its transaction) after each answer; Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield settings
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_schema_says(case, token):
    RUNS["cases"] += 1
    # Every check but positive_data_acceptance: a value can be schema-valid and still name
    # nothing (an unknown unit code, a phase that does not exist), which the API refuses with
    # a documented 400.
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=ALL_CHECKS,
    )
