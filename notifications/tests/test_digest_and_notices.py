"""Tasks waiting (the daily digest), "the review cycle is open" and "decision issued"."""

from __future__ import annotations

import datetime as dt

import pytest
from viewflow.workflow.models import Task

from core.events import dispatch
from core.models import (
    AwardType,
    CycleStatus,
    InitiativeStatus,
    InitiativeStatusChange,
    Role,
    UnitRole,
)
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, UserFactory
from documents import services as documents
from documents.services import EntryInput
from notifications.models import Delivery, Message, MessageKind
from notifications.rendering import render_for_recipient
from notifications.services import notify_decision_issued, reminders_scan
from workflows import services as lifecycle
from workflows.events import DecisionIssued
from workflows.flows import recognition_open
from workflows.models import AnnualReportStatus, NominationStatus
from workflows.tests.factories import (
    EvaluationFactory,
    NominationFactory,
    ReviewCycleFactory,
    build_world,
    unit_official,
)

from .scenario import at, days

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 6, 10)


def aged(process, since: dt.datetime) -> None:
    """The process's open tasks appeared at ``since``."""
    Task.objects.filter(process=process, status__in=["NEW", "ASSIGNED"]).update(created=since)


def registered(unit, *, since: dt.datetime, code: str):
    """A registration waiting since ``since`` (made outside the flows, then joined)."""
    initiative = InitiativeFactory(owner_unit=unit, status=InitiativeStatus.REGISTERED, code=code)
    InitiativeStatusChange.objects.create(
        initiative=initiative, from_status="", to_status=InitiativeStatus.REGISTERED, at=since
    )
    aged(lifecycle.registration_process(initiative), since)
    return initiative


# --- the daily digest -----------------------------------------------------------------------


def test_digest_groups_a_secretarys_old_tasks_into_one_message_a_day():
    world = build_world()
    district = world.district
    now = at(TODAY)
    registered(district.commune, since=now - days(5), code="MH-A")
    registered(district.hamlet, since=now - days(4), code="MH-B")
    registered(district.commune, since=now - days(1), code="MH-YOUNG")  # not old enough
    registered(world.sibling.commune, since=now - days(6), code="MH-SIBLING")
    # An annual report a quorum (3) has scored four days ago: the secretary closes it.
    cycle = ReviewCycleFactory(board=district.board, status=CycleStatus.OPEN, year=2024)
    from workflows.tests.factories import AnnualReportFactory

    ready = AnnualReportFactory(
        cycle=cycle,
        status=AnnualReportStatus.SUBMITTED,
        initiative=InitiativeFactory(
            owner_unit=district.commune, status=InitiativeStatus.MONITORED, code="MH-C"
        ),
    )
    for member in [district.chair, *district.members]:
        EvaluationFactory(annual_report=ready, evaluator=member, submitted_at=now - days(4))
    aged(lifecycle.review_process(ready), now - days(20))
    # Another report has one score of the three needed: its "close" task is not ready.
    not_ready = AnnualReportFactory(
        cycle=cycle,
        status=AnnualReportStatus.SUBMITTED,
        initiative=InitiativeFactory(
            owner_unit=district.commune, status=InitiativeStatus.MONITORED, code="MH-D"
        ),
    )
    EvaluationFactory(annual_report=not_ready, evaluator=district.chair, submitted_at=now - days(9))
    aged(lifecycle.review_process(not_ready), now - days(20))

    reminders_scan(now=now, queue=False)
    digests = Message.objects.filter(kind=MessageKind.TASK_DIGEST)
    secretary_digest = digests.get(recipient=district.secretary)
    assert secretary_digest.context["count"] == 3
    assert [(i["task"], i["code"]) for i in secretary_digest.context["items"]] == [
        ("review", "MH-A"),
        ("review", "MH-B"),
        ("close", "MH-C"),
    ]
    # The sibling district's secretary gets theirs; the province's secretary is not the
    # responsible one for either.
    assert digests.get(recipient=world.sibling.secretary).context["count"] == 1
    assert not digests.filter(recipient=world.province_secretary).exists()
    assert digests.count() == 2

    # Once a day: a second scan the same day adds nothing, the next day's scan a new one.
    assert reminders_scan(now=now + dt.timedelta(hours=3), queue=False).total == 0
    reminders_scan(now=now + days(1), queue=False)
    assert digests.filter(recipient=district.secretary).count() == 2

    text = render_for_recipient(secretary_digest)
    assert text.subject == "3 công việc đang chờ đồng chí xử lý"
    assert "Các công việc sau đã chờ xử lý quá 3 ngày:" in text.body
    assert "(Xem xét đăng ký mô hình, từ ngày 5 tháng 6 năm 2024)" in text.body
    assert "(Kết thúc chấm điểm, từ ngày 6 tháng 6 năm 2024)" in text.body
    assert text.body.index("- MH-A “") < text.body.index("- MH-B “") < text.body.index("- MH-C “")


