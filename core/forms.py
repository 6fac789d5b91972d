"""The base of every web form: text fields refuse control characters (``core.text``), the
same rule as the importers and the API's input serializers."""

from __future__ import annotations

from collections import OrderedDict

from django import forms
from django.utils.safestring import SafeString
from django.utils.translation import get_language

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


# The HTML of unbound forms: rendering a form is a millisecond or two of a page's CPU, spent
# again on every page that shows it, though an unbound form renders the same for the same
# class, language, choices and initial values. Kept per process, the oldest dropped first.
_FORM_HTML: OrderedDict[tuple, SafeString] = OrderedDict()
FORM_HTML_KEPT = 1024


def form_html(form: forms.BaseForm) -> SafeString:
    """``str(form)``, from the HTML rendered for an equal unbound form before. A bound form
    (its values, its errors), or one whose choices come from the database, renders afresh."""
    if form.is_bound or any(isinstance(f, forms.ModelChoiceField) for f in form.fields.values()):
        return form.render()
    key = (
        type(form),
        form.auto_id,
        form.prefix,
        get_language(),
        tuple(
            (name, tuple((str(value), str(label)) for value, label in field.choices))
            for name, field in form.fields.items()
            if isinstance(field, forms.ChoiceField)
        ),
        tuple(sorted((name, str(value)) for name, value in form.initial.items())),
    )
    html = _FORM_HTML.get(key)
    if html is None:
        html = _FORM_HTML[key] = form.render()
        if len(_FORM_HTML) > FORM_HTML_KEPT:
            _FORM_HTML.popitem(last=False)
    return html
