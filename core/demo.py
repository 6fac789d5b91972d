"""Demo data: a province shaped like Cao Bằng in the 2016 - 2020 phase, and demo logins.

The published figures of that phase (DESIGN.md): 10 district-level units and 161 communes,
all with steering boards; 4,086 initiatives (1,202 economy, 968 culture-society, 825
defence-security, 582 political system, 509 new rural); 132 collectives and 180 individuals
given a district Giấy khen, 46 collectives and 79 individuals a provincial Bằng khen.

The districts are Cao Bằng's; commune names are realistic-looking but illustrative, not an
official list, and every person's name is invented. The builder is deterministic (fixed
seed), idempotent (it refuses to build twice; ``demo_delete`` removes what it built) and
uses bulk inserts, so it takes a few seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import services
from .errors import InvalidInput
from .models import (
    AwardType,
    BoardMember,
    Commendation,
    Field,
    Initiative,
    InitiativeKind,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuerKind,
    IssuingBody,
    Phase,
    RecipientKind,
    ReviewCycle,
    Role,
    SteeringBoard,
    Unit,
    UnitKind,
    UnitRole,
    User,
)
from .tallies import initiative_tallies_add

DEMO_PASSWORD = "dvk-demo-2026"
# Share of the later collective initiatives that replicate an earlier model.
REPLICA_SHARE = 0.08
SEED = 20162020
PROVINCE_CODE = "CB"
PROVINCE_NAME = "Tỉnh Cao Bằng"
PHASE_CODE = "2016-2020"
SOURCE = "demo"
CITATION = "Đã có thành tích xuất sắc trong phong trào thi đua “Dân vận khéo” giai đoạn 2016 - 2020"

# Initiatives per field in the phase (one field each).
FIELD_SPLIT = {
    "economy": 1202,
    "culture_society": 968,
    "defence_security": 825,
    "political_system": 582,
    "new_rural": 509,
}
# (collectives, individuals) commended in the phase.
DISTRICT_MERIT = (132, 180)  # Giấy khen of each district's People's Committee
PROVINCE_COMMENDATION = (46, 79)  # Bằng khen of the provincial People's Committee

# District-level units: (name, place on decisions, chair of its People's Committee, communes).
DISTRICTS: list[tuple[str, str, str, list[str]]] = [
    (
        "Thành phố Cao Bằng",
        "Cao Bằng",
        "Hoàng Văn Lâm",
        [
            "Phường Sông Bằng", "Phường Hợp Giang", "Phường Tân Giang", "Phường Sông Hiến",
            "Phường Đề Thám", "Phường Hòa Chung", "Phường Ngọc Xuân", "Phường Duyệt Trung",
            "Xã Chu Trinh", "Xã Hưng Đạo", "Xã Vĩnh Quang",
        ],
    ),
    (
        "Huyện Bảo Lạc",
        "Bảo Lạc",
        "Nông Đức Hải",
        [
            "Thị trấn Bảo Lạc", "Xã Bảo Toàn", "Xã Cô Ba", "Xã Cốc Pàng", "Xã Đình Phùng",
            "Xã Hồng An", "Xã Hồng Trị", "Xã Hưng Đạo", "Xã Hưng Thịnh", "Xã Huy Giáp",
            "Xã Khánh Xuân", "Xã Kim Cúc", "Xã Phan Thanh", "Xã Sơn Lập", "Xã Sơn Lộ",
            "Xã Thượng Hà", "Xã Xuân Trường",
        ],
    ),
    (
        "Huyện Bảo Lâm",
        "Bảo Lâm",
        "Lý Văn Thắng",
        [
            "Thị trấn Pác Miầu", "Xã Đức Hạnh", "Xã Lý Bôn", "Xã Mông Ân", "Xã Nam Cao",
            "Xã Nam Quang", "Xã Quảng Lâm", "Xã Tân Việt", "Xã Thạch Lâm", "Xã Thái Học",
            "Xã Thái Sơn", "Xã Vĩnh Phong", "Xã Vĩnh Quang", "Xã Yên Thổ",
        ],
    ),
    (
        "Huyện Hà Quảng",
        "Hà Quảng",
        "Đàm Quốc Toàn",
        [
            "Thị trấn Xuân Hòa", "Thị trấn Thông Nông", "Xã Cải Viên", "Xã Cần Nông",
            "Xã Cần Yên", "Xã Hồng Sỹ", "Xã Kéo Yên", "Xã Lũng Nặm", "Xã Lương Can",
            "Xã Lương Thông", "Xã Mã Ba", "Xã Ngọc Đào", "Xã Ngọc Động", "Xã Nội Thôn",
            "Xã Quý Quân", "Xã Sóc Hà", "Xã Thanh Long", "Xã Thượng Thôn", "Xã Tổng Cọt",
            "Xã Trường Hà", "Xã Yên Sơn",
        ],
    ),
    (
        "Huyện Hạ Lang",
        "Hạ Lang",
        "Bế Thị Hạnh",
        [
            "Thị trấn Thanh Nhật", "Xã An Lạc", "Xã Cô Ngân", "Xã Đức Quang", "Xã Đồng Loan",
            "Xã Kim Loan", "Xã Lý Quốc", "Xã Minh Long", "Xã Quang Long", "Xã Thắng Lợi",
            "Xã Thị Hoa", "Xã Thái Đức", "Xã Vinh Quý", "Xã Thống Nhất",
        ],
    ),
    (
        "Huyện Hòa An",
        "Hòa An",
        "Lương Văn Tiến",
        [
            "Thị trấn Nước Hai", "Xã Bạch Đằng", "Xã Bình Dương", "Xã Dân Chủ", "Xã Đại Tiến",
            "Xã Đức Long", "Xã Hà Trì", "Xã Hoàng Tung", "Xã Hồng Nam", "Xã Hồng Việt",
            "Xã Lê Chung", "Xã Nam Tuấn", "Xã Nguyễn Huệ", "Xã Quang Trung", "Xã Trương Lương",
        ],
    ),
    (
        "Huyện Nguyên Bình",
        "Nguyên Bình",
        "Triệu Văn Phúc",
        [
            "Thị trấn Nguyên Bình", "Thị trấn Tĩnh Túc", "Xã Ca Thành", "Xã Hoa Thám",
            "Xã Hưng Đạo", "Xã Mai Long", "Xã Minh Tâm", "Xã Phan Thanh", "Xã Quang Thành",
            "Xã Tam Kim", "Xã Thành Công", "Xã Thể Dục", "Xã Thịnh Vượng", "Xã Triệu Nguyên",
            "Xã Vũ Minh", "Xã Vũ Nông", "Xã Yên Lạc",
        ],
    ),
    (
        "Huyện Quảng Hòa",
        "Quảng Hòa",
        "Hà Minh Khánh",
        [
            "Thị trấn Quảng Uyên", "Thị trấn Hòa Thuận", "Thị trấn Tà Lùng",
            "Xã Bế Văn Đàn", "Xã Cách Linh", "Xã Cai Bộ", "Xã Chí Thảo", "Xã Đại Sơn",
            "Xã Độc Lập", "Xã Hạnh Phúc", "Xã Hồng Quang", "Xã Mỹ Hưng", "Xã Ngọc Động",
            "Xã Phi Hải", "Xã Phúc Sen", "Xã Quảng Hưng", "Xã Quốc Toản", "Xã Tiên Thành",
            "Xã Tự Do",
        ],
    ),
    (
        "Huyện Thạch An",
        "Thạch An",
        "Lục Văn Cường",
        [
            "Thị trấn Đông Khê", "Xã Canh Tân", "Xã Danh Sỹ", "Xã Đức Long", "Xã Đức Thông",
            "Xã Đức Xuân", "Xã Kim Đồng", "Xã Lê Lai", "Xã Lê Lợi", "Xã Minh Khai",
            "Xã Quang Trọng", "Xã Thái Cường", "Xã Thụy Hùng", "Xã Trọng Con",
        ],
    ),
    (
        "Huyện Trùng Khánh",
        "Trùng Khánh",
        "Sầm Văn Dũng",
        [
            "Thị trấn Trùng Khánh", "Thị trấn Trà Lĩnh", "Xã Cao Chương", "Xã Chí Viễn",
            "Xã Đàm Thủy", "Xã Đình Phong", "Xã Đoài Dương", "Xã Đức Hồng", "Xã Khâm Thành",
            "Xã Lăng Hiếu", "Xã Ngọc Côn", "Xã Ngọc Khê", "Xã Phong Châu", "Xã Phong Nặm",
            "Xã Quang Hán", "Xã Quang Trung", "Xã Quang Vinh", "Xã Tri Phương",
            "Xã Trung Phúc",
        ],
    ),
]  # fmt: skip

# Where the district and commune demo logins sit.
LOGIN_DISTRICT = 5  # Huyện Hòa An
LOGIN_COMMUNE = 11  # Xã Nam Tuấn


def district_code(index: int) -> str:
    return f"{PROVINCE_CODE}-{index + 1:02d}"


def commune_code(district_index: int, index: int) -> str:
    return f"{district_code(district_index)}-{index + 1:02d}"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _issuer_code(unit_code: str) -> str:
    return f"ubnd-{unit_code.lower()}"


PARTY_COMMITTEE_CODE = f"tu-{PROVINCE_CODE.lower()}"

# Demo logins: (username prefix, unit code, unit name, people for each role).
_LOGIN_ROLES = (
    (Role.CHAIR, "chutich"),
    (Role.DEPUTY, "phochutich"),
    (Role.SECRETARY, "thuky"),
    (Role.MEMBER, "thanhvien"),
    (Role.CLERK, "vanthu"),
    (Role.LEADER, "lanhdao"),
    (Role.OFFICIAL, "canbo"),
)
_LOGIN_PEOPLE = {
    "tinh": [
        "Hoàng Văn Quang",
        "Nông Thị Thu Hà",
        "Lương Minh Đức",
        "Bế Thị Ngọc Lan",
        "Đinh Thị Hồng",
        "Lục Quốc Bảo",
        "Triệu Văn Sơn",
    ],
    "huyen": [
        "Đàm Văn Hưng",
        "Lý Thị Mai",
        "Nông Văn Tài",
        "Hà Thị Thúy",
        "Ma Thị Dung",
        "Phùng Văn Khải",
        "La Văn Bình",
    ],
    "xa": [
        "Nguyễn Văn Toàn",
        "Hoàng Thị Nhung",
        "Bế Văn Lợi",
        "Lương Thị Xuân",
        "Sầm Thị Yến",
        "Vi Văn Hiếu",
        "Chu Thị Phượng",
    ],
}


def _login_units() -> dict[str, tuple[str, str]]:
    district_name, _place, _chair, communes = DISTRICTS[LOGIN_DISTRICT]
    return {
        "tinh": (PROVINCE_CODE, PROVINCE_NAME),
        "huyen": (district_code(LOGIN_DISTRICT), district_name),
        "xa": (commune_code(LOGIN_DISTRICT, LOGIN_COMMUNE), communes[LOGIN_COMMUNE]),
    }


def demo_logins() -> list[dict[str, Any]]:
    """The demo accounts (all with ``DEMO_PASSWORD``): username, full name, role, unit.

    ``role`` is a ``Role`` value, or ``"superuser"``; ``board`` tells a steering-board role
    (a ``BoardMember``) from a unit role (a ``UnitRole``). Reads no database.
    """
    logins = [
        {
            "username": "admin",
            "full_name": "Quản trị hệ thống",
            "role": "superuser",
            "board": False,
            "unit_code": PROVINCE_CODE,
            "unit_name": PROVINCE_NAME,
            "password": DEMO_PASSWORD,
        }
    ]
    for prefix, (unit_code, unit_name) in _login_units().items():
        for (role, suffix), full_name in zip(_LOGIN_ROLES, _LOGIN_PEOPLE[prefix], strict=True):
            logins.append(
                {
                    "username": f"{prefix}.{suffix}",
                    "full_name": full_name,
                    "role": role.value,
                    "board": role in (Role.CHAIR, Role.DEPUTY, Role.SECRETARY, Role.MEMBER),
                    "unit_code": unit_code,
                    "unit_name": unit_name,
                    "password": DEMO_PASSWORD,
                }
            )
    return logins


# --- What initiatives and people look like --------------------------------------------------

TITLES = {
    "economy": [
        "Phát triển chăn nuôi bò vỗ béo",
        "Trồng thạch đen theo chuỗi giá trị",
        "Hợp tác xã trồng mía",
        "Trồng chè gắn với du lịch cộng đồng",
        "Giúp nhau phát triển kinh tế hộ gia đình",
        "Trồng và chế biến hạt dẻ",
        "Nuôi cá ruộng bậc thang",
        "Xây dựng sản phẩm OCOP từ miến dong",
        "Tổ hợp tác làm bánh khảo",
    ],
    "culture_society": [
        "Giữ gìn hát Then, đàn Tính",
        "Xây dựng gia đình văn hóa",
        "Xóa nhà tạm, nhà dột nát cho hộ nghèo",
        "Vận động xóa bỏ hủ tục trong việc cưới, việc tang",
        "Tủ sách dòng họ",
        "Bảo tồn nghề dệt thổ cẩm",
        "Vận động trẻ em đến trường",
        "Câu lạc bộ phụ nữ chăm sóc sức khỏe sinh sản",
    ],
    "defence_security": [
        "Tổ tự quản an ninh trật tự",
        "Nhân dân tự quản đường biên, mốc giới",
        "Camera an ninh khu dân cư",
        "Phòng chống ma túy dựa vào cộng đồng",
        "Dòng họ không có người vi phạm pháp luật",
        "Xóm bình yên",
        "Tổ hòa giải giỏi ở cơ sở",
    ],
    "political_system": [
        "Chi bộ bốn tốt",
        "Đổi mới sinh hoạt chi bộ",
        "Đối thoại trực tiếp với nhân dân",
        "Cán bộ, đảng viên giúp hộ nghèo",
        "Bộ phận một cửa thân thiện",
        "Đảng viên gương mẫu nơi cư trú",
    ],
    "new_rural": [
        "Hiến đất làm đường giao thông nông thôn",
        "Bê tông hóa đường xóm",
        "Xây dựng khu dân cư kiểu mẫu",
        "Con đường hoa nông thôn mới",
        "Vận động làm nhà tiêu hợp vệ sinh",
        "Thắp sáng đường quê",
        "Góp công xây nhà văn hóa xóm",
    ],
}
ORGANISATIONS = [
    "Hội Nông dân",
    "Hội Liên hiệp Phụ nữ",
    "Đoàn Thanh niên",
    "Hội Cựu chiến binh",
    "Ủy ban Mặt trận Tổ quốc",
    "Công an",
    "Ban Chỉ đạo “Dân vận khéo”",
]
HAMLETS = ["Nà Rụa", "Khuổi Khon", "Nà Lẹng", "Cốc Phát", "Lũng Rì", "Nặm Thuổm", "Bó Mạ"]
SURNAMES = [
    "Nông", "Hoàng", "Lục", "Đàm", "Bế", "Lương", "Triệu", "Nguyễn", "Lý", "Ma",
    "Hà", "Lê", "Đinh", "Phùng", "La", "Mạc", "Sầm", "Vi", "Dương", "Chu",
]  # fmt: skip
MALE = (
    ["Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh"],
    ["Thành", "Hùng", "Dũng", "Tuấn", "Cường", "Hải", "Long", "Sơn", "Bình", "Khánh",
     "Quân", "Phúc", "Toàn", "Nam", "Tiến", "Lợi", "Thắng", "Huy", "Đạt", "Hưng"],
)  # fmt: skip
FEMALE = (
    ["Thị", "Thu", "Ngọc", "Kim"],
    ["Hương", "Lan", "Mai", "Hoa", "Thủy", "Hạnh", "Nga", "Thảo", "Linh", "Yến",
     "Huyền", "Liên", "Nhung", "Xuân", "Hằng", "Phượng", "Thơ", "Vân", "Dung", "Trang"],
)  # fmt: skip

INDIVIDUAL_SHARE = 0.35
RECOGNISED_SHARE = 0.17
PHASE_START = dt.date(2016, 1, 1)
PHASE_END = dt.date(2020, 12, 31)
# Commended initiatives were registered early enough to be recognised before the awards.
COMMENDABLE_UNTIL = dt.date(2019, 6, 30)
RECOGNISABLE_UNTIL = dt.date(2020, 6, 30)


def _person(rng: random.Random) -> str:
    middles, givens = MALE if rng.random() < 0.55 else FEMALE
    return f"{rng.choice(SURNAMES)} {rng.choice(middles)} {rng.choice(givens)}"


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """A status change of the demo's past, before the initiative has an id."""

    code: str
    from_status: str
    to_status: str
    at: dt.datetime


