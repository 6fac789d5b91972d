import datetime as dt

import factory

from core import services
from core.models import (
    AwardType,
    BoardMember,
    Commendation,
    Field,
    Initiative,
    InitiativeKind,
    IssuerKind,
    IssuingBody,
    Phase,
    RecipientKind,
    SteeringBoard,
    Unit,
    UnitKind,
    UnitRole,
    User,
)
from core.tallies import initiative_tallies_add


class UnitFactory(factory.django.DjangoModelFactory):
    """Builds units through ``unit_create`` so their tree path is right."""

    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    kind = UnitKind.COMMUNE
    parent = None
    successor = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.unit_create(**kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    password = factory.django.Password("matkhau-123")
    unit = None


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SteeringBoard
        django_get_or_create = ("unit",)

    unit = factory.SubFactory(UnitFactory)
    name = factory.LazyAttribute(lambda o: f"Ban Chỉ đạo {o.unit.name}")
    quorum = 2


class BoardMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BoardMember

    board = factory.SubFactory(BoardFactory)
    user = factory.SubFactory(UserFactory)
    role = "member"


class UnitRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnitRole

    unit = factory.SubFactory(UnitFactory)
    user = factory.SubFactory(UserFactory)
    role = "official"


def phase(code: str = "2021-2025") -> Phase:
    return Phase.objects.get(code=code)


def field(code: str = "economy") -> Field:
    return Field.objects.get(code=code)


class InitiativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"MH{n:06d}")
    title = factory.Sequence(lambda n: f"Mô hình “Dân vận khéo” số {n}")
    owner_unit = factory.SubFactory(UnitFactory)
    kind = InitiativeKind.COLLECTIVE
    owner_name = ""
    phase = factory.LazyFunction(phase)
    registered_on = dt.date(2022, 3, 15)

    @factory.post_generation
    def fields(self, create, extracted, **kwargs):
        if not create:
            return
        self.fields.set(extracted or [field()])
        # Made as the services make one: counted in the statistics' tallies.
        initiative_tallies_add(initiative_ids=[self.pk])


class IssuingBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IssuingBody
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ubnd-{n}")
    name = factory.Sequence(lambda n: f"UBND huyện {n}")
    kind = IssuerKind.PEOPLE_COMMITTEE
    abbreviation = "UBND"


class CommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commendation

    award = AwardType.CERTIFICATE_OF_MERIT
    recipient_kind = RecipientKind.COLLECTIVE
    recipient_name = factory.Sequence(lambda n: f"Tập thể {n}")
    unit = factory.SubFactory(UnitFactory)
    issuer = factory.SubFactory(IssuingBodyFactory)
    decision_number = factory.Sequence(lambda n: f"{n}/QĐ-UBND")
    decision_date = dt.date(2020, 9, 30)
    citation = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo”"
    phase = factory.LazyFunction(lambda: phase("2016-2020"))
