import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.errors import NotAllowed
from core.models import InitiativeStatus, Role, UnitKind
from core.tests.factories import (
    BoardFactory,
    BoardMemberFactory,
    CommendationFactory,
    InitiativeFactory,
    UnitFactory,
    UnitRoleFactory,
    UserFactory,
    field,
    phase,
)
from stats import services
from stats.models import Indicator, TargetKind
from stats.selectors import movement_statistics
from tests.api_support import api, fast_password_hashing

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    fast_password_hashing(settings)


@pytest.fixture
def tree():
    p = UnitFactory(code="P", name="Tỉnh Thử", kind=UnitKind.PROVINCE)
    d1 = UnitFactory(code="D1", name="Huyện Một", kind=UnitKind.DISTRICT, parent=p)
    d2 = UnitFactory(code="D2", name="Huyện Hai", kind=UnitKind.DISTRICT, parent=p)
    a = UnitFactory(code="A", name="Xã A", parent=d1)
    b = UnitFactory(code="B", name="Xã B", parent=d1)
    s = UnitFactory(code="S", name="Xã S", parent=d2)
    return {"P": p, "D1": d1, "D2": d2, "A": a, "B": b, "S": s}


def initiative(unit, day, status=InitiativeStatus.MONITORED, fields=("economy",), **kw):
    return InitiativeFactory(
        owner_unit=unit,
        registered_on=day,
        status=status,
        fields=[field(c) for c in fields],
        **kw,
    )


def _data(tree):
    initiative(tree["P"], dt.date(2017, 1, 1))
    initiative(tree["A"], dt.date(2016, 5, 1), fields=("economy", "new_rural"))
    initiative(tree["A"], dt.date(2018, 5, 1), status=InitiativeStatus.WITHDRAWN)
    initiative(tree["B"], dt.date(2019, 5, 1), fields=("culture_society",))
    initiative(tree["S"], dt.date(2020, 5, 1))
    initiative(tree["S"], dt.date(2022, 5, 1))  # after the phase
    CommendationFactory(unit=tree["A"], phase=phase("2016-2020"), decision_date=dt.date(2020, 9, 1))
    CommendationFactory(unit=tree["S"], phase=phase("2016-2020"), decision_date=dt.date(2019, 9, 1))


def test_drill_down_children_add_up_to_their_parent(tree):
    _data(tree)
    stats = movement_statistics(unit=tree["P"], phase=phase("2016-2020"))

    rows = {row["code"]: row for row in stats["by_unit"]}
    assert list(rows) == ["P", "D2", "D1"]  # its own first, then children by name
    assert rows["P"]["own"] and not rows["D1"]["own"]
    assert rows["D1"]["initiatives"]["total"] == 2 and rows["D2"]["initiatives"]["total"] == 1
    for key in ("total",):
        assert sum(r["initiatives"][key] for r in rows.values()) == stats["initiatives"][key] == 4
    for code, n in stats["initiatives"]["by_field"].items():
        assert sum(r["initiatives"]["by_field"][code] for r in rows.values()) == n
    for status, n in stats["initiatives"]["by_status"].items():
        assert sum(r["initiatives"]["by_status"][status] for r in rows.values()) == n
    assert sum(r["commendations"]["total"] for r in rows.values()) == 2
    # One level down: the district's children add up to the district.
    d1 = movement_statistics(unit=tree["D1"], phase=phase("2016-2020"))
    assert [r["code"] for r in d1["by_unit"]] == ["A", "B"]
    assert (
        sum(r["initiatives"]["total"] for r in d1["by_unit"]) == rows["D1"]["initiatives"]["total"]
    )


def test_by_year_registered_adds_up_to_new(tree):
    _data(tree)
    stats = movement_statistics(unit=tree["P"], phase=phase("2016-2020"))

    assert [row["year"] for row in stats["by_year"]] == [2016, 2017, 2018, 2019, 2020]
    assert [row["registered"] for row in stats["by_year"]] == [1, 1, 0, 1, 1]
    assert (
        sum(row["registered"] for row in stats["by_year"]) == stats["initiatives"]["new"]["total"]
    )
    assert [row["commended"] for row in stats["by_year"]] == [0, 0, 0, 1, 1]


