from django import template

from documents.rendering import keep_ranges as _keep_ranges

register = template.Library()


@register.filter
def keep_ranges(value):
    """Escape and keep year ranges ("2016 - 2020") unbroken."""
    return _keep_ranges(str(value))


@register.filter
def paragraphs(value):
    """The non-empty lines of a multi-line text."""
    return [line.strip() for line in str(value).splitlines() if line.strip()]
