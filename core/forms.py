"""The base of every web form: text fields refuse control characters (``core.text``), the
same rule as the importers and the API's input serializers."""

from __future__ import annotations

from django import forms

from .text import refuse_control_characters


def _guard(fields) -> None:
    for field in fields.values():
        if isinstance(field, forms.CharField) and refuse_control_characters not in field.validators:
            field.validators.append(refuse_control_characters)


class CleanTextForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _guard(self.fields)


class CleanTextModelForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _guard(self.fields)
