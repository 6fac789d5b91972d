"""Every lifecycle event reaches the people it concerns, in-app and by email, once, with a
link that opens for its recipient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from core import events as bus
from core.models import CycleStatus, InitiativeKind, Role, UnitRole
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, UserFactory, field, phase
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind
from notifications.rendering import render_for_recipient
from notifications.selectors import inbox
from notifications.services import deliveries_send
from workflows import services
from workflows.tests.factories import AnnualReportFactory, ReviewCycleFactory, build_world

pytestmark = pytest.mark.django_db

SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 80
)


@pytest.fixture
def world():
    world = build_world()
    d = world.district
    d.clerk = UserFactory(unit=d.unit, email="clerk@example.vn")
    UnitRole.objects.create(unit=d.unit, user=d.clerk, role=Role.CLERK)
    world.province_clerk = UserFactory(unit=world.province)
    UnitRole.objects.create(unit=world.province, user=world.province_clerk, role=Role.CLERK)
    IssuingBodyFactory(unit=d.unit, name="Ban Chỉ đạo huyện Hòa An", abbreviation="BCĐ")
    world.awarding = IssuingBodyFactory(
        unit=world.province, name="UBND tỉnh Cao Bằng", abbreviation="UBND"
    )
    return world


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a step with its after-commit handlers, as in production."""

    def step(function, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**kwargs)

    return step


def notices(kind, **filters):
    return Message.objects.filter(kind=kind, **filters)


def recipients(kind, **filters):
    return sorted(notices(kind, **filters).values_list("recipient_id", flat=True))


def register(world, run, title="Mô hình hiến đất làm đường"):
    d = world.district
    return run(
        services.initiative_register,
        actor=d.official,
        unit=d.commune,
        title=title,
        kind=InitiativeKind.COLLECTIVE,
        fields=[field("new_rural")],
        phase=phase("2021-2025"),
        registered_on=dt.date(2024, 3, 1),
    )


def deliver_all():
    deliveries_send(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))


def opens_for_its_recipient(client, message) -> str:
    deliver_all()  # in the inbox once its in-app delivery went out
    client.force_login(message.recipient)
    response = client.get(reverse("notifications:open", kwargs={"pk": message.pk}))
    assert response.status_code == 302
    target = response["Location"]
    assert client.get(target).status_code == 200, target
    return target


def test_registration_review_and_its_outcomes_reach_the_secretary_and_the_owner(world, run, client):
    d = world.district
    returned = register(world, run)
    # The responsible secretary is told a registration waits, with a link to the task.
    (waiting,) = notices(MessageKind.TASK_WAITING, initiative=returned)
    assert waiting.recipient == d.secretary
    assert opens_for_its_recipient(client, waiting).startswith("/tasks/")

    run(
        services.initiative_return, actor=d.secretary, initiative=returned, reason="Bổ sung số liệu"
    )
    (told,) = notices(MessageKind.INITIATIVE_STATUS, initiative=returned)
    assert told.recipient == d.official
    text = render_for_recipient(told)
    assert "MH-" in text.subject and "Bổ sung số liệu" in text.body
    assert opens_for_its_recipient(client, told) == f"/initiatives/{returned.pk}/"

    accepted = register(world, run, title="Mô hình thứ hai")
    run(services.initiative_accept, actor=d.secretary, initiative=accepted)
    rejected = register(world, run, title="Mô hình thứ ba")
    run(services.initiative_reject, actor=d.secretary, initiative=rejected, reason="Trùng lặp")
    for initiative in (returned, accepted, rejected):
        assert recipients(MessageKind.INITIATIVE_STATUS, initiative=initiative) == [d.official.pk]

    # In-app and by email, once each.
    deliver_all()
    deliver_all()
    statuses = notices(MessageKind.INITIATIVE_STATUS)
    assert set(inbox(user=d.official).filter(kind=MessageKind.INITIATIVE_STATUS)) == set(statuses)
    to_official = [m for m in mail.outbox if d.official.email in m.to]
    assert len(to_official) == statuses.count() == 3
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()

    # A handler run again (a retry, the catch-up) writes nothing twice.
    from workflows.events import InitiativeReturned

    bus.dispatch(InitiativeReturned(initiative_id=returned.pk, reason="Bổ sung số liệu"))
    assert notices(MessageKind.INITIATIVE_STATUS, initiative=returned).count() == 1


