"""Property-based tests (hypothesis) of malformed CSV and XLSX files, for every importer:
whatever the file, it is rejected with row-level messages (``line N, column C: ...``) or one
file-level message, never a traceback; at most IMPORT_MAX_ERRORS messages and a count; and
nothing is written."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.importing import (
    CommendationImporter,
    InitiativeImporter,
    IssuerImporter,
    MemberImporter,
    UnitImporter,
)
from core.importing.base import run_import
from core.models import Commendation, Initiative, IssuingBody, Unit, User

pytestmark = pytest.mark.django_db

IMPORTERS = [UnitImporter, InitiativeImporter, CommendationImporter, IssuerImporter, MemberImporter]
ROW_ERROR = re.compile(r"^line \d+, column [^:]+: .+")
MAX_ERRORS = 20
CASES = {"files": 0}

# Text a person might type, plus the characters that broke imports: NUL and other
# controls, separators, quotes, line breaks, long runs.
POISON_C0 = st.sampled_from(["\x00", "\x01", "\x07", "\x0b", "\x1b", "\x7f"])
POISON_C1 = st.sampled_from(["\x80", "\x85", "\x9b", "\x9f"])
TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["", ";", ",", '"', '""', "\n", "Xã Hồng Việt", "31/02/2023", "0001-01-01"])


def snapshot() -> tuple[int, ...]:
    return (
        Unit.objects.count(),
        Initiative.objects.count(),
        Commendation.objects.count(),
        IssuingBody.objects.count(),
        User.objects.count(),
    )


@st.composite
def table(draw, importer, poison):
    """The importer's header (in a random order) and rows of random cells, one of them
    poisoned with a control character so that every file must be refused."""
    header = [c.name for c in importer.columns]
    header = draw(st.permutations(header))
    width = len(header)
    rows = draw(
        st.lists(
            st.lists(TEXT, min_size=max(0, width - 2), max_size=width + 2),
            min_size=1,
            max_size=30,
        )
    )
    row = draw(st.integers(0, len(rows) - 1))
    column = draw(st.integers(0, width - 1))
    cells = rows[row] + [""] * (width - len(rows[row]))
    cells[column] = draw(TEXT) + draw(poison) + draw(TEXT)
    rows[row] = cells
    return header, rows


def csv_bytes(header, rows) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(header, rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        # XML cannot carry C0 controls (openpyxl refuses them): the XLSX files are poisoned
        # with C1 ones, which it carries.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check_refused(importer, path, before) -> None:
    result = run_import(importer, path, dry_run=False)
    CASES["files"] += 1
    assert result.errors, "a poisoned file was accepted"
    assert len(result.errors) <= MAX_ERRORS + 1
    if len(result.errors) > 1 or ROW_ERROR.match(result.errors[0]):
        assert all(ROW_ERROR.match(e) for e in result.errors[:MAX_ERRORS]), result.errors
    assert snapshot() == before


HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(autouse=True)
def _few_errors(settings):
    settings.IMPORT_MAX_ERRORS = MAX_ERRORS
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.__name__)
@HYPOTHESIS
@given(data=st.data())
def test_a_malformed_csv_is_refused_with_row_messages_and_writes_nothing(importer, data, tmp_path):
    header, rows = data.draw(table(importer, POISON_C0 | POISON_C1))
    path = tmp_path / "fuzz.csv"
    path.write_bytes(csv_bytes(header, rows))
    check_refused(importer, path, snapshot())


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.__name__)
@HYPOTHESIS
@given(data=st.data())
def test_a_malformed_xlsx_is_refused_with_row_messages_and_writes_nothing(importer, data, tmp_path):
    header, rows = data.draw(table(importer, POISON_C1))
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(xlsx_bytes(header, rows))
    check_refused(importer, path, snapshot())


@pytest.mark.parametrize("importer", IMPORTERS, ids=lambda i: i.__name__)
@HYPOTHESIS
@given(noise=st.binary(min_size=0, max_size=2000), keep=st.integers(0, 4000))
def test_damaged_bytes_are_refused_with_one_message(importer, noise, keep, tmp_path):
    """Random bytes, a truncated workbook, a zip of garbage: one clear message, no write."""
    valid = xlsx_bytes([c.name for c in importer.columns], [["x"]])
    candidates = [
        noise,
        valid[: keep % len(valid)],
        b"PK\x03\x04" + noise,
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", noise)
    candidates.append(buffer.getvalue())
    before = snapshot()
    for index, content in enumerate(candidates):
        path = tmp_path / f"damaged-{index}.xlsx"
        path.write_bytes(content)
        result = run_import(importer, path, dry_run=False)
        CASES["files"] += 1
        assert result.errors  # never a traceback, never a partial write
        assert snapshot() == before


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    yield
    print(f"\nimport files fuzzed: {CASES['files']}")
