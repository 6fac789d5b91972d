"""Two people completing the same step at the same moment: exactly one wins, the other is
told it was already done. Real PostgreSQL, real concurrent transactions (one thread and one
connection each); the step is slowed down inside its transaction so the two overlap, and
without the row lock both would succeed."""

from __future__ import annotations

import importlib
import threading
import time

import pytest
from django.db import connection, connections

from core.errors import WrongState
from core.models import CycleStatus, InitiativeStatus, InitiativeStatusChange
from core.tests.factories import InitiativeFactory
from workflows import services
from workflows.models import AnnualReport, AnnualReportStatus, Evaluation

from .factories import AnnualReportFactory, ReviewCycleFactory

# No serialized_rollback: core's post_migrate re-seeds the fields and phases after each flush,
# and a serialized_rollback flush (post_migrate inhibited) would leave them missing for the
# next transactional test that does not restore them.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 80
)


@pytest.fixture(autouse=True)
def _needs_postgresql():
    assert connection.vendor == "postgresql", "this test needs PostgreSQL: set DATABASE_URL"


def slowed(monkeypatch, name: str, seconds: float = 0.5) -> None:
    """Make ``workflows.services.<module>.<name>`` pause before it runs (inside the
    transaction)."""
    module_name, _dot, name = name.rpartition(".")
    module = importlib.import_module(f"workflows.services.{module_name}")
    original = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


def at_once(*calls):
    """Run each call in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, object]] = [("missing", None)] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def one_wins(outcomes, message: str) -> None:
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, WrongState), error
    assert str(error) == message


def test_two_secretaries_accepting_at_once_one_wins(world, monkeypatch):
    d = world.district
    second_secretary = d.members[1]
    d.board.members.filter(user=second_secretary).update(role="secretary")
    initiative = InitiativeFactory(owner_unit=d.commune)
    slowed(monkeypatch, "registration.initiative_record_status")

    outcomes = at_once(
        lambda: services.initiative_accept(actor=d.secretary, initiative=initiative),
        lambda: services.initiative_accept(actor=second_secretary, initiative=initiative),
    )

    one_wins(outcomes, "Việc này đã được thực hiện: đăng ký này đã được xử lý.")
    initiative.refresh_from_db()
    assert initiative.status == InitiativeStatus.MONITORED
    assert InitiativeStatusChange.objects.filter(initiative=initiative).count() == 1


def test_accept_and_reject_at_once_one_wins(world, monkeypatch):
    d = world.district
    second_secretary = d.members[1]
    d.board.members.filter(user=second_secretary).update(role="secretary")
    initiative = InitiativeFactory(owner_unit=d.commune)
    slowed(monkeypatch, "registration.initiative_record_status")

    outcomes = at_once(
        lambda: services.initiative_accept(actor=d.secretary, initiative=initiative),
        lambda: services.initiative_reject(
            actor=second_secretary, initiative=initiative, reason="Trùng"
        ),
    )

    one_wins(outcomes, "Việc này đã được thực hiện: đăng ký này đã được xử lý.")
    initiative.refresh_from_db()
    lines = list(InitiativeStatusChange.objects.filter(initiative=initiative))
    assert len(lines) == 1 and lines[0].to_status == initiative.status


def test_one_member_evaluating_twice_at_once_one_wins(world, monkeypatch):
    d = world.district
    report = AnnualReportFactory(
        cycle=ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN),
        initiative=InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED),
        status=AnnualReportStatus.SUBMITTED,
    )
    slowed(monkeypatch, "evaluation.weighted_total")
    member = d.members[0]

    outcomes = at_once(
        lambda: services.evaluation_submit(actor=member, report=report, scores=SCORES),
        lambda: services.evaluation_submit(actor=member, report=report, scores=SCORES),
    )

    one_wins(outcomes, "Việc này đã được thực hiện: bạn đã chấm điểm báo cáo này.")
    assert Evaluation.objects.filter(annual_report=report).count() == 1


def test_opening_a_cycle_twice_at_once_opens_it_once(world, monkeypatch):
    d = world.district
    InitiativeFactory.create_batch(3, owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)
    cycle = ReviewCycleFactory(board=d.board)
    slowed(monkeypatch, "cycles._open_reports")

    outcomes = at_once(
        lambda: services.cycle_open(cycle=cycle, actor=d.secretary),
        lambda: services.cycle_open(cycle=cycle, actor=None, today=cycle.opens_on),
    )

    one_wins(outcomes, "Việc này đã được thực hiện: đợt bình xét đã được mở.")
    assert AnnualReport.objects.filter(cycle=cycle).count() == 3
    assert InitiativeStatusChange.objects.count() == 3