def test_the_review_reaches_each_evaluator_the_secretary_the_chair_and_the_clerk(
    world, run, client
):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN)
    recognised = AnnualReportFactory(
        cycle=cycle, initiative=InitiativeFactory(owner_unit=d.commune, status="monitored")
    )
    not_recognised = AnnualReportFactory(
        cycle=cycle, initiative=InitiativeFactory(owner_unit=d.commune, status="monitored")
    )
    evaluators = sorted(u.pk for u in (d.chair, d.secretary, *d.members))
    for report in (recognised, not_recognised):
        run(services.annual_report_submit, actor=d.official, report=report, text="Báo cáo")
        # Each member who may evaluate is told; the recused member is not.
        tasks = notices(MessageKind.TASK_WAITING, initiative=report.initiative)
        assert sorted(tasks.values_list("recipient_id", flat=True)) == evaluators
        for member in (d.chair, *d.members):
            run(services.evaluation_submit, actor=member, report=report, scores=SCORES)
        # The third score completes the quorum: the secretary may close.
        (ready,) = notices(MessageKind.TASK_WAITING, initiative=report.initiative, reason="ready")
        assert ready.recipient == d.secretary
        assert opens_for_its_recipient(client, ready).startswith("/tasks/")
        run(services.evaluation_close, actor=d.secretary, report=report)
    # The chair is told each decision waits.
    assert (
        recipients(MessageKind.TASK_WAITING, recipient=d.chair, reason="") == [d.chair.pk] * 4
    )  # two evaluations, two decisions
    run(services.initiative_decide, actor=d.chair, report=recognised, recognise=True)
    run(services.initiative_decide, actor=d.chair, report=not_recognised, recognise=False)
    # The owner hears of the non-recognition; the clerk of a decision to issue.
    (no,) = notices(MessageKind.INITIATIVE_STATUS, initiative=not_recognised.initiative)
    assert no.recipient == d.official
    assert "không được công nhận" in render_for_recipient(no).subject
    (to_issue,) = notices(MessageKind.TASK_WAITING, recipient=d.clerk)
    assert opens_for_its_recipient(client, to_issue).startswith("/tasks/")

    decision = run(services.recognition_decision_issue, actor=d.clerk, cycle=cycle)
    (recognition,) = notices(MessageKind.DECISION_ISSUED, initiative=recognised.initiative)
    assert recognition.recipient == d.official
    assert decision.number in render_for_recipient(recognition).subject
    # The owner's official cannot open the clerk's decision page: the link goes to the
    # initiative instead, never to a 404.
    assert opens_for_its_recipient(client, recognition) == (
        f"/initiatives/{recognised.initiative_id}/"
    )

    # Commendation: the awarding clerk is told of the nomination; the owner and the
    # nominating board of the decision.
    nomination = run(
        services.nomination_create,
        actor=d.secretary,
        board=d.board,
        awarding_body=world.awarding,
        items=[recognised.initiative],
        citation="Đã có thành tích xuất sắc",
    )
    (commend,) = notices(MessageKind.TASK_WAITING, recipient=world.province_clerk)
    assert opens_for_its_recipient(client, commend).startswith("/tasks/")
    run(
        services.nomination_commend,
        actor=world.province_clerk,
        nomination=nomination,
        award="certificate_of_merit",
    )
    assert recipients(MessageKind.DECISION_ISSUED, initiative=recognised.initiative) == [
        d.official.pk,
        d.official.pk,
    ]
    board_told = notices(MessageKind.NOMINATION_DECIDED)
    assert sorted(board_told.values_list("recipient_id", flat=True)) == sorted(
        [d.secretary.pk, d.chair.pk]
    )
    for message in board_told:
        assert "UBND tỉnh Cao Bằng" in render_for_recipient(message).subject
        opens_for_its_recipient(client, message)

    deliver_all()
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()
    # Every notice went out in-app and by email exactly once.
    assert Delivery.objects.count() == 2 * Message.objects.count()


def test_withdrawal_progress_reports_and_visits_reach_the_other_side(world, run, client):
    d = world.district
    initiative = register(world, run)
    run(services.initiative_accept, actor=d.secretary, initiative=initiative)
    run(
        services.progress_report_submit,
        actor=d.official,
        initiative=initiative,
        text="Đã làm 2 km đường",
    )
    run(
        services.monitoring_visit_record,
        actor=d.members[0],
        initiative=initiative,
        visited_on=dt.date(2024, 5, 2),
        findings="Nhân dân đồng thuận cao",
    )
    updates = notices(MessageKind.INITIATIVE_UPDATE, initiative=initiative)
    assert sorted(updates.values_list("reason", "recipient_id")) == sorted(
        [
            ("monitoring_visit_recorded", d.official.pk),
            ("progress_report_submitted", d.secretary.pk),
        ]
    )
    visit = updates.get(reason="monitoring_visit_recorded")
    assert "Nhân dân đồng thuận cao" in render_for_recipient(visit).body
    run(services.initiative_withdraw, actor=d.official, initiative=initiative, reason="Thôi")
    withdrawn = notices(
        MessageKind.INITIATIVE_STATUS, initiative=initiative, reason="initiative_withdrawn"
    )
    assert [m.recipient for m in withdrawn] == [d.secretary]
    for message in Message.objects.all():
        opens_for_its_recipient(client, message)
