"""The board page: members with their roles, a member added by searching people of the
board's units and removed, the quorum; read within the subtree, changed by its secretary or
chair only."""

from __future__ import annotations

import pytest

from core.models import BoardMember, Role
from core.tests.factories import UserFactory
from workflows.tests.factories import build_world

from .api_support import fast_password_hashing
from .web_support import browser


@pytest.fixture
def world(db, settings):
    fast_password_hashing(settings)
    return build_world()


def test_the_secretary_adds_a_member_found_by_name_and_removes_one(world):
    d = world.district
    newcomer = UserFactory(unit=d.commune, full_name="Hoàng Thị Lụa", username="lua")
    outsider = UserFactory(unit=world.sibling.commune, full_name="Hoàng Văn Lũy", username="luy")
    client = browser(d.secretary)
    page = client.get(f"/boards/{d.board.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    for member in d.members:
        assert str(member) in html
    assert 'hx-get="/boards/' in html

    options = client.get(f"/boards/{d.board.pk}/people/", {"username": "hoang thi lua"})
    assert 'value="lua"' in options.content.decode()
    options = client.get(f"/boards/{d.board.pk}/people/", {"username": "hoang"}).content.decode()
    assert 'value="lua"' in options and 'value="luy"' not in options

    refused = client.post(
        f"/boards/{d.board.pk}/", {"action": "add", "username": "luy", "role": "member"}
    )
    assert refused.status_code == 400
    assert not BoardMember.objects.filter(user=outsider).exists()

    added = client.post(
        f"/boards/{d.board.pk}/", {"action": "add", "username": "lua", "role": "member"}
    )
    assert added.status_code == 302
    seat = BoardMember.objects.get(board=d.board, user=newcomer)
    assert seat.role == Role.MEMBER

    removed = client.post(f"/boards/{d.board.pk}/", {"action": "remove", "member": seat.pk})
    assert removed.status_code == 302
    assert not BoardMember.objects.filter(pk=seat.pk).exists()


def test_the_quorum_is_set_by_the_chair_and_refused_to_a_member(world):
    d = world.district
    response = browser(d.chair).post(f"/boards/{d.board.pk}/", {"action": "quorum", "quorum": 2})
    assert response.status_code == 302
    d.board.refresh_from_db()
    assert d.board.quorum == 2
    bad = browser(d.chair).post(f"/boards/{d.board.pk}/", {"action": "quorum", "quorum": 0})
    assert bad.status_code == 400
    member = browser(d.members[0])
    assert member.get(f"/boards/{d.board.pk}/").status_code == 200
    assert (
        member.post(f"/boards/{d.board.pk}/", {"action": "quorum", "quorum": 5}).status_code == 403
    )
    d.board.refresh_from_db()
    assert d.board.quorum == 2


def test_a_sibling_district_does_not_see_the_board(world):
    d = world.district
    outsider = browser(world.sibling.secretary)
    assert outsider.get(f"/boards/{d.board.pk}/").status_code == 404
    assert outsider.get(f"/boards/{d.board.pk}/people/").status_code == 404
    assert f"/boards/{d.board.pk}/" not in outsider.get("/boards/").content.decode()
    assert f"/boards/{world.sibling.board.pk}/" in outsider.get("/boards/").content.decode()
