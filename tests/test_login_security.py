"""Failed logins lock out (django-axes), the API throttles (429 with Retry-After), and API
tokens expire and can be revoked (logout, the admin action, a command)."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.tests.factories import UserFactory

from .api_support import api, fast_password_hashing

PASSWORD = "mat-khau-dung-2024"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def person(db):
    user = UserFactory(username="xa.canbo")
    user.set_password(PASSWORD)
    user.save()
    return user


def web_login(password: str, client: Client | None = None):
    client = client or Client()
    return client.post("/login/", {"username": "xa.canbo", "password": password})


def token_login(password: str):
    return APIClient().post(
        "/api/v1/auth/token/", {"username": "xa.canbo", "password": password}, format="json"
    )


def test_the_right_password_logs_in(person):
    assert web_login(PASSWORD).status_code == 302
    assert token_login(PASSWORD).status_code == 200


def test_repeated_wrong_passwords_lock_the_web_login_even_for_the_right_one(person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert web_login("sai").status_code == 200  # the form again
    locked = web_login("sai")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    right = web_login(PASSWORD)
    assert right.status_code == 429
    assert "_auth_user_id" not in right.client.session
    assert "khóa" in right.content.decode()


def test_repeated_wrong_passwords_lock_the_api_token_too(person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert token_login("sai").status_code == 400
    assert token_login("sai").status_code == 429
    locked = token_login(PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"]
    assert "token" not in locked.json() and locked.json()["detail"]
    assert not Token.objects.exists()


def test_the_lock_ends_after_the_cool_off_or_with_the_unlock_command(person, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login("sai")
    assert web_login(PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    )
    assert web_login(PASSWORD).status_code == 302

    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login("sai")
    assert web_login(PASSWORD).status_code == 429
    call_command("axes_reset_username", "xa.canbo")
    call_command("axes_reset_ip", "127.0.0.1")
    assert web_login(PASSWORD).status_code == 302


def test_failures_from_one_address_lock_it_for_other_accounts(person, settings):
    other = UserFactory(username="xa.khac")
    other.set_password(PASSWORD)
    other.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login("sai")
    response = Client().post("/login/", {"username": "xa.khac", "password": PASSWORD})
    assert response.status_code == 429


def test_the_api_throttles_a_user_with_retry_after(person, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "3/min"},
    }
    client = api(person)
    answers = [client.get("/api/v1/initiatives/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    response = client.get("/api/v1/initiatives/")
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"]
    # Another user has a count of their own.
    assert api(UserFactory()).get("/api/v1/initiatives/").status_code == 200


def test_the_api_throttles_anonymous_callers_by_address(person, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/min", "user": "100/min"},
    }
    answers = [token_login(PASSWORD).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_a_token_expires_and_a_new_one_is_issued(person, settings):
    first = token_login(PASSWORD).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert client.get("/api/v1/initiatives/").status_code == 200
    expires = dt.datetime.fromisoformat(first["expires"])
    lifetime = dt.timedelta(hours=settings.API_TOKEN_LIFETIME_HOURS)
    assert abs(expires - (timezone.now() + lifetime)) < dt.timedelta(minutes=1)

    Token.objects.update(created=timezone.now() - lifetime - dt.timedelta(seconds=1))
    assert client.get("/api/v1/initiatives/").status_code == 401
    second = token_login(PASSWORD).json()
    assert second["token"] != first["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {second['token']}")
    assert client.get("/api/v1/initiatives/").status_code == 200


def test_logout_revokes_the_token(person):
    key = token_login(PASSWORD).json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/initiatives/").status_code == 401
    assert not Token.objects.filter(key=key).exists()


def test_the_admin_action_and_the_command_revoke_tokens(person):
    other = UserFactory()
    Token.objects.create(user=person)
    Token.objects.create(user=other)
    root = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    response = client.post(
        reverse("admin:core_user_changelist"),
        {"action": "revoke_api_tokens", "_selected_action": [person.pk]},
    )
    assert response.status_code == 302
    assert list(Token.objects.values_list("user_id", flat=True)) == [other.pk]

    Token.objects.create(user=person)
    Token.objects.filter(user=other).update(created=timezone.now() - dt.timedelta(days=365))
    call_command("revoke_tokens", "--expired")
    assert list(Token.objects.values_list("user_id", flat=True)) == [person.pk]
    call_command("revoke_tokens", "--user", person.username)
    assert not Token.objects.exists()


def test_the_admin_login_locks_out_too(person, settings):
    person.is_staff = True
    person.save()
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "xa.canbo", "password": "sai"})
    response = client.post("/admin/login/", {"username": "xa.canbo", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
