"""Factories for the lifecycle's records, on top of ``core.tests.factories``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import factory

from core.models import (
    BoardMember,
    Criterion,
    CycleStatus,
    InitiativeStatus,
    ReviewCycle,
    Role,
    SteeringBoard,
    Unit,
    UnitKind,
    UnitRole,
    User,
)
from core.tests.factories import (
    BoardFactory,
    InitiativeFactory,
    IssuingBodyFactory,
    UnitFactory,
    UserFactory,
    phase,
)
from workflows.models import (
    AnnualReport,
    AnnualReportStatus,
    Evaluation,
    MonitoringVisit,
    Nomination,
    NominationStatus,
    ProgressReport,
)
from workflows.services import DEFAULT_CRITERIA


class ReviewCycleFactory(factory.django.DjangoModelFactory):
    """A cycle with the usual five criteria (weights 30/25/15/15/15, max 100)."""

    class Meta:
        model = ReviewCycle
        skip_postgeneration_save = True

    board = factory.SubFactory(BoardFactory)
    phase = factory.LazyFunction(phase)
    year = 2024
    opens_on = dt.date(2024, 1, 15)
    report_due = dt.date(2024, 10, 31)
    evaluation_due = dt.date(2024, 11, 30)
    decision_due = dt.date(2024, 12, 15)
    pass_mark = 70
    status = CycleStatus.DRAFT

    @factory.post_generation
    def criteria(self, create, extracted, **kwargs):
        if not create:
            return
        items = DEFAULT_CRITERIA if extracted is None else extracted
        Criterion.objects.bulk_create(
            Criterion(
                cycle=self,
                code=item["code"],
                name=item["name"],
                weight=item["weight"],
                max_score=item.get("max", 100),
                position=position,
            )
            for position, item in enumerate(items, start=1)
        )


class AnnualReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualReport

    initiative = factory.SubFactory(InitiativeFactory, status=InitiativeStatus.MONITORED)
    cycle = factory.SubFactory(ReviewCycleFactory, status=CycleStatus.OPEN)
    year = factory.LazyAttribute(lambda o: o.cycle.year)
    due_on = factory.LazyAttribute(lambda o: o.cycle.report_due)
    status = AnnualReportStatus.PENDING


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    annual_report = factory.SubFactory(AnnualReportFactory, status=AnnualReportStatus.SUBMITTED)
    evaluator = factory.SubFactory(UserFactory)
    scores = factory.LazyFunction(lambda: {item["code"]: 80 for item in DEFAULT_CRITERIA})
    total = 80


class ProgressReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressReport

    initiative = factory.SubFactory(InitiativeFactory, status=InitiativeStatus.MONITORED)
    author = factory.SubFactory(UserFactory)
    text = "Đã tổ chức 3 buổi tuyên truyền, 120 hộ tham gia."


class MonitoringVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonitoringVisit

    initiative = factory.SubFactory(InitiativeFactory, status=InitiativeStatus.MONITORED)
    visited_on = dt.date(2024, 5, 10)
    visitors = "Đồng chí Trưởng ban, Thường trực"
    findings = "Mô hình duy trì tốt."
    recorded_by = factory.SubFactory(UserFactory)


class NominationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Nomination

    board = factory.SubFactory(BoardFactory)
    awarding_body = factory.SubFactory(IssuingBodyFactory)
    citation = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo”"
    status = NominationStatus.SUBMITTED
    proposed_by = factory.SubFactory(UserFactory)


# --- a small organisation tree with people in every role ---------------------------------


def board_person(board: SteeringBoard, role: str, **user_kwargs) -> User:
    user = UserFactory(**user_kwargs)
    BoardMember.objects.create(board=board, user=user, role=role)
    return user


def unit_official(unit: Unit, **user_kwargs) -> User:
    user = UserFactory(unit=unit, **user_kwargs)
    UnitRole.objects.create(unit=unit, user=user, role=Role.OFFICIAL)
    return user


@dataclass
class District:
    """A district with a board (no board in its commune: the district's is responsible)."""

    unit: Unit
    board: SteeringBoard
    chair: User
    secretary: User
    members: list[User]
    commune: Unit
    hamlet: Unit
    official: User  # official of the commune
    district_official: User
    recused_member: User | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    province: Unit
    province_board: SteeringBoard
    province_chair: User
    province_secretary: User
    province_member: User
    district: District
    sibling: District


def build_district(province: Unit, name: str, *, with_recused: bool) -> District:
    unit = UnitFactory(kind=UnitKind.DISTRICT, parent=province, name=f"Huyện {name}")
    commune = UnitFactory(kind=UnitKind.COMMUNE, parent=unit, name=f"Xã {name} Đông")
    hamlet = UnitFactory(kind=UnitKind.HAMLET, parent=commune, name=f"Xóm {name} Thượng")
    board = BoardFactory(unit=unit, quorum=3)
    chair = board_person(board, Role.CHAIR, unit=unit)
    secretary = board_person(board, Role.SECRETARY, unit=unit)
    members = [board_person(board, Role.MEMBER, unit=unit) for _ in range(2)]
    recused_member = None
    if with_recused:
        # Sits on the district board but works in the commune that owns the initiatives.
        recused_member = board_person(board, Role.MEMBER, unit=commune)
    return District(
        unit=unit,
        board=board,
        chair=chair,
        secretary=secretary,
        members=members,
        commune=commune,
        hamlet=hamlet,
        official=unit_official(commune),
        district_official=unit_official(unit),
        recused_member=recused_member,
    )


def build_world() -> World:
    province = UnitFactory(kind=UnitKind.PROVINCE, name="Tỉnh Cao Bằng")
    province_board = BoardFactory(unit=province, quorum=3)
    return World(
        province=province,
        province_board=province_board,
        province_chair=board_person(province_board, Role.CHAIR, unit=province),
        province_secretary=board_person(province_board, Role.SECRETARY, unit=province),
        province_member=board_person(province_board, Role.MEMBER, unit=province),
        district=build_district(province, "Hòa An", with_recused=True),
        sibling=build_district(province, "Hà Quảng", with_recused=False),
    )
