"""PDF rendering of decisions and certificates with WeasyPrint.

Everything printed comes from a JSON snapshot (``Decision.content``, ``Certificate.content``)
written when the document was issued; the templates here only lay it out. Fonts and
stylesheets are parsed once per process and shared by every render (sharing one
``FontConfiguration`` saves about a third of a certificate's render time).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import re
import threading
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.loader import render_to_string
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

# In settings.DOCUMENTS_FONT_DIR. Debian 12's fonts-liberation (1.07) lacks Vietnamese
# letters; fonts-liberation2 has them.
FONT_FILES = {
    ("normal", "normal"): "LiberationSerif-Regular.ttf",
    ("bold", "normal"): "LiberationSerif-Bold.ttf",
    ("normal", "italic"): "LiberationSerif-Italic.ttf",
    ("bold", "italic"): "LiberationSerif-BoldItalic.ttf",
}
# A family name no system font has, so fontconfig can never substitute a look-alike.
FONT_FAMILY = "LiberationSerif DVK"
STYLE_DIR = Path(__file__).resolve().parent / "pdf_styles"
PROJECT_APPS = ("core", "workflows", "notifications", "documents")

# WeasyPrint shares Pango/fontconfig state through the FontConfiguration: one render at a
# time per process (threaded dev server, tests issuing from two threads).
_render_lock = threading.RLock()

_YEAR_RANGE = re.compile(r"\b(\d{4})\s*[-–]\s*(\d{4})\b")
# Two words joined by a spaced dash ("kinh tế - xã hội", "2016 - 2020").
_DASHED = re.compile(r"(?<![^\s>])([^\s<>]+) ([-–]) ([^\s<>]+)(?![^\s<])")


def vn_date(day: dt.date) -> str:
    """``ngày 30 tháng 9 năm 2023``; Decree 30/2020 pads days below 10 and months 1 and 2."""
    day_text = f"{day.day:02d}"
    month_text = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day_text} tháng {month_text} năm {day.year}"


def place_date_line(place: str, day: dt.date) -> str:
    return f"{place}, {vn_date(day)}" if place else vn_date(day).capitalize()


def keep_ranges(text: str) -> SafeString:
    """Escape ``text`` and keep year ranges ("2016 - 2020") and dashed pairs of words
    ("kinh tế - xã hội") on one line.

    Unicode line breaking allows a break after the hyphen even between non-breaking
    spaces, and text extraction then loses the hyphen; ``white-space: nowrap`` holds.
    """
    escaped = _YEAR_RANGE.sub(r"\1 - \2", str(conditional_escape(text)))
    return mark_safe(_DASHED.sub(r'<span class="nw">\1 \2 \3</span>', escaped))


def font_dir() -> Path:
    return Path(settings.DOCUMENTS_FONT_DIR)


def font_face_css() -> str:
    directory = font_dir()
    missing = [name for name in FONT_FILES.values() if not (directory / name).is_file()]
    if missing:
        raise ImproperlyConfigured(
            f"Font files missing in {directory}: {', '.join(missing)}. "
            "Install Debian's fonts-liberation2 (fonts-liberation 1.07 lacks Vietnamese "
            "letters) or set DOCUMENTS_FONT_DIR."
        )
    rules = []
    for (weight, style), name in FONT_FILES.items():
        rules.append(
            f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; '
            f'font-style: {style}; src: url("{(directory / name).as_uri()}"); }}'
        )
    return "\n".join(rules)


def _allowed_roots() -> list[Path]:
    """Where a PDF may read files from: its stylesheets, its fonts, the project's static
    files. Nothing else on the disk, nothing on the network."""
    roots = [STYLE_DIR, font_dir(), Path(settings.STATIC_ROOT)]
    roots += [Path(settings.BASE_DIR) / app / "static" for app in PROJECT_APPS]
    return [Path(os.path.normpath(root.absolute())) for root in roots]


@cache
def _url_fetcher():
    """WeasyPrint's fetcher held to ``file:`` URLs under the allowed roots and ``data:``
    URLs (the QR codes). Escaping keeps markup out of the printed text; this keeps a
    mistake there from reading /etc/passwd or calling an internal address."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class ProjectFilesOnly(URLFetcher):
        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                # Normalised, not resolved: ".." cannot climb out; a packaged font that is
                # a symlink still reads.
                path = Path(os.path.normpath(unquote(urlsplit(url).path)))
                if any(path.is_relative_to(root) for root in _allowed_roots()):
                    return super().fetch(url, headers)
            raise ValueError(f"Not fetched (not a project file): {url}")

    return ProjectFilesOnly(allowed_protocols={"file", "data"}, allow_redirects=False)


