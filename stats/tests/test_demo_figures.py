"""On the Cao Bằng demo, every surface gives the published numbers: the command (JSON), the
API, the dashboard (and the lists its links open), the XLSX and the PDF phase reports."""

import html
import json
import re
from io import StringIO

import openpyxl
import pdfplumber
import pytest
from django.core.management import call_command
from django.test import Client

from core.models import User
from tests.api_support import api

pytestmark = pytest.mark.django_db

PUBLISHED_FIELDS = {
    "economy": 1202,
    "culture_society": 968,
    "defence_security": 825,
    "political_system": 582,
    "new_rural": 509,
}


def command(*args) -> str:
    out = StringIO()
    call_command("movement_report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())
    return User.objects.get(username="tinh.lanhdao")  # the province's leader


def sheet_rows(workbook, title: str) -> list[list]:
    return [list(row) for row in workbook[title].iter_rows(min_row=3, values_only=True)]


def test_every_surface_gives_the_published_cao_bang_figures(demo, tmp_path):
    # The command.
    data = json.loads(command("--unit", "CB", "--phase", "2016-2020", "--format", "json"))
    assert data["initiatives"]["total"] == 4086
    assert {k: data["initiatives"]["by_field"][k] for k in PUBLISHED_FIELDS} == PUBLISHED_FIELDS
    assert data["commendations"]["by_award"]["certificate_of_merit"] == 312
    assert data["commendations"]["by_award"]["commendation_certificate"] == 125
    assert data["commendations"]["by_recipient_kind"] == {"collective": 178, "individual": 259}
    assert data["commendations"]["by_issuer"]["UBND tỉnh Cao Bằng"] == 125
    assert data["boards"]["units"]["commune"] == {
        "total": 161,
        "with_board": 161,
        "without_board": 0,
    }
    regulation = next(i for i in data["indicators"] if i["code"] == "mobilisation_regulation")
    assert (regulation["yes"], regulation["units"]) == (140, 161)
    hamlets = next(i for i in data["indicators"] if i["code"] == "hamlets_with_team")
    assert hamlets["value"] == 89.4
    # Children add up to the province.
    assert sum(row["initiatives"]["total"] for row in data["by_unit"]) == 4086
    assert sum(row["commendations"]["total"] for row in data["by_unit"]) == 437
    replicas = [row["replicas"] for row in data["replication"]["top"]]
    assert data["replication"]["total"] >= sum(replicas) > 0
    assert replicas == sorted(replicas, reverse=True)

    # The API: the same JSON.
    answer = api(demo).get("/api/v1/stats/?unit=CB&phase=2016-2020")
    assert answer.status_code == 200
    assert answer.json() == data

    # The dashboard: the numbers, and each link opens a list with the same count.
    client = Client()
    client.force_login(demo)
    page = client.get("/dashboard/?unit=CB&phase=2016-2020").content.decode()
    for shown in ("4.086", "1.202", "968", "825", "582", "509", "312", "125", "140/161"):
        assert shown in page, shown
    economy = re.search(r'<a href="([^"]*field=economy[^"]*)" aria-label="[^"]*: 1.202">', page)
    assert economy, "the economy bar links to its list"
    listed = client.get(html.unescape(economy.group(1)))
    assert listed.context["page"].paginator.count == 1202
    by_unit = page[page.index('id="by_unit"') :]
    by_unit = by_unit[: by_unit.index("</section>")]
    links = re.findall(r'<td class="n"><a href="([^"]*)">', by_unit)[::2]  # totals column
    assert len(links) == len(data["by_unit"]) == 11  # the province's own, 10 districts
    for link, row in zip(links, data["by_unit"], strict=True):
        listed = client.get(html.unescape(link)).context["page"].paginator.count
        assert listed == row["initiatives"]["total"], row["code"]

    # The XLSX: one sheet per table, numbers as numbers.
    xlsx = tmp_path / "bao-cao.xlsx"
    command("--unit", "CB", "--phase", "2016-2020", "--format", "xlsx", "--out", str(xlsx))
    workbook = openpyxl.load_workbook(xlsx)
    by_field = sheet_rows(workbook, "Mô hình theo lĩnh vực")
    assert by_field[0][:2] == ["Lĩnh vực", "Mô hình"]
    assert [row[1] for row in by_field[1:6]] == list(PUBLISHED_FIELDS.values())
    assert all(isinstance(row[1], int) for row in by_field[1:])
    awards = {row[0]: row[1] for row in sheet_rows(workbook, "Khen thưởng theo hình thức")[1:]}
    assert (awards["Giấy khen"], awards["Bằng khen"]) == (312, 125)
    boards = sheet_rows(workbook, "Ban Chỉ đạo")
    assert ["xã, phường, thị trấn", 161, 161, 0] in boards
    indicators = sheet_rows(workbook, "Chỉ số đơn vị")
    assert any(str(row[1]).startswith("140/161 xã, phường, thị trấn") for row in indicators)
    commended = sheet_rows(workbook, "Khen thưởng")
    assert len(commended) - 1 == 437

    # The PDF: the state layout, in Vietnamese, with the same numbers.
    pdf = tmp_path / "bao-cao.pdf"
    command("--unit", "CB", "--phase", "2016-2020", "--format", "pdf", "--out", str(pdf))
    with pdfplumber.open(pdf) as document:
        text = "\n".join(page.extract_text() or "" for page in document.pages)
    for shown in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "BÁO CÁO",
        "Tổng kết số liệu phong trào thi đua “Dân vận khéo”",
        "Mô hình (không rút, không dừng) 4.086",
        "Phát triển kinh tế 1.202 1.202",
        "Bằng khen 125",
        "Giấy khen 312",
        "xã, phường, thị trấn 161 161 0",
        "140/161 xã, phường, thị trấn (87,0%)",
        "TM. BAN CHỈ ĐẠO",
    ):
        assert shown in text, shown


def test_the_2021_2025_targets_show_their_measure_and_progress(demo, tmp_path):
    client = Client()
    client.force_login(demo)
    page = client.get("/dashboard/?unit=CB&phase=2021-2025").content.decode()
    assert "140/161: 87,0%" in page and "100,0%" in page and "87,0%" in page

    xlsx = tmp_path / "chi-tieu.xlsx"
    command("--unit", "CB", "--phase", "2021-2025", "--format", "xlsx", "--out", str(xlsx))
    targets = sheet_rows(openpyxl.load_workbook(xlsx), "Chỉ tiêu của giai đoạn")[1:]
    assert [
        "xã, phường, thị trấn: Có quy chế, kế hoạch thực hiện Quy chế công tác dân vận",
        "140/161: 87,0%",
        "100,0%",
        "87,0%",
    ] in targets
    assert [
        "xã, phường, thị trấn thành lập Ban Chỉ đạo",
        "161/161: 100,0%",
        "100,0%",
        "100,0%",
    ] in targets
    teams = [row for row in targets if row[0].startswith("Tỷ lệ tổ dân vận")]
    assert teams == [
        ["Tỷ lệ tổ dân vận đạt tiêu chuẩn “Tổ dân vận khéo”", "60,0%", "60,0%", "100,0%"]
    ]
