"""The one rule for the text people type or import: no control characters.

NUL cannot be stored by PostgreSQL (a ``DataError`` mid-import) and is stored silently by
SQLite; the other C0 and C1 controls (and DEL) are invisible, break CSV and XML exports and
hide text from reviewers. Tab, line feed and carriage return are allowed (multi-line
descriptions). Used by the importers (``core.importing``), every API input serializer
(``workflows.api.serializers.InputSerializer``) and every web form (``core.forms.CleanTextForm``).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character_problem(value: Any) -> str | None:
    """Why ``value`` (any text) is refused, for a person, or None when it is fine."""
    if not isinstance(value, str):
        return None
    match = CONTROL_CHARACTERS.search(value)
    if match is None:
        return None
    return _(
        "contains a control character (U+%(code)04X) at character %(position)d; "
        "remove it (it is often pasted from another program)"
    ) % {"code": ord(match.group()), "position": match.start() + 1}


def refuse_control_characters(value: Any) -> None:
    """A Django validator: raises ``ValidationError`` for text with a control character."""
    problem = control_character_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="control_character")