def test_digest_reaches_the_chair_and_the_clerks():
    world = build_world()
    district = world.district
    now = at(TODAY)
    cycle = ReviewCycleFactory(board=district.board, status=CycleStatus.OPEN, year=2024)
    from workflows.tests.factories import AnnualReportFactory

    to_decide = AnnualReportFactory(
        cycle=cycle,
        status=AnnualReportStatus.EVALUATION_CLOSED,
        closed_at=now - days(10),
        initiative=InitiativeFactory(
            owner_unit=district.commune, status=InitiativeStatus.EVALUATED, code="MH-DECIDE"
        ),
    )
    aged(lifecycle.review_process(to_decide), now - days(10))
    AnnualReportFactory(
        cycle=cycle,
        status=AnnualReportStatus.DECIDED,
        recognise=True,
        decided_at=now - days(4),
        initiative=InitiativeFactory(
            owner_unit=district.commune, status=InitiativeStatus.EVALUATED, code="MH-ISSUE"
        ),
    )
    aged(recognition_open(cycle_id=cycle.pk), now - days(4))
    board_clerk = UserFactory()
    UnitRole.objects.create(unit=district.unit, user=board_clerk, role=Role.CLERK)
    awarding = IssuingBodyFactory(unit=world.province)
    province_clerk = UserFactory()
    UnitRole.objects.create(unit=world.province, user=province_clerk, role=Role.CLERK)
    nomination = NominationFactory(
        board=district.board, awarding_body=awarding, status=NominationStatus.SUBMITTED
    )
    nomination.items.create(
        initiative=InitiativeFactory(owner_unit=district.commune, code="MH-NOMINATED"),
        recipient_kind="collective",
        recipient_name="Xã Hòa An Đông",
        unit=district.commune,
    )
    type(nomination).objects.filter(pk=nomination.pk).update(created_at=now - days(7))
    aged(lifecycle.nomination_process(nomination), now - days(7))

    reminders_scan(now=now, queue=False)
    digests = {
        m.recipient_id: m.context for m in Message.objects.filter(kind=MessageKind.TASK_DIGEST)
    }
    assert set(digests) == {district.chair.pk, board_clerk.pk, province_clerk.pk}
    assert [(i["task"], i["code"]) for i in digests[district.chair.pk]["items"]] == [
        ("decide", "MH-DECIDE")
    ]
    assert [(i["task"], i["code"]) for i in digests[board_clerk.pk]["items"]] == [
        ("recognition_decision", "MH-ISSUE")
    ]
    assert [(i["task"], i["code"]) for i in digests[province_clerk.pk]["items"]] == [
        ("commend", "MH-NOMINATED")
    ]


def test_digest_age_is_a_setting(settings):
    settings.NOTIFICATION_TASK_AGE_DAYS = 10
    world = build_world()
    registered(world.district.commune, since=at(TODAY) - days(5), code="MH-A")
    reminders_scan(now=at(TODAY), queue=False)
    assert not Message.objects.filter(kind=MessageKind.TASK_DIGEST).exists()


