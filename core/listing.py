"""What every list page of the web UI shares: accent-insensitive search (``q``), sorting by
column (``sort``), page size (``per_page``), page (``page``), and export of exactly what the
filters select (``export=xlsx|csv``), with django-tables2 for the table and tablib for the
files.

A bad parameter (``?page=abc``, ``?sort=nonsense``, ``?per_page=7``) never changes the rows
silently: the page says what it ignored and shows the default instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import django_tables2 as tables
import tablib
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _
from django_tables2.utils import signature

from .forms import CleanTextForm

PER_PAGE_CHOICES = (10, 25, 50, 100)
DEFAULT_PER_PAGE = 25
EXPORT_FORMATS = ("xlsx", "csv")
# A spreadsheet program runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


# A list filter left empty means "all": its empty choice says so ("Tất cả").
ANY_LABEL = pgettext_lazy("filter", "All")


def any_of(choices) -> list[tuple[str, object]]:
    """A filter's choices with the empty "all" choice first."""
    return [("", ANY_LABEL), *choices]


# --- the list's parameters -----------------------------------------------------------------


class ListControlsForm(CleanTextForm):
    """The parameters every list takes besides its own filters."""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    per_page = forms.TypedChoiceField(
        label=gettext_lazy("Rows per page"),
        required=False,
        coerce=int,
        choices=[(n, str(n)) for n in PER_PAGE_CHOICES],
    )


@dataclass
class ListState:
    q: str = ""
    per_page: int = DEFAULT_PER_PAGE
    notices: list[str] = field(default_factory=list)


def list_controls(request: HttpRequest) -> tuple[ListControlsForm, ListState]:
    form = ListControlsForm(request.GET)
    state = ListState()
    if form.is_valid():
        state.q = form.cleaned_data["q"].strip()
        state.per_page = form.cleaned_data["per_page"] or DEFAULT_PER_PAGE
    else:
        if "per_page" in form.errors:
            state.notices.append(
                _("The page size “%(value)s” is not one of %(choices)s; showing %(default)s.")
                % {
                    "value": request.GET.get("per_page", ""),
                    "choices": ", ".join(map(str, PER_PAGE_CHOICES)),
                    "default": DEFAULT_PER_PAGE,
                }
            )
        if "q" in form.errors:
            state.notices.append(_("The search text is too long; it was ignored."))
        elif form.cleaned_data.get("q"):
            state.q = form.cleaned_data["q"].strip()
    return form, state


def filter_notices(form: forms.Form) -> list[str]:
    """A filter form's errors as notices: the filter is ignored and the page says why."""
    if form.is_bound and not form.is_valid():
        return [
            _("Filter “%(label)s” ignored: %(error)s")
            % {"label": form.fields[name].label if name in form.fields else name, "error": error}
            for name, errors in form.errors.items()
            for error in errors
        ]
    return []


# The rendered fields of an unbound filter form, kept this long (the key changes with any
# choice, so this only bounds the memory of keys no longer used).
FILTER_FIELDS_CACHE_SECONDS = 24 * 3600


def _filter_fields_key(form: forms.Form) -> str:
    """A key for what an unbound filter form renders: its class, the language and every
    choice of its fields (a model choice field's from the database: a field or phase
    added, renamed or removed makes a new key, so the cache never serves stale options)."""
    parts = [type(form).__module__, type(form).__qualname__, get_language() or ""]
    for name, form_field in form.fields.items():
        choices = getattr(form_field, "choices", None)
        if choices is None:
            continue
        parts.append(name)
        if isinstance(form_field, forms.ModelChoiceField):
            # What its choices iterate, read in one query: iterating them opens a
            # server-side cursor on PostgreSQL (three round trips for a dozen rows).
            if form_field.empty_label is not None:
                parts.append(f"\x1f{form_field.empty_label}")
            parts.extend(
                f"{form_field.prepare_value(obj)}\x1f{form_field.label_from_instance(obj)}"
                for obj in list(form_field.queryset)
            )
        else:
            parts.extend(f"{value}\x1f{label}" for value, label in choices)
    digest = hashlib.sha256("\x1e".join(map(str, parts)).encode()).hexdigest()
    return f"listing:filter-fields:{digest}"


