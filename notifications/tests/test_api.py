"""The in-app inbox through the REST API: /api/v1/notifications/ and .../<id>/read/."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.pagination import PageNumberPagination
from rest_framework.test import APIClient

from notifications.models import Delivery, Message
from notifications.selectors import inbox
from notifications.services import deliveries_send, reminders_scan

from .scenario import REPORT_DUE, at, days

pytestmark = pytest.mark.django_db

KEYS = {"id", "kind", "subject", "body", "link", "read", "created_at"}


def api(user=None, **headers) -> APIClient:
    client = APIClient(**headers)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def delivered(scenario):
    """Three reminders delivered to the commune's official (one per annual report), and
    three more written but not delivered yet."""
    reminders_scan(now=at(REPORT_DUE - days(3)), queue=False)
    deliveries_send(delivery_ids=list(Delivery.objects.values_list("pk", flat=True)))
    reminders_scan(now=at(REPORT_DUE), queue=False)
    return scenario


def listed(user, **headers) -> dict:
    response = api(user, **headers).get("/api/v1/notifications/")
    assert response.status_code == 200, response.content
    return response.json()


def test_lists_my_delivered_messages_newest_first_rendered(delivered):
    official = delivered.official
    assert Message.objects.filter(recipient=official).count() == 6

    page = listed(official)

    expected = list(inbox(user=official))
    assert page["count"] == 3 and page["next"] is None
    assert [item["id"] for item in page["results"]] == [m.pk for m in expected]
    codes = {report.initiative.code for report in delivered.reports}
    for item, message in zip(page["results"], expected, strict=True):
        assert set(item) == KEYS
        assert item["kind"] == "report_due"
        assert item["subject"] == (
            f"Nhắc nộp báo cáo năm của mô hình {message.initiative.code} "
            "(hạn ngày 31 tháng 10 năm 2024)"
        )
        assert "cần nộp chậm nhất ngày 31 tháng 10 năm 2024" in item["body"]
        assert item["link"] == f"https://dvk.example.vn/notifications/{message.pk}/go"
        assert item["read"] is False
    assert {m.initiative.code for m in expected} == codes


def test_messages_are_in_my_language_unless_the_request_asks_for_one(delivered):
    official = delivered.official
    official.language = "en"
    official.save(update_fields=["language"])

    mine = listed(official)["results"][0]["subject"]
    asked = listed(official, HTTP_ACCEPT_LANGUAGE="vi")["results"][0]["subject"]

    assert mine.startswith("Reminder: annual report on ")
    assert asked.startswith("Nhắc nộp báo cáo năm của mô hình ")


def test_the_list_is_paginated_like_the_other_lists(delivered, monkeypatch):
    monkeypatch.setattr(PageNumberPagination, "page_size", 2)
    official = delivered.official

    first = listed(official)
    second = api(official).get(first["next"]).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert first["next"].endswith("/api/v1/notifications/?page=2")
    assert len(second["results"]) == 1 and second["next"] is None
    ids = [item["id"] for item in first["results"] + second["results"]]
    assert ids == [m.pk for m in inbox(user=official)]


def test_marking_a_message_read(delivered):
    official = delivered.official
    message = inbox(user=official).last()

    response = api(official).post(f"/api/v1/notifications/{message.pk}/read/")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == KEYS and (body["id"], body["read"]) == (message.pk, True)
    message.refresh_from_db()
    first_read = message.read_at
    assert first_read is not None
    assert [item["read"] for item in listed(official)["results"]] == [False, False, True]
    # Again: still read, the time it was first read is kept.
    assert api(official).post(f"/api/v1/notifications/{message.pk}/read/").status_code == 200
    message.refresh_from_db()
    assert message.read_at == first_read


def test_someone_elses_message_is_not_found_and_stays_unread(delivered):
    message = inbox(user=delivered.official).first()

    response = api(delivered.second_official).post(f"/api/v1/notifications/{message.pk}/read/")

    assert response.status_code == 404
    assert "detail" in response.json()
    message.refresh_from_db()
    assert message.read_at is None
    assert listed(delivered.second_official)["count"] == 3  # their own three reminders
    assert message.pk not in [i["id"] for i in listed(delivered.second_official)["results"]]


def test_a_message_not_delivered_in_app_yet_is_not_found(delivered):
    pending = Message.objects.filter(recipient=delivered.official).exclude(
        pk__in=inbox(user=delivered.official).values("pk")
    )[0]

    response = api(delivered.official).post(f"/api/v1/notifications/{pending.pk}/read/")

    assert response.status_code == 404


def test_the_inbox_api_needs_a_token(delivered):
    message = inbox(user=delivered.official).first()

    assert api().get("/api/v1/notifications/").status_code == 401
    assert api().post(f"/api/v1/notifications/{message.pk}/read/").status_code == 401
    assert (
        api(delivered.official).get(f"/api/v1/notifications/{message.pk}/read/").status_code == 405
    )
