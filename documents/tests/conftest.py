import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from .factories import clerk_of, district_committee

OUTPUT_DIR = Path(settings.BASE_DIR) / "test-output"
# Pages for a person to look at, beside the test reports of ./dvk test.
RESULTS_DIR = Path(settings.BASE_DIR) / "var" / "test-results" / "documents"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "http://testserver"
    yield


@pytest.fixture
def issuer(db):
    return district_committee()


@pytest.fixture
def clerk(issuer):
    return clerk_of(issuer, username="clerk", full_name="Đàm Thị Thư")


@pytest.fixture
def output_dir():
    """test-output/ (git-ignored): pages rendered to PNG for a person to look at."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR


@pytest.fixture
def results_dir():
    """var/test-results/documents/: PNGs of decisions and certificates to look at."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    return RESULTS_DIR


def pdf_to_png(pdf: bytes, folder: Path, stem: str, page: int = 1, dpi: int = 150) -> Path:
    """Render one page with poppler's pdftoppm; returns the PNG's path."""
    source = folder / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(source),
            str(folder / stem),
        ],
        check=True,
    )
    return folder / f"{stem}.png"


def pdffonts(pdf_path: Path) -> list[dict]:
    """Rows of poppler's ``pdffonts``: name, type, embedded."""
    out = subprocess.run(
        ["pdffonts", str(pdf_path)], check=True, capture_output=True, text=True
    ).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type [type...] encoding emb sub uni object ID
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows
