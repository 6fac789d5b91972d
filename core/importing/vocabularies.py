"""The values a column may hold: each English code and the Vietnamese words for it.

The first word is the one error messages show (``xã (commune)``). Case, diacritics and
spaces are ignored, so ``uỷ``/``ủy`` and ``UBND``/``ubnd`` need no second spelling.
"""

from __future__ import annotations

from core.models import (
    AwardType,
    InitiativeKind,
    InitiativeStatus,
    IssuerKind,
    RecipientKind,
    Role,
    UnitKind,
)

from .text import Choices

UNIT_KINDS = Choices(
    {
        UnitKind.PROVINCE: ("tỉnh", "thành phố", "thành phố trực thuộc trung ương"),
        UnitKind.DISTRICT: ("huyện", "quận", "thị xã", "thành phố thuộc tỉnh"),
        UnitKind.COMMUNE: ("xã", "phường", "thị trấn", "đặc khu"),
        UnitKind.HAMLET: ("thôn", "xóm", "bản", "tổ dân phố", "ấp", "buôn", "làng", "khu phố"),
        UnitKind.AGENCY: ("cơ quan", "ban ngành", "đoàn thể"),
        UnitKind.PARTY_ORG: ("tổ chức đảng", "đảng bộ", "chi bộ", "tổ chức cơ sở đảng"),
    }
)
ROLES = Choices(
    {
        Role.OFFICIAL: ("cán bộ",),
        Role.SECRETARY: ("thư ký", "thường trực"),
        Role.MEMBER: ("thành viên", "ủy viên", "uỷ viên"),
        Role.CHAIR: ("trưởng ban",),
        Role.DEPUTY: ("phó ban", "phó trưởng ban", "deputy chair"),
        Role.CLERK: ("văn thư",),
        Role.LEADER: ("lãnh đạo",),
    }
)
COLLECTIVE_OR_INDIVIDUAL = {
    InitiativeKind.COLLECTIVE: ("tập thể",),
    InitiativeKind.INDIVIDUAL: ("cá nhân",),
}
INITIATIVE_KINDS = Choices(COLLECTIVE_OR_INDIVIDUAL)
RECIPIENT_KINDS = Choices(
    {RecipientKind(value): words for value, words in COLLECTIVE_OR_INDIVIDUAL.items()}
)
# Statuses an imported (historic) initiative may have.
IMPORT_STATUSES = Choices(
    {
        InitiativeStatus.REGISTERED: ("đăng ký", "đã đăng ký"),
        InitiativeStatus.MONITORED: ("theo dõi", "đang theo dõi"),
        InitiativeStatus.EVALUATED: ("đã đánh giá", "đánh giá"),
        InitiativeStatus.RECOGNISED: ("công nhận", "đã công nhận", "được công nhận", "recognized"),
        InitiativeStatus.COMMENDED: ("khen thưởng", "đã khen thưởng", "được khen thưởng"),
        InitiativeStatus.WITHDRAWN: ("rút", "đã rút", "rút đăng ký"),
        InitiativeStatus.DISCONTINUED: ("dừng", "đã dừng", "ngừng", "dừng thực hiện"),
    }
)
AWARDS = Choices(
    {
        AwardType.PRAISE: ("biểu dương",),
        AwardType.CERTIFICATE_OF_MERIT: ("giấy khen",),
        AwardType.COMMENDATION_CERTIFICATE: ("bằng khen",),
    }
)
ISSUER_KINDS = Choices(
    {
        IssuerKind.PEOPLE_COMMITTEE: ("ủy ban nhân dân", "UBND"),
        IssuerKind.PARTY_COMMITTEE: (
            "cấp ủy",
            "đảng ủy",
            "tỉnh ủy",
            "thành ủy",
            "huyện ủy",
            "ban thường vụ",
        ),
        IssuerKind.STEERING_BOARD: ("ban chỉ đạo", "BCĐ"),
        IssuerKind.OTHER: ("khác", "cơ quan khác"),
    }
)