@cache
def _font_config():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _stylesheets(name: str) -> tuple:
    """The parsed @font-face rules and the named stylesheet, once per process."""
    from weasyprint import CSS

    config = _font_config()
    fonts = CSS(string=font_face_css(), font_config=config, url_fetcher=_url_fetcher())
    sheet = CSS(
        filename=str(STYLE_DIR / f"{name}.css"), font_config=config, url_fetcher=_url_fetcher()
    )
    return (fonts, sheet)


def reset_caches() -> None:
    """Forget parsed fonts and stylesheets (after a setting or a stylesheet changed)."""
    _font_config.cache_clear()
    _stylesheets.cache_clear()
    _url_fetcher.cache_clear()


# Drop the shared FontConfiguration while its C libraries are still loaded.
atexit.register(reset_caches)


def _document(html: str, style: str):
    from weasyprint import HTML

    return HTML(string=html, base_url=str(STYLE_DIR), url_fetcher=_url_fetcher()).render(
        stylesheets=list(_stylesheets(style)), font_config=_font_config()
    )


def _pdf_options() -> dict:
    # Fixed metadata (no creation time) so the same snapshot gives the same bytes.
    return {"pdf_identifier": b"dvk-documents", "custom_metadata": False}


# --- Decisions ------------------------------------------------------------------------------


def render_decision_pdf(content: dict) -> bytes:
    """The PDF of a decision, from its snapshot alone."""
    html = render_to_string("documents/pdf/decision.html", {"c": content})
    with _render_lock:
        document = _document(html, "decision")
        return document.write_pdf(**_pdf_options())


def render_html_pdf(html: str, style: str = "decision") -> bytes:
    """Any state-format document (the statistics' phase report) laid out with one of these
    stylesheets, so it prints like the decisions."""
    with _render_lock:
        return _document(html, style).write_pdf(**_pdf_options())


# --- Certificates ---------------------------------------------------------------------------


def qr_png_data_uri(url: str) -> str:
    """The QR code as a one-pixel-per-module PNG; the stylesheet scales it without smoothing.

    A PNG costs WeasyPrint far less than an SVG path of the same code.
    """
    import segno

    return segno.make(url, error="m").png_data_uri(scale=1, border=0)


def verify_url(code: str) -> str:
    from django.urls import reverse

    base = settings.PUBLIC_BASE_URL.rstrip("/")
    return base + reverse("documents:verify", kwargs={"code": code})


def certificate_qr(code: str) -> dict:
    """The QR code of a certificate, kept in its snapshot: encoding it (choosing the best
    mask) is a sixth of a certificate's render time, and it only changes with the URL."""
    url = verify_url(code)
    return {"qr_url": url, "qr_png": qr_png_data_uri(url)}


# --- Certificate layouts -------------------------------------------------------------------

PAGE_MM = {"A4": (297.0, 210.0), "A3": (420.0, 297.0)}  # landscape

# Where each variable text goes on an A4 landscape blank (phôi), in mm from its top-left
# corner: x, y of the text box's top-left corner, its width, and the font size in pt. The
# text is centred in its box (left-aligned for ``refs``). A3 scales them by √2.
BLANK_FIELDS_A4: dict[str, dict] = {
    "awarding": {"x": 45, "y": 58, "width": 207, "size": 15},
    "award_title": {"x": 45, "y": 70, "width": 207, "size": 36},
    "recipient": {"x": 30, "y": 96, "width": 237, "size": 22},
    "detail": {"x": 30, "y": 108, "width": 237, "size": 15},
    "citation": {"x": 40, "y": 118, "width": 217, "size": 15},
    "date_line": {"x": 160, "y": 142, "width": 110, "size": 14},
    "signer": {"x": 160, "y": 149, "width": 110, "size": 14},
    "signer_name": {"x": 160, "y": 188, "width": 110, "size": 14},
    "refs": {"x": 52, "y": 170, "width": 95, "size": 11},
    "qr": {"x": 25, "y": 168, "width": 24, "size": 0},
}
BLANK_FIELD_LABELS = {
    "awarding": "Cơ quan tặng",
    "award_title": "Tên hình thức khen",
    "recipient": "Tên tập thể, cá nhân",
    "detail": "Chức vụ, đơn vị",
    "citation": "Thành tích",
    "date_line": "Địa danh, ngày tháng",
    "signer": "Chức vụ người ký",
    "signer_name": "Họ tên người ký",
    "refs": "Số quyết định, số vào sổ",
    "qr": "Mã QR",
}


