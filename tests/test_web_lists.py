"""The web lists: accent-insensitive search, sorting, the unit subtree filter, page size, bad
parameters answered with a notice, and exports (XLSX read back with openpyxl, CSV) of
exactly the rows the filters select, with Vietnamese headers and formulas neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from core.models import CycleStatus, InitiativeStatus, ReviewCycle
from core.tests.factories import (
    CommendationFactory,
    InitiativeFactory,
    IssuingBodyFactory,
    UnitFactory,
)
from workflows.tests.factories import ReviewCycleFactory, build_world

from .api_support import fast_password_hashing
from .web_support import browser


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    world = build_world()
    d = world.district
    world.extra = {
        "road": InitiativeFactory(
            owner_unit=d.commune,
            title="Dân vận khéo trong làm đường giao thông",
            registered_on=dt.date(2023, 3, 1),
            status=InitiativeStatus.MONITORED,
        ),
        "water": InitiativeFactory(
            owner_unit=d.hamlet,
            title="Nước sạch cho bản",
            owner_name="Lương Thị Hường",
            kind="individual",
            registered_on=dt.date(2022, 5, 2),
        ),
        "formula": InitiativeFactory(
            owner_unit=d.unit,
            title='=HYPERLINK("http://x")',
            registered_on=dt.date(2021, 7, 9),
        ),
        "sibling": InitiativeFactory(
            owner_unit=world.sibling.commune,
            title="Dân vận khéo ở huyện bên",
            registered_on=dt.date(2023, 1, 1),
        ),
    }
    return world


def codes_on_page(html: str) -> list[str]:
    """The initiative codes of the table's rows, in order."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return re.findall(r'href="/initiatives/\d+/">([^<]+)</a>', body)


def notices(html: str) -> list[str]:
    return re.findall(r'class="alert alert-warning list-notice" role="status">([^<]+)<', html)


def test_search_ignores_accents_and_case_and_looks_in_code_title_owner_and_unit(world):
    x = world.extra
    client = browser(world.district.secretary)
    found = codes_on_page(client.get("/initiatives/", {"q": "dan van"}).content.decode())
    assert found == [x["road"].code]
    assert codes_on_page(client.get("/initiatives/", {"q": "DÂN VẬN"}).content.decode()) == [
        x["road"].code
    ]
    assert codes_on_page(client.get("/initiatives/", {"q": "huong"}).content.decode()) == [
        x["water"].code
    ]
    assert codes_on_page(client.get("/initiatives/", {"q": x["road"].code}).content.decode()) == [
        x["road"].code
    ]
    # The unit's name: "Xóm Hòa An Thượng" owns the water initiative.
    assert codes_on_page(client.get("/initiatives/", {"q": "xom hoa an"}).content.decode()) == [
        x["water"].code
    ]
    # Every word must match.
    assert codes_on_page(client.get("/initiatives/", {"q": "dan nuoc"}).content.decode()) == []


def test_search_never_reaches_outside_the_subtree(world):
    client = browser(world.district.secretary)
    page = client.get("/initiatives/", {"q": "huyen ben"}).content.decode()
    assert codes_on_page(page) == []
    assert world.extra["sibling"].code not in page


def test_sorting_by_a_column_both_ways(world):
    x = world.extra
    client = browser(world.district.secretary)
    default = codes_on_page(client.get("/initiatives/").content.decode())
    assert default == [x["road"].code, x["water"].code, x["formula"].code]  # newest first
    ascending = codes_on_page(
        client.get("/initiatives/", {"sort": "registered_on"}).content.decode()
    )
    assert ascending == list(reversed(default))
    by_title = codes_on_page(client.get("/initiatives/", {"sort": "title"}).content.decode())
    assert by_title == [x["formula"].code, x["road"].code, x["water"].code]
    by_title_desc = codes_on_page(client.get("/initiatives/", {"sort": "-title"}).content.decode())
    assert by_title_desc == list(reversed(by_title))


