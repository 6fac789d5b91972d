"""The legal bases ("Căn cứ …") a new issuing body starts with, per decision kind.

Data, not code paths: each body keeps its own copy (``LegalBasis`` rows), which its clerk
edits; these are only the first version. Texts carry no final ";" or "." (added by
position when a decision is written).
"""

from __future__ import annotations

from core.models import IssuerKind, IssuingBody

from .models import DecisionKind

LAW_LOCAL_GOVERNMENT = "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025"
LAW_EMULATION = "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022"
DECREE_98 = (
    "Căn cứ Nghị định số 98/2023/NĐ-CP ngày 31 tháng 12 năm 2023 của Chính phủ quy định chi "
    "tiết thi hành một số điều của Luật Thi đua, khen thưởng"
)


def legal_bases_defaults(issuer: IssuingBody, kind: str) -> list[str]:
    """The legal bases a new body starts with for a decision kind (without final ";")."""
    name = issuer.name
    if issuer.kind == IssuerKind.PARTY_COMMITTEE:
        return [
            "Căn cứ Điều lệ Đảng Cộng sản Việt Nam",
            f"Căn cứ Quy chế làm việc của Ban Chấp hành, Ban Thường vụ {name}",
        ]
    if issuer.kind == IssuerKind.STEERING_BOARD:
        bases = [
            f"Căn cứ Quyết định thành lập {name}",
            f"Căn cứ Quy chế hoạt động của {name}",
        ]
        return bases + ([LAW_EMULATION] if kind == DecisionKind.COMMENDATION else [])
    if issuer.kind == IssuerKind.PEOPLE_COMMITTEE:
        return [LAW_LOCAL_GOVERNMENT, LAW_EMULATION, DECREE_98]
    return [LAW_EMULATION, DECREE_98]
