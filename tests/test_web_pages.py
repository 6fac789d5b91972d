"""Web pages: scoped to the user's subtree, refusals shown as messages, fixed query counts,
Vietnamese and English."""

from __future__ import annotations

import pytest
from django.test import Client
from viewflow.workflow.status import STATUS

from core.models import InitiativeStatus
from workflows import services
from workflows.tests.factories import build_world

from .api_support import fast_password_hashing
from .web_support import browser, messages_of, only_task


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    return build_world()


def registered(district, title="Mô hình dân vận khéo"):
    from core.models import Field, Phase

    return services.initiative_register(
        actor=district.official,
        unit=district.commune,
        title=title,
        kind="collective",
        fields=[Field.objects.get(code="economy")],
        phase=Phase.objects.get(code="2021-2025"),
    )


def test_pages_ask_anonymous_users_to_log_in(world):
    response = Client().get("/tasks/")
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert "Đăng nhập" in Client().get("/login/").content.decode()


def test_a_sibling_districts_roles_see_nothing_of_another_district(world):
    initiative = registered(world.district)
    review = only_task(world.district.secretary, "review")
    s = world.sibling
    for user in (s.secretary, s.chair, s.members[0], s.official, s.district_official):
        client = browser(user)
        listing = client.get("/initiatives/").content.decode()
        assert initiative.code not in listing
        assert initiative.code not in client.get("/tasks/").content.decode()
        assert client.get(f"/initiatives/{initiative.pk}/").status_code == 404
        assert client.get(f"/tasks/{review.pk}/").status_code == 404
        assert client.post(f"/tasks/{review.pk}/", {"action": "accept"}).status_code == 404
    review.refresh_from_db()
    initiative.refresh_from_db()
    assert (review.status, initiative.status) == (STATUS.NEW, InitiativeStatus.REGISTERED)
    # The district's own secretary sees both.
    own = browser(world.district.secretary)
    assert initiative.code in own.get("/initiatives/").content.decode()
    assert own.get(f"/initiatives/{initiative.pk}/").status_code == 200


def test_the_province_board_sees_its_districts_initiatives(world):
    initiative = registered(world.district)
    page = browser(world.province_member).get(f"/initiatives/{initiative.pk}/")
    assert page.status_code == 200
    assert initiative.title in page.content.decode()


def test_review_refuses_a_return_without_a_reason_and_changes_nothing(world):
    initiative = registered(world.district)
    review = only_task(world.district.secretary, "review")
    response = browser(world.district.secretary).post(
        f"/tasks/{review.pk}/", {"action": "return", "reason": ""}
    )
    assert response.status_code == 200
    assert "Vui lòng ghi lý do." in response.content.decode()
    review.refresh_from_db()
    initiative.refresh_from_db()
    assert (review.status, initiative.status) == (STATUS.NEW, InitiativeStatus.REGISTERED)


def test_a_task_done_meanwhile_is_refused_with_a_message_not_an_error(world):
    initiative = registered(world.district)
    review = only_task(world.district.secretary, "review")
    services.initiative_accept(actor=world.district.secretary, initiative=initiative)
    # The page was opened before; posting it now finds the task done: 404 (no longer open).
    response = browser(world.district.secretary).post(f"/tasks/{review.pk}/", {"action": "accept"})
    assert response.status_code == 404


def test_registration_outside_the_users_units_is_refused_with_the_services_message(world):
    client = browser(world.district.official)
    response = client.post(
        "/initiatives/new/",
        {
            "unit_code": world.sibling.commune.code,
            "title": "Mô hình ở huyện khác",
            "kind": "collective",
            "fields": ["economy"],
            "phase": _phase_pk(),
        },
    )
    assert response.status_code == 200
    [message] = messages_of(response)
    assert message.startswith("Chỉ cán bộ")
    assert not world.sibling.commune.initiatives.exists()


def test_registration_with_an_unknown_unit_code_is_a_form_error(world):
    response = browser(world.district.official).post(
        "/initiatives/new/",
        {
            "unit_code": "KHONG-CO",
            "title": "X",
            "kind": "collective",
            "fields": ["economy"],
            "phase": _phase_pk(),
        },
    )
    assert response.status_code == 200
    assert "KHONG-CO" in str(response.context["form"].errors["unit_code"])


def test_only_a_secretary_may_set_up_a_review_cycle(world):
    assert browser(world.district.members[0]).get("/cycles/new/").status_code == 403
    assert browser(world.district.secretary).get("/cycles/new/").status_code == 200


def _phase_pk() -> int:
    from core.models import Phase

    return Phase.objects.get(code="2021-2025").pk


@pytest.mark.parametrize("path", ["/initiatives/", "/tasks/"])
def test_list_pages_cost_the_same_queries_for_1_and_20_items(
    world, path, django_assert_max_num_queries
):
    client = browser(world.district.secretary)
    registered(world.district, "Mô hình 0")
    client.get(path)  # warm up (session, content types)
    with django_assert_max_num_queries(100) as one:
        assert client.get(path).status_code == 200
    for n in range(1, 20):
        registered(world.district, f"Mô hình {n}")
    with django_assert_max_num_queries(len(one.captured_queries)) as twenty:
        page = client.get(path)
    assert page.content.decode().count("Mô hình 1") >= 11  # 1, 10..19: all are listed
    assert len(twenty.captured_queries) == len(one.captured_queries)


def test_pages_render_in_vietnamese_and_in_english(world):
    registered(world.district)
    vi = browser(world.district.secretary).get("/tasks/").content.decode()
    assert "Việc của tôi" in vi and "Xem xét đăng ký mô hình" in vi
    client = browser(world.district.secretary)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tasks/"})
    assert response.status_code == 302
    en = client.get("/tasks/").content.decode()
    assert "My tasks" in en and "Review a registration" in en
    assert "Việc của tôi" not in en
