"""The pieces of the taker rule (``workflows.takers``); the rule's three shapes agreeing is
``test_steps_and_events.test_the_taker_rule_agrees_...``."""

import datetime as dt

from core.models import InitiativeKind, Role, UnitKind, UnitRole
from core.services import unit_merge
from core.tests.factories import BoardFactory, InitiativeFactory, UnitFactory, UserFactory
from workflows import takers
from workflows.takers import Subject, Taker

from .factories import board_person


def is_official_for(user, unit):
    return takers.may_take(Taker.OWNER_OFFICIAL, user, Subject(unit_path=unit.path))


def recused(user, initiative, board):
    return user.pk in takers.recused_among({user.pk}, initiative=initiative, board=board)


def test_ancestor_ids_come_from_the_path(world):
    d = world.district
    assert takers.ancestor_ids(d.hamlet.path) == [
        world.province.pk,
        d.unit.pk,
        d.commune.pk,
        d.hamlet.pk,
    ]


def test_responsible_board_is_the_nearest_active_one_above(world, django_assert_num_queries):
    d = world.district
    with django_assert_num_queries(1):
        assert takers.responsible_board(d.hamlet) == d.board
    assert takers.responsible_board(d.unit) == d.board
    commune_board = BoardFactory(unit=d.commune)
    assert takers.responsible_board(d.hamlet) == commune_board
    commune_board.is_active = False
    commune_board.save()
    assert takers.responsible_board(d.hamlet) == d.board
    assert takers.responsible_board(UnitFactory(kind=UnitKind.PROVINCE)) is None


def test_responsible_board_follows_a_merge_to_the_successor(world):
    d = world.district
    assert takers.responsible_board(d.commune) == d.board
    unit_merge(unit=d.commune, successor=world.sibling.commune, valid_to=dt.date(2025, 6, 30))
    d.hamlet.refresh_from_db()
    assert takers.responsible_board(d.hamlet) == world.sibling.board


def test_official_for_own_unit_and_units_below_only(world):
    d = world.district
    assert is_official_for(d.official, d.commune)
    assert is_official_for(d.official, d.hamlet)
    assert not is_official_for(d.official, d.unit)
    assert not is_official_for(world.sibling.official, d.commune)
    assert is_official_for(d.district_official, d.hamlet)
    leader = UserFactory()
    UnitRole.objects.create(unit=d.commune, user=leader, role=Role.LEADER)
    assert not is_official_for(leader, d.commune)


def test_recusal_by_own_unit_or_a_role_in_the_owner_unit_below_the_board(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune)
    assert recused(d.recused_member, initiative, d.board)
    assert not recused(d.members[0], initiative, d.board)
    UnitRole.objects.create(unit=d.commune, user=d.members[0], role=Role.LEADER)
    assert recused(d.members[0], initiative, d.board)
    # Belonging to a unit above the owner does not recuse.
    hamlet_initiative = InitiativeFactory(owner_unit=d.hamlet)
    assert not recused(d.recused_member, hamlet_initiative, d.board)
    # Nor does belonging to the board's own unit, for that unit's own initiative.
    own = InitiativeFactory(owner_unit=d.unit)
    assert not recused(d.members[1], own, d.board)


def test_the_individual_owner_is_recused_even_on_their_own_units_board(world):
    d = world.district
    mine = InitiativeFactory(
        owner_unit=d.unit, kind=InitiativeKind.INDIVIDUAL, owner_name=d.members[1].full_name
    )
    assert recused(d.members[1], mine, d.board)
    assert not recused(d.members[0], mine, d.board)
    # The same name elsewhere is somebody else.
    namesake = InitiativeFactory(
        owner_unit=world.sibling.unit,
        kind=InitiativeKind.INDIVIDUAL,
        owner_name=d.members[1].full_name,
    )
    assert not recused(d.members[1], namesake, world.province_board)


def test_holds_board_role_above_covers_the_chain_of_boards(world):
    d = world.district
    province_person = board_person(world.province_board, Role.DEPUTY)
    assert takers.holds_board_role_above(province_person, d.hamlet)
    assert not takers.holds_board_role_above(province_person, d.hamlet, (Role.CHAIR,))
    assert not takers.holds_board_role_above(world.sibling.chair, d.hamlet)
