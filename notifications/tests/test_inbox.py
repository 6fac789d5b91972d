"""The in-app inbox at /notifications/ and the unread count for the page header."""

from __future__ import annotations

import copy
import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.tests.factories import UserFactory
from notifications.context_processors import unread_count
from notifications.models import Delivery, Message
from notifications.selectors import inbox
from notifications.services import deliveries_send, reminders_scan

from .scenario import REPORT_DUE, at, days

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(scenario):
    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    deliveries_send(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))
    return scenario


def test_the_inbox_needs_a_login(client, settings):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)


def test_the_inbox_lists_my_delivered_messages_only(client, delivered):
    official = delivered.official
    # A message written but not delivered yet is not in the inbox.
    reminders_scan(now=at(REPORT_DUE), queue=False)
    assert Message.objects.filter(recipient=official).count() == 6
    assert inbox(user=official).count() == 3
    client.force_login(official)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    body = response.content.decode()
    for report in delivered.reports:
        assert f"Nhắc nộp báo cáo năm của mô hình {report.initiative.code}" in body
    assert "3 chưa đọc" in body
    assert body.count('class="unread"') == 3


def test_opening_a_message_marks_it_read_and_goes_to_the_task(client, delivered):
    official = delivered.official
    message = inbox(user=official).first()
    client.force_login(official)
    response = client.get(reverse("notifications:open", kwargs={"pk": message.pk}))
    assert response.status_code == 302
    # These reports have no review process (no open task): the initiative's page.
    assert response["Location"] == reverse(
        "workflows:initiative-detail", kwargs={"pk": message.initiative_id}
    )
    message.refresh_from_db()
    assert message.read_at is not None
    assert unread_count_for(official) == 2
    page = client.get(reverse("notifications:detail", kwargs={"pk": message.pk}))
    assert page.status_code == 200
    assert "cần nộp chậm nhất ngày 31 tháng 10 năm 2024" in page.content.decode()


def test_someone_elses_message_is_not_found(client, delivered):
    message = inbox(user=delivered.official).first()
    client.force_login(delivered.second_official)
    for name in ("notifications:detail", "notifications:open"):
        assert client.get(reverse(name, kwargs={"pk": message.pk})).status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_all_read(client, delivered):
    client.force_login(delivered.official)
    assert client.get(reverse("notifications:read-all")).status_code == 405
    response = client.post(reverse("notifications:read-all"))
    assert response.status_code == 302
    assert unread_count_for(delivered.official) == 0
    assert unread_count_for(delivered.second_official) == 3


def unread_count_for(user) -> int:
    request = RequestFactory().get("/")
    request.user = user
    return int(unread_count(request)["notifications_unread"])


def test_the_header_count_is_lazy_and_zero_for_anonymous(delivered, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert unread_count(request) == {"notifications_unread": 0}
    request.user = delivered.official
    with django_assert_num_queries(0):
        context = unread_count(request)
    with django_assert_num_queries(1):
        assert int(context["notifications_unread"]) == 3


def test_the_page_header_shows_the_unread_count(client, delivered, settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append(
        "notifications.context_processors.unread_count"
    )
    settings.TEMPLATES = templates
    client.force_login(delivered.official)
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert _menu_link_text(body, "/notifications/") == "Thông báo (3)"
    client.force_login(UserFactory())
    body = client.get(reverse("notifications:inbox")).content.decode()
    assert _menu_link_text(body, "/notifications/") == "Thông báo"


def _menu_link_text(body: str, href: str) -> str:
    """The text of the one link to ``href`` in the page's menu."""
    menu = body[body.index("<nav") : body.index("</nav>")]
    links = re.findall(rf'<a [^>]*href="{re.escape(href)}"[^>]*>(.*?)</a>', menu, re.S)
    assert len(links) == 1, links
    return re.sub(r"<[^>]+>", "", links[0]).strip()


def test_a_report_reminder_opens_the_report_task_itself(client, django_capture_on_commit_callbacks):
    from core.models import InitiativeStatus
    from core.tests.factories import InitiativeFactory
    from workflows import services as lifecycle
    from workflows.tests.factories import ReviewCycleFactory, build_world

    world = build_world()
    InitiativeFactory(owner_unit=world.district.commune, status=InitiativeStatus.MONITORED)
    cycle = ReviewCycleFactory(board=world.district.board)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.cycle_open(cycle=cycle, actor=world.district.secretary)
    reminders_scan(now=at(cycle.report_due - days(3)), queue=False)
    message = Message.objects.get(kind="report_due", recipient=world.district.official)
    deliveries_send(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))
    client.force_login(world.district.official)
    response = client.get(reverse("notifications:open", kwargs={"pk": message.pk}))
    assert response.status_code == 302
    task_page = response["Location"]
    assert task_page.startswith("/tasks/")
    assert client.get(task_page).status_code == 200


def test_the_outbox_is_readable_in_the_admin(client, delivered):
    from core.tests.factories import UserFactory as Users

    admin = Users(is_staff=True, is_superuser=True)
    client.force_login(admin)
    message = Message.objects.first()
    assert client.get(reverse("admin:notifications_message_changelist")).status_code == 200
    page = client.get(reverse("admin:notifications_message_change", args=[message.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:notifications_delivery_changelist")).status_code == 200
    assert client.get(reverse("admin:notifications_message_add")).status_code == 403


def test_the_inbox_searches_by_initiative_without_accents_and_exports(client, delivered):
    import io

    import openpyxl

    official = delivered.official
    client.force_login(official)
    first = delivered.reports[0].initiative
    body = client.get(reverse("notifications:inbox"), {"q": first.code}).content.decode()
    assert f"Nhắc nộp báo cáo năm của mô hình {first.code}" in body
    for report in delivered.reports[1:]:
        assert f"mô hình {report.initiative.code}" not in body
    response = client.get(reverse("notifications:inbox"), {"export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Thông báo", "Nhận lúc", "Đọc lúc")
    subjects = sorted(row[0] for row in rows[1:])
    assert len(subjects) == len(delivered.reports) == 3
    for subject, report in zip(
        subjects, sorted(delivered.reports, key=lambda r: r.initiative.code), strict=True
    ):
        assert subject.startswith(f"Nhắc nộp báo cáo năm của mô hình {report.initiative.code} (")
    page = client.get(reverse("notifications:inbox"), {"page": "abc"}).content.decode()
    assert "“abc” không phải số trang; đang hiển thị trang đầu." in page


def test_the_inbox_sorts_by_initiative_and_by_time_both_ways_and_exports_in_that_order(
    client, delivered
):
    import io

    import openpyxl

    client.force_login(delivered.official)
    codes = sorted(report.initiative.code for report in delivered.reports)

    def listed(**query):
        body = client.get(reverse("notifications:inbox"), query).content.decode()
        return re.findall(r"Nhắc nộp báo cáo năm của mô hình (\S+) \(", body), body

    ascending, body = listed(sort="initiative")
    assert ascending == codes
    assert 'href="?sort=-initiative"' in body and 'aria-current="true"' in body
    assert listed(sort="-initiative")[0] == codes[::-1]
    assert sorted(listed(sort="received")[0]) == codes
    assert listed(sort="received")[0] == listed(sort="-received")[0][::-1]
    response = client.get(reverse("notifications:inbox"), {"export": "xlsx", "sort": "-initiative"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    )
    assert [re.search(r"mô hình (\S+) \(", row[0]).group(1) for row in rows[1:]] == codes[::-1]
    refused, body = listed(sort="recipient__password")
    assert sorted(refused) == codes
    assert "Không sắp xếp được theo “recipient__password”" in body
