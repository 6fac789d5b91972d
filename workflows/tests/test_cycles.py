import datetime as dt
from decimal import Decimal

import pytest

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import (
    Commendation,
    Criterion,
    CycleStatus,
    InitiativeStatus,
    InitiativeStatusChange,
    ReviewCycle,
)
from core.tests.factories import CommendationFactory, InitiativeFactory, phase
from workflows import services
from workflows.models import AnnualReport, AnnualReportStatus

from .factories import AnnualReportFactory, ReviewCycleFactory
from .helpers import history, refused

DATES = {
    "opens_on": dt.date(2024, 2, 1),
    "report_due": dt.date(2024, 10, 31),
    "evaluation_due": dt.date(2024, 11, 30),
    "decision_due": dt.date(2024, 12, 20),
}


def create_cycle(actor, board, **kwargs):
    data = {"phase": phase("2021-2025"), "year": 2024, "pass_mark": 70, **DATES}
    data.update(kwargs)
    return services.cycle_create(actor=actor, board=board, **data)


# --- create and edit -------------------------------------------------------------------------


def test_secretary_creates_a_draft_cycle_with_the_usual_five_criteria(world):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    assert cycle.status == CycleStatus.DRAFT
    rows = list(cycle.criteria.values_list("code", "name", "weight", "max_score"))
    assert rows == [
        ("effectiveness", "Hiệu quả", Decimal("30.00"), 100),
        ("participation", "Sự tham gia của nhân dân", Decimal("25.00"), 100),
        ("creativity", "Tính sáng tạo", Decimal("15.00"), 100),
        ("replicability", "Khả năng nhân rộng", Decimal("15.00"), 100),
        ("sustainability", "Tính bền vững", Decimal("15.00"), 100),
    ]


def test_cycle_create_refuses_others_and_bad_input(world):
    d = world.district
    for actor in (d.chair, d.members[0], world.sibling.secretary, world.province_secretary):
        with pytest.raises(NotAllowed):
            create_cycle(actor, d.board)
    with pytest.raises(InvalidInput) as caught:
        create_cycle(d.secretary, d.board, report_due=dt.date(2024, 1, 1))
    assert str(caught.value).startswith("Các mốc thời gian phải theo thứ tự")
    with pytest.raises(InvalidInput) as caught:
        create_cycle(d.secretary, d.board, year=2030)
    assert str(caught.value) == "Năm 2030 không thuộc giai đoạn 2021-2025."
    with pytest.raises(InvalidInput):
        create_cycle(d.secretary, d.board, pass_mark=120)
    with pytest.raises(InvalidInput) as caught:
        create_cycle(
            d.secretary,
            d.board,
            criteria=[
                {"code": "a", "name": "A", "weight": 1, "max": 10},
                {"code": "a", "name": "B", "weight": 1, "max": 10},
            ],
        )
    assert str(caught.value) == "Mã tiêu chí không được trùng: a bị lặp lại."
    with pytest.raises(InvalidInput):
        create_cycle(d.secretary, d.board, criteria=[{"code": "a", "name": "A", "weight": 0}])
    assert not ReviewCycle.objects.exists()


def test_cycle_create_refuses_a_second_cycle_for_the_same_year(world):
    d = world.district
    create_cycle(d.secretary, d.board)
    with pytest.raises(WrongState) as caught:
        create_cycle(d.secretary, d.board)
    assert str(caught.value) == "Ban Chỉ đạo đã có đợt bình xét năm 2024."
    assert ReviewCycle.objects.count() == 1


def test_secretary_replaces_the_criteria_of_a_draft_cycle(world):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    services.cycle_update_criteria(
        actor=d.secretary,
        cycle=cycle,
        criteria=[
            {"code": "effectiveness", "name": "Hiệu quả", "weight": 60, "max": 10},
            {"code": "creativity", "name": "Tính sáng tạo", "weight": 40, "max": 10},
        ],
        pass_mark=75,
    )
    cycle.refresh_from_db()
    assert cycle.pass_mark == Decimal("75.00")
    assert list(cycle.criteria.values_list("code", "weight", "max_score")) == [
        ("effectiveness", Decimal("60.00"), 10),
        ("creativity", Decimal("40.00"), 10),
    ]


def test_criteria_cannot_change_once_the_cycle_is_open(world):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    with pytest.raises(WrongState) as caught:
        services.cycle_update_criteria(
            actor=d.secretary, cycle=cycle, criteria=[{"code": "x", "name": "X", "weight": 1}]
        )
    assert str(caught.value) == "Chỉ được sửa bộ tiêu chí khi đợt bình xét còn là dự thảo."
    assert Criterion.objects.filter(cycle=cycle).count() == 5
    with pytest.raises(NotAllowed):
        services.cycle_update_criteria(
            actor=d.chair, cycle=cycle, criteria=[{"code": "x", "name": "X", "weight": 1}]
        )


# --- open ------------------------------------------------------------------------------------


@pytest.fixture
def population(world):
    """Initiatives of the district in every status, and one in the sibling district."""
    d = world.district
    made = {
        status: InitiativeFactory(owner_unit=d.hamlet, status=status)
        for status in InitiativeStatus.values
    }
    made["sibling"] = InitiativeFactory(
        owner_unit=world.sibling.commune, status=InitiativeStatus.MONITORED
    )
    made["district_level"] = InitiativeFactory(owner_unit=d.unit, status=InitiativeStatus.MONITORED)
    return made