def filter_fields_html(form: forms.Form | None) -> SafeString:
    """A list's filter fields, rendered. Widgets render through a template each (a select,
    each of its options, its label and help), the costliest part of a list page after its
    rows; an unbound form (the list as first opened) renders the same for every user, so
    its HTML is cached under ``_filter_fields_key``."""
    if form is None:
        return mark_safe("")
    if form.is_bound:
        return render_to_string("core/_filter_fields.html", {"filter_form": form})
    key = _filter_fields_key(form)
    html = cache.get(key)
    if html is None:
        html = render_to_string("core/_filter_fields.html", {"filter_form": form})
        cache.set(key, str(html), FILTER_FIELDS_CACHE_SECONDS)
    return mark_safe(html)


# --- tables --------------------------------------------------------------------------------


def configure(request: HttpRequest, table: tables.Table, state: ListState) -> None:
    """Sort by ``?sort=`` (a sortable column's name, ``-`` for descending) and paginate by
    ``?page=``; bad values are reported in ``state.notices`` and the defaults used."""
    sort = request.GET.get("sort", "")
    if sort:
        name = sort.removeprefix("-")
        column = table.columns[name] if name in table.columns.names() else None
        if column is None or not column.orderable:
            state.notices.append(
                _("Cannot sort by “%(value)s”; the default order is shown.") % {"value": sort}
            )
        else:
            table.order_by = sort
    page = request.GET.get("page", "1")
    try:
        table.paginate(page=page, per_page=state.per_page)
    except PageNotAnInteger:
        state.notices.append(
            _("“%(value)s” is not a page number; the first page is shown.") % {"value": page}
        )
        table.paginate(page=1, per_page=state.per_page)
    except EmptyPage:
        table.paginate(page=1, per_page=state.per_page)
        state.notices.append(
            _("There is no page %(value)s (the last is %(last)s); the first page is shown.")
            % {"value": page, "last": table.paginator.num_pages}
        )


class DateColumn(tables.Column):
    """A date in Django's short format (``SHORT_DATE_FORMAT``), ``default`` when empty.

    django-tables2's ``DateColumn`` renders a template for every cell; this is the same
    text from the ``date`` filter called directly."""

    def render(self, value):
        return date_filter(value, "SHORT_DATE_FORMAT") or self.default


