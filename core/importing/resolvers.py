"""Reading a reference to stored data: a phase, a field, a unit by its code."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.utils.translation import gettext as _

from core.bulk import fetch
from core.models import Field, Phase, Unit

from .text import fold


class PhaseResolver:
    """Reads a phase: its code, "2016 - 2020", or "Giai đoạn 2016 - 2020".

    A well-formed YYYY-YYYY phase that does not exist yet is created by ``create_missing``
    (inside the import's transaction).
    """

    _YEARS = re.compile(r"^(?:giai doan )?(\d{4}) (\d{4})$")
    MAX_YEARS = 10

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.ends_on: dict[str, dt.date] = {}
        self._keys: dict[str, str] = {}
        for pk, code, name, ends_on in Phase.objects.values_list("id", "code", "name", "ends_on"):
            self.ids[code] = pk
            self.ends_on[code] = ends_on
            self._keys[fold(code)] = code
            self._keys.setdefault(fold(name), code)
        self.missing: dict[str, tuple[int, int]] = {}  # code: (first year, last year)
        self._cache: dict[str, str | None] = {}

    def resolve(self, text: str) -> str | None:
        """The phase's code, or None when the text is not a phase."""
        if text not in self._cache:
            self._cache[text] = self._resolve(text)
        return self._cache[text]

    def _resolve(self, text: str) -> str | None:
        key = fold(text)
        if key in self._keys:
            return self._keys[key]
        match = self._YEARS.match(key)
        if not match:
            return None
        start, end = int(match[1]), int(match[2])
        if not (start < end <= start + self.MAX_YEARS - 1):
            return None
        code = f"{start}-{end}"
        if code not in self.ids:
            self.missing[code] = (start, end)
            self.ends_on[code] = dt.date(end, 12, 31)  # as create_missing makes it
        return code

    def create_missing(self, used: set[str | None]) -> None:
        for code, (start, end) in sorted(self.missing.items()):
            if code in used and code not in self.ids:
                phase = Phase.objects.create(
                    code=code,
                    name=f"Giai đoạn {start} - {end}",
                    starts_on=dt.date(start, 1, 1),
                    ends_on=dt.date(end, 12, 31),
                )
                self.ids[code] = phase.pk

    def new_phases_note(self, used: Iterable[str | None]) -> list[str]:
        """The summary's line about the phases the import creates (none: no line)."""
        used = set(used)
        names = [f"{start} - {end}" for code, (start, end) in self.missing.items() if code in used]
        if not names:
            return []
        return [_("New phases: %(names)s.") % {"names": ", ".join(sorted(names))}]


class FieldResolver:
    """Reads a field by its code or Vietnamese name; without diacritics only if unambiguous."""

    def __init__(self) -> None:
        self._exact: dict[str, int] = {}
        self._folded: dict[str, set[int]] = {}
        self.names: dict[int, str] = {}
        for pk, code, name in Field.objects.values_list("id", "code", "name"):
            self.names[pk] = name
            for word in (code, name):
                self._exact[word.casefold()] = pk
                self._folded.setdefault(fold(word), set()).add(pk)
        self.listing = "; ".join(self.names.values())

    def resolve(self, text: str) -> int | list[int] | None:
        """The field's id, several candidate ids when ambiguous, or None."""
        if text.casefold() in self._exact:
            return self._exact[text.casefold()]
        candidates = self._folded.get(fold(text), set())
        if len(candidates) == 1:
            return next(iter(candidates))
        return sorted(candidates) or None


def unit_ids(codes: Iterable[str]) -> dict[str, int]:
    """``{code: id}`` of the stored units among ``codes``."""
    return dict(fetch(Unit.objects, "code", codes, "code", "id"))
