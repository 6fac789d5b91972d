"""Monitoring: progress reports by the owner and visits by the responsible boards."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput, NotAllowed
from core.events import emit_on_commit
from core.models import Initiative, User

from .. import events, takers
from ..models import MonitoringVisit, ProgressReport
from ._common import lock_initiative, require_monitored, required


@transaction.atomic
def progress_report_submit(*, actor: User, initiative: Initiative, text: str) -> ProgressReport:
    """The owner files a progress report while the initiative is monitored."""
    locked = lock_initiative(initiative)
    takers.require(
        takers.Taker.OWNER_OFFICIAL, actor, takers.Subject(unit_path=locked.owner_unit.path)
    )
    require_monitored(locked)
    text = required(text, _("The text is required."))
    report = ProgressReport.objects.create(initiative=locked, author=actor, text=text)
    emit_on_commit(events.ProgressReportSubmitted(initiative_id=locked.pk, report_id=report.pk))
    return report


@transaction.atomic
def monitoring_visit_record(
    *,
    actor: User,
    initiative: Initiative,
    visited_on: dt.date,
    findings: str,
    visitors: str = "",
) -> MonitoringVisit:
    """A member of the responsible board (or a board above) records a visit."""
    locked = lock_initiative(initiative)
    if not takers.holds_board_role_above(actor, locked.owner_unit):
        raise NotAllowed(
            _("Only a member of a responsible steering board may record a monitoring visit.")
        )
    require_monitored(locked)
    findings = required(findings, _("The findings are required."))
    if visited_on > timezone.localdate():
        raise InvalidInput(_("The visit date cannot be in the future."))
    visit = MonitoringVisit.objects.create(
        initiative=locked,
        visited_on=visited_on,
        visitors=(visitors or "").strip(),
        findings=findings,
        recorded_by=actor,
    )
    emit_on_commit(events.MonitoringVisitRecorded(initiative_id=locked.pk, visit_id=visit.pk))
    return visit
