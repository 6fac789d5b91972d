"""``core.services.commendations_record``: the one writer of new award events."""

import datetime as dt

import pytest

from core.errors import InvalidInput, WrongState
from core.models import AwardType, Commendation, RecipientKind
from core.services import NewCommendation, commendations_record
from core.tests.factories import (
    CommendationFactory,
    InitiativeFactory,
    IssuingBodyFactory,
    UnitFactory,
    phase,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2023, 9, 30)


@pytest.fixture
def issuer():
    return IssuingBodyFactory(code="ubnd-hoa-an", name="UBND huyện Hòa An")


def event(unit, issuer, **kwargs) -> NewCommendation:
    values = {
        "award": AwardType.CERTIFICATE_OF_MERIT,
        "recipient_kind": RecipientKind.COLLECTIVE,
        "recipient_name": unit.name,
        "unit_id": unit.pk,
        "issuer_id": issuer.pk,
        "decision_number": "12/QĐ-UBND",
        "decision_date": DAY,
        "citation": "Đã có thành tích xuất sắc",
    }
    values.update(kwargs)
    return NewCommendation(**values)


def test_records_the_events_in_order_with_their_ids(issuer):
    commune = UnitFactory(name="Xã Hồng Việt")
    initiative = InitiativeFactory(owner_unit=commune)
    period = phase("2016-2020")
    given = [
        event(commune, issuer, phase_id=period.pk, initiative_id=initiative.pk),
        event(
            commune,
            issuer,
            recipient_kind=RecipientKind.INDIVIDUAL,
            recipient_name="Nông Văn Sáng",
            award=AwardType.PRAISE,
        ),
    ]

    recorded = commendations_record(commendations=given)

    assert [c.pk for c in recorded] == list(
        Commendation.objects.order_by("pk").values_list("pk", flat=True)
    )
    first, second = Commendation.objects.order_by("pk")
    assert (first.recipient_name, first.award, first.phase, first.initiative) == (
        "Xã Hồng Việt",
        AwardType.CERTIFICATE_OF_MERIT,
        period,
        initiative,
    )
    assert (first.issuer, first.decision_number, first.decision_date) == (
        issuer,
        "12/QĐ-UBND",
        DAY,
    )
    assert (second.recipient_kind, second.recipient_name, second.award) == (
        RecipientKind.INDIVIDUAL,
        "Nông Văn Sáng",
        AwardType.PRAISE,
    )


def test_records_thousands_in_a_few_queries(issuer, django_assert_max_num_queries):
    units = [UnitFactory() for _ in range(3)]
    given = [
        event(
            units[i % 3],
            issuer,
            recipient_kind=RecipientKind.INDIVIDUAL,
            recipient_name=f"Người {i}",
            decision_number=f"{i // 100}/QĐ-UBND",
        )
        for i in range(2500)
    ]

    # One INSERT per batch: 1,000 rows on PostgreSQL, 83 on SQLite (999 bound parameters);
    # one by one would be 2,500.
    with django_assert_max_num_queries(40):
        recorded = commendations_record(commendations=given)

    assert len(recorded) == Commendation.objects.count() == 2500
    assert all(c.pk for c in recorded)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"award": "medal"}, "Không có hình thức khen thưởng: medal"),
        ({"recipient_kind": "family"}, "family"),
        ({"recipient_name": "  "}, "Cần ghi tên tập thể, cá nhân được khen thưởng."),
        ({"decision_number": ""}, "Cần ghi số và ngày của quyết định khen thưởng."),
    ],
)
def test_refuses_an_incomplete_event_and_writes_nothing(issuer, change, message):
    commune = UnitFactory()
    good = event(commune, issuer)
    bad = event(commune, issuer, **{"recipient_name": "Khác", **change})

    with pytest.raises(InvalidInput, match=message):
        commendations_record(commendations=[good, bad])

    assert not Commendation.objects.exists()


def test_refuses_the_same_event_twice_in_one_call(issuer):
    commune = UnitFactory(name="Xã Hồng Việt")

    with pytest.raises(InvalidInput, match="Xã Hồng Việt"):
        commendations_record(commendations=[event(commune, issuer), event(commune, issuer)])

    assert not Commendation.objects.exists()


def test_refuses_an_event_already_recorded_and_writes_nothing(issuer):
    commune = UnitFactory(name="Xã Hồng Việt")
    other = UnitFactory(name="Xã Bế Triều")
    CommendationFactory(
        issuer=issuer,
        unit=commune,
        recipient_kind=RecipientKind.COLLECTIVE,
        recipient_name="Xã Hồng Việt",
        decision_number="12/QĐ-UBND",
        decision_date=DAY,
    )

    with pytest.raises(WrongState, match="Xã Hồng Việt đã được ghi nhận khen thưởng"):
        commendations_record(commendations=[event(other, issuer), event(commune, issuer)])

    assert Commendation.objects.count() == 1