def test_unit_filter_keeps_the_units_subtree(world):
    x = world.extra
    client = browser(world.district.secretary)
    commune = codes_on_page(
        client.get("/initiatives/", {"unit": world.district.commune.code}).content.decode()
    )
    assert sorted(commune) == sorted([x["road"].code, x["water"].code])
    hamlet = codes_on_page(
        client.get("/initiatives/", {"unit": world.district.hamlet.code}).content.decode()
    )
    assert hamlet == [x["water"].code]
    unknown = client.get("/initiatives/", {"unit": "NO-SUCH"}).content.decode()
    assert codes_on_page(unknown) == []
    assert notices(unknown) == ["Không có đơn vị nào mang mã “NO-SUCH”; danh sách để trống."]


def test_year_status_and_kind_filters(world):
    x = world.extra
    client = browser(world.district.secretary)
    assert codes_on_page(client.get("/initiatives/", {"year": "2022"}).content.decode()) == [
        x["water"].code
    ]
    assert codes_on_page(client.get("/initiatives/", {"status": "monitored"}).content.decode()) == [
        x["road"].code
    ]
    assert codes_on_page(client.get("/initiatives/", {"kind": "individual"}).content.decode()) == [
        x["water"].code
    ]


def test_bad_parameters_are_answered_with_a_notice_and_the_default(world):
    client = browser(world.district.secretary)
    everything = codes_on_page(client.get("/initiatives/").content.decode())

    page = client.get("/initiatives/", {"page": "abc"})
    assert page.status_code == 200
    html = page.content.decode()
    assert notices(html) == ["“abc” không phải số trang; đang hiển thị trang đầu."]
    assert codes_on_page(html) == everything

    html = client.get("/initiatives/", {"page": "99"}).content.decode()
    assert notices(html) == ["Không có trang 99 (trang cuối là 1); đang hiển thị trang đầu."]
    assert codes_on_page(html) == everything

    html = client.get("/initiatives/", {"sort": "password"}).content.decode()
    assert notices(html) == ["Không sắp xếp được theo “password”; đang hiển thị thứ tự mặc định."]
    assert codes_on_page(html) == everything

    html = client.get("/initiatives/", {"per_page": "7"}).content.decode()
    assert notices(html) == ["Số dòng mỗi trang “7” không thuộc 10, 25, 50, 100; đang dùng 25."]

    html = client.get("/initiatives/", {"year": "abc"}).content.decode()
    assert len(notices(html)) == 1 and "Năm" in notices(html)[0]
    assert codes_on_page(html) == everything


def test_page_size_and_pages(world):
    for n in range(12):
        InitiativeFactory(owner_unit=world.district.commune, registered_on=dt.date(2020, 1, n + 1))
    client = browser(world.district.secretary)
    first = codes_on_page(client.get("/initiatives/", {"per_page": "10"}).content.decode())
    second_page = client.get("/initiatives/", {"per_page": "10", "page": "2"}).content.decode()
    second = codes_on_page(second_page)
    assert len(first) == 10 and len(second) == 5
    assert not set(first) & set(second)
    assert "Trang 2/2" in second_page


