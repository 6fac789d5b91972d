"""Reading PDFs back for the tests: lines with their font size and weight (pdfplumber),
text as a reader gets it (poppler's pdftotext)."""

from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass

import pdfplumber

PT_PER_MM = 72 / 25.4


@dataclass
class Line:
    text: str
    top: float  # pt from the page's top
    bottom: float
    x0: float
    x1: float
    sizes: set[float]
    bold: bool  # every letter bold
    any_bold: bool


def lines(pdf: bytes, page: int = 0) -> list[Line]:
    """The page's text lines, top to bottom; a line is the characters sharing a baseline."""
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        chars = [c for c in document.pages[page].chars]
    rows: dict[float, list[dict]] = {}
    for char in chars:
        key = round(char["bottom"], 0)
        near = next((k for k in rows if abs(k - key) <= 1.5), key)
        rows.setdefault(near, []).append(char)
    found = []
    for _key, row in sorted(rows.items()):
        row.sort(key=lambda c: c["x0"])
        # Text on one baseline but far apart (the two header columns) is two lines.
        segments: list[list[dict]] = [[]]
        for char in row:
            if segments[-1] and char["x0"] - segments[-1][-1]["x1"] > 20:
                segments.append([])
            segments[-1].append(char)
        for segment in segments:
            found.append(_line(segment))
    found.sort(key=lambda line: (round(line.bottom), line.x0))
    return found


def _line(row: list[dict]) -> Line:
    text, last = "", None
    for char in row:
        if last is not None and char["x0"] - last["x1"] > char["size"] * 0.15:
            text += " "
        text += char["text"]
        last = char
    letters = [c for c in row if c["text"].strip()]
    return Line(
        text=re.sub(r"\s+", " ", text).strip(),
        top=min(c["top"] for c in row),
        bottom=max(c["bottom"] for c in row),
        x0=min(c["x0"] for c in row),
        x1=max(c["x1"] for c in row),
        sizes={round(c["size"], 1) for c in letters},
        bold=bool(letters) and all("Bold" in c["fontname"] for c in letters),
        any_bold=any("Bold" in c["fontname"] for c in letters),
    )


def line_with(pdf_lines: list[Line], text: str) -> Line:
    matches = [line for line in pdf_lines if text in line.text]
    assert matches, f"{text!r} not in {[line.text for line in pdf_lines]}"
    return matches[0]


def pdftotext(pdf: bytes, *, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def page_size_mm(pdf: bytes, page: int = 0) -> tuple[float, float]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        p = document.pages[page]
        return round(float(p.width) / PT_PER_MM), round(float(p.height) / PT_PER_MM)
