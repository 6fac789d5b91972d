"""A district review cycle with pending annual reports, for the notifications tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from core.models import CycleStatus, InitiativeStatus, ReviewCycle, User
from core.tests.factories import InitiativeFactory
from workflows.models import AnnualReport
from workflows.tests.factories import (
    AnnualReportFactory,
    ReviewCycleFactory,
    World,
    build_world,
    unit_official,
)

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
REPORT_DUE = dt.date(2024, 10, 31)
EVALUATION_DUE = dt.date(2024, 11, 30)


def at(day: dt.date, hour: int = 8) -> dt.datetime:
    """8 o'clock (local time) on ``day``: when the working-hours scan runs."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=HANOI)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@dataclass
class Scenario:
    world: World
    cycle: ReviewCycle
    reports: list[AnnualReport]  # pending, owned by the district's commune
    official: User  # official of that commune
    second_official: User


def build_scenario(*, reports: int = 3, **cycle_kwargs) -> Scenario:
    world = build_world()
    district = world.district
    second_official = unit_official(district.commune, full_name="Lục Văn Thành")
    options = {
        "board": district.board,
        "year": 2024,
        "opens_on": dt.date(2024, 9, 1),
        "report_due": REPORT_DUE,
        "evaluation_due": EVALUATION_DUE,
        "decision_due": dt.date(2024, 12, 15),
        "status": CycleStatus.OPEN,
        "opened_at": at(dt.date(2024, 9, 1)),
    }
    options.update(cycle_kwargs)
    cycle = ReviewCycleFactory(**options)
    made = [
        AnnualReportFactory(
            cycle=cycle,
            initiative=InitiativeFactory(
                owner_unit=district.commune,
                status=InitiativeStatus.MONITORED,
                title=f"Mô hình “Dân vận khéo” xóm Nà Rụa {n + 1}",
                code=f"MH-{cycle.year}-{cycle.board_id:03d}{n + 1:03d}",
            ),
        )
        for n in range(reports)
    ]
    return Scenario(
        world=world,
        cycle=cycle,
        reports=made,
        official=district.official,
        second_official=second_official,
    )
