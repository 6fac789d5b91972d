"""The statistics tables' rows, written in Python: a province's drill-down has a row per
child unit and a dozen cells each, and the template language's loops and conditions per cell
were half of the dashboard's CPU."""

from __future__ import annotations

from urllib.parse import quote

from django import template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _nth_or_last(items, index: int):
    """``items|slice:index+1|last`` of the template language: the item at ``index``, the last
    one when the list is shorter, "" when it is empty."""
    head = list(items[: index + 1])
    return head[-1] if head else ""


@register.simple_tag
def table_rows(table, drill=False, drill_codes=None, period_query="", progress=None) -> SafeString:
    """The ``<tr>`` rows of ``table``: the first cell a row header (a link one level down
    the tree when ``drill``), numbers classed ``n``, a cell's link to the list it counts, and
    the progress bar of a target under its last cell."""
    period = f"&amp;{conditional_escape(period_query)}" if period_query else ""
    parts: list[str] = []
    for index, row in enumerate(table.rows):
        parts.append("<tr>")
        last = len(row) - 1
        for position, cell in enumerate(row):
            text = conditional_escape(cell.text)
            if position == 0:
                if drill and drill_codes:
                    code = escape(quote(str(_nth_or_last(drill_codes, index)), safe="/"))
                    parts.append(f'<th scope="row"><a href="?unit={code}{period}">{text}</a></th>')
                else:
                    parts.append(f'<th scope="row">{text}</th>')
                continue
            parts.append(f'<td class="{"n" if cell.is_number else ""}">')
            if cell.href:
                parts.append(f'<a href="{conditional_escape(cell.href)}">{text}</a>')
            else:
                parts.append(str(text))
            if progress and position == last:
                parts.append(f"<br>{conditional_escape(_nth_or_last(progress, index))}")
            parts.append("</td>")
        parts.append("</tr>")
    return mark_safe("".join(parts))  # every value above is escaped