class _ColumnPlan:
    """What a column's cells need, worked out once per table rather than once per cell:
    django-tables2 inspects the render method's signature, rebuilds the column's
    attributes and looks the accessor up through exceptions for every cell (about half of
    a list page's CPU). The cells' content is the same as its ``row.items``."""

    def __init__(self, bound_column):
        self.bound = bound_column
        self.column = bound_column.column
        self.css = bound_column.attrs["td"].get("class") or ""
        args, catch_all = signature(bound_column.render)
        self.args = None if catch_all else args
        self.default = bound_column.default
        accessor = tables.A(bound_column.accessor)
        self.accessor = accessor
        self.path = tuple(accessor.bits[:-1])
        self.last = accessor.bits[-1] if accessor.bits else ""
        # Per model class: the labels of a field with choices, which django-tables2 shows
        # (``get_FOO_display``) instead of the stored value; None for other fields.
        self.displays: dict[type, dict | None] = {}
        self.url = _url_template(bound_column.link)
        self.value_unused = (
            self.args is not None and "value" not in self.args and not self.column.empty_values
        )

    def render(self, row, value=None):
        bound = self.bound
        kwargs = {
            "value": value,
            "record": row.record,
            "column": self.column,
            "bound_column": bound,
            "bound_row": row,
            "table": row.table,
        }
        wanted = kwargs if self.args is None else {name: kwargs[name] for name in self.args}
        content = bound.render(**wanted)
        if not bound.link:
            return content
        if self.url is not None and (href := self.url.href(row.record)) is not None:
            return format_html('<a href="{}">{}</a>', href, content)
        return bound.link(content, **kwargs)

    def _choices(self, record: Model) -> dict | None:
        """The labels of the column's field's choices (None: not a choice field), built
        once per model rather than once per cell as ``get_FOO_display`` does."""
        model = type(record)
        if model not in self.displays:
            field = self.accessor.get_field(record)
            choices = getattr(field, "choices", None)
            self.displays[model] = dict(make_hashable(field.flatchoices)) if choices else None
        return self.displays[model]

    def cell(self, row) -> Any:
        record = row.record
        if self.value_unused:
            # A render method that takes no value, on a column where no value counts as
            # empty: the cell is the method's whatever the value (looking it up can cost,
            # e.g. a related manager).
            return self.render(row)
        if not isinstance(record, Model) or not self.last:
            return self._library_cell(row)
        owner = record
        for bit in self.path:
            owner = getattr(owner, bit, _MISSING)
            if owner is None or owner is _MISSING:
                break
        if owner is _MISSING or (owner is not None and not isinstance(owner, Model)):
            return self._library_cell(row)
        if owner is None:
            value = None
        elif (choices := self._choices(record)) is not None:
            # What get_FOO_display() gives, from the labels built once.
            raw = getattr(owner, self.last)
            value = force_str(choices.get(make_hashable(raw), raw), strings_only=True)
        else:
            value = getattr(owner, self.last, _MISSING)
            if value is _MISSING:
                return self._library_cell(row)
            if callable(value) and not getattr(value, "do_not_call_in_templates", False):
                return self._library_cell(row)
        if value in self.column.empty_values:
            return self.default
        return self.render(row, value)

    def _library_cell(self, row) -> Any:
        """django-tables2's own path, for records and accessors the lean one does not
        cover (dictionaries, methods, non-model objects)."""
        return row._get_and_render_with(
            self.bound,
            render_func=lambda _bound, value=None: self.render(row, value),
            default=self.default,
        )


_MISSING = object()


@dataclass(frozen=True)
class _UrlTemplate:
    """A ``linkify=(view name, {argument: A("field")})`` column's link, reversed once per
    table with a stand-in number per argument and filled per row: ``reverse`` per cell was
    a tenth of a list page's CPU."""

    url: str
    accessors: tuple[tuple[str, tables.A], ...]  # (stand-in, accessor)

    def href(self, record) -> str | None:
        """The row's URL, None when an argument is not a plain number (then django-tables2
        reverses it)."""
        url = self.url
        for stand_in, accessor in self.accessors:
            value = accessor.resolve(record, quiet=True)
            if type(value) is not int or value < 0:
                return None
            url = url.replace(stand_in, str(value))
        return url


_URL_STAND_IN = 918_273_645


def _url_template(link) -> _UrlTemplate | None:
    if not link or link.url is not None or link.attrs:
        return None
    reverse_args = link.reverse_args
    viewname, kwargs = reverse_args.get("viewname"), reverse_args.get("kwargs")
    if not isinstance(viewname, str) or not kwargs or set(reverse_args) != {"viewname", "kwargs"}:
        return None
    if not all(isinstance(value, tables.A) for value in kwargs.values()):
        return None
    stand_ins = {name: _URL_STAND_IN + i for i, name in enumerate(kwargs)}
    try:
        url = reverse(viewname, kwargs=stand_ins)
    except NoReverseMatch:  # an argument that is not a number
        return None
    if any(url.count(str(number)) != 1 for number in stand_ins.values()):
        return None
    return _UrlTemplate(url, tuple((str(stand_ins[name]), kwargs[name]) for name in kwargs))


def table_rows(table: tables.Table) -> list[list[tuple[str, Any]]]:
    """The current page's rows as (class, content) cells, the content django-tables2's
    ``row.items`` gives (choices' labels, ``render_<name>``, links, defaults)."""
    plans = [_ColumnPlan(column) for column in table.columns]
    return [[(plan.css, plan.cell(row)) for plan in plans] for row in table.paginated_rows]