def _at(day: dt.date, hour: int = 8) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` shared out in proportion to ``weights`` (largest remainder), exactly."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


# --- Build and delete -------------------------------------------------------------------------


def demo_exists() -> bool:
    return Unit.objects.filter(code=PROVINCE_CODE).exists()


@transaction.atomic
def demo_delete() -> int:
    """Delete the demo province and everything the builder made; returns rows deleted.

    Uses queryset deletes (history rows refuse ``Model.delete()``) in an order that PROTECT
    foreign keys allow; raises ``InvalidInput`` when other data still refers to demo rows.
    """
    province = Unit.objects.filter(code=PROVINCE_CODE).first()
    usernames = [login["username"] for login in demo_logins()]
    issuer_codes = [PARTY_COMMITTEE_CODE, _issuer_code(PROVINCE_CODE)] + [
        _issuer_code(district_code(i)) for i in range(len(DISTRICTS))
    ]
    deleted = 0
    try:
        if province is not None:
            units = Unit.objects.filter(path__startswith=province.path)
            initiatives = Initiative.objects.filter(owner_unit__in=units)
            deleted += Commendation.objects.filter(
                Q(unit__in=units) | Q(initiative__in=initiatives) | Q(issuer__unit__in=units)
            ).delete()[0]
            # Out of the tallies while their recognitions' history lines still say when.
            initiative_tallies_add(
                initiative_ids=list(initiatives.values_list("pk", flat=True)), sign=-1
            )
            deleted += InitiativeStatusChange.objects.filter(initiative__in=initiatives).delete()[0]
            deleted += initiatives.delete()[0]
            deleted += ReviewCycle.objects.filter(board__unit__in=units).delete()[0]
            deleted += User.objects.filter(username__in=usernames, unit__in=units).delete()[0]
            deleted += SteeringBoard.objects.filter(unit__in=units).delete()[0]
            deleted += IssuingBody.objects.filter(
                Q(unit__in=units) | Q(code__in=issuer_codes)
            ).delete()[0]
            # Deepest first: a unit's parent and successor are PROTECT.
            for depth in sorted(set(units.values_list("depth", flat=True)), reverse=True):
                deleted += Unit.objects.filter(
                    path__startswith=province.path, depth=depth
                ).delete()[0]
        else:
            deleted += IssuingBody.objects.filter(
                code__in=issuer_codes, commendations__isnull=True
            ).delete()[0]
    except ProtectedError as error:
        raise InvalidInput(
            _("The demo data cannot be deleted: other records refer to it (%(what)s).")
            % {
                "what": ", ".join(
                    sorted({obj._meta.verbose_name for obj in error.protected_objects})
                )
            }
        ) from error
    return deleted


@transaction.atomic
def demo_build() -> dict[str, int]:
    """Build the demo province; returns how many rows of each kind it made."""
    if demo_exists():
        raise InvalidInput(_("The demo province already exists."))
    phase = Phase.objects.filter(code=PHASE_CODE).first()
    if phase is None:
        raise InvalidInput(_("The phase %(code)s is missing.") % {"code": PHASE_CODE})
    fields = {f.code: f for f in Field.objects.filter(code__in=FIELD_SPLIT)}
    if len(fields) != len(FIELD_SPLIT):
        raise InvalidInput(_("The demo needs the fields seeded by the migrations."))
    rng = random.Random(SEED)

    # Units, through the service so every path is right (172 small inserts).
    province = services.unit_create(code=PROVINCE_CODE, name=PROVINCE_NAME, kind=UnitKind.PROVINCE)
    districts: list[Unit] = []
    communes_of: dict[int, list[Unit]] = {}
    for d_index, (d_name, _place, _chair, commune_names) in enumerate(DISTRICTS):
        district = services.unit_create(
            code=district_code(d_index), name=d_name, kind=UnitKind.DISTRICT, parent=province
        )
        districts.append(district)
        communes_of[district.pk] = [
            services.unit_create(
                code=commune_code(d_index, c_index),
                name=c_name,
                kind=UnitKind.COMMUNE,
                parent=district,
            )
            for c_index, c_name in enumerate(commune_names)
        ]
    units = [province, *districts, *(c for d in districts for c in communes_of[d.pk])]
    district_of = {province.pk: None}
    for district in districts:
        district_of[district.pk] = district
        for commune in communes_of[district.pk]:
            district_of[commune.pk] = district

    boards = SteeringBoard.objects.bulk_create(
        SteeringBoard(
            unit=unit, name=f"Ban Chỉ đạo phong trào “Dân vận khéo” {_lower_first(unit.name)}"
        )
        for unit in units
    )

    # Issuing bodies.
    ubnd_province = IssuingBody(
        code=_issuer_code(PROVINCE_CODE),
        name="UBND tỉnh Cao Bằng",
        kind=IssuerKind.PEOPLE_COMMITTEE,
        unit=province,
        abbreviation="UBND",
        header="ỦY BAN NHÂN DÂN\nTỈNH CAO BẰNG",
        place="Cao Bằng",
        signing_authority="TM. ỦY BAN NHÂN DÂN",
        signer_title="CHỦ TỊCH",
        signer_name="Nông Văn Thành",
    )
    party_committee = IssuingBody(
        code=PARTY_COMMITTEE_CODE,
        name="Tỉnh ủy Cao Bằng",
        kind=IssuerKind.PARTY_COMMITTEE,
        unit=province,
        abbreviation="TU",
        header="TỈNH ỦY CAO BẰNG",
        place="Cao Bằng",
        signing_authority="T/M BAN THƯỜNG VỤ",
        signer_title="BÍ THƯ",
        signer_name="Lục Thị Hương",
    )
    district_issuers = {
        district.pk: IssuingBody(
            code=_issuer_code(district.code),
            name=f"UBND {_lower_first(district.name)}",
            kind=IssuerKind.PEOPLE_COMMITTEE,
            unit=district,
            abbreviation="UBND",
            header=f"ỦY BAN NHÂN DÂN\n{district.name.upper()}",
            place=place,
            signing_authority="TM. ỦY BAN NHÂN DÂN",
            signer_title="CHỦ TỊCH",
            signer_name=chair,
        )
        for district, (_name, place, chair, _communes) in zip(districts, DISTRICTS, strict=True)
    }
    IssuingBody.objects.bulk_create([ubnd_province, party_committee, *district_issuers.values()])
    from documents.services import legal_bases_create_defaults

    legal_bases_create_defaults(
        issuers=list(
            IssuingBody.objects.filter(
                kind__in=[IssuerKind.PEOPLE_COMMITTEE, IssuerKind.PARTY_COMMITTEE]
            )
        )
    )

    # Initiatives: owners mostly communes, some districts, a few provincial bodies.
    owner_weights = [
        3 if u.kind == UnitKind.PROVINCE else 5 if u.kind == UnitKind.DISTRICT else 1 for u in units
    ]
    field_codes = [code for code, n in FIELD_SPLIT.items() for _i in range(n)]
    rng.shuffle(field_codes)
    span = (PHASE_END - PHASE_START).days
    initiatives: list[Initiative] = []
    taken_names: set[tuple[int, str]] = set()
    for number, field_code in enumerate(field_codes, start=1):
        owner = rng.choices(units, weights=owner_weights)[0]
        registered_on = PHASE_START + dt.timedelta(days=rng.randint(0, span))
        place = _lower_first(owner.name)
        if rng.random() < INDIVIDUAL_SHARE:
            kind = InitiativeKind.INDIVIDUAL
            owner_name = _person(rng)
            while (owner.pk, owner_name) in taken_names:
                owner_name = _person(rng)
        else:
            kind = InitiativeKind.COLLECTIVE
            if owner.kind == UnitKind.COMMUNE and rng.random() < 0.3:
                owner_name = f"Nhân dân xóm {rng.choice(HAMLETS)}, {place}"
            else:
                owner_name = f"{rng.choice(ORGANISATIONS)} {place}"
        taken_names.add((owner.pk, owner_name))
        title = f"{rng.choice(TITLES[field_code])} ở {place}"
        initiatives.append(
            Initiative(
                code=f"{PROVINCE_CODE}-DVK-{number:05d}",
                title=title,
                owner_unit=owner,
                kind=kind,
                owner_name=owner_name,
                phase=phase,
                registered_on=registered_on,
                description=f"Mô hình “Dân vận khéo” do {owner_name} thực hiện.",
                status=InitiativeStatus.MONITORED,
                created_at=_at(registered_on),
            )
        )
    field_of = dict(zip((i.code for i in initiatives), field_codes, strict=True))

    # Commendations, each linked to one initiative of the recipient's (collective or person).
    commended: dict[str, tuple[Commendation, dt.date]] = {}

    def pick(candidates: list[Initiative], kind: str, count: int) -> list[Initiative]:
        pool = [
            i
            for i in candidates
            if i.kind == kind and i.code not in commended and i.registered_on <= COMMENDABLE_UNTIL
        ]
        chosen: list[Initiative] = []
        seen: set[tuple[int, str]] = set()
        for initiative in rng.sample(pool, len(pool)):
            key = (initiative.owner_unit.pk, initiative.owner_name)
            if key not in seen:
                seen.add(key)
                chosen.append(initiative)
            if len(chosen) == count:
                return chosen
        raise RuntimeError(f"Not enough {kind} initiatives to commend.")  # a builder bug

    def commend(initiative: Initiative, award: str, issuer: IssuingBody, number: str, day):
        commended[initiative.code] = (
            Commendation(
                award=award,
                recipient_kind=initiative.kind,  # the same two values as RecipientKind
                recipient_name=initiative.owner_name,
                unit=initiative.owner_unit,
                issuer=issuer,
                decision_number=number,
                decision_date=day,
                citation=CITATION,
                phase=phase,
                created_at=_at(day, 9),
            ),
            day,
        )

    by_district: dict[int, list[Initiative]] = defaultdict(list)
    for initiative in initiatives:
        district = district_of[initiative.owner_unit.pk]
        if district is not None:
            by_district[district.pk].append(initiative)
    sizes = [len(communes_of[d.pk]) + 1 for d in districts]
    collectives = _split(DISTRICT_MERIT[0], sizes)
    individuals = _split(DISTRICT_MERIT[1], sizes)
    for district, n_collective, n_individual in zip(
        districts, collectives, individuals, strict=True
    ):
        number = f"{rng.randint(150, 980)}/QĐ-UBND"
        day = dt.date(2020, rng.randint(8, 10), rng.randint(1, 28))
        pool = by_district[district.pk]
        for kind, count in (
            (RecipientKind.COLLECTIVE, n_collective),
            (RecipientKind.INDIVIDUAL, n_individual),
        ):
            for initiative in pick(pool, kind, count):
                commend(
                    initiative,
                    AwardType.CERTIFICATE_OF_MERIT,
                    district_issuers[district.pk],
                    number,
                    day,
                )
    number, day = "1652/QĐ-UBND", dt.date(2020, 10, 14)
    for kind, count in zip(RecipientKind.values, PROVINCE_COMMENDATION, strict=True):
        for initiative in pick(initiatives, kind, count):
            commend(initiative, AwardType.COMMENDATION_CERTIFICATE, ubnd_province, number, day)

    # Statuses and their history: registered → monitored (→ recognised (→ commended)).
    history: list[HistoryLine] = []
    for initiative in initiatives:
        registered = initiative.registered_on
        monitored = min(registered + dt.timedelta(days=rng.randint(7, 30)), PHASE_END)
        history.append(
            HistoryLine(initiative.code, "", InitiativeStatus.REGISTERED, _at(registered))
        )
        history.append(
            HistoryLine(
                initiative.code,
                InitiativeStatus.REGISTERED,
                InitiativeStatus.MONITORED,
                _at(monitored, 9),
            )
        )
        recognise = initiative.code in commended or (
            registered <= RECOGNISABLE_UNTIL and rng.random() < RECOGNISED_SHARE
        )
        if recognise:
            # The first yearly recognition after monitoring began (15 December).
            recognised = dt.date(monitored.year, 12, 15)
            if recognised <= monitored:
                recognised = dt.date(monitored.year + 1, 12, 15)
            history.append(
                HistoryLine(
                    initiative.code,
                    InitiativeStatus.MONITORED,
                    InitiativeStatus.RECOGNISED,
                    _at(recognised, 10),
                )
            )
            initiative.status = InitiativeStatus.RECOGNISED
        if initiative.code in commended:
            day = commended[initiative.code][1]
            history.append(
                HistoryLine(
                    initiative.code,
                    InitiativeStatus.RECOGNISED,
                    InitiativeStatus.COMMENDED,
                    _at(day, 10),
                )
            )
            initiative.status = InitiativeStatus.COMMENDED

    Initiative.objects.bulk_create(initiatives, batch_size=1000)
    ids = {i.code: i.pk for i in initiatives}
    if None in ids.values():  # a backend that cannot return ids from bulk inserts
        ids = dict(Initiative.objects.filter(code__in=ids).values_list("code", "id"))
    Link = Initiative.fields.through
    Link.objects.bulk_create(
        (
            Link(initiative_id=ids[code], field_id=fields[field].pk)
            for code, field in field_of.items()
        ),
        batch_size=2000,
    )
    initiative_tallies_add(initiative_ids=list(ids.values()))
    # The initiatives were created in their last status: the service writes the history
    # (and finds every status already right).
    services.initiative_statuses_record_bulk(
        changes=(
            services.StatusChange(
                initiative_id=ids[line.code],
                from_status=line.from_status,
                to_status=line.to_status,
                at=line.at,
            )
            for line in history
        ),
        actor=None,
        source=SOURCE,
    )
    replicas = _replicate(initiatives, field_of, ids)
    commendations = []
    for code, (commendation, _day) in commended.items():
        commendation.initiative_id = ids[code]
        commendations.append(commendation)
    Commendation.objects.bulk_create(commendations, batch_size=1000)

    users = _build_users(
        units_by_code={u.code: u for u in units}, boards={b.unit_id: b for b in boards}
    )

    return {
        "units": len(units),
        "steering_boards": len(boards),
        "issuing_bodies": 2 + len(district_issuers),
        "initiatives": len(initiatives),
        "status_changes": len(history),
        "commendations": len(commendations),
        "replications": replicas,
        "users": users,
    }


def _replicate(initiatives: list[Initiative], field_of: dict[str, str], ids: dict[str, int]) -> int:
    """Some collective initiatives replicate (nhân rộng) an earlier one of the same field in
    another unit: a few models spread widely, as the movement's reports tell. A separate
    random stream, so the rest of the demo stays as it was."""
    rng = random.Random(SEED + 1)
    by_field: dict[str, list[Initiative]] = defaultdict(list)
    for initiative in sorted(initiatives, key=lambda i: (i.registered_on, i.code)):
        by_field[field_of[initiative.code]].append(initiative)
    links: list[tuple[int, int]] = []
    for items in by_field.values():
        models = [i for i in items[: len(items) // 4] if i.kind == InitiativeKind.COLLECTIVE][:6]
        for initiative in items[len(items) // 3 :]:
            if initiative.kind != InitiativeKind.COLLECTIVE or rng.random() >= REPLICA_SHARE:
                continue
            # Popular models first: the first of the list is picked most often.
            source = models[min(int(rng.expovariate(0.8)), len(models) - 1)]
            if source.owner_unit_id != initiative.owner_unit_id:
                links.append((ids[initiative.code], ids[source.code]))
    Initiative.objects.bulk_update(
        [Initiative(pk=pk, replicated_from_id=source_id) for pk, source_id in links],
        ["replicated_from"],
        batch_size=500,
    )
    return len(links)


def _build_users(*, units_by_code: dict[str, Unit], boards: dict[int, SteeringBoard]) -> int:
    # One hash for every demo account: they share the documented password, and hashing it
    # 22 times would take longer than the rest of the build.
    password = make_password(DEMO_PASSWORD)
    logins = demo_logins()
    existing = set(
        User.objects.filter(username__in=[login["username"] for login in logins]).values_list(
            "username", flat=True
        )
    )
    users = []
    for login in logins:
        if login["username"] in existing:
            continue  # an account of the same name made outside the demo is left alone
        superuser = login["role"] == "superuser"
        users.append(
            User(
                username=login["username"],
                full_name=login["full_name"],
                email=f"{login['username']}@demo.danvankheo.vn",
                unit=units_by_code[login["unit_code"]],
                password=password,
                is_staff=superuser,
                is_superuser=superuser,
            )
        )
    User.objects.bulk_create(users)
    created = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    members, roles = [], []
    for login in logins:
        user = created.get(login["username"])
        if user is None or login["role"] == "superuser":
            continue
        unit = units_by_code[login["unit_code"]]
        if login["board"]:
            members.append(BoardMember(board=boards[unit.pk], user=user, role=login["role"]))
        else:
            roles.append(UnitRole(unit=unit, user=user, role=login["role"]))
    BoardMember.objects.bulk_create(members)
    UnitRole.objects.bulk_create(roles)
    return len(users)


@transaction.atomic
def demo_seed(*, reset: bool = False) -> dict[str, Any]:
    """Build the demo data unless it is there; with ``reset``, delete and rebuild it."""
    deleted = 0
    if reset:
        deleted = demo_delete()
    elif demo_exists():
        return {"created": False, "deleted": 0, "counts": {}}
    return {"created": True, "deleted": deleted, "counts": demo_build()}
