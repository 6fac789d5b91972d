"""``core.forms.form_html``: an unbound form's HTML is rendered once per class, language,
choices and initial values, and is always what the form itself renders."""

from __future__ import annotations

from django import forms
from django.utils import translation

from core.forms import _FORM_HTML, CleanTextForm, form_html


class PartForm(CleanTextForm):
    note = forms.CharField(label="Ghi chú", required=False)
    part = forms.ChoiceField(label="Phần", required=False)

    def __init__(self, *args, parts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [("", "Hồ sơ"), *parts]


def test_an_unbound_forms_html_is_the_forms_own_and_follows_its_choices_and_initial():
    _FORM_HTML.clear()
    with translation.override("vi"):
        first = PartForm(parts=[("report-1", "Báo cáo 2024")])
        assert form_html(first) == first.render()
        assert len(_FORM_HTML) == 1
        again = form_html(PartForm(parts=[("report-1", "Báo cáo 2024")]))
        assert again == first.render() and len(_FORM_HTML) == 1  # served from the cache
        other = PartForm(parts=[("report-2", "Báo cáo 2025")])
        assert "Báo cáo 2025" in form_html(other) and len(_FORM_HTML) == 2
        chosen = PartForm(parts=[("report-1", "Báo cáo 2024")], initial={"part": "report-1"})
        html = form_html(chosen)
        assert html == chosen.render() and 'value="report-1" selected' in html
    with translation.override("en"):
        form_html(PartForm(parts=[("report-1", "Báo cáo 2024")]))
    assert len(_FORM_HTML) == 4  # a language of its own


def test_a_bound_form_renders_afresh_with_its_values_and_errors():
    _FORM_HTML.clear()
    bound = PartForm({"note": "x", "part": "nope"}, parts=[("report-1", "Báo cáo 2024")])
    assert not bound.is_valid()
    html = form_html(bound)
    assert html == bound.render()
    assert 'value="x"' in html and "nope" in html
    assert not _FORM_HTML
