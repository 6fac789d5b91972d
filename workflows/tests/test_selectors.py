import datetime as dt
from decimal import Decimal

import pytest

from core.models import BoardMember, CycleStatus, InitiativeStatus, Role, UnitRole
from core.tests.factories import InitiativeFactory, UserFactory
from workflows import selectors, services
from workflows.models import AnnualReportStatus

from .factories import AnnualReportFactory, EvaluationFactory, ReviewCycleFactory

SCORES = dict.fromkeys(
    ["effectiveness", "participation", "creativity", "replicability", "sustainability"], 80
)


@pytest.fixture
def cycle(world):
    return ReviewCycleFactory(board=world.district.board, status=CycleStatus.OPEN)


def submitted_reports(cycle, unit, n):
    """Reports made outside the flows (imported), joined to them at their step: each
    member who may evaluate gets an evaluation task."""
    reports = [
        AnnualReportFactory(
            cycle=cycle,
            initiative__owner_unit=unit,
            status=AnnualReportStatus.SUBMITTED,
        )
        for _ in range(n)
    ]
    for report in reports:
        services.review_process(report)
    return reports


# --- evaluation queue ------------------------------------------------------------------------


def test_queue_lists_submitted_reports_the_member_has_not_scored(world, cycle):
    d = world.district
    in_commune = submitted_reports(cycle, d.commune, 2)
    at_district = submitted_reports(cycle, d.unit, 1)
    AnnualReportFactory(cycle=cycle, initiative__owner_unit=d.commune)  # still pending
    sibling_cycle = ReviewCycleFactory(board=world.sibling.board, status=CycleStatus.OPEN)
    submitted_reports(sibling_cycle, world.sibling.commune, 1)

    # Works at the district: the district's own initiative is not below the board's unit,
    # so belonging to the district does not recuse.
    member = d.members[0]
    assert set(selectors.evaluation_queue(user=member)) == {*in_commune, *at_district}
    services.evaluation_submit(actor=member, report=in_commune[0], scores=SCORES)
    assert set(selectors.evaluation_queue(user=member)) == {in_commune[1], *at_district}
    # The member working in the commune is recused from the commune's reports.
    assert list(selectors.evaluation_queue(user=d.recused_member)) == at_district
    # Other boards and officials see nothing of this board.
    assert list(selectors.evaluation_queue(user=world.sibling.members[0])) != in_commune
    assert not selectors.evaluation_queue(user=world.sibling.members[0]).filter(cycle=cycle)
    assert not selectors.evaluation_queue(user=d.official).exists()


def test_queue_skips_initiatives_that_are_no_longer_monitored(world, cycle):
    d = world.district
    report = submitted_reports(cycle, d.commune, 1)[0]
    services.initiative_withdraw(actor=d.official, initiative=report.initiative, reason="x")
    assert not selectors.evaluation_queue(user=d.members[0]).exists()


def test_queue_recuses_by_unit_role_too(world, cycle):
    d = world.district
    UnitRole.objects.create(unit=d.commune, user=d.members[1], role=Role.LEADER)
    submitted_reports(cycle, d.commune, 1)
    assert not selectors.evaluation_queue(user=d.members[1]).exists()


def test_queue_costs_one_query_whatever_its_length(world, cycle, django_assert_num_queries):
    d = world.district
    submitted_reports(cycle, d.commune, 1)

    def read():
        return [
            (r.initiative.code, r.initiative.owner_unit.name, r.cycle.board.name)
            for r in selectors.evaluation_queue(user=d.members[0])
        ]

    with django_assert_num_queries(1):
        assert len(read()) == 1
    submitted_reports(cycle, d.hamlet, 6)
    with django_assert_num_queries(1):
        assert len(read()) == 7


# --- decision list ---------------------------------------------------------------------------


def test_decision_list_is_sorted_by_score_in_a_fixed_number_of_queries(
    world, cycle, django_assert_num_queries
):
    d = world.district
    scores = [Decimal("71.50"), Decimal("88.00"), Decimal("64.25"), Decimal("88.00")]
    reports = [
        AnnualReportFactory(
            cycle=cycle,
            initiative__owner_unit=d.commune,
            initiative__status=InitiativeStatus.EVALUATED,
            status=AnnualReportStatus.EVALUATION_CLOSED,
            score=score,
            passed=score >= 70,
        )
        for score in scores
    ]
    for report in reports:
        EvaluationFactory(annual_report=report, evaluator=UserFactory())
    AnnualReportFactory(cycle=cycle, initiative__owner_unit=d.commune)  # pending: not listed

    with django_assert_num_queries(1):
        rows = [
            (r.score, r.initiative.code, r.initiative.owner_unit.name, r.evaluation_count)
            for r in selectors.decision_list(cycle=cycle)
        ]
    assert [row[0] for row in rows] == sorted(scores, reverse=True)
    tied = sorted([reports[1].initiative.code, reports[3].initiative.code])
    assert [rows[0][1], rows[1][1]] == tied
    assert {row[3] for row in rows} == {1}

    services.initiative_decide(actor=d.chair, report=reports[2], recognise=False)
    assert len(selectors.decision_list(cycle=cycle)) == 4
    assert reports[2] not in selectors.decision_list(cycle=cycle, undecided_only=True)


