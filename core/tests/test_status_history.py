"""The one writer of the initiatives' history, one line at a time and in bulk."""

import datetime as dt

import pytest
from django.utils import timezone

from core import services
from core.errors import InvalidInput
from core.models import Initiative, InitiativeStatus, InitiativeStatusChange
from core.tests.factories import InitiativeFactory, UserFactory

pytestmark = pytest.mark.django_db

MONITORED = InitiativeStatus.MONITORED
RECOGNISED = InitiativeStatus.RECOGNISED
COMMENDED = InitiativeStatus.COMMENDED


def lines() -> list[tuple]:
    return list(
        InitiativeStatusChange.objects.order_by("id").values_list(
            "initiative_id", "from_status", "to_status", "actor_id", "reason", "source", "at"
        )
    )


def test_bulk_sets_statuses_and_appends_one_line_per_change():
    actor = UserFactory()
    at = timezone.make_aware(dt.datetime(2024, 2, 1, 8, 0))
    back = [InitiativeFactory(status=RECOGNISED), InitiativeFactory(status=COMMENDED)]
    untouched = InitiativeFactory(status=RECOGNISED)

    written = services.initiative_statuses_record_bulk(
        changes=[
            services.StatusChange(initiative_id=i.pk, from_status=i.status, to_status=MONITORED)
            for i in back
        ],
        actor=actor,
        reason="Mở năm bình xét 2024",
        source="cycle_open",
        at=at,
    )

    assert written == 2
    assert dict(Initiative.objects.values_list("id", "status")) == {
        back[0].pk: MONITORED,
        back[1].pk: MONITORED,
        untouched.pk: RECOGNISED,
    }
    assert set(
        Initiative.objects.filter(pk__in=[i.pk for i in back]).values_list("updated_at", flat=True)
    ) == {at}
    assert lines() == [
        (back[0].pk, RECOGNISED, MONITORED, actor.pk, "Mở năm bình xét 2024", "cycle_open", at),
        (back[1].pk, COMMENDED, MONITORED, actor.pk, "Mở năm bình xét 2024", "cycle_open", at),
    ]


def test_bulk_keeps_a_historic_path_in_order_with_its_own_dates(monkeypatch):
    # Batches of two: the path of one initiative spans three batches.
    monkeypatch.setattr(services, "STATUS_BATCH", 2)
    initiative = InitiativeFactory(status=InitiativeStatus.REGISTERED)
    days = [timezone.make_aware(dt.datetime(2017, month, 1)) for month in (3, 4, 12, 12)]
    path = ["", InitiativeStatus.REGISTERED, MONITORED, RECOGNISED, COMMENDED]

    services.initiative_statuses_record_bulk(
        changes=[
            services.StatusChange(
                initiative_id=initiative.pk, from_status=old, to_status=new, at=day
            )
            for old, new, day in zip(path[:-1], path[1:], days, strict=True)
        ],
        actor=None,
        source="demo",
    )

    initiative.refresh_from_db()
    assert initiative.status == COMMENDED
    assert [(old, new, at) for _i, old, new, _a, _r, _s, at in lines()] == list(
        zip(path[:-1], path[1:], days, strict=True)
    )


def test_a_history_that_begins_leaves_the_status_the_initiative_was_created_in():
    initiative = InitiativeFactory(status=RECOGNISED)
    updated_at = initiative.updated_at

    services.initiative_statuses_record_bulk(
        changes=[
            services.StatusChange(initiative_id=initiative.pk, from_status="", to_status=RECOGNISED)
        ],
        actor=None,
        reason="Nhập từ tệp a.csv",
        source="import",
    )

    initiative.refresh_from_db()
    assert (initiative.status, initiative.updated_at) == (RECOGNISED, updated_at)
    assert [line[1:3] for line in lines()] == [("", RECOGNISED)]


@pytest.mark.parametrize(("old", "new"), [(RECOGNISED, "lost"), ("lost", MONITORED), ("", "")])
def test_bulk_refuses_an_unknown_status_and_writes_nothing(old, new):
    initiative = InitiativeFactory(status=RECOGNISED)
    good = InitiativeFactory(status=COMMENDED)

    with pytest.raises(InvalidInput, match="^Trạng thái không hợp lệ: “(lost|)”$"):
        services.initiative_statuses_record_bulk(
            changes=[
                services.StatusChange(
                    initiative_id=good.pk, from_status=COMMENDED, to_status=MONITORED
                ),
                services.StatusChange(initiative_id=initiative.pk, from_status=old, to_status=new),
            ],
            actor=None,
        )

    assert not InitiativeStatusChange.objects.exists()
    assert Initiative.objects.get(pk=good.pk).status == COMMENDED
