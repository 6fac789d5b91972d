"""Reading one cell: text, dates, and words that stand for a value (``xã`` for ``commune``)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_SEPARATORS = re.compile(r"[\s_\-–—]+")


def fold(text: str) -> str:
    """A key that ignores case, Vietnamese diacritics, and spaces vs underscores or dashes."""
    text = unicodedata.normalize("NFD", str(text).casefold()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text).strip()


def cell_text(value: Any) -> str:
    """A cell as stripped NFC text: an XLSX number 123.0 reads "123", a date its ISO form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (int, float, Decimal, dt.date)):
        return str(value)
    return unicodedata.normalize("NFC", str(value).strip())


_DMY = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")


def parse_date(value: Any) -> dt.date | None:
    """dd/mm/yyyy, ISO yyyy-mm-dd, or a date cell; None when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if match := _DMY.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


class Choices:
    """An enumeration read from a cell: its English value or a Vietnamese word for it."""

    def __init__(self, table: Mapping[str, tuple[str, ...]]) -> None:
        self._lookup: dict[str, str] = {}
        for value, words in table.items():
            for word in (value, *words):
                key = fold(word)
                assert self._lookup.get(key, value) == value, f"ambiguous word {word!r}"
                self._lookup[key] = value
        self.listing = ", ".join(
            f"{words[0]} ({value})" if words else value for value, words in table.items()
        )
        self._cache: dict[str, str | None] = {}

    def get(self, text: str) -> str | None:
        if text not in self._cache:
            self._cache[text] = self._lookup.get(fold(text))
        return self._cache[text]