def test_replication_counts_replicas_and_ranks_the_most_replicated(tree):
    source = initiative(tree["A"], dt.date(2016, 1, 1), code="SRC")
    other = initiative(tree["S"], dt.date(2016, 1, 1), code="OTHER")
    for unit in (tree["B"], tree["S"], tree["P"]):
        initiative(unit, dt.date(2018, 1, 1), replicated_from=source)
    initiative(tree["B"], dt.date(2019, 1, 1), replicated_from=other)
    initiative(tree["B"], dt.date(2019, 1, 1), replicated_from=other, status="withdrawn")
    initiative(tree["B"], dt.date(2023, 1, 1), replicated_from=other)  # after the phase

    whole = movement_statistics(unit=tree["P"], phase=phase("2016-2020"))["replication"]
    d1 = movement_statistics(unit=tree["D1"], phase=phase("2016-2020"))["replication"]

    assert whole["total"] == 4
    assert [(r["code"], r["replicas"]) for r in whole["top"]] == [("SRC", 3), ("OTHER", 1)]
    assert d1["total"] == 2
    assert [(r["code"], r["replicas"]) for r in d1["top"]] == [("OTHER", 1), ("SRC", 1)]


def test_targets_measure_boards_indicators_registering_and_counts(tree):
    _data(tree)
    board = BoardFactory(unit=tree["P"])
    BoardFactory(unit=tree["A"])
    BoardFactory(unit=tree["B"])
    regulation = Indicator.objects.get(code="mobilisation_regulation")
    for unit, value in ((tree["A"], 1), (tree["B"], 0), (tree["S"], 1)):
        services.indicator_record(
            actor=None, unit=unit, indicator=regulation, year=2019, value=value
        )
    services.indicator_record(actor=None, unit=tree["B"], indicator=regulation, year=2020, value=1)
    services.indicator_record(actor=None, unit=tree["S"], indicator=regulation, year=2021, value=0)
    p = phase("2016-2020")
    for kind, value, unit_kind, indicator in (
        (TargetKind.BOARD_SHARE, 100, UnitKind.COMMUNE, None),
        (TargetKind.INDICATOR_SHARE, 100, UnitKind.COMMUNE, regulation),
        (TargetKind.REGISTERING_SHARE, 50, UnitKind.COMMUNE, None),
        (TargetKind.INITIATIVES, 8, "", None),
        (TargetKind.COMMENDATIONS, 2, "", None),
    ):
        services.target_set(
            actor=None,
            board=board,
            phase=p,
            kind=kind,
            value=Decimal(value),
            unit_kind=unit_kind,
            indicator=indicator,
        )

    targets = {t["kind"]: t for t in movement_statistics(unit=tree["P"], phase=p)["targets"]}

    board_share = targets["board_share"]
    assert (board_share["numerator"], board_share["denominator"]) == (2, 3)
    assert board_share["measured"] == 66.7 and board_share["progress"] == 66.7
    assert not board_share["met"]
    regulation_share = targets["indicator_share"]  # latest value up to 2020: A, B yes; S yes
    assert (regulation_share["numerator"], regulation_share["denominator"]) == (3, 3)
    assert regulation_share["measured"] == 100.0 and regulation_share["met"]
    registering = targets["registering_share"]  # A, B, S registered in 2016-2020
    assert (registering["numerator"], registering["denominator"]) == (3, 3)
    assert registering["progress"] == 200.0
    assert targets["initiatives"]["measured"] == 4.0 and targets["initiatives"]["progress"] == 50.0
    assert targets["commendations"]["measured"] == 2.0 and targets["commendations"]["met"]
    # In 2021 S dropped its regulation: the next phase's measure sees it.
    later = movement_statistics(unit=tree["P"], phase=phase("2021-2025"))
    assert later["targets"] == []
    regulation_2021 = [i for i in later["indicators"] if i["code"] == "mobilisation_regulation"][0]
    assert (regulation_2021["yes"], regulation_2021["units"]) == (2, 3)


