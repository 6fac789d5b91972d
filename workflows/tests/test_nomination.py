import pytest

from core.errors import InvalidInput, NotAllowed, WrongState
from core.models import (
    AwardType,
    Commendation,
    InitiativeKind,
    InitiativeStatus,
    RecipientKind,
    Role,
    UnitRole,
)
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, UserFactory
from documents.models import Decision
from workflows import services
from workflows.models import Nomination, NominationStatus

from .factories import ReviewCycleFactory
from .helpers import refused

CITATION = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” năm 2024"


@pytest.fixture
def province_ubnd(world):
    return IssuingBodyFactory(code="ubnd-cao-bang", name="UBND tỉnh Cao Bằng", unit=world.province)


@pytest.fixture
def recognised(world):
    d = world.district
    return [
        InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED),
        InitiativeFactory(
            owner_unit=d.hamlet,
            status=InitiativeStatus.RECOGNISED,
            kind=InitiativeKind.INDIVIDUAL,
            owner_name="Hoàng Thị Lan",
        ),
    ]


def test_secretary_nominates_recognised_owners_upward(
    world, province_ubnd, recognised, events, django_capture_on_commit_callbacks
):
    d = world.district
    cycle = ReviewCycleFactory(board=d.board)
    with django_capture_on_commit_callbacks(execute=True):
        nomination = services.nomination_create(
            actor=d.secretary,
            board=d.board,
            awarding_body=province_ubnd,
            items=recognised,
            citation=CITATION,
            cycle=cycle,
        )
    assert nomination.status == NominationStatus.SUBMITTED
    assert nomination.proposed_by == d.secretary and nomination.cycle == cycle
    rows = list(
        nomination.items.order_by("id").values_list(
            "initiative_id", "recipient_kind", "recipient_name", "unit_id", "approved"
        )
    )
    assert rows == [
        (recognised[0].pk, RecipientKind.COLLECTIVE, d.commune.name, d.commune.pk, None),
        (recognised[1].pk, RecipientKind.INDIVIDUAL, "Hoàng Thị Lan", d.hamlet.pk, None),
    ]
    assert events == [("nomination_submitted", {"nomination_id": nomination.pk})]


def test_nomination_refuses_an_initiative_that_is_not_recognised(world, province_ubnd, recognised):
    d = world.district
    evaluated = InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.EVALUATED)
    with refused(WrongState, f"Mô hình {evaluated.code} chưa được công nhận.", evaluated):
        services.nomination_create(
            actor=d.secretary,
            board=d.board,
            awarding_body=province_ubnd,
            items=[recognised[0], evaluated],
            citation=CITATION,
        )
    assert not Nomination.objects.exists()


def test_nomination_refuses_initiatives_outside_the_boards_subtree(
    world, province_ubnd, recognised
):
    d = world.district
    foreign = InitiativeFactory(
        owner_unit=world.sibling.commune, status=InitiativeStatus.RECOGNISED
    )
    with refused(
        NotAllowed, f"Mô hình {foreign.code} không thuộc phạm vi của Ban Chỉ đạo.", foreign
    ):
        services.nomination_create(
            actor=d.secretary,
            board=d.board,
            awarding_body=province_ubnd,
            items=[foreign],
            citation=CITATION,
        )
    assert not Nomination.objects.exists()


@pytest.mark.parametrize("who", ["chair", "member", "sibling_secretary", "official"])
def test_nomination_refuses_anyone_but_the_boards_secretary(world, province_ubnd, recognised, who):
    d = world.district
    actor = {
        "chair": d.chair,
        "member": d.members[0],
        "sibling_secretary": world.sibling.secretary,
        "official": d.official,
    }[who]
    with pytest.raises(NotAllowed):
        services.nomination_create(
            actor=actor,
            board=d.board,
            awarding_body=province_ubnd,
            items=recognised,
            citation=CITATION,
        )
    assert not Nomination.objects.exists()


def test_nomination_refuses_a_body_below_the_board_and_bad_lists(world, province_ubnd, recognised):
    d = world.district
    commune_body = IssuingBodyFactory(code="ubnd-xa", name="UBND xã", unit=d.commune)
    cases = [
        (
            {"awarding_body": commune_body},
            "Cơ quan khen thưởng phải cùng cấp hoặc cấp trên của Ban Chỉ đạo.",
        ),
        ({"items": []}, "Cần chọn ít nhất một mô hình."),
        ({"items": [recognised[0], recognised[0]]}, "Có mô hình bị lặp lại trong danh sách."),
        ({"citation": "  "}, "Cần nhập thành tích đề nghị khen thưởng."),
        (
            {"cycle": ReviewCycleFactory(board=world.sibling.board)},
            "Đợt bình xét thuộc Ban Chỉ đạo khác.",
        ),
    ]
    for override, message in cases:
        data = {
            "awarding_body": province_ubnd,
            "items": recognised,
            "citation": CITATION,
            **override,
        }
        with pytest.raises(InvalidInput) as caught:
            services.nomination_create(actor=d.secretary, board=d.board, **data)
        assert str(caught.value) == message
    assert not Nomination.objects.exists()


def test_only_a_province_or_higher_body_gives_a_bang_khen(world, recognised):
    """A district's People's Committee gives a Giấy khen, never a Bằng khen: the commendation
    and its draft are refused with the law's reason, nothing written; the province gives it."""
    d = world.district

    def clerk_of(unit):
        user = UserFactory(unit=unit)
        UnitRole.objects.create(unit=unit, user=user, role=Role.CLERK)
        return user

    district_ubnd = IssuingBodyFactory(name="UBND huyện Hòa An", unit=d.unit, abbreviation="UBND")
    nomination = services.nomination_create(
        actor=d.secretary,
        board=d.board,
        awarding_body=district_ubnd,
        items=recognised,
        citation=CITATION,
    )
    district_clerk = clerk_of(d.unit)
    message = (
        "UBND huyện Hòa An không thể tặng Bằng khen: Bằng khen do Ủy ban nhân dân hoặc cấp ủy "
        "cấp tỉnh (hoặc cấp trên) tặng."
    )
    for action in (services.nomination_commend, services.nomination_commend_preview):
        with refused(InvalidInput, message, *recognised):
            action(
                actor=district_clerk,
                nomination=nomination,
                award=AwardType.COMMENDATION_CERTIFICATE,
            )
    assert not Decision.objects.exists() and not Commendation.objects.exists()
    decision = services.nomination_commend(
        actor=district_clerk, nomination=nomination, award=AwardType.CERTIFICATE_OF_MERIT
    )
    assert decision.entries.count() == 2

    province_ubnd = IssuingBodyFactory(unit=world.province, abbreviation="UBND")
    again = [InitiativeFactory(owner_unit=d.commune, status=InitiativeStatus.RECOGNISED)]
    nomination = services.nomination_create(
        actor=d.secretary, board=d.board, awarding_body=province_ubnd, items=again, citation="x"
    )
    decision = services.nomination_commend(
        actor=clerk_of(world.province),
        nomination=nomination,
        award=AwardType.COMMENDATION_CERTIFICATE,
    )
    assert decision.entries.get().award == AwardType.COMMENDATION_CERTIFICATE
