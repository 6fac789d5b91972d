import datetime as dt
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core import services
from core.errors import InvalidInput
from core.management.commands.movement_report import Command as MovementReportCommand
from core.models import (
    AwardType,
    Commendation,
    Field,
    InitiativeKind,
    InitiativeStatus,
    RecipientKind,
    Unit,
    UnitKind,
)
from core.selectors import in_subtree, movement_report
from core.tests.factories import (
    CommendationFactory,
    InitiativeFactory,
    IssuingBodyFactory,
    UnitFactory,
    field,
    phase,
)

pytestmark = pytest.mark.django_db

ACTIVE_FIELDS = [
    "economy",
    "culture_society",
    "defence_security",
    "political_system",
    "new_rural",
    "admin_reform",
    "front_unions",
    "party_government",
]


@pytest.fixture
def tree():
    province = UnitFactory(code="P", name="Tỉnh Thử", kind=UnitKind.PROVINCE)
    d1 = UnitFactory(code="D1", name="Huyện Một", kind=UnitKind.DISTRICT, parent=province)
    d2 = UnitFactory(code="D2", name="Huyện Hai", kind=UnitKind.DISTRICT, parent=province)
    a = UnitFactory(code="A", name="Xã A", parent=d1)
    b = UnitFactory(code="B", name="Xã B", parent=d1)
    s = UnitFactory(code="S", name="Xã S", parent=d2)
    return {"P": province, "D1": d1, "D2": d2, "A": a, "B": b, "S": s}


def initiative(unit, day, status=InitiativeStatus.MONITORED, fields=("economy",), **kwargs):
    return InitiativeFactory(
        owner_unit=unit,
        registered_on=day,
        status=status,
        fields=[field(code) for code in fields],
        **kwargs,
    )


def run(*args) -> str:
    out = StringIO()
    call_command("movement_report", *args, stdout=out)
    return out.getvalue()


# --- Periods ---------------------------------------------------------------------------------


def test_phase_report_counts_up_to_phase_end_and_new_inside_it(tree):
    initiative(tree["A"], dt.date(2015, 6, 1))  # before the phase: counted, not new
    initiative(tree["A"], dt.date(2016, 1, 1))  # first day: new
    initiative(
        tree["B"], dt.date(2020, 12, 31), kind=InitiativeKind.INDIVIDUAL, owner_name="Lò Văn Pó"
    )
    initiative(tree["B"], dt.date(2021, 1, 1))  # after the phase: not counted

    report = movement_report(unit=tree["D1"], phase=phase("2016-2020"))

    assert report["phase"] == "2016-2020" and report["year"] is None
    assert report["initiatives"]["total"] == 3
    assert report["initiatives"]["by_kind"] == {"collective": 2, "individual": 1}
    assert report["initiatives"]["new"]["total"] == 2
    assert report["initiatives"]["new"]["by_kind"] == {"collective": 1, "individual": 1}
    assert report["initiatives"]["new"]["by_field"]["economy"] == 2
    assert report["initiatives"]["by_status"]["monitored"] == 3


def test_year_report_counts_up_to_year_end_and_new_inside_the_year(tree):
    initiative(tree["A"], dt.date(2016, 5, 1))
    initiative(tree["A"], dt.date(2017, 2, 1))
    initiative(tree["A"], dt.date(2017, 12, 31))
    initiative(tree["A"], dt.date(2018, 1, 1))

    report = movement_report(unit=tree["A"], year=2017)

    assert report["phase"] is None and report["year"] == 2017
    assert report["initiatives"]["total"] == 3
    assert report["initiatives"]["new"]["total"] == 2


def test_report_without_period_counts_everything_and_new_equals_total(tree):
    initiative(tree["A"], dt.date(2012, 1, 1))
    initiative(tree["A"], dt.date(2024, 1, 1))
    initiative(tree["A"], dt.date(2030, 1, 1), status=InitiativeStatus.WITHDRAWN)

    report = movement_report(unit=tree["A"])

    assert report["phase"] is None and report["year"] is None
    assert report["initiatives"]["total"] == 2
    assert report["initiatives"]["new"]["total"] == 2
    assert report["initiatives"]["new"]["by_field"] == report["initiatives"]["by_field"]
    assert report["initiatives"]["by_status"]["withdrawn"] == 1


