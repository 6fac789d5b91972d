"""What a message says: the recipient's language, the initiative, a Vietnamese date, a link."""

from __future__ import annotations

import pytest
from django.utils import translation

from notifications.models import Message, MessageKind
from notifications.rendering import display_date, render_for_recipient, render_message
from notifications.services import reminders_scan
from workflows.models import AnnualReportStatus

from .scenario import EVALUATION_DUE, REPORT_DUE, at, days

pytestmark = pytest.mark.django_db


def reminder(scenario, moment) -> Message:
    reminders_scan(now=moment, queue=False)
    return Message.objects.filter(
        kind=MessageKind.REPORT_DUE,
        recipient=scenario.official,
        subject_id=scenario.reports[0].pk,
    ).latest("created_at")


def test_a_date_reads_the_vietnamese_way():
    with translation.override("vi"):
        assert display_date(REPORT_DUE) == "ngày 31 tháng 10 năm 2024"
        assert display_date("2023-09-30") == "ngày 30 tháng 9 năm 2023"


def test_report_reminder_in_vietnamese_names_initiative_deadline_and_task(scenario):
    report = scenario.reports[0]
    message = reminder(scenario, at(REPORT_DUE - days(3)))
    text = render_for_recipient(message)
    code, title = report.initiative.code, report.initiative.title
    assert (
        text.subject == f"Nhắc nộp báo cáo năm của mô hình {code} (hạn ngày 31 tháng 10 năm 2024)"
    )
    assert text.body.startswith(f"Kính gửi đồng chí {scenario.official.full_name},")
    assert (
        f"Báo cáo kết quả thực hiện năm của mô hình {code} “{title}” "
        f"({scenario.world.district.commune.name}) cần nộp chậm nhất ngày 31 tháng 10 năm 2024, "
        "còn 3 ngày nữa."
    ) in text.body
    assert f"Đợt bình xét năm 2024 của {scenario.cycle.board.name}." in text.body
    link = f"https://dvk.example.vn/notifications/{message.pk}/go"
    assert text.link == link
    assert f"Mở công việc: {link}" in text.body


def test_report_reminder_in_english_for_a_user_who_chose_english(scenario):
    scenario.official.language = "en"
    scenario.official.save()
    message = reminder(scenario, at(REPORT_DUE - days(1)))
    text = render_for_recipient(message)
    code = scenario.reports[0].initiative.code
    assert text.subject == f"Reminder: annual report on {code} due Oct. 31, 2024"
    assert "is due on Oct. 31, 2024, in 3 days." in text.body
    assert text.body.startswith(f"Dear {scenario.official.full_name},")


def test_day_of_and_overdue_reminders_say_so(scenario):
    code = scenario.reports[0].initiative.code
    today = render_for_recipient(reminder(scenario, at(REPORT_DUE)))
    assert today.subject == f"Hôm nay là hạn nộp báo cáo năm của mô hình {code}"
    assert today.body.count("Hôm nay, ngày 31 tháng 10 năm 2024, là hạn cuối") == 1
    late = render_for_recipient(reminder(scenario, at(REPORT_DUE + days(7))))
    assert (
        late.subject == f"Quá hạn: báo cáo năm của mô hình {code} (hạn ngày 31 tháng 10 năm 2024)"
    )
    assert "đã quá hạn nộp (ngày 31 tháng 10 năm 2024) mà chưa được gửi" in late.body


def test_chair_list_names_every_missing_initiative(scenario):
    scenario.reports[0].status = AnnualReportStatus.SUBMITTED
    scenario.reports[0].save()
    reminders_scan(now=at(EVALUATION_DUE + days(1)), queue=False)
    text = render_for_recipient(Message.objects.get(kind=MessageKind.REPORTS_MISSING))
    assert text.subject == (
        f"Báo cáo năm còn thiếu trong đợt bình xét năm 2024 của {scenario.cycle.board.name}"
    )
    assert "là ngày 30 tháng 11 năm 2024. Còn 2 báo cáo năm chưa được nộp:" in text.body
    for report in scenario.reports[1:]:
        line = (
            f"- {report.initiative.code} “{report.initiative.title}” – "
            f"{scenario.world.district.commune.name}"
        )
        assert line in text.body
    assert scenario.reports[0].initiative.code not in text.body
    assert "Xem danh sách: https://dvk.example.vn/notifications/" in text.body


def test_a_capped_list_says_how_many_more(settings, scenario):
    settings.NOTIFICATION_LIST_LIMIT = 1
    reminders_scan(now=at(EVALUATION_DUE + days(1)), queue=False)
    text = render_for_recipient(Message.objects.get(kind=MessageKind.REPORTS_MISSING))
    assert "… và 2 mục khác." in text.body


def test_plain_text_is_not_html_escaped_and_html_pages_escape_it(scenario, client):
    initiative = scenario.reports[0].initiative
    initiative.title = "Nhà <b>văn hóa</b> & “sân chơi”"
    initiative.save()
    message = reminder(scenario, at(REPORT_DUE - days(3)))
    text = render_for_recipient(message)
    assert "“Nhà <b>văn hóa</b> & “sân chơi””" in text.body
    assert type(text.body) is str and not hasattr(text.body, "__html__")


def test_message_text_follows_the_active_language_in_render_message(scenario):
    message = reminder(scenario, at(REPORT_DUE - days(3)))
    with translation.override("en"):
        assert render_message(message).subject.startswith("Reminder: annual report on")
    with translation.override("vi"):
        assert render_message(message).subject.startswith("Nhắc nộp báo cáo năm")