def test_cycle_open_gives_each_monitored_recognised_or_commended_initiative_a_report(
    world, population, events, django_capture_on_commit_callbacks
):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.cycle_open(cycle=cycle, actor=d.secretary)

    expected = {
        population[InitiativeStatus.MONITORED].pk,
        population[InitiativeStatus.RECOGNISED].pk,
        population[InitiativeStatus.COMMENDED].pk,
        population["district_level"].pk,
    }
    assert count == 4
    reports = AnnualReport.objects.filter(cycle=cycle)
    assert {r.initiative_id for r in reports} == expected
    for report in reports:
        assert report.status == AnnualReportStatus.PENDING
        assert report.due_on == dt.date(2024, 10, 31)
        assert report.year == 2024
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.OPEN and cycle.opened_at is not None
    assert events == [("cycle_opened", {"cycle_id": cycle.pk, "reports": 4})]


def test_cycle_open_returns_recognised_and_commended_to_monitored_keeping_their_past(
    world, population
):
    d = world.district
    recognised = population[InitiativeStatus.RECOGNISED]
    commended = population[InitiativeStatus.COMMENDED]
    past = InitiativeStatusChange.objects.create(
        initiative=commended, from_status="recognised", to_status="commended", reason="QĐ 12"
    )
    award = CommendationFactory(initiative=commended, unit=d.hamlet)
    cycle = create_cycle(d.secretary, d.board)

    services.cycle_open(cycle=cycle, actor=d.secretary)

    for initiative, was in ((recognised, "recognised"), (commended, "commended")):
        initiative.refresh_from_db()
        assert initiative.status == InitiativeStatus.MONITORED
        line = initiative.history.order_by("at", "pk").last()
        assert (line.from_status, line.to_status) == (was, "monitored")
        assert line.reason == "Mở đợt bình xét năm 2024"
        assert line.actor == d.secretary and line.source == "cycle_open"
    assert history(commended) == [("recognised", "commended"), ("commended", "monitored")]
    assert InitiativeStatusChange.objects.filter(pk=past.pk).exists()
    assert list(Commendation.objects.filter(initiative=commended)) == [award]
    # Others keep their status and get no history line.
    for status in ("registered", "returned", "rejected", "evaluated", "withdrawn"):
        initiative = population[status]
        initiative.refresh_from_db()
        assert initiative.status == status
        assert not initiative.history.exists()
    assert InitiativeStatusChange.objects.count() == 3


def test_cycle_open_skips_initiatives_reviewed_this_year_by_another_cycle(world, population):
    d = world.district
    province_cycle = create_cycle(world.province_secretary, world.province_board)
    district_cycle = create_cycle(d.secretary, d.board)
    services.cycle_open(cycle=district_cycle, actor=d.secretary)
    # The province's cycle of the same year adds only the sibling district's initiative.
    assert services.cycle_open(cycle=province_cycle, actor=world.province_secretary) == 1
    assert AnnualReport.objects.get(cycle=province_cycle).initiative == population["sibling"]
    assert AnnualReport.objects.filter(cycle=district_cycle).count() == 4


def test_cycle_open_refuses_a_second_opening(world, population):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    services.cycle_open(cycle=cycle, actor=d.secretary)
    monitored = population[InitiativeStatus.MONITORED]
    with refused(WrongState, "Việc này đã được thực hiện: đợt bình xét đã được mở.", monitored):
        services.cycle_open(cycle=cycle, actor=d.secretary)
    assert AnnualReport.objects.count() == 4


def test_cycle_open_refuses_anyone_but_the_boards_secretary(world, population):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    recognised = population[InitiativeStatus.RECOGNISED]
    for actor in (d.chair, world.sibling.secretary, world.province_secretary):
        with refused(NotAllowed, None, recognised):
            services.cycle_open(cycle=cycle, actor=actor)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.DRAFT
    assert not AnnualReport.objects.exists()


def test_the_beat_opens_a_cycle_on_its_date_only(world, population):
    d = world.district
    cycle = create_cycle(d.secretary, d.board)
    with pytest.raises(WrongState) as caught:
        services.cycle_open(cycle=cycle, today=dt.date(2024, 1, 31))
    assert str(caught.value) == "Đợt bình xét mở vào ngày 2024-02-01."
    assert not AnnualReport.objects.exists()
    assert services.cycle_open(cycle=cycle, today=dt.date(2024, 2, 1)) == 4
    line = population[InitiativeStatus.RECOGNISED].history.get()
    assert line.actor is None


def test_cycles_open_due_opens_every_due_draft_and_nothing_else(world, population):
    d = world.district
    due = create_cycle(d.secretary, d.board)
    later = create_cycle(
        world.sibling.secretary,
        world.sibling.board,
        opens_on=dt.date(2024, 3, 1),
    )
    assert services.cycles_open_due(today=dt.date(2024, 2, 15)) == {due.pk: 4}
    later.refresh_from_db()
    assert later.status == CycleStatus.DRAFT
    assert services.cycles_open_due(today=dt.date(2024, 2, 16)) == {}


def test_cycle_open_refuses_a_cycle_without_criteria(world, population):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, criteria=[])
    with pytest.raises(InvalidInput):
        services.cycle_open(cycle=cycle, actor=d.secretary)
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.DRAFT


def test_an_existing_report_of_another_year_does_not_block_the_new_one(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)
    AnnualReportFactory(
        initiative=initiative,
        cycle=ReviewCycleFactory(board=d.board, year=2023, status=CycleStatus.CLOSED),
        status=AnnualReportStatus.DECIDED,
    )
    cycle = create_cycle(d.secretary, d.board)
    assert services.cycle_open(cycle=cycle, actor=d.secretary) == 1