def test_phase_and_year_together_use_the_year_as_period(tree):
    initiative(tree["A"], dt.date(2016, 5, 1))
    initiative(tree["A"], dt.date(2018, 5, 1))
    initiative(tree["A"], dt.date(2019, 5, 1))

    report = movement_report(unit=tree["A"], phase=phase("2016-2020"), year=2018)

    assert report["phase"] == "2016-2020" and report["year"] == 2018
    assert report["initiatives"]["total"] == 2
    assert report["initiatives"]["new"]["total"] == 1


def test_year_outside_the_phase_is_refused(tree):
    with pytest.raises(InvalidInput):
        movement_report(unit=tree["A"], phase=phase("2016-2020"), year=2021)


def test_ended_initiatives_leave_totals_but_stay_in_status_counts(tree):
    initiative(tree["A"], dt.date(2017, 1, 1), status=InitiativeStatus.WITHDRAWN)
    initiative(tree["A"], dt.date(2017, 1, 1), status=InitiativeStatus.DISCONTINUED)
    initiative(tree["A"], dt.date(2017, 1, 1), status=InitiativeStatus.RECOGNISED)
    initiative(tree["A"], dt.date(2017, 1, 1), status=InitiativeStatus.COMMENDED)

    report = movement_report(unit=tree["A"], phase=phase("2016-2020"))

    initiatives = report["initiatives"]
    assert initiatives["total"] == 2
    assert initiatives["new"]["total"] == 2
    assert initiatives["by_field"]["economy"] == 2
    assert initiatives["by_kind"] == {"collective": 2, "individual": 0}
    assert initiatives["by_status"] == {
        "registered": 0,
        "returned": 0,
        "rejected": 0,
        "monitored": 0,
        "evaluated": 0,
        "recognised": 1,
        "commended": 1,
        "withdrawn": 1,
        "discontinued": 1,
    }


# --- Fields ------------------------------------------------------------------------------------


def test_by_field_counts_an_initiative_once_in_each_of_its_fields(tree):
    initiative(tree["A"], dt.date(2017, 1, 1), fields=("economy", "culture_society"))
    initiative(tree["A"], dt.date(2017, 1, 1), fields=("economy",))
    initiative(tree["A"], dt.date(2017, 1, 1), fields=("new_rural", "culture_society"))

    report = movement_report(unit=tree["A"])

    assert report["initiatives"]["total"] == 3
    assert report["initiatives"]["by_field"] == {
        "economy": 2,
        "culture_society": 2,
        "defence_security": 0,
        "political_system": 0,
        "new_rural": 1,
        "admin_reform": 0,
        "front_unions": 0,
        "party_government": 0,
    }
    assert list(report["initiatives"]["by_field"]) == ACTIVE_FIELDS


def test_inactive_fields_are_listed_only_when_they_have_a_count(tree):
    Field.objects.filter(code__in=["admin_reform", "front_unions"]).update(is_active=False)
    initiative(tree["A"], dt.date(2017, 1, 1), fields=("admin_reform",))

    by_field = movement_report(unit=tree["A"])["initiatives"]["by_field"]

    assert by_field["admin_reform"] == 1
    assert "front_unions" not in by_field
    assert by_field["economy"] == 0


# --- Commendations -----------------------------------------------------------------------------


