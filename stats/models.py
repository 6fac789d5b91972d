"""Unit indicators (what the published reports count about units) and a phase's targets.

Only ``stats`` writes these models, through ``stats.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import UnitKind


class IndicatorValueKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes or no")
    PERCENT = "percent", _("Percentage")
    NUMBER = "number", _("Number")


class Indicator(models.Model):
    """One item of the catalogue of unit indicators (the admin extends it): "has a
    mass-mobilisation regulation and plan", "has a mobilisation team"..."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=255, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    value_kind = models.CharField(
        _("kind of value"),
        max_length=16,
        choices=IndicatorValueKind.choices,
        default=IndicatorValueKind.YES_NO,
    )
    unit_kind = models.CharField(
        _("kind of unit"),
        max_length=16,
        choices=UnitKind.choices,
        blank=True,
        help_text=_("The kind of unit it is recorded for; blank for any."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit indicator")
        verbose_name_plural = _("unit indicators")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class UnitIndicator(models.Model):
    """A unit's value of an indicator in a year: 1/0 for yes/no, else the number."""

    unit = models.ForeignKey(
        "core.Unit", verbose_name=_("unit"), on_delete=models.CASCADE, related_name="indicators"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="values"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["unit", "indicator", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "indicator", "year"], name="unit_indicator_year"
            ),
        ]
        indexes = [models.Index(fields=["indicator", "year"], name="unit_indicator_by_year")]

    def __str__(self) -> str:
        return f"{self.unit_id} – {self.indicator_id} – {self.year}: {self.value}"


class TargetKind(models.TextChoices):
    BOARD_SHARE = "board_share", _("Share of units of a kind with a steering board")
    INDICATOR_SHARE = "indicator_share", _("Share of units of a kind with an indicator")
    REGISTERING_SHARE = (
        "registering_share",
        _("Share of units of a kind that registered an initiative in the phase"),
    )
    INITIATIVES = "initiatives", _("Number of initiatives registered")
    RECOGNISED_SHARE = "recognised_share", _("Share of initiatives recognised")
    COMMENDATIONS = "commendations", _("Number of commendations")


# Targets measured as a percentage; the others are counts.
SHARE_KINDS = (
    TargetKind.BOARD_SHARE,
    TargetKind.INDICATOR_SHARE,
    TargetKind.REGISTERING_SHARE,
    TargetKind.RECOGNISED_SHARE,
)


class Target(models.Model):
    """A phase's target (chỉ tiêu) a board sets for its unit's subtree."""

    board = models.ForeignKey(
        "core.SteeringBoard",
        verbose_name=_("board"),
        on_delete=models.CASCADE,
        related_name="targets",
    )
    phase = models.ForeignKey(
        "core.Phase", verbose_name=_("phase"), on_delete=models.PROTECT, related_name="targets"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=TargetKind.choices)
    unit_kind = models.CharField(
        _("kind of unit"), max_length=16, choices=UnitKind.choices, blank=True
    )
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    value = models.DecimalField(
        _("target value"),
        max_digits=12,
        decimal_places=2,
        help_text=_("A percentage for shares, a number for counts."),
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["board", "phase", "kind", "id"]
        # ``indicator`` is null for most kinds and NULLs are distinct in a unique index:
        # ``stats.services.target_set`` keeps one row per key under a row lock.
        constraints = [
            models.UniqueConstraint(
                fields=["board", "phase", "kind", "unit_kind", "indicator"],
                name="target_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="target_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
