"""Services that write unit indicators and targets. Each runs in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, NotAllowed
from core.models import (
    PATH_SEPARATOR,
    BoardMember,
    Phase,
    Role,
    SteeringBoard,
    Unit,
    UnitRole,
    User,
)

from .models import (
    SHARE_KINDS,
    Indicator,
    IndicatorValueKind,
    Target,
    TargetKind,
    UnitIndicator,
)

# Who sets a board's targets (the issue: the board's secretary or chair).
TARGET_SETTERS = (Role.SECRETARY, Role.CHAIR)


def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(step, 16) for step in unit.path.split(PATH_SEPARATOR) if step]


def may_record_indicators(*, user: User, unit: Unit) -> bool:
    """A unit's officials (or those of a unit above it) and the members of an active board of
    a unit above it record the unit's indicators."""
    if not user.is_authenticated or not user.is_active or not unit.path:
        return False
    above = _ancestor_ids(unit)
    if UnitRole.objects.filter(user=user, role=Role.OFFICIAL, unit_id__in=above).exists():
        return True
    return BoardMember.objects.filter(
        user=user, board__unit_id__in=above, board__is_active=True
    ).exists()


def may_set_targets(*, user: User, board: SteeringBoard) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return BoardMember.objects.filter(
        user=user, board=board, board__is_active=True, role__in=TARGET_SETTERS
    ).exists()


def check_indicator_value(*, indicator: Indicator, value: Decimal) -> None:
    if indicator.value_kind == IndicatorValueKind.YES_NO and value not in (0, 1):
        raise InvalidInput(
            _("The indicator “%(name)s” takes yes (1) or no (0).") % {"name": indicator.name}
        )
    if indicator.value_kind == IndicatorValueKind.PERCENT and not (0 <= value <= 100):
        raise InvalidInput(_("A percentage lies between 0 and 100."))
    if value < 0:
        raise InvalidInput(_("The value cannot be negative."))


def check_indicator_unit(*, indicator: Indicator, unit: Unit) -> None:
    if not indicator.is_active:
        raise InvalidInput(_("The indicator “%(name)s” is not in use.") % {"name": indicator.name})
    if indicator.unit_kind and unit.kind != indicator.unit_kind:
        raise InvalidInput(
            _("The indicator “%(name)s” is recorded for units of the kind “%(kind)s”.")
            % {"name": indicator.name, "kind": indicator.get_unit_kind_display()}
        )


def check_year(year: int) -> None:
    if not (1990 <= year <= timezone.localdate().year + 1):
        raise InvalidInput(_("The year %(year)s is not plausible.") % {"year": year})


@transaction.atomic
def indicator_record(
    *,
    actor: User | None,
    unit: Unit,
    indicator: Indicator,
    year: int,
    value: Decimal,
) -> UnitIndicator:
    """Record (or correct) a unit's value of an indicator for a year. ``actor`` None is a
    trusted caller (an import, the demo)."""
    if actor is not None and not may_record_indicators(user=actor, unit=unit):
        raise NotAllowed(
            _("Only the unit's officials or a board above it record the unit's indicators.")
        )
    check_indicator_unit(indicator=indicator, unit=unit)
    check_year(year)
    value = Decimal(value)
    check_indicator_value(indicator=indicator, value=value)
    row, _created = UnitIndicator.objects.update_or_create(
        unit=unit,
        indicator=indicator,
        year=year,
        defaults={"value": value, "recorded_by": actor, "recorded_at": timezone.now()},
    )
    return row


@dataclass(frozen=True)
class IndicatorValue:
    unit_id: int
    indicator_id: int
    year: int
    value: Decimal


@transaction.atomic
def indicator_values_record_bulk(*, values: Sequence[IndicatorValue]) -> tuple[int, int]:
    """Write checked values (the importer's), creating or updating by (unit, indicator,
    year); returns (created, updated)."""
    if not values:
        return 0, 0
    existing = {
        (row.unit_id, row.indicator_id, row.year): row
        for row in UnitIndicator.objects.filter(
            unit_id__in={v.unit_id for v in values},
            indicator_id__in={v.indicator_id for v in values},
        )
    }
    now = timezone.now()
    new, changed = [], []
    for v in values:
        row = existing.get((v.unit_id, v.indicator_id, v.year))
        if row is None:
            new.append(
                UnitIndicator(
                    unit_id=v.unit_id,
                    indicator_id=v.indicator_id,
                    year=v.year,
                    value=v.value,
                    recorded_at=now,
                )
            )
        elif row.value != v.value:
            row.value, row.recorded_at, row.recorded_by = v.value, now, None
            changed.append(row)
    UnitIndicator.objects.bulk_create(new, batch_size=1000)
    UnitIndicator.objects.bulk_update(
        changed, ["value", "recorded_at", "recorded_by"], batch_size=1000
    )
    return len(new), len(changed)


@transaction.atomic
def target_set(
    *,
    actor: User | None,
    board: SteeringBoard,
    phase: Phase,
    kind: str,
    value: Decimal,
    unit_kind: str = "",
    indicator: Indicator | None = None,
) -> Target:
    """Set (or change) one of the phase's targets of ``board``'s subtree. ``actor`` None is
    a trusted caller (the demo)."""
    if actor is not None and not may_set_targets(user=actor, board=board):
        raise NotAllowed(_("Only the board's secretary or chair sets its targets."))
    if kind not in TargetKind.values:
        raise InvalidInput(_("Unknown kind of target “%(kind)s”.") % {"kind": kind})
    value = Decimal(value)
    if value < 0 or (kind in SHARE_KINDS and value > 100):
        raise InvalidInput(_("A share lies between 0 and 100; a number cannot be negative."))
    if kind == TargetKind.INDICATOR_SHARE:
        if indicator is None:
            raise InvalidInput(_("Choose the indicator the target counts."))
        if (
            indicator.value_kind == IndicatorValueKind.YES_NO
            and indicator.unit_kind
            and unit_kind
            and unit_kind != indicator.unit_kind
        ):
            raise InvalidInput(
                _("The indicator “%(name)s” is recorded for another kind of unit.")
                % {"name": indicator.name}
            )
        unit_kind = unit_kind or indicator.unit_kind
    else:
        indicator = None
    if kind in (TargetKind.INITIATIVES, TargetKind.RECOGNISED_SHARE, TargetKind.COMMENDATIONS):
        unit_kind = ""
    # One row per key: lock the board's targets so two requests cannot both insert.
    list(Target.objects.select_for_update().filter(board=board, phase=phase))
    target = Target.objects.filter(
        board=board, phase=phase, kind=kind, unit_kind=unit_kind, indicator=indicator
    ).first()
    if target is None:
        target = Target(
            board=board, phase=phase, kind=kind, unit_kind=unit_kind, indicator=indicator
        )
    target.value = value
    target.set_by = actor
    target.set_at = timezone.now()
    target.save()
    return target


@transaction.atomic
def target_remove(*, actor: User | None, target: Target) -> None:
    if actor is not None and not may_set_targets(user=actor, board=target.board):
        raise NotAllowed(_("Only the board's secretary or chair sets its targets."))
    Target.objects.filter(pk=target.pk).delete()
