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


@register.filter
def signer_lines(content):
    """The lines above a signature: ``signer.lines`` (snapshot version 2), or the
    authority and title of a version-1 snapshot."""
    signer = content.get("signer") or {}
    if signer.get("lines"):
        return signer["lines"]
    return [line for line in (signer.get("authority"), signer.get("title")) if line]


@register.filter
def box_style(box, shape=""):
    """Absolute position of a field on a blank, in millimetres (and its font size)."""
    if not box:
        return "display: none"
    style = f"left: {box['x']:.1f}mm; top: {box['y']:.1f}mm; width: {box['width']:.1f}mm;"
    if shape == "square":
        return style + f" height: {box['width']:.1f}mm;"
    return style + f" font-size: {box['size']:.1f}pt;"
