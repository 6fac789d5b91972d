"""The statistics tables' rows written in Python (``stats_tables.table_rows``) say what the
template said: escaped text, drill-down links with the period, counted links, progress."""

from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import mark_safe

from stats.presentation import Cell, Table


def render(**context) -> str:
    template = Template(
        "{% load stats_tables %}{% table_rows table drill=drill drill_codes=drill_codes "
        "period_query=period_query progress=progress %}"
    )
    return template.render(Context(context))


def test_rows_escape_text_and_link_down_the_tree_with_the_period():
    table = Table(
        key="by_unit",
        title="t",
        headers=["Đơn vị", "Mô hình"],
        rows=[
            [Cell("Xã <Bình> & Long"), Cell(1202, href="/initiatives/?unit=X&field=kinh-te")],
            [Cell("Xã Hưng Đạo"), Cell(None)],
        ],
    )
    html = render(
        table=table, drill=True, drill_codes=["X 1", "X/2"], period_query="phase=2021-2025"
    )
    assert html == (
        '<tr><th scope="row"><a href="?unit=X%201&amp;phase=2021-2025">'
        "Xã &lt;Bình&gt; &amp; Long</a></th>"
        '<td class="n"><a href="/initiatives/?unit=X&amp;field=kinh-te">1.202</a></td></tr>'
        '<tr><th scope="row"><a href="?unit=X/2&amp;phase=2021-2025">Xã Hưng Đạo</a></th>'
        '<td class="">–</td></tr>'
    )
    # Without drill-down: a plain row header.
    assert render(table=table).startswith('<tr><th scope="row">Xã &lt;Bình&gt; &amp; Long</th>')


def test_a_targets_progress_goes_under_its_last_cell():
    table = Table(
        key="targets",
        title="t",
        headers=["Chỉ tiêu", "Đạt", "Chỉ tiêu"],
        rows=[[Cell("Có quy chế"), Cell(140), Cell("100%")]],
    )
    bar = mark_safe('<span class="bar">87%</span>')
    html = render(table=table, progress=[bar])
    assert html.endswith('<td class="">100%<br><span class="bar">87%</span></td></tr>')
    assert '<td class="n">140</td>' in html


def test_numbers_are_grouped_in_the_active_language_each_time():
    # The grouped text is kept per language: a Vietnamese page must not leave its
    # separator to an English one, nor an int its text to the float or bool of equal value.
    with translation.override("vi"):
        assert [Cell(1202).text, Cell(1202.0).text, Cell(True).text] == ["1.202", "1.202,0", "có"]
    with translation.override("en"):
        assert [Cell(1202).text, Cell(1202.0).text, Cell(True).text] == ["1,202", "1,202.0", "yes"]
    with translation.override("vi"):
        assert Cell(1202).text == "1.202"
