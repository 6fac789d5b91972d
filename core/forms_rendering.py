"""How every Django form of the web UI renders: Bootstrap 5 classes on each widget, the
field wrapped with its label, help and errors, and a summary of all the form's errors at
its top (so a long form on a phone says at once everything that is wrong).

Set as ``FORM_RENDERER``; Django 5.2's ``bound_field_class`` lets one class add the widget
classes instead of every form repeating ``attrs={"class": ...}``.
"""

from __future__ import annotations

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _


def widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


class BootstrapBoundField(forms.BoundField):
    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, forms.HiddenInput):
            return attrs
        if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
            # The class would land on the options' wrapper too; app.css styles the
            # options of a .choice-list instead.
            return attrs
        classes = [attrs.get("class", ""), widget_class(widget)]
        if self.errors:
            classes.append("is-invalid")
            attrs.setdefault("aria-invalid", "true")
        attrs["class"] = " ".join(c for c in classes if c)
        if isinstance(widget, forms.Textarea) and str(attrs.get("rows")) == "10":
            attrs["rows"] = 4  # Django's default of 10 rows fills a phone's screen
        if isinstance(widget, forms.DateInput) and not isinstance(widget, forms.DateTimeInput):
            # Dates are typed the Vietnamese way; the placeholder says how.
            attrs.setdefault("placeholder", _("dd/mm/yyyy"))
            attrs.setdefault("inputmode", "numeric")
            attrs.setdefault("autocomplete", "off")
            # dvk/datepicker.js adds a calendar button; the value is the button's label.
            attrs.setdefault("data-date-picker", _("Choose a date from the calendar"))
        return attrs

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        # Labels stand above their fields: no trailing colon.
        return super().label_tag(contents, attrs, "" if label_suffix is None else label_suffix, tag)

    def legend_tag(self, contents=None, attrs=None, label_suffix=None):
        return super().legend_tag(contents, attrs, "" if label_suffix is None else label_suffix)

    @property
    def is_choice_list(self) -> bool:
        return isinstance(self.field.widget, (forms.RadioSelect, forms.CheckboxSelectMultiple))

    @property
    def is_checkbox(self) -> bool:
        return isinstance(self.field.widget, forms.CheckboxInput)


class BootstrapFormRenderer(DjangoTemplates):
    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"
    bound_field_class = BootstrapBoundField
