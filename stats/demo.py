"""The demo province's published unit figures and 2021-2025 targets (Cao Bằng).

"161/161 xã, phường, thị trấn thành lập Ban Chỉ đạo" follows from the demo's boards;
"140/161 xã … có quy chế, kế hoạch thực hiện Quy chế công tác dân vận" and "trên 89,4% xóm,
tổ dân phố thành lập tổ dân vận" are recorded here, for 2020; the province set for 2021-2025
"100% units with a regulation" and "over 60% of teams to the standard".
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from core.models import Phase, SteeringBoard, Unit, UnitKind

from . import services
from .models import Indicator, TargetKind, UnitIndicator

PROVINCE_CODE = "CB"
YEAR = 2020
COMMUNES_WITH_REGULATION = 140
HAMLETS_WITH_TEAM = Decimal("89.4")
TEAMS_TO_STANDARD = Decimal("60.0")


@transaction.atomic
def demo_statistics_seed() -> int:
    """Record the figures and targets unless they are there; returns rows written."""
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    if province is None:
        return 0
    indicators = {i.code: i for i in Indicator.objects.all()}
    regulation = indicators["mobilisation_regulation"]
    if UnitIndicator.objects.filter(unit__path__startswith=province.path).exists():
        return 0
    written = 0
    communes = list(
        Unit.objects.subtree_of(province).filter(kind=UnitKind.COMMUNE).order_by("code")
    )
    # Deterministic: every commune but 21 spread through the list has a regulation.
    without = {communes[i * len(communes) // 21].pk for i in range(21)}
    for commune in communes:
        services.indicator_record(
            actor=None,
            unit=commune,
            indicator=regulation,
            year=YEAR,
            value=Decimal(0 if commune.pk in without else 1),
        )
        written += 1
    for code, value in (
        ("hamlets_with_team", HAMLETS_WITH_TEAM),
        ("teams_to_standard", TEAMS_TO_STANDARD),
    ):
        services.indicator_record(
            actor=None, unit=province, indicator=indicators[code], year=YEAR, value=value
        )
        written += 1
    board = SteeringBoard.objects.filter(unit=province).first()
    phase = Phase.objects.filter(code="2021-2025").first()
    if board is not None and phase is not None:
        services.target_set(
            actor=None,
            board=board,
            phase=phase,
            kind=TargetKind.INDICATOR_SHARE,
            unit_kind=UnitKind.COMMUNE,
            indicator=regulation,
            value=Decimal(100),
        )
        services.target_set(
            actor=None,
            board=board,
            phase=phase,
            kind=TargetKind.INDICATOR_SHARE,
            indicator=indicators["teams_to_standard"],
            value=Decimal(60),
        )
        services.target_set(
            actor=None,
            board=board,
            phase=phase,
            kind=TargetKind.BOARD_SHARE,
            unit_kind=UnitKind.COMMUNE,
            value=Decimal(100),
        )
        written += 3
    return written
