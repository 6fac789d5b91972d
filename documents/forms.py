"""Forms of the documents pages: a body's legal bases and its certificate layouts."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import CleanTextForm

from .models import CertificateLayout, PageSize
from .rendering import BLANK_FIELD_LABELS, BLANK_FIELDS_A4, PAGE_MM

POSITION_KEYS = {"x": _("left (mm)"), "y": _("top (mm)"), "width": _("width (mm)"), "size": "pt"}


class LegalBasesForm(CleanTextForm):
    """One "Căn cứ …" per line; the final ";" and "." are added when a decision is written."""

    recognition = forms.CharField(
        label=_("Legal bases of recognition decisions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One per line, in printed order."),
    )
    commendation = forms.CharField(
        label=_("Legal bases of commendation decisions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text=_("One per line, in printed order."),
    )

    def lines(self, kind: str) -> list[str]:
        return [line.strip() for line in self.cleaned_data[kind].splitlines() if line.strip()]


class CertificateLayoutForm(CleanTextForm):
    """The page size, the offsets and each field's box on a blank, in millimetres."""

    page_size = forms.ChoiceField(label=_("Page size"), choices=PageSize.choices)
    blank_has_title = forms.BooleanField(
        label=_("The blank carries the award's title"), required=False
    )
    offset_x_mm = forms.DecimalField(
        label=_("Shift everything right (mm)"), max_digits=5, decimal_places=1, initial=0
    )
    offset_y_mm = forms.DecimalField(
        label=_("Shift everything down (mm)"), max_digits=5, decimal_places=1, initial=0
    )

    def __init__(self, *args, layout: CertificateLayout, **kwargs):
        scale = PAGE_MM[layout.page_size][0] / PAGE_MM["A4"][0]
        initial = {
            "page_size": layout.page_size,
            "blank_has_title": layout.blank_has_title,
            "offset_x_mm": layout.offset_x_mm,
            "offset_y_mm": layout.offset_y_mm,
        }
        for name, default in BLANK_FIELDS_A4.items():
            stored = (layout.fields or {}).get(name, {})
            for key in POSITION_KEYS:
                initial[f"{name}__{key}"] = round(stored.get(key, default[key] * scale), 1)
        super().__init__(*args, initial=initial, **kwargs)
        for name in BLANK_FIELDS_A4:
            for key, label in POSITION_KEYS.items():
                self.fields[f"{name}__{key}"] = forms.DecimalField(
                    label=f"{BLANK_FIELD_LABELS[name]}: {label}",
                    max_digits=6,
                    decimal_places=1,
                    min_value=0,
                )

    def rows(self) -> list[dict]:
        return [
            {
                "label": BLANK_FIELD_LABELS[name],
                "cells": [self[f"{name}__{k}"] for k in POSITION_KEYS],
            }
            for name in BLANK_FIELDS_A4
        ]

    def positions(self) -> dict[str, dict]:
        data = self.cleaned_data
        return {
            name: {key: float(data[f"{name}__{key}"]) for key in POSITION_KEYS}
            for name in BLANK_FIELDS_A4
        }