# --- initiatives for a user ------------------------------------------------------------------


def test_initiatives_for_user_covers_the_subtree_of_each_role(world):
    d = world.district
    in_district = InitiativeFactory(owner_unit=d.unit)
    in_commune = InitiativeFactory(owner_unit=d.commune)
    in_hamlet = InitiativeFactory(owner_unit=d.hamlet)
    in_sibling = InitiativeFactory(owner_unit=world.sibling.commune)

    assert set(selectors.initiatives_for_user(user=d.secretary)) == {
        in_district,
        in_commune,
        in_hamlet,
    }
    assert set(selectors.initiatives_for_user(user=d.official)) == {in_commune, in_hamlet}
    assert set(selectors.initiatives_for_user(user=world.sibling.chair)) == {in_sibling}
    assert set(selectors.initiatives_for_user(user=world.province_member)) == {
        in_district,
        in_commune,
        in_hamlet,
        in_sibling,
    }
    assert not selectors.initiatives_for_user(user=UserFactory()).exists()
    # A role in one district and a board seat in another: both subtrees, each once.
    BoardMember.objects.create(board=world.sibling.board, user=d.official, role=Role.MEMBER)
    listed = list(selectors.initiatives_for_user(user=d.official))
    assert sorted(i.pk for i in listed) == sorted([in_commune.pk, in_hamlet.pk, in_sibling.pk])


def test_initiatives_for_user_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    d = world.district
    InitiativeFactory(owner_unit=d.commune)

    def read():
        return [
            (i.code, i.owner_unit.name, i.phase.name, [f.code for f in i.fields.all()])
            for i in selectors.initiatives_for_user(user=d.chair)
        ]

    with django_assert_num_queries(3):
        assert len(read()) == 1
    for unit in (d.unit, d.hamlet, d.commune):
        InitiativeFactory.create_batch(3, owner_unit=unit)
    with django_assert_num_queries(3):
        assert len(read()) == 10


def test_initiative_records_loads_a_task_page_in_fixed_queries(world, django_assert_num_queries):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    services.initiative_accept(actor=d.secretary, initiative=initiative)
    report = AnnualReportFactory(
        cycle=ReviewCycleFactory(board=d.board, status=CycleStatus.OPEN),
        initiative=initiative,
        status=AnnualReportStatus.SUBMITTED,
    )

    def add_records():
        services.progress_report_submit(actor=d.official, initiative=initiative, text="Tiến độ")
        services.monitoring_visit_record(
            actor=d.members[1],
            initiative=initiative,
            visited_on=dt.date(2024, 5, 1),
            findings="Tốt",
        )

    def page():
        loaded = selectors.initiative_records(initiative_id=initiative.pk)
        return (
            [line.actor for line in loaded.history.all()],
            [p.author for p in loaded.progress_reports.all()],
            [v.recorded_by for v in loaded.monitoring_visits.all()],
            [
                (
                    r.cycle.year,
                    [e.evaluator for e in r.evaluations.all()],
                    [c.name for c in r.cycle.criteria.all()],
                )
                for r in loaded.annual_reports.all()
            ],
            [f.code for f in loaded.fields.all()],
        )

    add_records()
    services.evaluation_submit(actor=d.chair, report=report, scores=SCORES)
    # The initiative, then fields, history, progress reports and their authors, visits and
    # their recorders, annual reports with cycles, evaluations, evaluators, the cycles'
    # criteria (scores are shown under the criteria's names).
    with django_assert_num_queries(11):
        small = page()
    for _ in range(3):
        add_records()
    services.evaluation_submit(actor=d.members[0], report=report, scores=SCORES)
    with django_assert_num_queries(11):
        large = page()
    assert (len(small[1]), len(small[3][0][1])) == (1, 1)
    assert (len(large[1]), len(large[2]), len(large[3][0][1])) == (4, 4, 2)
    assert len(large[3][0][2]) == 5  # the five usual criteria