def _xlsx_rows(response) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_xlsx_export_holds_exactly_the_filtered_rows_with_vietnamese_headers(world):
    x = world.extra
    client = browser(world.district.secretary)
    query = {"q": "dan van", "sort": "title"}
    shown = codes_on_page(client.get("/initiatives/", query).content.decode())
    response = client.get("/initiatives/", {**query, "export": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    rows = _xlsx_rows(response)
    assert rows[0] == [
        "Mã",
        "Tên mô hình",
        "Đơn vị",
        "Chủ mô hình",
        "Loại",
        "Lĩnh vực",
        "Giai đoạn",
        "Trạng thái",
        "Ngày đăng ký",
    ]
    assert [row[0] for row in rows[1:]] == shown == [x["road"].code]
    road = rows[1]
    assert road[1] == x["road"].title
    assert road[2] == world.district.commune.name
    assert road[7] == "Đang theo dõi"
    assert road[8] == dt.datetime(2023, 3, 1)  # a typed date cell


def test_export_covers_every_page_and_neutralises_formulas(world):
    x = world.extra
    client = browser(world.district.secretary)
    shown_page = codes_on_page(client.get("/initiatives/", {"per_page": "10"}).content.decode())
    rows = _xlsx_rows(client.get("/initiatives/", {"export": "xlsx", "page": "2"}))
    assert [row[0] for row in rows[1:]] == shown_page
    formula_row = next(row for row in rows if row[0] == x["formula"].code)
    assert formula_row[1] == "'" + x["formula"].title
    assert x["sibling"].code not in [row[0] for row in rows]


def test_csv_export_is_utf8_with_a_bom_and_vietnamese_dates(world):
    x = world.extra
    client = browser(world.district.secretary)
    response = client.get("/initiatives/", {"status": "monitored", "export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Mã" and rows[0][1] == "Tên mô hình"
    assert rows[1][0] == x["road"].code
    assert rows[1][8] == "01/03/2023"
    assert len(rows) == 2


def test_unknown_export_format_is_refused(world):
    response = browser(world.district.secretary).get("/initiatives/", {"export": "pdf"})
    assert response.status_code == 400
    assert "xlsx" in response.content.decode()


def test_export_refuses_more_rows_than_the_limit(world, settings):
    settings.LIST_EXPORT_MAX_ROWS = 2
    response = browser(world.district.secretary).get("/initiatives/", {"export": "csv"})
    assert response.status_code == 400
    assert "3" in response.content.decode()


def test_decision_commendation_and_unit_lists_are_scoped_and_searchable(world):
    d = world.district
    body = IssuingBodyFactory(unit=d.unit, name="UBND huyện Hòa An")
    mine = CommendationFactory(unit=d.commune, issuer=body, recipient_name="Tập thể Xóm Đông")
    other = CommendationFactory(
        unit=world.sibling.commune,
        recipient_name="Tập thể huyện bên",
        decision_date=dt.date(2021, 1, 5),
    )
    client = browser(d.secretary)
    page = client.get("/commendations/").content.decode()
    assert mine.recipient_name in page and other.recipient_name not in page
    page = client.get("/commendations/", {"q": "tap the xom dong"}).content.decode()
    assert mine.recipient_name in page
    page = client.get("/commendations/", {"year": "2021"}).content.decode()
    assert mine.recipient_name not in page
    rows = _xlsx_rows(client.get("/commendations/", {"export": "xlsx"}))
    assert rows[0][4] == "Tập thể, cá nhân được khen"
    assert [row[4] for row in rows[1:]] == [mine.recipient_name]

    units = client.get("/units/").content.decode()
    assert d.hamlet.name in units and world.sibling.commune.name not in units
    units = client.get("/units/", {"q": "xom hoa an"}).content.decode()
    rows = units[units.index("<tbody>") : units.index("</tbody>")]
    assert f"<td>{d.hamlet.code}</td>" in rows and f"<td>{d.commune.code}</td>" not in rows

    decisions = client.get("/decisions/")
    assert decisions.status_code == 200


def test_unit_picker_suggests_units_of_my_subtree(world):
    d = world.district
    client = browser(d.secretary)
    options = client.get("/units/options/", {"unit": "hoa an"}).content.decode()
    assert d.commune.code in options and d.hamlet.code in options
    assert world.sibling.commune.code not in options
    assert client.get("/units/options/", {"unit": "ha quang"}).content.decode().strip() == ""


def test_cycle_list_is_searchable_and_links_to_the_cycle_page(world):
    cycle = ReviewCycleFactory(board=world.district.board, year=2024)
    ReviewCycleFactory(board=world.province_board, year=2023)
    client = browser(world.district.secretary)
    page = client.get("/cycles/", {"q": "hoa an"}).content.decode()
    assert f'href="/cycles/{cycle.pk}/"' in page
    assert "2023" not in page[page.index("<tbody>") : page.index("</tbody>")]


def test_cycle_page_previews_the_tasks_and_a_draft_can_be_edited_and_deleted(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, year=2024)
    client = browser(d.secretary)
    page = client.get(f"/cycles/{cycle.pk}/").content.decode()
    # The road initiative is monitored: one task.
    assert "Mở đợt bình xét bây giờ sẽ tạo 1 việc nộp báo cáo năm" in page
    assert 'id="confirm-open"' in page and 'id="confirm-delete"' in page

    form = client.get(f"/cycles/{cycle.pk}/edit/")
    assert form.status_code == 200
    response = client.post(
        f"/cycles/{cycle.pk}/edit/",
        {
            "phase": cycle.phase_id,
            "year": 2024,
            "opens_on": "01/02/2024",
            "report_due": "30/10/2024",
            "evaluation_due": "30/11/2024",
            "decision_due": "20/12/2024",
            "pass_mark": "75,5",
        },
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.report_due == dt.date(2024, 10, 30)
    assert str(cycle.pass_mark) == "75.50"

    # A member may not edit or delete.
    member = browser(d.members[0])
    assert member.get(f"/cycles/{cycle.pk}/edit/").status_code == 403
    member.post(f"/cycles/{cycle.pk}/delete/")
    assert ReviewCycle.objects.filter(pk=cycle.pk).exists()
    # Nor may another district's secretary see it.
    assert browser(world.sibling.secretary).get(f"/cycles/{cycle.pk}/").status_code == 404

    assert client.post(f"/cycles/{cycle.pk}/delete/").status_code == 302
    assert not ReviewCycle.objects.filter(pk=cycle.pk).exists()


def test_an_open_cycle_cannot_be_edited_or_deleted(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, year=2024, status=CycleStatus.OPEN)
    client = browser(d.secretary)
    response = client.post(f"/cycles/{cycle.pk}/delete/", follow=True)
    assert ReviewCycle.objects.filter(pk=cycle.pk).exists()
    assert "Chỉ xóa được đợt bình xét còn là bản nháp." in response.content.decode()
    page = client.get(f"/cycles/{cycle.pk}/").content.decode()
    assert 'id="confirm-open"' not in page and 'id="confirm-close"' in page


def test_my_tasks_search_and_export(world):
    from workflows import services as lifecycle

    d = world.district
    cycle = ReviewCycleFactory(board=d.board, year=2024)
    lifecycle.cycle_open(cycle=cycle, actor=d.secretary)
    x = world.extra
    client = browser(d.official)
    page = client.get("/tasks/", {"q": "lam duong"}).content.decode()
    assert x["road"].code in page
    page = client.get("/tasks/", {"q": "khong co gi"}).content.decode()
    assert x["road"].code not in page
    rows = _xlsx_rows(client.get("/tasks/", {"export": "xlsx"}))
    assert rows[0] == ["Việc", "Mã", "Mô hình", "Đơn vị", "Hạn", "Từ ngày"]
    assert [row[1] for row in rows[1:]] == [x["road"].code]
    assert rows[1][4] == dt.datetime(2024, 10, 31)
    assert client.get("/tasks/", {"export": "doc"}).status_code == 400
    # A search pages by number (the whole queue pages by keyset, ``after``).
    html = client.get("/tasks/", {"q": "lam duong", "page": "abc"}).content.decode()
    assert notices(html) == ["“abc” không phải số trang; đang hiển thị trang đầu."]
    assert x["road"].code in html


def test_the_secretary_edits_a_draft_cycles_rubric_with_weights_adding_up_to_100(world):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board, year=2024)
    client = browser(d.secretary)
    page = client.get(f"/cycles/{cycle.pk}/rubric/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Hiệu quả"' in html and 'value="30,00"' in html

    def post(rows, pass_mark="72,5"):
        data = {
            "criteria-TOTAL_FORMS": str(len(rows)),
            "criteria-INITIAL_FORMS": "0",
            "criteria-MIN_NUM_FORMS": "0",
            "criteria-MAX_NUM_FORMS": "20",
            "pass_mark": pass_mark,
        }
        for i, (name, weight, top) in enumerate(rows):
            data.update(
                {
                    f"criteria-{i}-name": name,
                    f"criteria-{i}-weight": weight,
                    f"criteria-{i}-max_score": top,
                }
            )
        return client.post(f"/cycles/{cycle.pk}/rubric/", data)

    refused = post([("Hiệu quả", "60", "100"), ("Tính bền vững", "30", "10")])
    assert refused.status_code == 400
    assert "Tổng trọng số là 90; tổng phải bằng 100." in refused.content.decode()
    assert cycle.criteria.count() == 5

    saved = post([("Hiệu quả", "60,5", "100"), ("Tính bền vững", "39,5", "10")])
    assert saved.status_code == 302
    criteria = list(
        cycle.criteria.order_by("position").values_list("code", "name", "weight", "max_score")
    )
    assert [(c[1], str(c[2]), c[3]) for c in criteria] == [
        ("Hiệu quả", "60.50", 100),
        ("Tính bền vững", "39.50", 10),
    ]
    assert criteria[1][0] == "tinh-ben-vung"
    cycle.refresh_from_db()
    assert str(cycle.pass_mark) == "72.50"

    # A member may not; an open cycle's rubric is fixed.
    assert browser(d.members[0]).get(f"/cycles/{cycle.pk}/rubric/").status_code == 403
    cycle.status = CycleStatus.OPEN
    cycle.save()
    response = post([("Hiệu quả", "100", "100")])
    assert response.status_code == 409
    assert cycle.criteria.count() == 2


def test_my_tasks_sort_by_initiative_unit_and_age_both_ways(world):
    from workflows import services as lifecycle

    d = world.district
    x = world.extra
    other = InitiativeFactory(
        owner_unit=d.commune, title="Chợ văn minh", status=InitiativeStatus.MONITORED
    )
    lifecycle.cycle_open(cycle=ReviewCycleFactory(board=d.board, year=2024), actor=d.secretary)
    client = browser(d.official)
    codes = sorted([x["road"].code, other.code])

    def order(**query):
        html = client.get("/tasks/", query).content.decode()
        body = html[html.index("<tbody>") : html.rindex("</tbody>")]
        return [code for code in re.findall(r'<td class="title">([^ <]+) – ', body)], html

    ascending, html = order(sort="code")
    assert ascending == codes
    assert 'aria-sort="ascending"' in html and 'href="?sort=-code"' in html
    descending, html = order(sort="-code")
    assert descending == codes[::-1]
    assert 'aria-sort="descending"' in html
    # Sorting keeps the search and pages by number.
    assert order(sort="-code", q="cho van minh")[0] == [other.code]
    assert order(sort="since")[0] and len(order(sort="unit")[0]) == 2
    # An unknown column is said and ignored: the default order (oldest first).
    default, html = order()
    refused, html = order(sort="owner__password")
    assert refused == default
    assert notices(html) == [
        "Không sắp xếp được theo “owner__password”; đang hiển thị thứ tự mặc định."
    ]


def _field_options(html: str) -> list[str]:
    select = html[html.index('<select name="field"') :]
    return re.findall(r"<option[^>]*>([^<]*)</option>", select[: select.index("</select>")])


def test_the_cached_filter_fields_follow_a_field_added_renamed_or_removed(world):
    from core.models import Field

    client = browser(world.district.secretary)
    before = _field_options(client.get("/initiatives/").content.decode())
    assert before == _field_options(client.get("/initiatives/").content.decode())  # cached
    added = Field.objects.create(code="an-ninh-moi", name="An ninh trật tự mới", position=99)
    assert "An ninh trật tự mới" in _field_options(client.get("/initiatives/").content.decode())
    added.name = "Quốc phòng toàn dân"
    added.save()
    after = _field_options(client.get("/initiatives/").content.decode())
    assert "Quốc phòng toàn dân" in after and "An ninh trật tự mới" not in after
    added.delete()
    assert _field_options(client.get("/initiatives/").content.decode()) == before


def test_the_cached_filter_fields_are_in_the_users_language(world):
    vi = browser(world.district.secretary).get("/initiatives/").content.decode()
    en = browser(world.district.secretary, "en").get("/initiatives/").content.decode()
    assert "Trạng thái" in vi and "Trạng thái" not in en
    assert ">Status</label>" in en


def test_a_filtered_list_shows_the_chosen_values_in_its_fields(world):
    client = browser(world.district.secretary)
    client.get("/initiatives/")  # the unbound fields are cached
    html = client.get("/initiatives/?status=monitored&year=2023").content.decode()
    assert re.search(r'<option value="monitored" selected>', html)
    assert re.search(r'name="year" value="2023"', html)


@pytest.mark.parametrize("path", ["/commendations/", "/units/"])
def test_a_list_page_costs_the_same_queries_for_1_and_20_rows(
    world, path, django_assert_max_num_queries
):
    d = world.district
    body = IssuingBodyFactory(unit=d.unit)

    def add_row(n: int) -> None:
        if path == "/commendations/":
            CommendationFactory(unit=d.commune, issuer=body, recipient_name=f"Tập thể số {n}")
        else:
            UnitFactory(parent=d.commune, name=f"Tổ dân phố số {n}")

    client = browser(d.secretary)
    add_row(0)
    client.get(path)  # warm up (session, content types)
    with django_assert_max_num_queries(100) as one:
        assert client.get(path).status_code == 200
    for n in range(1, 20):
        add_row(n)
    with django_assert_max_num_queries(len(one.captured_queries)) as twenty:
        page = client.get(path, {"per_page": 25})
    assert page.content.decode().count("số 1") >= 11  # 1, 10..19: all are listed
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_a_role_granted_between_two_pages_shows_on_the_second(world):
    """The page's memo of the user's seats (core.memo) lives for one request only."""
    from core.models import Role, UnitRole

    person = world.sibling.members[0]
    road = world.extra["road"]  # in the other district
    client = browser(person)
    assert road.code not in codes_on_page(client.get("/initiatives/").content.decode())
    UnitRole.objects.create(user=person, unit=world.district.unit, role=Role.OFFICIAL)
    assert road.code in codes_on_page(client.get("/initiatives/").content.decode())


def test_my_tasks_sort_by_due_date_both_ways_with_undated_tasks_last(world):
    from viewflow.workflow.models import Task

    from core.models import InitiativeKind
    from core.tests.factories import field, phase
    from workflows import selectors
    from workflows import services as lifecycle
    from workflows.models import AnnualReport

    d = world.district
    x = world.extra
    later = InitiativeFactory(
        owner_unit=d.commune, title="Chợ văn minh", status=InitiativeStatus.MONITORED
    )
    cycle = ReviewCycleFactory(board=d.board, year=2024)
    lifecycle.cycle_open(cycle=cycle, actor=d.secretary)
    # The road's report is due last although its task is not the newest.
    AnnualReport.objects.filter(initiative=x["road"]).update(due_on=dt.date(2024, 12, 20))
    AnnualReport.objects.filter(initiative=later).update(due_on=dt.date(2024, 10, 1))
    client = browser(d.official)

    def order(**query):
        html = client.get("/tasks/", query).content.decode()
        body = html[html.index("<tbody>") : html.rindex("</tbody>")]
        return re.findall(r'<td class="title">([^ <]+) – ', body), html

    ascending, html = order(sort="due")
    assert ascending == [later.code, x["road"].code]
    assert 'aria-sort="ascending"' in html and 'href="?sort=-due"' in html
    assert order(sort="-due")[0] == [x["road"].code, later.code]

    # A step without a due date (the review of a registration) comes last both ways.
    pending = lifecycle.initiative_register(
        actor=d.official,
        unit=d.commune,
        title="Mô hình chờ duyệt",
        kind=InitiativeKind.COLLECTIVE,
        fields=[field("economy")],
        phase=phase("2021-2025"),
    )
    open_tasks = Task.objects.filter(flow_task_type="HUMAN", finished__isnull=True)
    review = open_tasks.get(process__lifecycleprocess__initiative=pending).pk
    for descending in (False, True):
        ids = list(selectors.task_ids_by_due(ids=open_tasks.values("pk"), descending=descending))
        assert ids[-1] == review and len(ids) == open_tasks.count()


def test_the_register_of_commendations_holds_a_clerks_columns_and_exports_them(
    db, settings, tmp_path
):
    from core.models import AwardType, RecipientKind, UnitKind
    from core.tests.factories import UnitFactory
    from documents import services as documents
    from documents.services import EntryInput
    from documents.tests.factories import CITATION, clerk_of, district_committee

    settings.MEDIA_ROOT = tmp_path / "media"
    district = UnitFactory(name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    commune = UnitFactory(name="Xã Bình Long", parent=district)
    issuer = district_committee(unit=district)
    clerk = clerk_of(issuer, username="van-thu")
    award = AwardType.CERTIFICATE_OF_MERIT
    decision = documents.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=dt.date(2024, 9, 30),
        title="Về việc tặng Giấy khen",
        entries=[
            EntryInput(unit=commune, award=award, citation=CITATION),
            EntryInput(
                unit=commune,
                recipient_kind=RecipientKind.INDIVIDUAL,
                recipient_name="Lương Thị Hường",
                recipient_title="Chủ tịch Hội Liên hiệp Phụ nữ",
                award=award,
                citation=CITATION,
            ),
        ],
        actor=clerk,
    )
    first, second = documents.certificates_issue(decision=decision, actor=clerk)
    documents.certificate_revoke(certificate=first, reason="Ghi sai tên", actor=clerk)
    replacement = documents.certificate_reissue(certificate=second, actor=clerk, reason="Mất")
    # Recorded without a certificate (imported from an older register).
    CommendationFactory(
        unit=commune,
        issuer=issuer,
        recipient_name="Tập thể xóm Nà Ấu",
        decision_number="2/QĐ-UBND",
        decision_date=dt.date(2024, 1, 5),
        citation=CITATION,
    )

    client = browser(clerk)
    query = {"issuer": issuer.pk, "year": "2024", "sort": "register_number"}
    rows = _xlsx_rows(client.get("/commendations/", {**query, "export": "xlsx"}))
    assert rows[0] == [
        "Số vào sổ",
        "Quyết định",
        "Ngày quyết định",
        "Hình thức khen thưởng",
        "Tập thể, cá nhân được khen",
        "Đối tượng",
        "Đơn vị",
        "Thành tích",
        "Ghi chú",
        "Cơ quan ban hành",
        "Mô hình",
    ]
    number = decision.number

    def day(*date):
        return dt.datetime(*date)

    register = [row[:5] + row[7:9] for row in rows[1:]]
    # Without a certificate: no number (first on SQLite, last on PostgreSQL); the others in
    # the register's order.
    unnumbered = [row for row in register if row[0] is None]
    assert unnumbered == [
        [None, "2/QĐ-UBND", day(2024, 1, 5), "Giấy khen", "Tập thể xóm Nà Ấu", CITATION, None]
    ]
    assert [row for row in register if row[0] is not None] == [
        [
            first.register_number,
            number,
            day(2024, 9, 30),
            "Giấy khen",
            first.commendation.recipient_name,
            CITATION,
            "Đã thu hồi: Ghi sai tên",
        ],
        [
            replacement.register_number,
            number,
            day(2024, 9, 30),
            "Giấy khen",
            "Lương Thị Hường",
            CITATION,
            f"Cấp lại, thay số {second.register_number}",
        ],
    ]
    page = client.get("/commendations/", query).content.decode()
    assert f'<td class="text-nowrap">{replacement.register_number}</td>' in page
    assert "Cấp lại, thay số" in page and CITATION in page


def test_a_filter_left_empty_says_all(world):
    """Every select of a list's filters offers "Tất cả" (all) as its empty choice, never
    dashes."""
    client = browser(world.district.secretary)
    for path in ("/initiatives/", "/decisions/", "/commendations/", "/units/", "/cycles/"):
        html = client.get(path).content.decode()
        selects = re.findall(r"<select name=\"(\w+)\".*?</select>", html, flags=re.S)
        assert selects, path
        for name in selects:
            if name == "per_page":
                continue
            select = html[html.index(f'<select name="{name}"') :]
            first = re.search(r"<option[^>]*>([^<]*)</option>", select).group(1)
            assert first == "Tất cả", (path, name, first)
        assert "---" not in html, path