def table_body(table: tables.Table) -> SafeString:
    """The ``<tbody>`` rows of the current page, written here rather than by a template
    loop (a list page's 250 cells cost the template engine a few milliseconds): each cell
    as ``{{ cell }}`` would print it (localised, escaped unless safe)."""
    rows = table_rows(table)
    if not rows:
        return format_html(
            '<tr><td colspan="{}">{}</td></tr>\n', len(table.columns), table.empty_text
        )
    context = Context(autoescape=True)
    out = []
    for row in rows:
        out.append("<tr>")
        for css, cell in row:
            value = render_value_in_context(cell, context)
            if css:
                out.append(f'<td class="{conditional_escape(css)}">{value}</td>')
            else:
                out.append(f"<td>{value}</td>")
        out.append("</tr>\n")
    return mark_safe("".join(out))  # noqa: S308 - every part escaped above


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _export_columns(table: tables.Table) -> list:
    exclude = set(getattr(table, "export_exclude", ()))
    return [column for column in table.columns if column.name not in exclude]


def _value(table: tables.Table, column, record) -> Any:
    """A cell's value as data (not its HTML): the table's ``value_<name>`` when it has one,
    else the column's field, with a choice's label and a related object's name."""
    custom = getattr(table, f"value_{column.name}", None)
    if custom is not None:
        return custom(record=record)
    value = column.accessor.resolve(record, quiet=True)
    model_field = column.accessor.get_field(record) if isinstance(record, Model) else None
    if model_field is not None and model_field.choices and value is not None:
        return dict(model_field.flatchoices).get(value, value)
    if isinstance(value, Model):
        return str(value)
    return value


def _cell(value: Any, fmt: str) -> Any:
    """XLSX keeps dates and numbers typed; CSV writes them the Vietnamese way."""
    if isinstance(value, Promise):
        return str(value)
    if fmt == "csv":
        if isinstance(value, dt.datetime):
            return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
        if isinstance(value, dt.date):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        if isinstance(value, (Decimal, float)):
            return formats.number_format(value)
    elif isinstance(value, dt.datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)  # a spreadsheet cell has no time zone
    return value