@pytest.fixture
def commendations(tree):
    district_ubnd = IssuingBodyFactory(code="ubnd-d1", name="UBND huyện Một")
    province_ubnd = IssuingBodyFactory(code="ubnd-p", name="UBND tỉnh Thử")
    # Recorded for 2016-2020, decided in 2021 (after the phase's conference).
    CommendationFactory(
        unit=tree["A"],
        issuer=district_ubnd,
        decision_date=dt.date(2021, 3, 1),
        phase=phase("2016-2020"),
    )
    CommendationFactory(
        unit=tree["B"],
        issuer=district_ubnd,
        decision_date=dt.date(2020, 9, 30),
        phase=phase("2016-2020"),
        recipient_kind=RecipientKind.INDIVIDUAL,
        recipient_name="Nông Thị Hoa",
    )
    CommendationFactory(
        unit=tree["D1"],
        issuer=province_ubnd,
        award=AwardType.COMMENDATION_CERTIFICATE,
        decision_date=dt.date(2021, 6, 1),
        phase=phase("2021-2025"),
    )
    CommendationFactory(
        unit=tree["A"],
        issuer=province_ubnd,
        award=AwardType.PRAISE,
        decision_date=dt.date(2019, 5, 1),
        phase=None,
    )
    return district_ubnd, province_ubnd


def test_commendations_by_phase_count_those_recorded_for_the_phase(tree, commendations):
    report = movement_report(unit=tree["D1"], phase=phase("2016-2020"))["commendations"]

    assert report == {
        "total": 2,
        "by_award": {"praise": 0, "certificate_of_merit": 2, "commendation_certificate": 0},
        "by_recipient_kind": {"collective": 1, "individual": 1},
        "by_issuer": {"UBND huyện Một": 2},
    }


def test_commendations_by_year_count_those_decided_in_the_year(tree, commendations):
    in_2021 = movement_report(unit=tree["D1"], year=2021)["commendations"]
    in_2019 = movement_report(unit=tree["D1"], year=2019)["commendations"]

    assert in_2021["total"] == 2
    assert in_2021["by_award"] == {
        "praise": 0,
        "certificate_of_merit": 1,
        "commendation_certificate": 1,
    }
    assert in_2021["by_issuer"] == {"UBND huyện Một": 1, "UBND tỉnh Thử": 1}
    assert in_2019["total"] == 1 and in_2019["by_award"]["praise"] == 1


def test_commendations_with_phase_and_year_match_both(tree, commendations):
    report = movement_report(unit=tree["D1"], phase=phase("2021-2025"), year=2021)

    assert report["commendations"]["total"] == 1
    assert report["commendations"]["by_award"]["commendation_certificate"] == 1


def test_commendations_without_period_count_everything(tree, commendations):
    report = movement_report(unit=tree["P"])["commendations"]

    assert report["total"] == 4
    assert report["by_issuer"] == {"UBND huyện Một": 2, "UBND tỉnh Thử": 2}
    assert report["by_recipient_kind"] == {"collective": 3, "individual": 1}


def test_empty_commendation_figures_keep_every_key(tree):
    report = movement_report(unit=tree["S"])["commendations"]

    assert report == {
        "total": 0,
        "by_award": {"praise": 0, "certificate_of_merit": 0, "commendation_certificate": 0},
        "by_recipient_kind": {"collective": 0, "individual": 0},
        "by_issuer": {},
    }


# --- Scope ----------------------------------------------------------------------------------


def test_report_never_counts_a_sibling_districts_data(tree, commendations):
    initiative(tree["A"], dt.date(2017, 1, 1))
    initiative(tree["D1"], dt.date(2017, 1, 1))
    initiative(tree["S"], dt.date(2017, 1, 1))
    initiative(tree["D2"], dt.date(2017, 1, 1))
    CommendationFactory(unit=tree["S"], phase=phase("2016-2020"))

    d1 = movement_report(unit=tree["D1"], phase=phase("2016-2020"))
    d2 = movement_report(unit=tree["D2"], phase=phase("2016-2020"))
    province = movement_report(unit=tree["P"], phase=phase("2016-2020"))

    assert d1["initiatives"]["total"] == 2 and d1["commendations"]["total"] == 2
    assert d2["initiatives"]["total"] == 2 and d2["commendations"]["total"] == 1
    assert province["initiatives"]["total"] == 4 and province["commendations"]["total"] == 3


