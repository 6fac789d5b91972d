"""The web lists' tables (django-tables2): their columns, Vietnamese headers, sortable
columns and the values their exports write."""

from __future__ import annotations

import django_tables2 as tables
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core import listing
from documents.models import CertificateStatus
from workflows import selectors

NUM = {"th": {"class": "num"}, "td": {"class": "num"}}
CODE = {"td": {"class": "text-nowrap"}}
WIDE = {"td": {"class": "title"}}


class InitiativeTable(tables.Table):
    code = tables.Column(
        verbose_name=_("Code"),
        linkify=("workflows:initiative-detail", {"pk": tables.A("pk")}),
        attrs=CODE,
    )
    title = tables.Column(verbose_name=_("Title"), attrs=WIDE)
    unit = tables.Column(
        verbose_name=_("Unit"), accessor="owner_unit__name", order_by=("owner_unit__name",)
    )
    owner_name = tables.Column(verbose_name=_("Owner"), empty_values=(), default="")
    kind = tables.Column(verbose_name=_("Kind"))
    fields = tables.Column(verbose_name=_("Fields"), empty_values=(), orderable=False)
    phase = tables.Column(verbose_name=_("Phase"), order_by=("phase__code",))
    status = tables.Column(verbose_name=_("Status"))
    registered_on = listing.DateColumn(
        verbose_name=_("Registered on"), order_by=("registered_on", "pk")
    )

    class Meta:
        empty_text = _("No initiatives.")
        order_by = ("-registered_on",)

    def paginate(self, *args, **kwargs):
        """The page's rows come without their fields prefetched: the names of the whole
        page's fields are read in one query (``_page_field_names``), where a prefetch built
        a manager and a model instance per row and field. An export (every row, no page)
        keeps the prefetch."""
        super().paginate(*args, **kwargs)
        rows = self.page.object_list  # django-tables2's BoundRows over the page's slice
        if isinstance(rows.data, QuerySet):
            rows.data = rows.data.prefetch_related(None)
        self._field_names = None

    def _page_field_names(self) -> dict[int, str]:
        if getattr(self, "_field_names", None) is None:
            ids = [record.pk for record in self.page.object_list.data]
            self._field_names = selectors.initiative_field_names(initiative_ids=ids)
        return self._field_names

    def render_fields(self, record):
        if "fields" in getattr(record, "_prefetched_objects_cache", {}):
            return "; ".join(field.name for field in record.fields.all())
        return self._page_field_names().get(record.pk, "")

    def value_fields(self, record):
        return self.render_fields(record)

    def render_owner_name(self, record):
        return record.owner_name or "–"

    def value_owner_name(self, record):
        return record.owner_name


class DecisionTable(tables.Table):
    number = tables.Column(
        verbose_name=pgettext_lazy("decision", "Number"),
        linkify=("documents:decision", {"pk": tables.A("pk")}),
        order_by=("year", "sequence"),
        default="–",
        attrs=CODE,
    )
    title = tables.Column(verbose_name=_("Subject"), attrs=WIDE)
    issuer = tables.Column(
        verbose_name=_("Issuing body"), accessor="issuer__name", order_by=("issuer__name",)
    )
    kind = tables.Column(verbose_name=_("Kind"))
    status = tables.Column(verbose_name=_("Status"))
    issued_on = listing.DateColumn(verbose_name=_("Issued on"), default="–")
    year = tables.Column(verbose_name=_("Year"), attrs=NUM, default="–")

    class Meta:
        empty_text = _("No decisions.")
        order_by = ("-issued_on",)


class CommendationTable(tables.Table):
    """The register of commendations (sổ theo dõi khen thưởng) in the columns of a clerk's
    book: number in the register, decision number and date, award, recipient, unit, what
    they were commended for, a note; then the issuing body and the initiative."""

    register_number = tables.Column(
        verbose_name=_("Register number"),
        order_by=("register_year", "register_sequence"),
        default="–",
        attrs=CODE,
    )
    decision_number = tables.Column(verbose_name=_("Decision"), attrs=CODE)
    decision_date = listing.DateColumn(verbose_name=_("Decision date"))
    award = tables.Column(verbose_name=_("Award"))
    recipient_name = tables.Column(verbose_name=_("Recipient"), attrs=WIDE)
    recipient_kind = tables.Column(verbose_name=_("Recipient kind"))
    unit = tables.Column(verbose_name=_("Unit"), accessor="unit__name", order_by=("unit__name",))
    citation = tables.Column(verbose_name=_("Citation"), orderable=False, default="", attrs=WIDE)
    note = tables.Column(
        verbose_name=pgettext_lazy("register", "Note"), empty_values=(), orderable=False
    )
    issuer = tables.Column(
        verbose_name=_("Issuing body"), accessor="issuer__name", order_by=("issuer__name",)
    )
    initiative = tables.Column(
        verbose_name=_("Initiative"),
        accessor="initiative__code",
        order_by=("initiative__code",),
        default="–",
        linkify=lambda record: (
            reverse("workflows:initiative-detail", args=[record.initiative_id])
            if record.initiative_id
            else None
        ),
    )

    class Meta:
        empty_text = _("No commendations.")
        order_by = ("-decision_date",)

    def render_note(self, record):
        return self.value_note(record) or "–"

    def value_note(self, record):
        """What the register's note column says of the certificate: revoked and why, or
        reissued in place of another number."""
        if record.certificate_status == CertificateStatus.REVOKED:
            return gettext("Certificate revoked: %(reason)s") % {"reason": record.revoked_reason}
        if record.replaces_number:
            return gettext("Reissued in place of no. %(number)s") % {
                "number": record.replaces_number
            }
        return ""


class UnitTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Name"), attrs=WIDE)
    kind = tables.Column(verbose_name=_("Kind"))
    parent = tables.Column(
        verbose_name=_("Parent unit"), accessor="parent__name", order_by=("parent__name",)
    )
    initiatives = tables.Column(
        verbose_name=_("Initiatives"), empty_values=(), orderable=False, attrs=NUM
    )
    valid_to = listing.DateColumn(verbose_name=_("Valid to"), default="–")

    class Meta:
        empty_text = _("No units.")
        order_by = ("path",)

    def render_initiatives(self, record):
        url = reverse("workflows:initiative-list") + f"?unit={record.code}"
        return format_html('<a href="{}">{}</a>', url, _("Initiatives"))

    def value_initiatives(self, record):
        return ""

    export_exclude = ("initiatives",)


class CycleTable(tables.Table):
    board = tables.Column(
        verbose_name=_("Board"),
        accessor="board__name",
        order_by=("board__name",),
        linkify=("workflows:cycle-detail", {"pk": tables.A("pk")}),
        attrs=WIDE,
    )
    year = tables.Column(verbose_name=_("Year"))
    phase = tables.Column(verbose_name=_("Phase"), order_by=("phase__code",))
    report_due = listing.DateColumn(verbose_name=_("Reports due"))
    pass_mark = tables.Column(verbose_name=_("Pass mark"), attrs=NUM)
    status = tables.Column(verbose_name=_("Status"))
    report_count = tables.Column(verbose_name=_("Annual reports"), attrs=NUM)

    class Meta:
        empty_text = _("No review cycles.")
        order_by = ("-year",)