def export_format_error(fmt: str) -> HttpResponse | None:
    if fmt in EXPORT_FORMATS:
        return None
    return HttpResponse(
        _("Unknown export format “%(value)s”: use xlsx or csv.") % {"value": fmt[:20]},
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def too_many_rows(total: int) -> HttpResponse | None:
    limit = settings.LIST_EXPORT_MAX_ROWS
    if total <= limit:
        return None
    return HttpResponse(
        _("%(count)s rows are too many to export at once (at most %(limit)s): narrow the filters.")
        % {"count": total, "limit": limit},
        status=400,
        content_type="text/plain; charset=utf-8",
    )


@dataclass
class SortLink:
    name: str
    label: str
    href: str  # the query that sorts by this column (flipping the direction when it is on)
    active: bool
    descending: bool


@dataclass
class SortChoice:
    """The ``?sort=`` of a list that is not a django-tables2 table (the task list, the inbox):
    ``order`` is the ``order_by`` to apply (None: the list's default), ``links`` the headers'."""

    key: str
    order: list[str] | None
    links: dict[str, SortLink]


def sort_choice(request: HttpRequest, state: ListState, options: dict) -> SortChoice:
    """Read ``?sort=`` against ``options`` (name → (label, order_by fields)); ``-name`` sorts
    descending. A name not in ``options`` is reported in ``state.notices`` and ignored."""
    sort = request.GET.get("sort", "")
    name = sort.removeprefix("-")
    order = None
    if sort and name in options:
        descending = sort.startswith("-")
        order = [f"-{f}" if descending else f for f in options[name][1]]
        order.append("-pk" if descending else "pk")
    elif sort:
        state.notices.append(
            _("Cannot sort by “%(value)s”; the default order is shown.") % {"value": sort}
        )
        sort = ""
    base = sort_query(request)
    links = {}
    for option, (label, _fields) in options.items():
        active = sort.removeprefix("-") == option
        descending = active and sort.startswith("-")
        target = option if not active or descending else f"-{option}"
        href = "?" + (f"{base}&" if base else "") + f"sort={target}"
        links[option] = SortLink(option, str(label), href, active, descending)
    return SortChoice(key=sort, order=order, links=links)


def paginate(request: HttpRequest, items, state: ListState):
    """A Django page of ``items`` for ``?page=``; a bad page is reported and the first shown."""
    paginator = Paginator(items, state.per_page)
    value = request.GET.get("page", "1")
    try:
        return paginator.page(value)
    except PageNotAnInteger:
        state.notices.append(
            _("“%(value)s” is not a page number; the first page is shown.") % {"value": value}
        )
    except EmptyPage:
        state.notices.append(
            _("There is no page %(value)s (the last is %(last)s); the first page is shown.")
            % {"value": value, "last": paginator.num_pages}
        )
    return paginator.page(1)


def export_response(request: HttpRequest, table: tables.Table, *, name: str) -> HttpResponse | None:
    """``?export=xlsx|csv``: every row the filters select (not only the page), in the table's
    order, with the columns' (Vietnamese) headers; None when no export was asked."""
    fmt = request.GET.get("export", "")
    if not fmt:
        return None
    refused = export_format_error(fmt)
    if refused is not None:
        return refused
    sort = request.GET.get("sort", "")
    if sort and sort.removeprefix("-") in table.columns.names():
        if table.columns[sort.removeprefix("-")].orderable:
            table.order_by = sort
    refused = too_many_rows(len(table.rows))
    if refused is not None:
        return refused
    columns = _export_columns(table)
    rows = ([_value(table, column, record) for column in columns] for record in table.data)
    return rows_response(fmt, [str(column.header) for column in columns], rows, name=name)


def rows_response(fmt: str, headers: list[str], rows, *, name: str) -> HttpResponse:
    """An XLSX or CSV file of ``rows`` under ``headers``, formulas neutralised."""
    dataset = tablib.Dataset(headers=headers)
    for row in rows:
        dataset.append([neutralise(_cell(value, fmt)) for value in row])
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"{name}-{stamp}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(
            dataset.export("xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        # A byte-order mark, so that Excel reads the Vietnamese letters as UTF-8.
        response = HttpResponse(
            "\ufeff" + dataset.export("csv"), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def export_links(request: HttpRequest) -> dict[str, str]:
    """The current URL with ``export=xlsx`` / ``export=csv`` (and without ``page``)."""
    links = {}
    for fmt in EXPORT_FORMATS:
        query = request.GET.copy()
        query.pop("page", None)
        query["export"] = fmt
        links[fmt] = "?" + query.urlencode()
    return links


def sort_query(request: HttpRequest) -> str:
    """The current query without ``sort`` and ``page``: the column headers add their own."""
    query = request.GET.copy()
    for key in ("sort", "page", "export"):
        query.pop(key, None)
    return query.urlencode()


def page_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    for key in ("page", "after", "export"):
        query.pop(key, None)
    return query.urlencode()


def list_context(
    request: HttpRequest,
    table: tables.Table,
    state: ListState,
    *,
    controls: ListControlsForm,
    **extra,
) -> dict:
    sort = request.GET.get("sort", "")
    filter_form = extra.get("filter_form")
    active = 0
    if filter_form is not None:
        active = sum(1 for name in filter_form.fields if request.GET.get(name))
    return {
        "filters_active": active,
        "controls": controls,
        "per_page": state.per_page,
        "per_page_choices": PER_PAGE_CHOICES,
        "sort": sort if sort and sort.removeprefix("-") in table.columns.names() else "",
        "table": table,
        "body": table_body(table),
        "filter_fields": filter_fields_html(filter_form),
        "page": table.page,
        "notices": state.notices,
        "export": export_links(request),
        "sort_query": sort_query(request),
        "query": page_query(request),
        **extra,
    }