@dataclass(frozen=True)
class Layout:
    """How one award's certificates print: page size and, on a blank, each field's box."""

    page_size: str = "A4"
    on_blank: bool = False
    blank_has_title: bool = True
    offset_x: float = 0.0
    offset_y: float = 0.0
    fields: dict = dataclass_field(default_factory=dict)

    @property
    def width_mm(self) -> float:
        return PAGE_MM[self.page_size][0]

    @property
    def height_mm(self) -> float:
        return PAGE_MM[self.page_size][1]

    def boxes(self) -> dict[str, dict]:
        """Every field's box in mm, with the offsets applied and A3 scaled."""
        scale = PAGE_MM[self.page_size][0] / PAGE_MM["A4"][0]
        boxes = {}
        for name, default in BLANK_FIELDS_A4.items():
            box = {key: value * scale for key, value in default.items()}
            box.update({k: float(v) for k, v in (self.fields.get(name) or {}).items()})
            box["x"] += self.offset_x
            box["y"] += self.offset_y
            box["label"] = BLANK_FIELD_LABELS[name]
            boxes[name] = box
        return boxes


DEFAULT_LAYOUT = Layout()


def _certificate_items(
    certificates: list[tuple[dict, str]], layouts: dict[str, Layout] | None = None
) -> list[dict]:
    items = []
    for content, code in certificates:
        url = verify_url(code)
        qr = content.get("qr_png") if content.get("qr_url") == url else None
        layout = (layouts or {}).get(content.get("award")) or DEFAULT_LAYOUT
        items.append(
            {
                "c": content,
                "qr": qr or qr_png_data_uri(url),
                "url": url,
                "layout": layout,
                "boxes": layout.boxes() if layout.on_blank else {},
            }
        )
    return items


def render_certificates(
    certificates: list[tuple[dict, str]], *, layouts: dict[str, Layout] | None = None
):
    """One WeasyPrint document, one landscape page per ``(content, verification code)``.

    ``layouts`` (by award) sets each page's size and whether it prints complete or only
    the variable text onto a pre-printed blank; by default complete on A4.
    """
    html = render_to_string(
        "documents/pdf/certificates.html", {"items": _certificate_items(certificates, layouts)}
    )
    with _render_lock:
        return _document(html, "certificate")


def write_pdf(document) -> bytes:
    with _render_lock:
        return document.write_pdf(**_pdf_options())


def render_certificates_pdf(
    certificates: list[tuple[dict, str]], layouts: dict[str, Layout] | None = None
) -> bytes:
    # ``layouts`` only when there are some: callers (and test spies) of the one-argument
    # form keep working.
    options = {"layouts": layouts} if layouts else {}
    return write_pdf(render_certificates(certificates, **options))


def render_calibration_pdf(layout: Layout, title: str = "") -> bytes:
    """A page to print on plain paper and hold against a blank: a millimetre grid and a
    crosshair at the top-left corner and the centre of each field's box."""
    width, height = layout.width_mm, layout.height_mm
    boxes = Layout(
        page_size=layout.page_size,
        on_blank=True,
        blank_has_title=layout.blank_has_title,
        offset_x=layout.offset_x,
        offset_y=layout.offset_y,
        fields=layout.fields,
    ).boxes()
    html = render_to_string(
        "documents/pdf/calibration.html",
        {
            "layout": layout,
            "title": title,
            "width": width,
            "height": height,
            "minor": [x for x in range(0, int(width) + 1) if x % 10],
            "minor_y": [y for y in range(0, int(height) + 1) if y % 10],
            "major_x": list(range(0, int(width) + 1, 10)),
            "major_y": list(range(0, int(height) + 1, 10)),
            "boxes": [
                {
                    "name": name,
                    **box,
                    "cx": box["x"] + box["width"] / 2,
                    "height": box["width"] if name == "qr" else box["size"] * 0.3528 * 1.3,
                }
                for name, box in boxes.items()
            ],
        },
    )
    with _render_lock:
        return _document(html, "calibration").write_pdf(**_pdf_options())