def test_in_subtree_selects_the_rows_of_the_units_below_and_no_sibling(tree, commendations):
    # The root's filter is a join on the path, the others an array of the subtree's ids.
    assert (tree["P"].depth, tree["D1"].depth) == (0, 1)
    for code, expected in {"P": 4, "D1": 4, "A": 2, "B": 1, "D2": 0}.items():
        unit = tree[code]
        rows = set(
            Commendation.objects.filter(in_subtree("unit", unit)).values_list("pk", flat=True)
        )
        joined = Commendation.objects.filter(unit__path__startswith=unit.path)
        assert rows == set(joined.values_list("pk", flat=True)) and len(rows) == expected, code


def test_merged_communes_initiatives_roll_up_to_the_successor(tree):
    hamlet = UnitFactory(code="A-H", kind=UnitKind.HAMLET, parent=tree["A"])
    initiative(tree["A"], dt.date(2022, 1, 1))
    initiative(hamlet, dt.date(2023, 1, 1))
    c = UnitFactory(code="C", name="Xã C", parent=tree["D2"], valid_from=dt.date(2025, 7, 1))
    initiative(c, dt.date(2025, 8, 1))
    assert movement_report(unit=c)["initiatives"]["total"] == 1

    services.unit_merge(unit=tree["A"], successor=c, valid_to=dt.date(2025, 6, 30))
    c.refresh_from_db()

    assert movement_report(unit=c)["initiatives"]["total"] == 3
    assert movement_report(unit=tree["D2"])["initiatives"]["total"] == 3
    assert movement_report(unit=tree["D1"])["initiatives"]["total"] == 0


def test_unit_without_tree_path_is_refused(tree):
    Unit.objects.filter(pk=tree["A"].pk).update(path="")
    tree["A"].refresh_from_db()

    with pytest.raises(InvalidInput):
        movement_report(unit=tree["A"])


# --- Query count ------------------------------------------------------------------------------


def _add_data(tree, n: int) -> None:
    for i in range(n):
        unit = UnitFactory(parent=tree["A"] if i % 2 else tree["B"], kind=UnitKind.HAMLET)
        initiative(
            unit,
            dt.date(2016 + i % 5, 3, 1),
            status=list(InitiativeStatus)[i % len(InitiativeStatus)],
            fields=ACTIVE_FIELDS[i % 3 : i % 3 + 2],
        )
        CommendationFactory(
            unit=unit,
            issuer=IssuingBodyFactory(),
            award=list(AwardType)[i % 3],
            decision_date=dt.date(2016 + i % 5, 9, 1),
        )


