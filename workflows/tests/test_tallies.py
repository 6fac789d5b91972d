"""The statistics' tallies (``core.tallies``) follow every write of the initiatives: after a
random sequence of writes through the services they equal a count from scratch, and the
roll-up read from them equals the roll-up counted from the initiatives themselves."""

import datetime as dt
import random

import pytest

from core import selectors
from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import (
    ENDED_STATUSES,
    Field,
    FieldTally,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeTally,
    Phase,
    RecognitionTally,
)
from core.selectors import movement_report_by_child
from core.services import StatusChange, initiative_statuses_record_bulk, unit_merge
from core.tallies import initiative_tallies_mismatches, initiative_tallies_rebuild
from stats.selectors import movement_statistics
from workflows import services

REFUSED = (InvalidInput, NotAllowed, WrongState)


def both_ways(monkeypatch, unit, **period):
    """The statistics (``movement_report``'s figures per branch, the recognitions) from the
    tallies and counted from the initiatives."""
    today = dt.date(2026, 6, 1)
    tallied = movement_statistics(unit=unit, today=today, **period)
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "whole_years", lambda start, end: False)
        counted = movement_statistics(unit=unit, today=today, **period)
    return tallied, counted


def random_writes(world, rng: random.Random, steps: int) -> None:
    fields = list(Field.objects.filter(is_active=True))
    phases = {p.code: p for p in Phase.objects.all()}
    districts = [world.district, world.sibling]
    made: list[Initiative] = []

    def district_of(initiative):
        inside = initiative.owner_unit.path.startswith(world.district.unit.path)
        return world.district if inside else world.sibling

    def register():
        d = rng.choice(districts)
        actor, unit = rng.choice(
            [(d.official, d.commune), (d.official, d.hamlet), (d.district_official, d.unit)]
        )
        day = dt.date(rng.choice([2016, 2019, 2021, 2023, 2024]), rng.randint(1, 12), 1)
        kind = rng.choice(InitiativeKind.values)
        made.append(
            services.initiative_register(
                actor=actor,
                unit=unit,
                title=f"Mô hình {len(made)}",
                kind=kind,
                owner_name="Nguyễn Văn A" if kind == InitiativeKind.INDIVIDUAL else "",
                fields=rng.sample(fields, rng.randint(1, 3)),
                phase=phases["2016-2020" if day.year <= 2020 else "2021-2025"],
                registered_on=day,
            )
        )

    def review(initiative):
        d = district_of(initiative)
        action = rng.choice(["accept", "return", "reject"])
        getattr(services, f"initiative_{action}")(
            actor=d.secretary, initiative=initiative, reason="Bổ sung hồ sơ"
        )

    def resubmit(initiative):
        d = district_of(initiative)
        services.initiative_resubmit(
            actor=d.official if initiative.owner_unit != d.unit else d.district_official,
            initiative=initiative,
            kind=InitiativeKind.COLLECTIVE,
            fields=rng.sample(fields, rng.randint(1, 3)),
        )

    def withdraw(initiative):
        d = district_of(initiative)
        services.initiative_withdraw(
            actor=d.district_official, initiative=initiative, reason="Hết kinh phí"
        )

    def discontinue(initiative):
        services.initiative_discontinue(
            actor=world.province_secretary, initiative=initiative, reason="Không duy trì"
        )

    def recognise(_initiative):
        monitored = list(
            Initiative.objects.filter(status=InitiativeStatus.MONITORED).values_list(
                "pk", flat=True
            )
        )
        initiative_statuses_record_bulk(
            changes=[
                StatusChange(
                    initiative_id=pk,
                    from_status=InitiativeStatus.MONITORED,
                    to_status=InitiativeStatus.RECOGNISED,
                )
                for pk in rng.sample(monitored, (len(monitored) + 1) // 2)
            ],
            actor=None,
            source="test",
        )

    for _ in range(steps):
        if not made or rng.random() < 0.35:
            register()
            continue
        action = rng.choice([review, review, review, resubmit, withdraw, discontinue, recognise])
        initiative = Initiative.objects.get(pk=rng.choice(made).pk)
        try:
            action(initiative)
        except REFUSED:
            pass  # not allowed in its state: a refused write changes nothing


def register_one(district) -> Initiative:
    """One collective initiative of the district's commune, registered by its official."""
    return services.initiative_register(
        actor=district.official,
        unit=district.commune,
        title="Mô hình",
        kind=InitiativeKind.COLLECTIVE,
        fields=[Field.objects.get(code="economy")],
        phase=Phase.objects.get(code="2021-2025"),
        registered_on=dt.date(2024, 3, 1),
    )


@pytest.mark.parametrize("seed", [1, 2])
def test_tallies_follow_random_writes_through_the_services(world, monkeypatch, seed):
    rng = random.Random(seed)
    random_writes(world, rng, steps=60)
    # Recognitions recorded outside the workflow (an import of historic records): one
    # initiative in two years, which counts once in a period holding both.
    going = list(
        Initiative.objects.exclude(status__in=ENDED_STATUSES).values_list("pk", "status")[:3]
    )
    initiative_statuses_record_bulk(
        changes=[
            StatusChange(
                initiative_id=pk,
                from_status=status,
                to_status=InitiativeStatus.RECOGNISED,
                at=dt.datetime(year, 6, 1, tzinfo=dt.UTC),
            )
            for pk, status in going
            for year in ([2019, 2024] if pk == going[0][0] else [2024])
        ],
        actor=None,
        source="import",
    )
    assert Initiative.objects.count() > 10
    assert RecognitionTally.objects.filter(field=0).exists()  # some were recognised
    assert initiative_tallies_mismatches() == []

    # Units move in the tree: the sibling district's commune merges into the other one.
    unit_merge(
        unit=world.sibling.commune, successor=world.district.commune, valid_to=dt.date(2025, 1, 1)
    )
    random_writes(world, rng, steps=10)
    assert initiative_tallies_mismatches() == []

    stored = sorted(InitiativeTally.objects.values_list("unit", "status", "kind", "year", "n"))
    fields = sorted(FieldTally.objects.values_list("unit", "field", "status", "year", "n"))
    initiative_tallies_rebuild()
    assert (
        sorted(InitiativeTally.objects.values_list("unit", "status", "kind", "year", "n")) == stored
    )
    assert sorted(FieldTally.objects.values_list("unit", "field", "status", "year", "n")) == fields

    # A period of whole years reads the tallies; a phase that is not whole years counts.
    Phase.objects.create(
        code="odd",
        name="Giai đoạn lệch",
        starts_on=dt.date(2019, 7, 1),
        ends_on=dt.date(2024, 3, 31),
    )
    periods = [{}, {"year": 2016}, {"year": 2024}]
    periods += [{"phase": p} for p in Phase.objects.all()]
    for unit in (world.province, world.district.unit, world.district.commune, world.sibling.unit):
        unit.refresh_from_db()
        for period in periods:
            tallied, counted = both_ways(monkeypatch, unit, **period)
            assert tallied == counted, (unit.code, period)
    whole, _branches, _years = movement_report_by_child(unit=world.province)
    assert whole["initiatives"]["by_status"] == {
        status: Initiative.objects.filter(status=status).count()
        for status in InitiativeStatus.values
    }


def test_the_check_finds_a_tally_written_past_the_services(world):
    register_one(world.district)
    assert initiative_tallies_mismatches() == []
    Initiative.objects.update(status=InitiativeStatus.MONITORED)  # not through a service

    problems = initiative_tallies_mismatches()
    # The initiative is counted in its commune, the district and the province, and in the
    # field's rows of each.
    assert len(problems) == 12
    assert "stored 0, counted 1" in problems[0]
    initiative_tallies_rebuild()
    assert initiative_tallies_mismatches() == []


def test_a_bulk_write_of_many_batches_writes_its_tallies_once_and_right(world, monkeypatch):
    """The bulk status writer sums its batches' differences and writes them once at the end
    (a national cycle's opening moves 150,000 initiatives in 30 batches); the counts are
    those of a recount, an initiative changed in two batches included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import core.services

    rng = random.Random(7)
    random_writes(world, rng, steps=25)
    assert initiative_tallies_mismatches() == []
    monkeypatch.setattr(core.services, "STATUS_BATCH", 2)
    going = list(
        Initiative.objects.exclude(status__in=ENDED_STATUSES)
        .order_by("pk")
        .values_list("pk", "status")[:5]
    )
    assert len(going) >= 3
    changes = [
        StatusChange(initiative_id=pk, from_status=status, to_status=InitiativeStatus.RECOGNISED)
        for pk, status in going
    ]
    # The first one goes on to commended, in a later batch.
    changes.append(
        StatusChange(
            initiative_id=going[0][0],
            from_status=InitiativeStatus.RECOGNISED,
            to_status=InitiativeStatus.COMMENDED,
        )
    )
    with CaptureQueriesContext(connection) as queries:
        initiative_statuses_record_bulk(changes=changes, actor=None, source="import")
    tally_writes = [q["sql"] for q in queries if 'INTO "core_initiativetally"' in q["sql"]]
    assert len(tally_writes) == 1, tally_writes
    assert Initiative.objects.get(pk=going[0][0]).status == InitiativeStatus.COMMENDED
    assert initiative_tallies_mismatches() == []


def test_a_status_set_on_its_own_moves_the_tallies_at_once(world):
    """``initiative_tallies_set_status`` outside a bulk write: its moves reach the tallies
    when it ends (in SQL, rolled up to every unit above the owners)."""
    from django.db.models import Sum

    from core.tallies import initiative_tallies_set_status

    random_writes(world, random.Random(3), steps=20)
    ids = list(
        Initiative.objects.exclude(status=InitiativeStatus.WITHDRAWN).values_list("pk", flat=True)
    )[:4]
    assert len(ids) == 4
    with initiative_tallies_set_status(initiative_ids=ids, status=InitiativeStatus.WITHDRAWN):
        Initiative.objects.filter(pk__in=ids).update(status=InitiativeStatus.WITHDRAWN)

    withdrawn = InitiativeTally.objects.filter(
        unit=world.province, status=InitiativeStatus.WITHDRAWN
    ).aggregate(n=Sum("n"))["n"]
    assert withdrawn == Initiative.objects.filter(status=InitiativeStatus.WITHDRAWN).count() >= 4
    assert initiative_tallies_mismatches() == []


def test_a_status_move_counts_where_the_initiative_was_when_it_moved(world):
    """In a bulk write, a move is counted in the owner unit the initiative had when it
    moved, even if a later change in the same block takes it to another unit."""
    from core.tallies import (
        initiative_tallies_deferred,
        initiative_tallies_follow,
        initiative_tallies_set_status,
    )

    d = world.district
    pk = register_one(d).pk
    with initiative_tallies_deferred():
        with initiative_tallies_set_status(initiative_ids=[pk], status=InitiativeStatus.MONITORED):
            Initiative.objects.filter(pk=pk).update(status=InitiativeStatus.MONITORED)
        with initiative_tallies_follow(initiative_ids=[pk]):
            Initiative.objects.filter(pk=pk).update(owner_unit=world.sibling.commune)

    assert InitiativeTally.objects.get(unit=world.sibling.commune, status="monitored").n == 1
    assert not InitiativeTally.objects.filter(unit=d.commune).exists()
    assert initiative_tallies_mismatches() == []
