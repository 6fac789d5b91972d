"""Two people completing the same viewflow task at the same moment, through the API, on real
PostgreSQL (one thread and one connection each): exactly one wins, the other is told it was
already done (409, in Vietnamese), and the task is completed once."""

from __future__ import annotations

import importlib
import threading
import time

import pytest
from django.db import connection, connections
from viewflow.workflow import lock
from viewflow.workflow.status import PROCESS, STATUS

from core.models import InitiativeStatus, InitiativeStatusChange, Role
from core.tests.factories import InitiativeFactory, field, phase
from workflows import services
from workflows.flows import FLOWS
from workflows.models import AnnualReport, Evaluation, LifecycleProcess
from workflows.tests.factories import ReviewCycleFactory, build_world

from .api_support import SCORES, api, fast_password_hashing, tasks_named

# Real transactions: the flush after each test is followed by core's post_migrate re-seed of
# the reference data (fields, phases), so no serialized_rollback is needed.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgresql():
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: set DATABASE_URL"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(transactional_db):
    return build_world()


def slowed(monkeypatch, name: str, seconds: float = 0.6) -> None:
    """``workflows.services.<module>.<name>`` pauses inside the step's transaction, so the
    two requests overlap while the first one holds the process lock."""
    module_name, _dot, name = name.rpartition(".")
    module = importlib.import_module(f"workflows.services.{module_name}")
    original = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def lock_waits(monkeypatch) -> list[float]:
    """Record each time a step found its process row locked and waited to try again
    (``select_for_update_lock`` takes the row with NOWAIT and retries after a pause)."""
    waits: list[float] = []

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            waits.append(seconds)
            time.sleep(seconds)

    monkeypatch.setattr(lock, "time", Clock)
    return waits


def at_once(*requests):
    """Send each request from its own thread and connection, released together."""
    barrier = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(timeout=10)
            responses[index] = request()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


def one_wins(responses, ok: int, message: str) -> int:
    """Exactly one request succeeded; the other was told it was already done. Returns the
    winner's index."""
    codes = [response.status_code for response in responses]
    assert sorted(codes) == sorted([ok, 409]), [r.content for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json() == {"detail": message}
    return codes.index(ok)


def test_every_flow_locks_its_process_row():
    assert all(flow.lock_impl is lock.select_for_update_lock for flow in FLOWS)


def test_two_secretaries_completing_the_same_review_at_once(world, monkeypatch):
    d = world.district
    second = d.members[1]
    d.board.members.filter(user=second).update(role=Role.SECRETARY)
    initiative = services.initiative_register(
        actor=d.official,
        unit=d.commune,
        title="Mô hình “Dân vận khéo”",
        kind="collective",
        fields=[field()],
        phase=phase(),
    )
    path = f"/api/v1/initiatives/{initiative.pk}/"
    slowed(monkeypatch, "registration.initiative_record_status")
    waits = lock_waits(monkeypatch)

    responses = at_once(
        lambda: api(d.secretary).post(path + "accept/", {}, format="json"),
        lambda: api(second).post(path + "reject/", {"reason": "Trùng"}, format="json"),
    )

    winner = [d.secretary, second][
        one_wins(responses, 200, "Việc này đã được thực hiện: đăng ký này đã được xử lý.")
    ]
    # The loser queued on the viewflow process lock, not only on the initiative's row.
    assert waits
    initiative.refresh_from_db()
    assert initiative.status in (InitiativeStatus.MONITORED, InitiativeStatus.REJECTED)
    # One history line after the registration's, one review task done, by the winner.
    assert InitiativeStatusChange.objects.filter(initiative=initiative).count() == 2
    [review] = tasks_named(initiative.pk, "review")
    assert (review.status, review.owner_id) == (STATUS.DONE, winner.pk)
    process = LifecycleProcess.objects.get(initiative=initiative)
    assert process.status == PROCESS.DONE


def test_one_member_sending_the_same_evaluation_twice_at_once(world, monkeypatch):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    cycle = ReviewCycleFactory(board=d.board)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    report = AnnualReport.objects.get(initiative=initiative)
    services.annual_report_submit(actor=d.official, report=report, text="Báo cáo")
    path = f"/api/v1/initiatives/{initiative.pk}/evaluations/"
    body = {"cycle": cycle.pk, "scores": SCORES, "comment": "Tốt"}
    slowed(monkeypatch, "evaluation.weighted_total")

    responses = at_once(
        lambda: api(d.members[0]).post(path, body, format="json"),
        lambda: api(d.members[0]).post(path, body, format="json"),
    )

    one_wins(responses, 201, "Việc này đã được thực hiện: bạn đã chấm điểm báo cáo này.")
    assert Evaluation.objects.filter(annual_report=report).count() == 1
    [task] = [t for t in tasks_named(initiative.pk, "evaluate") if t.owner_id == d.members[0].pk]
    assert task.status == STATUS.DONE