# --- the review cycle opens -----------------------------------------------------------------


def open_cycle(world, board, django_capture_on_commit_callbacks, **kwargs):
    cycle = ReviewCycleFactory(
        board=board,
        year=2025,
        opens_on=dt.date(2025, 2, 1),
        report_due=dt.date(2025, 10, 31),
        evaluation_due=dt.date(2025, 11, 30),
        decision_due=dt.date(2025, 12, 15),
        **kwargs,
    )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cycle_open(cycle=cycle, actor=None, today=dt.date(2025, 2, 1))
    return cycle


def test_opening_a_cycle_tells_every_board_in_scope_and_every_owner_once(
    django_capture_on_commit_callbacks,
):
    world = build_world()
    for unit, code in [
        (world.district.commune, "MH-1"),
        (world.district.commune, "MH-2"),
        (world.sibling.commune, "MH-3"),
        (world.district.hamlet, "MH-4"),
    ]:
        InitiativeFactory(owner_unit=unit, status=InitiativeStatus.MONITORED, code=code)
    hamlet_official = unit_official(world.district.hamlet)
    cycle = open_cycle(world, world.province_board, django_capture_on_commit_callbacks)

    notices = Message.objects.filter(kind=MessageKind.CYCLE_OPENED, cycle=cycle)
    boards = set(notices.filter(reason="board").values_list("recipient_id", flat=True))
    assert boards == {
        world.province_chair.pk,
        world.province_secretary.pk,
        world.district.chair.pk,
        world.district.secretary.pk,
        world.sibling.chair.pk,
        world.sibling.secretary.pk,
    }
    owners = {m.recipient_id: m.context for m in notices.filter(reason="owner")}
    assert set(owners) == {
        world.district.official.pk,
        world.sibling.official.pk,
        hamlet_official.pk,
    }
    assert [i["code"] for i in owners[world.district.official.pk]["items"]] == ["MH-1", "MH-2"]
    assert owners[world.district.official.pk]["count"] == 2
    assert [i["code"] for i in owners[hamlet_official.pk]["items"]] == ["MH-4"]
    # Written with their deliveries; a scan later finds nothing more to announce.
    assert Delivery.objects.filter(message__in=notices).count() == 2 * notices.count()
    assert (
        reminders_scan(now=at(dt.date(2025, 2, 1), 9), queue=False).created.get(
            MessageKind.CYCLE_OPENED, 0
        )
        == 0
    )

    text = render_for_recipient(notices.get(recipient=world.district.official))
    assert (
        text.subject == "Đợt bình xét năm 2025 đã mở: hạn nộp báo cáo năm ngày 31 tháng 10 năm 2025"
    )
    assert "- MH-1 “" in text.body and "- MH-2 “" in text.body
    board_text = render_for_recipient(notices.get(recipient=world.province_chair))
    assert "đã mở với 4 mô hình" in board_text.body
    assert "hạn đánh giá: ngày 30 tháng 11 năm 2025" in board_text.body


def test_the_scan_catches_up_a_missed_cycle_notice():
    world = build_world()
    InitiativeFactory(owner_unit=world.district.commune, status=InitiativeStatus.MONITORED)
    cycle = ReviewCycleFactory(
        board=world.district.board,
        status=CycleStatus.OPEN,
        opened_at=at(dt.date(2025, 2, 1)),
        year=2025,
        opens_on=dt.date(2025, 2, 1),
        report_due=dt.date(2025, 10, 31),
        evaluation_due=dt.date(2025, 11, 30),
        decision_due=dt.date(2025, 12, 15),
    )
    # Past the catch-up window: nothing.
    reminders_scan(now=at(dt.date(2025, 2, 20)), queue=False)
    assert not Message.objects.filter(kind=MessageKind.CYCLE_OPENED).exists()
    reminders_scan(now=at(dt.date(2025, 2, 3)), queue=False)
    assert set(
        Message.objects.filter(kind=MessageKind.CYCLE_OPENED, cycle=cycle).values_list(
            "recipient_id", flat=True
        )
    ) == {world.district.chair.pk, world.district.secretary.pk}


