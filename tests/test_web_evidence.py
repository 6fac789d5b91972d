"""Evidence on the initiative page: photos downscaled with a thumbnail, PDFs and office files
accepted by their content, a renamed program and an oversized file refused, files stored
outside the web root and served only to those who may read the initiative (404 to a sibling
unit)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.models import InitiativeStatus
from core.tests.factories import InitiativeFactory
from workflows.models import Attachment
from workflows.tests.factories import build_world

from .api_support import fast_password_hashing
from .web_support import browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00"


@pytest.fixture
def world(db, settings, tmp_path):
    fast_password_hashing(settings)
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world()
    world.extra = {
        "initiative": InitiativeFactory(
            owner_unit=world.district.commune, status=InitiativeStatus.MONITORED
        )
    }
    return world


def photo(width=3000, height=2000) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload(client, initiative, name, data, caption=""):
    return client.post(
        f"/initiatives/{initiative.pk}/attachments/",
        {"file": SimpleUploadedFile(name, data), "caption": caption},
    )


def test_a_photo_is_downscaled_given_a_thumbnail_and_shown_in_the_gallery(world, settings):
    initiative = world.extra["initiative"]
    official = browser(world.district.official)
    response = upload(official, initiative, "hop-dan.jpg", photo(), "Họp dân ở xóm")
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.kind == "image"
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not stored.is_relative_to(settings.MEDIA_ROOT)
    with Image.open(stored) as image:
        assert max(image.size) == 2000
    with Image.open(attachment.thumbnail.path) as thumb:
        assert max(thumb.size) == 320
    page = official.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert f'src="/attachments/{attachment.pk}/thumb/"' in page
    assert "Họp dân ở xóm" in page
    # The board above reads it; a sibling district's people do not.
    secretary = browser(world.district.secretary)
    served = secretary.get(f"/attachments/{attachment.pk}/")
    assert served.status_code == 200
    assert b"".join(served.streaming_content)[:2] == b"\xff\xd8"
    sibling = browser(world.sibling.official)
    assert sibling.get(f"/attachments/{attachment.pk}/").status_code == 404
    assert sibling.get(f"/attachments/{attachment.pk}/thumb/").status_code == 404
    assert upload(sibling, initiative, "x.jpg", photo(10, 10)).status_code == 404


def test_a_pdf_is_accepted_and_served_as_itself(world):
    initiative = world.extra["initiative"]
    official = browser(world.district.official)
    assert upload(official, initiative, "bien-ban.pdf", PDF).status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.kind, attachment.size) == ("pdf", len(PDF))
    served = official.get(f"/attachments/{attachment.pk}/")
    assert b"".join(served.streaming_content) == PDF


def test_a_renamed_program_and_a_mismatched_name_are_refused(world):
    initiative = world.extra["initiative"]
    official = browser(world.district.official)
    refused = upload(official, initiative, "bao-cao.pdf", PROGRAM)
    assert refused.status_code == 400
    assert "Chỉ nhận ảnh (JPEG, PNG, WebP), tệp PDF, Word và Excel." in refused.content.decode()
    mismatched = upload(official, initiative, "anh.jpg", PDF)
    assert mismatched.status_code == 400
    assert "Tên tệp (anh.jpg) không khớp với nội dung tệp." in mismatched.content.decode()
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    initiative = world.extra["initiative"]
    big = PDF + b"0" * (1024 * 1024)
    response = upload(browser(world.district.official), initiative, "lon.pdf", big)
    assert response.status_code == 400
    assert "Tệp lớn hơn 1 MB." in response.content.decode()
    assert not Attachment.objects.exists()


def test_a_board_member_above_attaches_but_a_member_of_another_board_does_not(world):
    initiative = world.extra["initiative"]
    assert upload(browser(world.district.members[0]), initiative, "a.pdf", PDF).status_code == 302
    assert upload(browser(world.sibling.members[0]), initiative, "b.pdf", PDF).status_code == 404
    assert Attachment.objects.count() == 1


def test_the_api_counts_an_initiatives_evidence(world):
    from rest_framework.test import APIClient

    initiative = world.extra["initiative"]
    official = browser(world.district.official)
    upload(official, initiative, "bien-ban.pdf", PDF)
    upload(official, initiative, "hop-dan.jpg", photo(40, 30))
    api = APIClient()
    api.force_authenticate(world.district.official)
    answer = api.get(f"/api/v1/initiatives/{initiative.pk}/")
    assert answer.status_code == 200
    assert answer.json()["attachment_count"] == 2


def test_evidence_of_an_annual_report_and_of_a_visit_is_attached_and_labelled_in_the_gallery(
    world,
):
    from workflows.models import MonitoringVisit
    from workflows.tests.factories import AnnualReportFactory, ReviewCycleFactory

    initiative = world.extra["initiative"]
    report = AnnualReportFactory(
        initiative=initiative, cycle=ReviewCycleFactory(board=world.district.board, year=2025)
    )
    secretary = browser(world.district.secretary)
    # The secretary records a visit and lands on the evidence form with the visit chosen.
    recorded = secretary.post(
        f"/initiatives/{initiative.pk}/visit/",
        {"visited_on": "12/05/2025", "visitors": "Thường trực", "findings": "Duy trì tốt."},
    )
    visit = MonitoringVisit.objects.get(initiative=initiative)
    assert recorded.status_code == 302
    assert recorded["Location"].endswith(
        f"/initiatives/{initiative.pk}/?part=visit-{visit.pk}#attach"
    )
    page = secretary.get(f"/initiatives/{initiative.pk}/?part=visit-{visit.pk}").content.decode()
    assert f'<option value="visit-{visit.pk}" selected>' in page
    assert f'<option value="report-{report.pk}">Báo cáo năm 2025</option>' in page

    def attach(client, name, data, part):
        return client.post(
            f"/initiatives/{initiative.pk}/attachments/",
            {"file": SimpleUploadedFile(name, data), "caption": name, "part": part},
        )

    assert attach(secretary, "bien-ban.pdf", PDF, f"visit-{visit.pk}").status_code == 302
    official = browser(world.district.official)
    assert attach(official, "anh.jpg", photo(40, 30), f"report-{report.pk}").status_code == 302
    assert attach(official, "dang-ky.pdf", PDF, "").status_code == 302
    by_name = {a.original_name: a for a in Attachment.objects.filter(initiative=initiative)}
    assert by_name["bien-ban.pdf"].monitoring_visit_id == visit.pk
    assert by_name["bien-ban.pdf"].annual_report_id is None
    assert by_name["anh.jpg"].annual_report_id == report.pk
    assert by_name["dang-ky.pdf"].annual_report_id is None
    assert by_name["dang-ky.pdf"].monitoring_visit_id is None
    gallery = official.get(f"/initiatives/{initiative.pk}/").content.decode()
    assert "Đợt kiểm tra, giám sát ngày 12/05/2025" in gallery
    assert "Báo cáo năm 2025" in gallery and "Hồ sơ đăng ký" in gallery
    assert gallery.count('class="help part"') == 3

    # A report of another initiative is not a choice: refused, nothing stored.
    other = AnnualReportFactory(cycle=report.cycle)
    refused = attach(official, "x.pdf", PDF, f"report-{other.pk}")
    assert refused.status_code == 400
    assert not Attachment.objects.filter(original_name="x.pdf").exists()
