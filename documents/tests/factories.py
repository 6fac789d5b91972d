"""Builders for the documents tests: issuing bodies, clerks, and issued decisions."""

from __future__ import annotations

import datetime as dt

from core.models import AwardType, IssuerKind, RecipientKind, UnitKind, UnitRole
from core.tests.factories import InitiativeFactory, IssuingBodyFactory, UnitFactory, UserFactory
from documents import services
from documents.services import EntryInput

CITATION = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” giai đoạn 2016 - 2020"


def district_committee(**kwargs):
    """UBND huyện Hòa An, with the header and signer printed on its documents."""
    unit = kwargs.pop("unit", None) or UnitFactory(name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    defaults = {
        "code": "ubnd-hoa-an",
        "name": "Ủy ban nhân dân huyện Hòa An",
        "kind": IssuerKind.PEOPLE_COMMITTEE,
        "unit": unit,
        "abbreviation": "UBND",
        "header": "ỦY BAN NHÂN DÂN\nHUYỆN HÒA AN",
        "place": "Hòa An",
        "signing_authority": "KT. CHỦ TỊCH",
        "signer_title": "PHÓ CHỦ TỊCH",
        "signer_name": "Nông Thị Ằng",
    }
    defaults.update(kwargs)
    return IssuingBodyFactory(**defaults)


def party_committee(**kwargs):
    unit = kwargs.pop("unit", None) or UnitFactory(
        name="Đảng bộ huyện Hòa An", kind=UnitKind.PARTY_ORG
    )
    defaults = {
        "code": "hu-hoa-an",
        "name": "Huyện ủy Hòa An",
        "kind": IssuerKind.PARTY_COMMITTEE,
        "unit": unit,
        "abbreviation": "HU",
        "header": "ĐẢNG BỘ TỈNH CAO BẰNG\nHUYỆN ỦY HÒA AN",
        "place": "Hòa An",
        "signing_authority": "T/M BAN THƯỜNG VỤ",
        "signer_title": "BÍ THƯ",
        "signer_name": "Hoàng Văn Ước",
    }
    defaults.update(kwargs)
    return IssuingBodyFactory(**defaults)


def clerk_of(issuer, **kwargs):
    user = UserFactory(**kwargs)
    UnitRole.objects.create(unit=issuer.unit, user=user, role="clerk")
    return user


def commendation_entries(count: int, *, individuals: int = 0, award=AwardType.CERTIFICATE_OF_MERIT):
    district = UnitFactory(name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    entries = []
    for i in range(count):
        unit = UnitFactory(name=f"Xã Bình Long {i + 1}", parent=district)
        entries.append(EntryInput(unit=unit, award=award, citation=CITATION))
    for i in range(individuals):
        unit = UnitFactory(name=f"Xã Đức Long {i + 1}", parent=district)
        entries.append(
            EntryInput(
                unit=unit,
                recipient_kind=RecipientKind.INDIVIDUAL,
                recipient_name=f"Lương Thị Hường {i + 1}",
                recipient_title="Chủ tịch Hội Liên hiệp Phụ nữ",
                award=award,
                citation=CITATION,
            )
        )
    return entries


def issue_commendation(issuer, actor, *, count=3, individuals=0, issued_on=None, **kwargs):
    return services.decision_issue(
        issuer=issuer,
        kind="commendation",
        issued_on=issued_on or dt.date(2023, 9, 30),
        title="Về việc tặng Giấy khen cho các tập thể, cá nhân có thành tích xuất sắc "
        "trong phong trào thi đua “Dân vận khéo” giai đoạn 2016 - 2020",
        entries=commendation_entries(count, individuals=individuals),
        actor=actor,
        **kwargs,
    )


def issue_recognition(issuer, actor, *, count=3, issued_on=None, **kwargs):
    entries = [
        EntryInput.for_initiative(
            InitiativeFactory(title=f"Mô hình “Dân vận khéo” xóm Nà Ấu {i + 1}")
        )
        for i in range(count)
    ]
    return services.decision_issue(
        issuer=issuer,
        kind="recognition",
        issued_on=issued_on or dt.date(2023, 9, 30),
        title="Về việc công nhận mô hình “Dân vận khéo” năm 2023",
        entries=entries,
        actor=actor,
        **kwargs,
    )
