"""Benchmark: the decompression-bomb workbook of issue 9, at full size.

One row of 250 million empty cells in a ~1 MB XLSX (the finding grew an import to 23.8 GB),
and a sheet of 3 million empty rows (132 s, 4.1 GB before). Each is imported by
``manage.py import_units`` in a child process on the embedded SQLite; the script prints the
child's peak resident memory (ru_maxrss), its time and the message, and exits 1 if an import
is not refused or takes more than 256 MB or 30 s.

    .venv/bin/python bench/bench_import_bomb.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django  # noqa: E402

django.setup()

from core.tests.test_import_limits import (  # noqa: E402
    CONTENT_TYPES,
    ROOT_RELS,
    SHEET_HEAD,
    WORKBOOK,
    WORKBOOK_RELS,
)


def bomb(path: Path, *, cells: int = 0, rows: int = 0) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_HEAD + b"<sheetData>")
            if cells:
                sheet.write(b'<row r="1">')
                block = b"<c/>" * 1_000_000
                for _ in range(cells // 1_000_000):
                    sheet.write(block)
                sheet.write(b"</row>")
            block = b"<row/>" * 100_000
            for _ in range(rows // 100_000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def measure(path: Path) -> tuple[int, float, str, int]:
    env = {**os.environ, "DATABASE_URL": "", "REDIS_URL": "", "DVK_VAR_DIR": str(path.parent)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import_units", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak_kb, seconds, done.stderr.strip().splitlines()[0], done.returncode


def main() -> int:
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"],
            env={**os.environ, "DATABASE_URL": "", "REDIS_URL": "", "DVK_VAR_DIR": str(folder)},
            check=True,
            cwd=ROOT,
        )
        for name, kwargs in (
            ("one row of 250,000,000 cells", {"cells": 250_000_000}),
            ("3,000,000 empty rows", {"rows": 3_000_000}),
        ):
            path = bomb(folder / "bomb.xlsx", **kwargs)
            peak_kb, seconds, message, code = measure(path)
            print(
                f"{name}: {path.stat().st_size / 1024:.0f} KB file, refused={code != 0}, "
                f"{seconds:.1f} s, peak RSS of the child processes so far "
                f"{peak_kb / 1024:.0f} MB\n  {message}"
            )
            failed |= code == 0 or peak_kb > 256 * 1024 or seconds > 30
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