@pytest.mark.parametrize(
    "period",
    [{}, {"phase": "2016-2020"}, {"year": 2018}, {"phase": "2016-2020", "year": 2018}],
    ids=["none", "phase", "year", "phase+year"],
)
def test_report_runs_a_fixed_number_of_queries_whatever_the_data_size(
    tree, period, django_assert_num_queries
):
    kwargs = {"year": period.get("year")}
    if "phase" in period:
        kwargs["phase"] = phase(period["phase"])
    _add_data(tree, 2)
    with CaptureQueriesContext(connection) as small:
        small_report = movement_report(unit=tree["P"], **kwargs)
    _add_data(tree, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        big_report = movement_report(unit=tree["P"], **kwargs)

    assert len(small.captured_queries) == 4
    assert big_report["initiatives"]["by_status"] != small_report["initiatives"]["by_status"]


# --- The command -----------------------------------------------------------------------------


def test_command_json_is_the_selector_contract_in_a_stable_order(tree, commendations):
    initiative(tree["A"], dt.date(2017, 1, 1), fields=("economy", "new_rural"))

    output = run("--unit", "D1", "--phase", "2016-2020", "--format", "json")

    data = json.loads(output)
    report = movement_report(unit=tree["D1"], phase=phase("2016-2020"))
    # The contract's keys first, unchanged; the statistics' keys (issue 12) after them.
    assert list(data)[:5] == ["unit", "phase", "year", "initiatives", "commendations"]
    assert {key: data[key] for key in report} == report
    assert list(data)[5:] == [
        "by_unit",
        "by_year",
        "recognised",
        "replication",
        "boards",
        "indicators",
        "targets",
    ]
    assert list(data["initiatives"]) == ["total", "by_field", "by_kind", "by_status", "new"]
    assert list(data["initiatives"]["new"]) == ["total", "by_field", "by_kind"]
    assert list(data["commendations"]) == ["total", "by_award", "by_recipient_kind", "by_issuer"]
    assert data["unit"] == {"code": "D1", "name": "Huyện Một"}
    assert "Huyện Một" in output and "UBND huyện Một" in output  # not \u-escaped
    assert output.startswith('{\n  "unit"')


def test_command_json_takes_year_as_a_number(tree):
    data = json.loads(run("--unit", "P", "--year", "2018", "--format", "json"))

    assert data["year"] == 2018 and data["phase"] is None


def test_command_text_is_a_vietnamese_report_with_aligned_numbers(tree, commendations):
    initiative(tree["A"], dt.date(2017, 1, 1), fields=("economy", "culture_society"))
    initiative(tree["A"], dt.date(2017, 1, 1), status=InitiativeStatus.WITHDRAWN)

    output = run("--unit", "D1", "--phase", "2016-2020")

    assert "Báo cáo phong trào thi đua “Dân vận khéo”" in output
    assert "Đơn vị: Huyện Một (D1)" in output
    assert "Giai đoạn 2016 - 2020" in output
    for label in ("Phát triển kinh tế", "Văn hóa - xã hội", "Giấy khen", "Bằng khen", "Đã rút"):
        assert label in output
    assert re.search(r"Đã rút +1$", output, re.MULTILINE)
    assert re.search(r"UBND huyện Một +2$", output, re.MULTILINE)
    body = output.splitlines()[4:]  # after the title, its rule, the unit and the period
    number_lines = [line for line in body if re.search(r"\d$", line)]
    assert len(number_lines) > 20
    assert len({len(line) for line in number_lines}) == 1  # right-aligned numbers


def test_command_text_names_the_year_period(tree):
    assert "Năm 2018" in run("--unit", "P", "--year", "2018")
    assert "Giai đoạn 2016 - 2020, năm 2018" in run(
        "--unit", "P", "--phase", "2016-2020", "--year", "2018"
    )
    assert "Toàn bộ thời gian" in run("--unit", "P")


def test_command_text_in_english_uses_english_names(tree):
    initiative(tree["A"], dt.date(2017, 1, 1))
    with translation.override("en"):
        output = run("--unit", "D1")

    assert "Report on the “Dân vận khéo” emulation movement" in output
    assert "Economic development" in output and "Certificate of merit" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "NOPE"], "Không có đơn vị nào mang mã “NOPE”"),
        (["--unit", "P", "--phase", "1999-2003"], "Không có giai đoạn nào mang mã “1999-2003”"),
        (["--unit", "P", "--year", "hai nghìn"], "Năm phải là số có bốn chữ số"),
        (["--unit", "P", "--year", "-201"], "Năm phải là số có bốn chữ số"),
        (
            ["--unit", "P", "--phase", "2016-2020", "--year", "2023"],
            "Năm 2023 không thuộc giai đoạn 2016-2020",
        ),
    ],
    ids=["unknown-unit", "unknown-phase", "bad-year", "negative-year", "year-outside-phase"],
)
def test_command_errors_are_clear_vietnamese_messages(tree, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_command_error_exits_non_zero(tree, capsys):
    with pytest.raises(SystemExit) as exit_info:
        MovementReportCommand().run_from_argv(["manage.py", "movement_report", "--unit", "NOPE"])

    assert exit_info.value.code != 0
    assert "Không có đơn vị nào mang mã “NOPE”" in capsys.readouterr().err
