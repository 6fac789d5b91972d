import datetime as dt

import pytest

from core import services
from core.errors import InvalidInput
from core.models import Initiative, Unit, UnitKind
from core.tests.factories import InitiativeFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_subtree_selects_descendants_only():
    province = UnitFactory(kind=UnitKind.PROVINCE)
    district = UnitFactory(kind=UnitKind.DISTRICT, parent=province)
    commune = UnitFactory(parent=district)
    sibling = UnitFactory(kind=UnitKind.DISTRICT, parent=province)
    other_commune = UnitFactory(parent=sibling)

    assert set(district.subtree()) == {district, commune}
    assert set(province.subtree()) == {province, district, commune, sibling, other_commune}
    assert commune.is_in_subtree_of(province)
    assert not other_commune.is_in_subtree_of(district)


def test_merged_unit_initiatives_follow_their_successor():
    province = UnitFactory(kind=UnitKind.PROVINCE)
    district = UnitFactory(kind=UnitKind.DISTRICT, parent=province)
    old_commune = UnitFactory(parent=district, name="Xã Cũ")
    new_commune = UnitFactory(parent=province, name="Xã Mới", valid_from=dt.date(2025, 7, 1))
    hamlet = UnitFactory(kind=UnitKind.HAMLET, parent=old_commune)
    initiative = InitiativeFactory(owner_unit=hamlet)

    services.unit_merge(unit=old_commune, successor=new_commune, valid_to=dt.date(2025, 6, 30))

    hamlet.refresh_from_db()
    assert hamlet.is_in_subtree_of(new_commune)
    in_new = Initiative.objects.filter(owner_unit__path__startswith=new_commune.path)
    assert list(in_new) == [initiative]
    assert not Initiative.objects.filter(owner_unit__path__startswith=district.path).exists()
    old_commune.refresh_from_db()
    assert old_commune.name == "Xã Cũ" and old_commune.parent == district


def test_merge_into_own_descendant_is_refused():
    commune = UnitFactory()
    hamlet = UnitFactory(kind=UnitKind.HAMLET, parent=commune)
    with pytest.raises(InvalidInput):
        services.unit_merge(unit=commune, successor=hamlet, valid_to=dt.date(2025, 6, 30))
    commune.refresh_from_db()
    assert commune.successor is None


def test_compute_tree_paths_reports_cycles():
    paths, depths, cyclic = services.compute_tree_paths({1: None, 2: 1, 3: 4, 4: 3})
    assert paths[2].startswith(paths[1]) and depths[2] == 1
    assert cyclic == [3, 4]


def test_rebuild_paths_repairs_stale_paths():
    root = UnitFactory(kind=UnitKind.PROVINCE)
    child = UnitFactory(parent=root)
    Unit.objects.filter(pk=child.pk).update(path="", depth=0)
    assert services.units_rebuild_paths() == 1
    child.refresh_from_db()
    assert child.path.startswith(root.path) and child.depth == 1
