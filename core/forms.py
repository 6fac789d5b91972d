"""The base of every web form: text fields refuse control characters (``core.text``), the
same rule as the importers and the API's input serializers."""

from __future__ import annotations

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


# The HTML of blank forms whose fields depend on nothing but the language (no choices read
# from the database, no initial values from the request or the date): rendering a form is
# a few milliseconds of a page's CPU, spent again on every page that shows it.
_BLANK_HTML: dict[tuple, SafeString] = {}


def blank_form_html(form_class: type[forms.BaseForm], *, auto_id: str) -> SafeString:
    """``str(form_class(auto_id=auto_id))``, rendered once per language."""
    key = (form_class, auto_id, get_language())
    html = _BLANK_HTML.get(key)
    if html is None:
        html = _BLANK_HTML[key] = form_class(auto_id=auto_id).render()
    return html
