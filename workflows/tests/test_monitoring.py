import datetime as dt

import pytest
from django.utils import timezone

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import InitiativeStatus
from core.tests.factories import InitiativeFactory
from workflows import services
from workflows.models import MonitoringVisit, ProgressReport

from .helpers import refused

NOT_MONITORED = "Chỉ thực hiện được khi mô hình đang được theo dõi."


def test_owner_files_a_progress_report_while_monitored(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    report = services.progress_report_submit(
        actor=d.official, initiative=initiative, text="Quý I: 45 hộ tham gia."
    )
    assert list(initiative.progress_reports.all()) == [report]
    assert report.author == d.official and report.submitted_at is not None


@pytest.mark.parametrize(
    "status", [InitiativeStatus.REGISTERED, InitiativeStatus.EVALUATED, InitiativeStatus.RECOGNISED]
)
def test_progress_report_refused_unless_monitored(world, status):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=status)
    with refused(WrongState, NOT_MONITORED, initiative):
        services.progress_report_submit(actor=d.official, initiative=initiative, text="Báo cáo")
    assert not ProgressReport.objects.exists()


def test_progress_report_refused_for_a_sibling_districts_official(world):
    initiative = InitiativeFactory(
        owner_unit=world.district.commune, status=InitiativeStatus.MONITORED
    )
    with refused(NotAllowed, None, initiative):
        services.progress_report_submit(
            actor=world.sibling.official, initiative=initiative, text="Báo cáo"
        )
    with refused(InvalidInput, "Cần nhập nội dung.", initiative):
        services.progress_report_submit(
            actor=world.district.official, initiative=initiative, text=""
        )
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("who", ["member", "chair", "province_member"])
def test_board_members_record_monitoring_visits(world, who):
    d = world.district
    actor = {"member": d.members[1], "chair": d.chair, "province_member": world.province_member}[
        who
    ]
    initiative = InitiativeFactory(owner_unit=d.hamlet, status=InitiativeStatus.MONITORED)
    visit = services.monitoring_visit_record(
        actor=actor,
        initiative=initiative,
        visited_on=dt.date(2024, 6, 2),
        visitors="Đ/c Hoàng Văn Nam, Đ/c Lục Thị Mai",
        findings="Duy trì sinh hoạt đều đặn.",
    )
    assert list(initiative.monitoring_visits.all()) == [visit]
    assert visit.recorded_by == actor


def test_monitoring_visit_refused_for_sibling_board_and_officials(world):
    d = world.district
    initiative = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    for actor in (world.sibling.members[0], world.sibling.chair, d.official):
        with refused(
            NotAllowed,
            "Chỉ thành viên Ban Chỉ đạo phụ trách mới được ghi nhận đợt kiểm tra, giám sát.",
            initiative,
        ):
            services.monitoring_visit_record(
                actor=actor, initiative=initiative, visited_on=dt.date(2024, 6, 2), findings="Tốt"
            )
    assert not MonitoringVisit.objects.exists()


def test_monitoring_visit_refused_unless_monitored_or_in_the_future(world):
    d = world.district
    registered = InitiativeFactory(owner_unit=d.commune)
    with refused(WrongState, NOT_MONITORED, registered):
        services.monitoring_visit_record(
            actor=d.members[0], initiative=registered, visited_on=dt.date(2024, 6, 2), findings="x"
        )
    monitored = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.MONITORED)
    with refused(InvalidInput, "Ngày kiểm tra không được sau ngày hôm nay.", monitored):
        services.monitoring_visit_record(
            actor=d.members[0],
            initiative=monitored,
            visited_on=timezone.localdate() + dt.timedelta(days=1),
            findings="x",
        )
    assert not MonitoringVisit.objects.exists()
