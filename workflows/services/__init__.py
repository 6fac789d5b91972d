"""The lifecycle's state changes, one public function per action, split by noun:

- ``registration``: register, accept / return / reject, resubmit, withdraw, discontinue;
- ``monitoring``: progress reports, monitoring visits;
- ``cycles``: review cycles (create, rubric, open, close) and late acceptance;
- ``evaluation``: annual report, who evaluates, evaluations, closing, the chair's decision;
- ``decisions``: the recognition decision;
- ``nominations``: nominations and the commendation decision.

Each function checks (the one taker rule of ``workflows.takers`` and the state), writes,
completes its viewflow task (``_common.task_step``) and announces what happened
(``core.events.emit_on_commit``), in one transaction: a refusal (``WrongState`` 409,
``NotAllowed`` 403, ``InvalidInput`` 400) leaves everything as it was. Status changes go
through ``core.services.initiative_record_status``. Callers (web, API, commands, tests)
import from here.
"""

from ._common import FINAL_STATUSES, REVIEWED_STATUSES, StepBusy
from .cycles import (
    DEFAULT_CRITERIA,
    CycleOpenWork,
    annual_report_for_late_acceptance,
    cycle_close,
    cycle_create,
    cycle_delete,
    cycle_open,
    cycle_open_work,
    cycle_update,
    cycle_update_criteria,
    cycles_open_due,
)
from .decisions import (
    RECOGNITION_ISSUER_KINDS,
    recognition_decision_issue,
    recognition_decision_preview,
    recognition_issuer,
    recognition_process,
    recognition_proposal,
)
from .evaluation import (
    annual_report_submit,
    evaluation_assign,
    evaluation_close,
    evaluation_submit,
    evaluation_tasks_sync,
    evaluations_required,
    initiative_decide,
    review_process,
    weighted_total,
)
from .evidence import attachment_add, may_attach
from .monitoring import monitoring_visit_record, progress_report_submit
from .nominations import (
    nomination_commend,
    nomination_commend_preview,
    nomination_create,
    nomination_process,
    nomination_proposal,
)
from .registration import (
    initiative_accept,
    initiative_discontinue,
    initiative_register,
    initiative_reject,
    initiative_resubmit,
    initiative_return,
    initiative_withdraw,
    registration_process,
)

__all__ = [
    "DEFAULT_CRITERIA",
    "FINAL_STATUSES",
    "RECOGNITION_ISSUER_KINDS",
    "REVIEWED_STATUSES",
    "CycleOpenWork",
    "StepBusy",
    "annual_report_for_late_acceptance",
    "attachment_add",
    "may_attach",
    "annual_report_submit",
    "cycle_close",
    "cycle_create",
    "cycle_delete",
    "cycle_open",
    "cycle_open_work",
    "cycle_update",
    "cycle_update_criteria",
    "cycles_open_due",
    "evaluation_assign",
    "evaluation_close",
    "evaluation_submit",
    "evaluation_tasks_sync",
    "evaluations_required",
    "initiative_accept",
    "initiative_decide",
    "initiative_discontinue",
    "initiative_register",
    "initiative_reject",
    "initiative_resubmit",
    "initiative_return",
    "initiative_withdraw",
    "monitoring_visit_record",
    "nomination_commend",
    "nomination_commend_preview",
    "nomination_create",
    "nomination_process",
    "nomination_proposal",
    "progress_report_submit",
    "recognition_decision_issue",
    "recognition_decision_preview",
    "recognition_issuer",
    "recognition_process",
    "recognition_proposal",
    "registration_process",
    "review_process",
    "weighted_total",
]
