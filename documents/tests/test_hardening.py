"""PDFs and ZIPs are private to caches; the verify page answers HEAD like GET; WeasyPrint
reads only the project's own files (stylesheets, fonts, static files), nothing else on the
disk and nothing on the network."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from documents import rendering, services
from documents.models import PrintJob, PrintJobStatus

from .factories import issue_commendation


@pytest.fixture
def decision(issuer, clerk):
    return issue_commendation(issuer, clerk, count=1)


def test_decision_pdfs_and_print_files_are_private_to_caches(decision, clerk):
    job = PrintJob.objects.create(decision=decision, status=PrintJobStatus.DONE, total=1, done=1)
    job.pdf.save("job.pdf", ContentFile(b"%PDF-1.4"), save=False)
    job.zip.save("job.zip", ContentFile(b"PK"), save=False)
    job.save()
    client = Client()
    client.force_login(clerk)
    for url in (
        f"/documents/decisions/{decision.pk}/pdf",
        f"/documents/print-jobs/{job.pk}/pdf",
        f"/documents/print-jobs/{job.pk}/zip",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"].startswith("private"), url


def test_head_on_verify_answers_like_get(decision, clerk):
    code = services.certificates_issue(decision=decision, actor=clerk)[0].code
    client = Client()
    get, head = client.get(f"/verify/{code}/"), client.head(f"/verify/{code}/")
    assert (get.status_code, head.status_code) == (200, 200)
    assert head["Content-Type"] == get["Content-Type"]
    assert head.content == b""
    assert client.head("/verify/unknown-code-123456789/").status_code == 404
    assert client.post(f"/verify/{code}/").status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///etc/hostname",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/logo.png",
        f"file://{rendering.STYLE_DIR}/../../config/settings.py",
        "ftp://example.com/x",
    ],
)
def test_the_pdf_fetcher_refuses_anything_but_project_files(url):
    with pytest.raises(ValueError):
        rendering._url_fetcher()(url)


def test_the_pdf_fetcher_reads_the_projects_stylesheets_fonts_and_data_urls():
    fetcher = rendering._url_fetcher()
    sheet = fetcher((rendering.STYLE_DIR / "decision.css").as_uri())
    assert sheet.read(10)
    sheet.close()
    font = fetcher((rendering.font_dir() / "LiberationSerif-Regular.ttf").as_uri())
    assert font.read(4) == b"\x00\x01\x00\x00"
    font.close()
    assert fetcher("data:text/plain;base64,SGVsbG8=").read() == b"Hello"


def test_an_image_pointing_outside_is_not_fetched_while_rendering(tmp_path, caplog):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    html = f'<p>x</p><img src="{secret.as_uri()}"><img src="http://127.0.0.1:9/x.png">'
    document = rendering._document(html, "decision")
    assert rendering.write_pdf(document).startswith(b"%PDF")
    refused = [r.getMessage() for r in caplog.records if "Not fetched" in r.getMessage()]
    assert len(refused) == 2, [r.getMessage() for r in caplog.records]
