"""The lifecycle end to end through the services, and a sibling district kept out of it."""

import datetime as dt
from decimal import Decimal

import pytest

from core.errors import NotAllowed
from core.models import CycleStatus, InitiativeKind, InitiativeStatus
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, field, phase
from workflows import selectors, services
from workflows.models import AnnualReport, AnnualReportStatus

from .factories import AnnualReportFactory, ReviewCycleFactory
from .helpers import history, refused


def scores(value):
    return dict.fromkeys(
        ["effectiveness", "participation", "creativity", "replicability", "sustainability"],
        value,
    )


def test_registration_to_decision(world, events, django_capture_on_commit_callbacks):
    d = world.district
    with django_capture_on_commit_callbacks(execute=True):
        good = services.initiative_register(
            actor=d.official,
            unit=d.commune,
            title="Dân vận khéo trong xây dựng đường giao thông nông thôn",
            kind=InitiativeKind.COLLECTIVE,
            fields=[field("new_rural")],
            phase=phase("2021-2025"),
            registered_on=dt.date(2023, 3, 1),
        )
        weak = services.initiative_register(
            actor=d.official,
            unit=d.commune,
            title="Tổ tự quản vệ sinh môi trường",
            kind=InitiativeKind.INDIVIDUAL,
            owner_name="Lý Văn Tài",
            fields=[field("culture_society")],
            phase=phase("2021-2025"),
            registered_on=dt.date(2023, 3, 2),
        )
    for initiative in (good, weak):
        services.initiative_accept(actor=d.secretary, initiative=initiative)
    services.progress_report_submit(actor=d.official, initiative=good, text="Đã làm 2 km đường.")
    services.monitoring_visit_record(
        actor=d.members[0], initiative=good, visited_on=dt.date(2023, 8, 1), findings="Tốt"
    )

    cycle = services.cycle_create(
        actor=d.secretary,
        board=d.board,
        phase=phase("2021-2025"),
        year=2024,
        opens_on=dt.date(2024, 2, 1),
        report_due=dt.date(2024, 10, 31),
        evaluation_due=dt.date(2024, 11, 30),
        decision_due=dt.date(2024, 12, 20),
        pass_mark=70,
    )
    assert services.cycle_open(cycle=cycle, actor=d.secretary) == 2
    reports = {r.initiative_id: r for r in AnnualReport.objects.filter(cycle=cycle)}
    for initiative in (good, weak):
        services.annual_report_submit(
            actor=d.official, report=reports[initiative.pk], text="Báo cáo năm 2024"
        )

    # Four members may score; the one working in the commune is recused and gets nothing.
    evaluators = [d.chair, d.secretary, *d.members]
    for member in evaluators:
        assert {r.initiative_id for r in selectors.evaluation_queue(user=member)} == {
            good.pk,
            weak.pk,
        }
    assert not selectors.evaluation_queue(user=d.recused_member).exists()
    with pytest.raises(NotAllowed):
        services.evaluation_submit(
            actor=d.recused_member, report=reports[good.pk], scores=scores(100)
        )

    for member, (good_score, weak_score) in zip(
        evaluators, [(90, 60), (85, 50), (80, 65), (95, 55)], strict=True
    ):
        services.evaluation_submit(actor=member, report=reports[good.pk], scores=scores(good_score))
        services.evaluation_submit(actor=member, report=reports[weak.pk], scores=scores(weak_score))
        assert not selectors.evaluation_queue(user=member).exists()

    for initiative in (good, weak):
        services.evaluation_close(actor=d.secretary, report=reports[initiative.pk])
    ranked = list(selectors.decision_list(cycle=cycle))
    assert [(r.initiative_id, r.score, r.passed) for r in ranked] == [
        (good.pk, Decimal("87.50"), True),
        (weak.pk, Decimal("57.50"), False),
    ]

    services.initiative_decide(actor=d.chair, report=ranked[0], recognise=True)
    services.initiative_decide(actor=d.chair, report=ranked[1], recognise=False)

    good.refresh_from_db()
    weak.refresh_from_db()
    assert good.status == InitiativeStatus.EVALUATED  # until the recognition decision
    assert weak.status == InitiativeStatus.MONITORED
    assert history(good) == [
        ("", "registered"),
        ("registered", "monitored"),
        ("monitored", "evaluated"),
    ]
    assert history(weak) == [
        ("", "registered"),
        ("registered", "monitored"),
        ("monitored", "evaluated"),
        ("evaluated", "monitored"),
    ]
    assert all(
        r.status == AnnualReportStatus.DECIDED for r in AnnualReport.objects.filter(cycle=cycle)
    )
    assert [name for name, _data in events] == ["initiative_registered", "initiative_registered"]