def test_only_the_boards_secretary_or_chair_sets_its_targets(tree):
    board = BoardFactory(unit=tree["P"])
    secretary = BoardMemberFactory(board=board, role=Role.SECRETARY).user
    member = BoardMemberFactory(board=board, role=Role.MEMBER).user
    outsider = BoardMemberFactory(board=BoardFactory(unit=tree["D1"]), role=Role.CHAIR).user

    body = {"unit": "P", "phase": "2021-2025", "kind": "initiatives", "value": "500"}
    assert api(member).post("/api/v1/targets/", body, format="json").status_code == 403
    assert api(outsider).post("/api/v1/targets/", body, format="json").status_code == 404
    answer = api(secretary).post("/api/v1/targets/", body, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["value"] == "500.00"
    again = api(secretary).post("/api/v1/targets/", {**body, "value": "600"}, format="json")
    assert again.json()["id"] == answer.json()["id"]
    listed = api(secretary).get("/api/v1/targets/?unit=P&phase=2021-2025").json()
    assert [(t["kind"], t["value"]) for t in listed] == [("initiatives", "600.00")]
    with pytest.raises(NotAllowed):
        services.target_set(actor=member, board=board, phase=phase(), kind="initiatives", value=1)
    bad = api(secretary).post(
        "/api/v1/targets/", {**body, "kind": "board_share", "value": "120"}, format="json"
    )
    assert bad.status_code == 400


def test_officials_record_indicators_and_values_are_checked(tree):
    official = UnitRoleFactory(unit=tree["D1"], role=Role.OFFICIAL).user
    client = api(official)
    ok = client.post(
        "/api/v1/indicators/",
        {"unit": "A", "indicator": "mobilisation_regulation", "year": 2023, "value": "1"},
        format="json",
    )
    assert ok.status_code == 200, ok.json()
    not_yes_no = client.post(
        "/api/v1/indicators/",
        {"unit": "A", "indicator": "mobilisation_regulation", "year": 2023, "value": "3"},
        format="json",
    )
    assert not_yes_no.status_code == 400
    wrong_kind = client.post(
        "/api/v1/indicators/",
        {"unit": "D1", "indicator": "mobilisation_regulation", "year": 2023, "value": "1"},
        format="json",
    )
    assert wrong_kind.status_code == 400
    outside = client.post(
        "/api/v1/indicators/",
        {"unit": "S", "indicator": "mobilisation_regulation", "year": 2023, "value": "1"},
        format="json",
    )
    assert outside.status_code == 404
    assert [v["year"] for v in client.get("/api/v1/indicators/?unit=A").json()] == [2023]


def test_stats_api_is_scoped_to_the_callers_subtree(tree):
    _data(tree)
    district = UnitRoleFactory(unit=tree["D1"], role=Role.LEADER).user
    client = api(district)

    own = client.get("/api/v1/stats/?unit=D1&phase=2016-2020")
    default = client.get("/api/v1/stats/?phase=2016-2020")
    assert own.status_code == 200 and default.json() == own.json()
    assert own.json()["initiatives"]["total"] == 2
    assert client.get("/api/v1/stats/?unit=A").status_code == 200
    for code in ("P", "D2", "S", "NOPE"):
        assert client.get(f"/api/v1/stats/?unit={code}").status_code == 404
    assert client.get("/api/v1/stats/?unit=D1&phase=2016-2020&year=2023").status_code == 400
    assert client.get("/api/v1/stats/?unit=D1&year=abc").status_code == 400
    assert api(UserFactory()).get("/api/v1/stats/").status_code == 404
    assert api().get("/api/v1/stats/").status_code == 401


def test_dashboard_is_scoped_and_its_links_count_what_they_show(tree, client):
    _data(tree)
    leader = UnitRoleFactory(unit=tree["D1"], role=Role.LEADER).user
    client.force_login(leader)

    assert client.get("/dashboard/?unit=P").status_code == 404
    assert client.get("/dashboard/?unit=S").status_code == 404
    page = client.get("/dashboard/?unit=D1&phase=2016-2020")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Huyện Một" in html
    assert "/initiatives/?unit=A&amp;registered_to=2020-12-31&amp;ongoing=1" in html
    listed = client.get("/initiatives/?unit=A&registered_to=2020-12-31&ongoing=1")
    assert listed.context["page"].paginator.count == 1  # the withdrawn one is not counted


@pytest.mark.parametrize("period", [{}, {"phase": "2016-2020"}, {"year": 2018}])
def test_statistics_run_a_fixed_number_of_queries(tree, period):
    kwargs = {"year": period.get("year")}
    if "phase" in period:
        kwargs["phase"] = phase(period["phase"])
    _data(tree)
    BoardFactory(unit=tree["P"])
    with CaptureQueriesContext(connection) as small:
        movement_statistics(unit=tree["P"], **kwargs)
    for i in range(12):
        unit = UnitFactory(parent=tree["A"] if i % 2 else tree["S"], kind=UnitKind.HAMLET)
        initiative(unit, dt.date(2016 + i % 5, 3, 1))
        CommendationFactory(unit=unit, decision_date=dt.date(2016 + i % 5, 9, 1))
    with CaptureQueriesContext(connection) as big:
        movement_statistics(unit=tree["P"], **kwargs)
    assert len(big.captured_queries) == len(small.captured_queries)


def test_recognised_counts_decisions_by_their_date_and_recorded_history_by_its_date(tree):
    from core.models import InitiativeStatusChange, IssuerKind
    from core.tallies import initiative_tallies_rebuild
    from core.tests.factories import IssuingBodyFactory
    from documents.models import Decision, DecisionKind, DecisionStatus
    from workflows.models import AnnualReportStatus
    from workflows.tests.factories import AnnualReportFactory, ReviewCycleFactory

    board = BoardFactory(unit=tree["D1"])
    cycle = ReviewCycleFactory(board=board, phase=phase("2016-2020"), year=2019, status="closed")
    body = IssuingBodyFactory(kind=IssuerKind.STEERING_BOARD, unit=tree["D1"])

    numbers = iter(range(1, 100))

    def decision(day, status=DecisionStatus.ISSUED):
        if status == DecisionStatus.DRAFT:
            return Decision.objects.create(
                issuer=body, kind=DecisionKind.RECOGNITION, status=status, title="QĐ"
            )
        n = next(numbers)
        return Decision.objects.create(
            issuer=body,
            kind=DecisionKind.RECOGNITION,
            status=status,
            title="QĐ",
            issued_on=day,
            year=day.year,
            sequence=n,
            number=f"{n}/QĐ-BCĐ",
            sha256="0" * 64,
        )

    by_decision = initiative(tree["A"], dt.date(2017, 1, 1), fields=("economy", "new_rural"))
    AnnualReportFactory(
        initiative=by_decision,
        cycle=cycle,
        status=AnnualReportStatus.DECIDED,
        recognition_decision=decision(dt.date(2020, 1, 10)),  # decided for 2019, dated 2020
    )
    draft = initiative(tree["B"], dt.date(2017, 1, 1))
    AnnualReportFactory(
        initiative=draft, cycle=cycle, recognition_decision=decision(None, DecisionStatus.DRAFT)
    )
    historic = initiative(tree["S"], dt.date(2016, 1, 1), fields=("culture_society",))
    for year in (2017, 2018):  # recognised twice: once in the phase
        InitiativeStatusChange.objects.create(
            initiative=historic,
            from_status="monitored",
            to_status="recognised",
            at=dt.datetime(year, 12, 20, 9, tzinfo=dt.UTC),
            source="import",
        )
    # The workflow's own line is not counted twice (its decision's date counts).
    InitiativeStatusChange.objects.create(
        initiative=by_decision,
        from_status="evaluated",
        to_status="recognised",
        at=dt.datetime(2019, 12, 20, 9, tzinfo=dt.UTC),
        source="recognition_decision_issue",
    )

    # Written past the services above (historic records, a decision made by hand): counted
    # into the tallies as ``rebuild_tallies`` would after such a load.
    initiative_tallies_rebuild()

    stats = movement_statistics(unit=tree["P"], phase=phase("2016-2020"))
    assert stats["recognised"]["total"] == 2
    assert stats["recognised"]["by_field"]["economy"] == 1
    assert stats["recognised"]["by_field"]["culture_society"] == 1
    assert {row["year"]: row["recognised"] for row in stats["by_year"]} == {
        2016: 0,
        2017: 1,
        2018: 1,
        2019: 0,
        2020: 1,
    }
    in_2020 = movement_statistics(unit=tree["D1"], year=2020)["recognised"]
    assert in_2020["total"] == 1
    assert movement_statistics(unit=tree["D2"], year=2020)["recognised"]["total"] == 0


def test_boards_count_units_with_a_board_and_what_waits_in_their_queues(tree):
    from core.models import CycleStatus
    from workflows.models import AnnualReportStatus
    from workflows.tests.factories import AnnualReportFactory, ReviewCycleFactory

    BoardFactory(unit=tree["P"])
    board = BoardFactory(unit=tree["D1"])
    BoardFactory(unit=tree["A"])
    cycle = ReviewCycleFactory(board=board, year=2024, status=CycleStatus.OPEN)
    for unit, status in (
        (tree["A"], AnnualReportStatus.PENDING),
        (tree["A"], AnnualReportStatus.PENDING),
        (tree["B"], AnnualReportStatus.SUBMITTED),
        (tree["B"], AnnualReportStatus.EVALUATION_CLOSED),
        (tree["B"], AnnualReportStatus.DECIDED),
    ):
        AnnualReportFactory(
            initiative=initiative(unit, dt.date(2023, 1, 1)), cycle=cycle, status=status
        )

    before = movement_statistics(unit=tree["P"], today=dt.date(2024, 10, 1))["boards"]
    after = movement_statistics(unit=tree["P"], today=dt.date(2024, 12, 1))["boards"]

    assert before["units"]["commune"] == {"total": 3, "with_board": 1, "without_board": 2}
    assert before["units"]["district"] == {"total": 2, "with_board": 1, "without_board": 1}
    assert before["cycles_open"] == 1
    assert before["queues"] == {
        "reports": {"waiting": 2, "overdue": 0, "oldest_due": "2024-10-31"},
        "evaluations": {"waiting": 1, "overdue": 0, "oldest_due": "2024-11-30"},
        "decisions": {"waiting": 1, "overdue": 0, "oldest_due": "2024-12-15"},
    }
    assert [q["overdue"] for q in after["queues"].values()] == [2, 1, 0]
    late = {row["code"]: row for row in after["overdue_by_unit"]}
    assert late["D1"] == {
        "code": "D1",
        "name": "Huyện Một",
        "reports": 2,
        "evaluations": 1,
        "decisions": 0,
    }
    assert late["D2"]["reports"] == 0


def test_target_and_indicator_pages_let_the_right_people_write(tree, client):
    board = BoardFactory(unit=tree["P"])
    secretary = BoardMemberFactory(board=board, role=Role.SECRETARY).user
    member = BoardMemberFactory(board=board, role=Role.MEMBER).user
    official = UnitRoleFactory(unit=tree["A"], role=Role.OFFICIAL).user
    target = {"phase": "2021-2025", "kind": "board_share", "unit_kind": "commune", "value": "90"}

    client.force_login(member)
    assert "Đặt chỉ tiêu" not in client.get("/dashboard/targets/?unit=P").content.decode()
    assert client.post("/dashboard/targets/?unit=P", target).status_code == 403
    client.force_login(secretary)
    answer = client.post("/dashboard/targets/?unit=P", target, follow=True)
    assert "Đã đặt chỉ tiêu." in answer.content.decode()
    assert "0/3: 0,0%" in answer.content.decode()  # no commune has a board yet
    client.force_login(official)
    assert client.get("/dashboard/targets/?unit=P").status_code == 404
    value = {"unit": "A", "indicator": "mobilisation_regulation", "year": "2024", "value": "1"}
    answer = client.post("/dashboard/indicators/?unit=A", value, follow=True)
    assert "Đã ghi chỉ số." in answer.content.decode()
    refused = client.post("/dashboard/indicators/?unit=A", {**value, "unit": "B"}, follow=True)
    assert refused.status_code == 404  # B is outside the official's units
    client.force_login(member)  # a board above records too
    answer = client.post("/dashboard/indicators/?unit=B", {**value, "unit": "B"}, follow=True)
    assert "Đã ghi chỉ số." in answer.content.decode()
    stats = movement_statistics(unit=tree["P"], year=2024)
    regulation = next(i for i in stats["indicators"] if i["code"] == "mobilisation_regulation")
    assert (regulation["yes"], regulation["units"]) == (2, 3)


def test_report_files_need_an_output_path_and_bad_unit_codes_are_404(tree, client):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--format xlsx cần --out TỆP"):
        call_command("movement_report", "--unit", "P", "--format", "xlsx", stdout=StringIO())
    client.force_login(UnitRoleFactory(unit=tree["P"], role=Role.LEADER).user)
    for url in ("/dashboard/targets/?unit=%00", "/dashboard/indicators/?unit=" + "X" * 80):
        assert client.get(url).status_code == 404
    assert client.get("/dashboard/?unit=%00").status_code == 400
    answer = client.get("/dashboard/report.xlsx?unit=D1&year=2020")
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="bao-cao-D1-2020.xlsx"'