@pytest.mark.handler_errors
def test_a_failing_notice_never_reaches_the_person_opening_the_cycle_and_is_requeued(
    monkeypatch, django_capture_on_commit_callbacks, caplog, settings
):
    from core import tasks
    from notifications import handlers

    def broken(**kwargs):
        raise RuntimeError("boom")

    requeued = []
    monkeypatch.setattr(handlers, "cycle_opened_notify", broken)
    monkeypatch.setattr(tasks.event_handle, "delay", lambda *args: requeued.append(args))
    world = build_world()
    cycle = open_cycle(world, world.district.board, django_capture_on_commit_callbacks)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.OPEN
    assert "handler notifications.handlers.cycle_opened failed on cycle_opened" in caplog.text
    # Re-queued for the retry task, with the event rebuilt from its payload.
    assert [(handler, name, payload["cycle_id"]) for handler, name, payload in requeued] == [
        ("notifications.handlers.cycle_opened", "cycle_opened", cycle.pk)
    ]


# --- decisions ------------------------------------------------------------------------------


def test_owner_is_told_of_a_recognition_decision_with_a_link_to_it():
    world = build_world()
    initiative = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.EVALUATED, code="MH-R"
    )
    issuer = IssuingBodyFactory(
        unit=world.district.unit, name="UBND huyện Hòa An", abbreviation="UBND"
    )
    clerk = UserFactory()
    UnitRole.objects.create(unit=world.district.unit, user=clerk, role=Role.CLERK)
    decision = documents.decision_issue(
        issuer=issuer,
        kind="recognition",
        issued_on=dt.date(2023, 9, 30),
        title="Về việc công nhận mô hình “Dân vận khéo” năm 2023",
        entries=[EntryInput.for_initiative(initiative)],
        actor=clerk,
    )
    result = notify_decision_issued(decision)
    assert result.created == {MessageKind.DECISION_ISSUED: 1}
    message = Message.objects.get(kind=MessageKind.DECISION_ISSUED)
    assert message.recipient == world.district.official
    assert message.initiative == initiative
    text = render_for_recipient(message)
    assert text.subject == f"Mô hình MH-R được công nhận: Quyết định số {decision.number}"
    assert (
        f"Quyết định số {decision.number} ngày 30 tháng 9 năm 2023 của UBND huyện Hòa An "
        "công nhận mô hình MH-R" in text.body
    )
    assert notify_decision_issued(decision).total == 0


def test_a_commendation_notice_links_the_certificate_and_the_event_hook_writes_it():
    world = build_world()
    initiative = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.RECOGNISED, code="MH-K"
    )
    issuer = IssuingBodyFactory(unit=world.province, name="UBND tỉnh Cao Bằng", abbreviation="UBND")
    clerk = UserFactory()
    UnitRole.objects.create(unit=world.province, user=clerk, role=Role.CLERK)
    decision = documents.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=dt.date(2023, 9, 30),
        title="Về việc tặng Bằng khen",
        entries=[
            EntryInput.for_initiative(
                initiative, award=AwardType.COMMENDATION_CERTIFICATE, citation="Thành tích"
            )
        ],
        actor=clerk,
    )
    (certificate,) = documents.certificates_issue(decision=decision, actor=clerk)
    dispatch(
        DecisionIssued(decision_id=decision.pk, kind=decision.kind, initiative_ids=(initiative.pk,))
    )
    message = Message.objects.get(kind=MessageKind.DECISION_ISSUED)
    text = render_for_recipient(message)
    assert f"tặng Bằng khen cho {world.district.commune.name}" in text.body
    assert f"https://dvk.example.vn/verify/{certificate.code}/" in text.body
    assert "Mô hình: MH-K “" in text.body