# --- a sibling district cannot act on this district's initiatives ------------------------------


def _sibling_attempts(world, initiative, report):
    s = world.sibling
    body = IssuingBodyFactory(unit=world.province)
    yield "accept", lambda: services.initiative_accept(actor=s.secretary, initiative=initiative)
    yield (
        "return",
        lambda: services.initiative_return(actor=s.secretary, initiative=initiative, reason="x"),
    )
    yield (
        "reject",
        lambda: services.initiative_reject(actor=s.secretary, initiative=initiative, reason="x"),
    )
    yield "resubmit", lambda: services.initiative_resubmit(actor=s.official, initiative=initiative)
    yield (
        "withdraw",
        lambda: services.initiative_withdraw(actor=s.official, initiative=initiative, reason="x"),
    )
    yield (
        "discontinue",
        lambda: services.initiative_discontinue(actor=s.chair, initiative=initiative, reason="x"),
    )
    yield (
        "progress",
        lambda: services.progress_report_submit(actor=s.official, initiative=initiative, text="x"),
    )
    yield (
        "visit",
        lambda: services.monitoring_visit_record(
            actor=s.members[0], initiative=initiative, visited_on=dt.date(2024, 1, 1), findings="x"
        ),
    )
    yield (
        "register",
        lambda: services.initiative_register(
            actor=s.official,
            unit=world.district.commune,
            title="x",
            kind=InitiativeKind.COLLECTIVE,
            fields=[field()],
            phase=phase(),
        ),
    )
    yield (
        "annual_report",
        lambda: services.annual_report_submit(actor=s.official, report=report, text="x"),
    )
    yield (
        "evaluate",
        lambda: services.evaluation_submit(actor=s.members[0], report=report, scores=scores(80)),
    )
    yield "close", lambda: services.evaluation_close(actor=s.secretary, report=report)
    yield "decide", lambda: services.initiative_decide(actor=s.chair, report=report, recognise=True)
    yield (
        "nominate",
        lambda: services.nomination_create(
            actor=s.secretary,
            board=s.board,
            awarding_body=body,
            items=[initiative],
            citation="x",
        ),
    )


@pytest.mark.parametrize(
    "status",
    [
        InitiativeStatus.REGISTERED,
        InitiativeStatus.RETURNED,
        InitiativeStatus.MONITORED,
        InitiativeStatus.EVALUATED,
        InitiativeStatus.RECOGNISED,
    ],
)
def test_a_sibling_districts_officials_and_board_cannot_act(world, status):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=status)
    report_status = {
        InitiativeStatus.MONITORED: AnnualReportStatus.SUBMITTED,
        InitiativeStatus.EVALUATED: AnnualReportStatus.EVALUATION_CLOSED,
    }.get(status, AnnualReportStatus.PENDING)
    report = AnnualReportFactory(
        initiative=initiative,
        cycle=ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN),
        status=report_status,
    )
    for name, attempt in _sibling_attempts(world, initiative, report):
        with refused(NotAllowed, None, initiative):
            attempt()
        report.refresh_from_db()
        assert report.status == report_status, name
