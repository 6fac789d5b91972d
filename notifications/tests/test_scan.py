"""The reminder scan: what is written into the outbox, when, and never twice."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import CycleStatus, InitiativeStatus, Role, UnitRole
from core.tests.factories import InitiativeFactory, UserFactory
from notifications.models import Delivery, DeliveryStatus, Message, MessageKind
from notifications.services import (
    before_reason,
    overdue_round,
    reminder_offsets,
    reminders_scan,
    report_reason,
)
from workflows.models import AnnualReportStatus
from workflows.tests.factories import AnnualReportFactory, board_person

from .scenario import EVALUATION_DUE, REPORT_DUE, at, build_scenario, days

pytestmark = pytest.mark.django_db


def report_reminders(**filters) -> list[tuple[str, int, str]]:
    return sorted(
        Message.objects.filter(kind=MessageKind.REPORT_DUE, **filters).values_list(
            "recipient__username", "subject_id", "reason"
        )
    )


# --- when ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (REPORT_DUE - days(20), None),
        (REPORT_DUE - days(15), None),
        (REPORT_DUE - days(14), "before:14"),
        (REPORT_DUE - days(4), "before:14"),
        (REPORT_DUE - days(3), "before:3"),
        (REPORT_DUE - days(1), "before:3"),
        (REPORT_DUE, "before:0"),
        (REPORT_DUE + days(1), None),
        (REPORT_DUE + days(6), None),
        (REPORT_DUE + days(7), "overdue:1"),
        (REPORT_DUE + days(13), "overdue:1"),
        (REPORT_DUE + days(14), "overdue:2"),
        (REPORT_DUE + days(21), "overdue:3"),
    ],
)
def test_report_reason_is_the_latest_point_passed(today, expected):
    assert report_reason(due_on=REPORT_DUE, today=today, offsets=[14, 3, 0]) == expected


def test_offsets_default_to_14_3_0_and_ignore_nonsense(scenario):
    cycle = scenario.cycle
    assert reminder_offsets(cycle) == [14, 3, 0]
    cycle.reminder_offsets = [7, "1", -2, "x", 7, None]
    assert reminder_offsets(cycle) == [7, 1]


def test_evaluation_reason_has_no_overdue_round():
    assert before_reason(due_on=EVALUATION_DUE, today=EVALUATION_DUE + days(8), offsets=[3]) is None
    assert overdue_round(due_on=EVALUATION_DUE, today=EVALUATION_DUE + days(8)) == 1


# --- annual report due --------------------------------------------------------------------


def test_report_reminder_goes_out_once_for_each_offset_and_never_twice(scenario):
    officials = sorted([scenario.official.username, scenario.second_official.username])
    report_ids = sorted(report.pk for report in scenario.reports)

    def expected(reason):
        return sorted((user, pk, reason) for user in officials for pk in report_ids)

    first = reminders_scan(now=at(REPORT_DUE - days(14)), queue=False)
    assert first.created == {MessageKind.REPORT_DUE: 6}
    assert report_reminders() == expected("before:14")
    # Re-runs the same day, and on the days until the next offset, write nothing.
    for moment in (
        at(REPORT_DUE - days(14), 9),
        at(REPORT_DUE - days(10)),
        at(REPORT_DUE - days(4)),
    ):
        assert reminders_scan(now=moment, queue=False).total == 0
    assert reminders_scan(now=at(REPORT_DUE - days(3)), queue=False).total == 6
    assert reminders_scan(now=at(REPORT_DUE), queue=False).total == 6
    assert reminders_scan(now=at(REPORT_DUE, 15), queue=False).total == 0
    assert report_reminders(reason="before:3") == expected("before:3")
    assert report_reminders(reason="before:0") == expected("before:0")
    assert Message.objects.count() == 18
    # Each message has one delivery per channel (in-app, email), and only one.
    assert Delivery.objects.count() == 36
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_a_late_scan_sends_only_the_latest_reminder(scenario):
    reminders_scan(now=at(REPORT_DUE - days(1)), queue=False)
    assert {reason for _u, _s, reason in report_reminders()} == {"before:3"}


def test_the_cycle_chooses_its_offsets(db):
    scenario = build_scenario(reports=1, reminder_offsets=[30, 7])
    assert reminders_scan(now=at(REPORT_DUE - days(14)), queue=False).total == 2
    assert {reason for _u, _s, reason in report_reminders()} == {"before:30"}
    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    reminders_scan(now=at(REPORT_DUE), queue=False)
    assert {reason for _u, _s, reason in report_reminders()} == {"before:30", "before:7"}
    assert scenario.cycle.reminder_offsets == [30, 7]


def test_overdue_reminders_go_weekly(scenario):
    for n in range(0, 29):
        reminders_scan(now=at(REPORT_DUE + days(n)), queue=False)
    reasons = {reason for _u, _s, reason in report_reminders()}
    assert reasons == {"before:0", "overdue:1", "overdue:2", "overdue:3", "overdue:4"}
    assert len(report_reminders(reason="overdue:3")) == 6


def test_only_pending_reports_of_taking_part_initiatives_in_open_cycles_are_reminded(scenario):
    submitted, withdrawn, kept = scenario.reports
    submitted.status = AnnualReportStatus.SUBMITTED
    submitted.save()
    withdrawn.initiative.status = InitiativeStatus.WITHDRAWN
    withdrawn.initiative.save()
    closed = build_scenario(reports=1, year=2023)
    closed.cycle.status = CycleStatus.CLOSED
    closed.cycle.save()
    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    assert {subject for _u, subject, _r in report_reminders()} == {kept.pk}


def test_reminders_go_to_the_active_officials_of_the_owner_unit_only(scenario):
    scenario.second_official.is_active = False
    scenario.second_official.save()
    # Officials of the unit above and clerks of the unit get no annual report reminder.
    clerk = UserFactory()
    UnitRole.objects.create(unit=scenario.world.district.commune, user=clerk, role=Role.CLERK)
    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    assert {user for user, _s, _r in report_reminders()} == {scenario.official.username}


def test_secretary_is_told_from_the_second_overdue_round_on(scenario):
    secretary = scenario.world.district.secretary
    reminders_scan(now=at(REPORT_DUE + days(7)), queue=False)
    assert not Message.objects.filter(kind=MessageKind.REPORTS_OVERDUE).exists()
    scenario.reports[0].status = AnnualReportStatus.SUBMITTED
    scenario.reports[0].save()
    reminders_scan(now=at(REPORT_DUE + days(14)), queue=False)
    reminders_scan(now=at(REPORT_DUE + days(15)), queue=False)
    told = Message.objects.get(kind=MessageKind.REPORTS_OVERDUE)
    assert told.recipient == secretary
    assert told.reason == "overdue:2"
    assert told.context["count"] == 2
    assert [item["code"] for item in told.context["items"]] == [
        scenario.reports[1].initiative.code,
        scenario.reports[2].initiative.code,
    ]
    reminders_scan(now=at(REPORT_DUE + days(21)), queue=False)
    assert sorted(
        Message.objects.filter(kind=MessageKind.REPORTS_OVERDUE).values_list("reason", flat=True)
    ) == ["overdue:2", "overdue:3"]


def test_chair_gets_one_list_of_the_reports_still_missing_after_the_evaluation_deadline(
    scenario,
):
    chair = scenario.world.district.chair
    scenario.reports[1].status = AnnualReportStatus.SUBMITTED
    scenario.reports[1].save()
    # Another board's cycle, and a report of this cycle's board in another unit.
    other = AnnualReportFactory(
        cycle=scenario.cycle,
        initiative=InitiativeFactory(
            owner_unit=scenario.world.district.hamlet,
            status=InitiativeStatus.MONITORED,
            code="MH-2024-999999",
        ),
    )
    build_scenario(reports=2, year=2024)
    reminders_scan(now=at(EVALUATION_DUE), queue=False)
    assert not Message.objects.filter(kind=MessageKind.REPORTS_MISSING).exists()
    reminders_scan(now=at(EVALUATION_DUE + days(1)), queue=False)
    reminders_scan(now=at(EVALUATION_DUE + days(8)), queue=False)
    missing = Message.objects.filter(kind=MessageKind.REPORTS_MISSING, cycle=scenario.cycle)
    assert missing.count() == 1
    message = missing.get()
    assert message.recipient == chair
    assert message.context["count"] == 3
    assert [item["code"] for item in message.context["items"]] == [
        scenario.reports[0].initiative.code,
        scenario.reports[2].initiative.code,
        other.initiative.code,
    ]
    assert message.context["items"][2]["unit"] == scenario.world.district.hamlet.name


def test_chair_list_is_capped_but_counts_everything(settings, scenario):
    settings.NOTIFICATION_LIST_LIMIT = 2
    reminders_scan(now=at(EVALUATION_DUE + days(1)), queue=False)
    message = Message.objects.get(kind=MessageKind.REPORTS_MISSING)
    assert message.context["count"] == 3
    assert len(message.context["items"]) == 2


# --- evaluation tasks ---------------------------------------------------------------------


def test_members_with_evaluation_tasks_are_reminded_before_the_evaluation_deadline(scenario):
    district = scenario.world.district
    for report in scenario.reports:
        report.status = AnnualReportStatus.SUBMITTED
        report.save()
    first, second, third = scenario.reports
    # The first member has scored one report already.
    from workflows.tests.factories import EvaluationFactory

    EvaluationFactory(annual_report=first, evaluator=district.members[0])
    # A member without a unit is not recused.
    unitless = board_person(district.board, Role.MEMBER)
    reminders_scan(now=at(EVALUATION_DUE - days(20)), queue=False)
    assert not Message.objects.filter(kind=MessageKind.EVALUATION_DUE).exists()
    reminders_scan(now=at(EVALUATION_DUE - days(3)), queue=False)
    reminders_scan(now=at(EVALUATION_DUE - days(2)), queue=False)
    told = {m.recipient_id: m for m in Message.objects.filter(kind=MessageKind.EVALUATION_DUE)}
    # Chair, secretary, both members and the unitless member; the member from the
    # owner commune is recused and has no task.
    assert set(told) == {
        district.chair.pk,
        district.secretary.pk,
        district.members[0].pk,
        district.members[1].pk,
        unitless.pk,
    }
    assert told[district.members[0].pk].context["count"] == 2
    assert [i["code"] for i in told[district.members[0].pk].context["items"]] == [
        second.initiative.code,
        third.initiative.code,
    ]
    assert told[district.chair.pk].context["count"] == 3
    assert {m.reason for m in told.values()} == {"before:3"}
    assert {m.due_on for m in told.values()} == {EVALUATION_DUE}


def test_no_evaluation_reminder_after_the_deadline(scenario):
    for report in scenario.reports:
        report.status = AnnualReportStatus.SUBMITTED
        report.save()
    reminders_scan(now=at(EVALUATION_DUE + days(1)), queue=False)
    assert not Message.objects.filter(kind=MessageKind.EVALUATION_DUE).exists()


def test_a_member_who_sits_twice_on_the_board_counts_each_report_once(scenario):
    district = scenario.world.district
    from core.models import BoardMember

    BoardMember.objects.create(board=district.board, user=district.chair, role=Role.MEMBER)
    for report in scenario.reports:
        report.status = AnnualReportStatus.SUBMITTED
        report.save()
    reminders_scan(now=at(EVALUATION_DUE), queue=False)
    message = Message.objects.get(kind=MessageKind.EVALUATION_DUE, recipient=district.chair)
    assert message.context["count"] == 3
    assert len(message.context["items"]) == 3


def test_scan_does_not_depend_on_the_clock(scenario):
    # Scanning a past day gives the same messages as scanning on that day.
    result = reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    assert result.created[MessageKind.REPORT_DUE] == 6
    assert set(Message.objects.values_list("due_on", flat=True)) == {REPORT_DUE}
    assert result.stamp <= dt.datetime.now(dt.UTC)
