import datetime as dt

from core.models import BoardMember, Role, UnitKind, UnitRole
from core.services import unit_merge
from core.tests.factories import BoardFactory, InitiativeFactory, UnitFactory, UserFactory
from workflows import roles

from .factories import board_person


def test_ancestor_ids_come_from_the_path(world):
    d = world.district
    assert roles.ancestor_ids(d.hamlet) == [world.province.pk, d.unit.pk, d.commune.pk, d.hamlet.pk]


def test_responsible_board_is_the_nearest_active_one_above(world, django_assert_num_queries):
    d = world.district
    with django_assert_num_queries(1):
        assert roles.responsible_board(d.hamlet) == d.board
    assert roles.responsible_board(d.unit) == d.board
    commune_board = BoardFactory(unit=d.commune)
    assert roles.responsible_board(d.hamlet) == commune_board
    commune_board.is_active = False
    commune_board.save()
    assert roles.responsible_board(d.hamlet) == d.board
    assert roles.responsible_board(UnitFactory(kind=UnitKind.PROVINCE)) is None


def test_responsible_board_follows_a_merge_to_the_successor(world):
    d = world.district
    assert roles.responsible_board(d.commune) == d.board
    unit_merge(unit=d.commune, successor=world.sibling.commune, valid_to=dt.date(2025, 6, 30))
    d.hamlet.refresh_from_db()
    assert roles.responsible_board(d.hamlet) == world.sibling.board


def test_official_for_own_unit_and_units_below_only(world):
    d = world.district
    assert roles.is_official_for(d.official, d.commune)
    assert roles.is_official_for(d.official, d.hamlet)
    assert not roles.is_official_for(d.official, d.unit)
    assert not roles.is_official_for(world.sibling.official, d.commune)
    assert roles.is_official_for(d.district_official, d.hamlet)
    leader = UserFactory()
    UnitRole.objects.create(unit=d.commune, user=leader, role=Role.LEADER)
    assert not roles.is_official_for(leader, d.commune)


def test_board_role_lists_every_role_held(world):
    d = world.district
    BoardMember.objects.create(board=d.board, user=d.secretary, role=Role.MEMBER)
    assert roles.board_role(d.secretary, d.board) == {"secretary", "member"}
    assert roles.board_role(d.official, d.board) == set()


def test_recusal_by_own_unit_or_a_role_in_the_owner_unit(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    assert roles.recused(d.recused_member, initiative)
    assert not roles.recused(d.members[0], initiative)
    UnitRole.objects.create(unit=d.commune, user=d.members[0], role=Role.LEADER)
    assert roles.recused(d.members[0], initiative)
    # Belonging to a unit above the owner does not recuse.
    hamlet_initiative = InitiativeFactory(owner_unit=d.hamlet)
    assert not roles.recused(d.recused_member, hamlet_initiative)


def test_holds_board_role_above_covers_the_chain_of_boards(world):
    d = world.district
    province_person = board_person(world.province_board, Role.DEPUTY)
    assert roles.holds_board_role_above(province_person, d.hamlet)
    assert not roles.holds_board_role_above(province_person, d.hamlet, (Role.CHAIR,))
    assert not roles.holds_board_role_above(world.sibling.chair, d.hamlet)
