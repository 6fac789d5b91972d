"""Decision numbers: given by the database, consecutive per issuer and year, never reused."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import Commendation, IssuerKind, RecipientKind, UnitKind
from core.tests.factories import (
    CommendationFactory,
    IssuingBodyFactory,
    UnitFactory,
    UserFactory,
)
from documents import services
from documents.models import Decision, DocumentCounter

from .factories import (
    clerk_of,
    commendation_entries,
    district_committee,
    issue_commendation,
    issue_recognition,
)


@pytest.mark.django_db
def test_numbers_are_consecutive_per_issuer_and_year(issuer, clerk):
    numbers = [issue_recognition(issuer, clerk, count=1).number for _ in range(3)]

    assert numbers == ["1/QĐ-UBND", "2/QĐ-UBND", "3/QĐ-UBND"]


@pytest.mark.django_db
def test_numbers_restart_the_next_year(issuer, clerk):
    issue_recognition(issuer, clerk, count=1, issued_on=dt.date(2023, 12, 31))
    issue_recognition(issuer, clerk, count=1, issued_on=dt.date(2023, 12, 31))

    first_of_2024 = issue_recognition(issuer, clerk, count=1, issued_on=dt.date(2024, 1, 2))

    assert first_of_2024.number == "1/QĐ-UBND"
    assert (first_of_2024.year, first_of_2024.sequence) == (2024, 1)


@pytest.mark.django_db
def test_numbers_of_two_issuers_are_independent(issuer, clerk):
    other = district_committee(
        code="ubnd-ha-quang",
        name="Ủy ban nhân dân huyện Hà Quảng",
        header="ỦY BAN NHÂN DÂN\nHUYỆN HÀ QUẢNG",
    )
    other_clerk = clerk_of(other, username="clerk-ha-quang")
    issue_recognition(issuer, clerk, count=1)
    issue_recognition(issuer, clerk, count=1)

    assert issue_recognition(other, other_clerk, count=1).number == "1/QĐ-UBND"


@pytest.mark.django_db
def test_a_failed_issue_does_not_use_up_a_number(issuer, clerk):
    issue_recognition(issuer, clerk, count=1)
    with pytest.raises(InvalidInput):
        services.decision_issue(
            issuer=issuer,
            kind="commendation",
            issued_on=dt.date(2023, 9, 30),
            title="Thiếu hình thức khen thưởng",
            entries=[services.EntryInput(unit=UnitFactory())],
            actor=clerk,
        )

    assert issue_recognition(issuer, clerk, count=1).number == "2/QĐ-UBND"


@pytest.mark.django_db
def test_a_commendation_already_recorded_refuses_the_decision_and_keeps_the_number(issuer, clerk):
    """Commendations are recorded by core's service; an imported historic row with the
    same decision number, date and recipient is a conflict, not a second award event."""
    entries = commendation_entries(2)
    CommendationFactory(
        issuer=issuer,
        unit=entries[1].unit,
        recipient_kind=RecipientKind.COLLECTIVE,
        recipient_name=entries[1].unit.name,
        decision_number="1/QĐ-UBND",
        decision_date=dt.date(2023, 9, 30),
    )

    with pytest.raises(
        WrongState, match="đã được ghi nhận khen thưởng theo Quyết định số 1/QĐ-UBND"
    ):
        services.decision_issue(
            issuer=issuer,
            kind="commendation",
            issued_on=dt.date(2023, 9, 30),
            title="Về việc tặng Giấy khen",
            entries=entries,
            actor=clerk,
        )

    assert not Decision.objects.exists()
    assert Commendation.objects.count() == 1
    assert issue_recognition(issuer, clerk, count=1).number == "1/QĐ-UBND"


@pytest.mark.django_db
def test_number_suffix_comes_from_the_abbreviation_or_the_kind_of_body():
    province = UnitFactory(kind=UnitKind.PROVINCE)
    assert services.number_suffix(IssuingBodyFactory(abbreviation="UBND")) == "UBND"
    assert (
        services.number_suffix(IssuingBodyFactory(abbreviation="", kind=IssuerKind.STEERING_BOARD))
        == "BCĐ"
    )
    assert (
        services.number_suffix(
            IssuingBodyFactory(abbreviation="", kind=IssuerKind.PARTY_COMMITTEE, unit=province)
        )
        == "TU"
    )
    with pytest.raises(InvalidInput):
        services.number_suffix(IssuingBodyFactory(abbreviation="", kind=IssuerKind.OTHER))


@pytest.mark.django_db
def test_only_a_superuser_or_a_clerk_above_the_issuer_may_issue(issuer):
    commune = UnitFactory(parent=issuer.unit)
    commune_clerk = UserFactory(username="commune-clerk")
    commune_clerk.unit_roles.create(unit=commune, role="clerk")
    official = UserFactory(username="official")
    official.unit_roles.create(unit=issuer.unit, role="official")

    for actor in (commune_clerk, official, None):
        with pytest.raises(NotAllowed):
            issue_recognition(issuer, actor, count=1)
    assert not Decision.objects.exists()
    # Staff status opens the admin, not the issuer's register (the one scope rule).
    staff = UserFactory(username="staff", is_staff=True)
    with pytest.raises(NotAllowed):
        issue_recognition(issuer, staff, count=1)
    operator = UserFactory(username="operator", is_staff=True, is_superuser=True)
    assert issue_recognition(issuer, operator, count=1).number == "1/QĐ-UBND"


@pytest.mark.django_db
def test_an_invalid_entry_list_is_refused(issuer, clerk):
    with pytest.raises(InvalidInput):
        issue_commendation(issuer, clerk, count=0)
    unit = UnitFactory()
    with pytest.raises(InvalidInput):
        services.decision_issue(
            issuer=issuer,
            kind="commendation",
            issued_on=dt.date(2023, 9, 30),
            title="Trùng tên",
            entries=[
                services.EntryInput(unit=unit, award="certificate_of_merit"),
                services.EntryInput(unit=unit, award="certificate_of_merit"),
            ],
            actor=clerk,
        )
    with pytest.raises(InvalidInput):
        services.decision_issue(
            issuer=issuer,
            kind="commendation",
            issued_on=dt.date(2023, 9, 30),
            title="Cá nhân không tên",
            entries=[
                services.EntryInput(
                    unit=unit, recipient_kind="individual", award="certificate_of_merit"
                )
            ],
            actor=clerk,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_get_distinct_consecutive_numbers():
    assert connection.vendor == "postgresql", "this test needs PostgreSQL (DATABASE_URL)"
    issuer = district_committee()
    clerk = clerk_of(issuer, username="clerk")
    # Both threads wait here, then issue at once; the counter row lock orders them.
    barrier = threading.Barrier(4)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(2):
                numbers.append(issue_recognition(issuer, clerk, count=2).number)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(numbers, key=lambda n: int(n.split("/")[0])) == [
        f"{i}/QĐ-UBND" for i in range(1, 9)
    ]
    assert DocumentCounter.objects.get(issuer=issuer, series="decision").last_sequence == 8
