"""The catalogue of unit indicators the published reports use; the admin adds more.

Written by migration 0002 and again after every flush (``post_migrate``), so a database
emptied by a test keeps it. Existing rows are left as they are.
"""

from __future__ import annotations

# The catalogue the published reports use; the admin adds more.
INDICATORS = [
    # code, Vietnamese, English, value kind, unit kind
    (
        "mobilisation_regulation",
        "Có quy chế, kế hoạch thực hiện Quy chế công tác dân vận",
        "Has a mass-mobilisation regulation and an implementation plan",
        "yes_no",
        "commune",
    ),
    ("mobilisation_team", "Có tổ dân vận", "Has a mass-mobilisation team", "yes_no", "hamlet"),
    (
        "team_standard",
        "Tổ dân vận đạt tiêu chuẩn “Tổ dân vận khéo”",
        "Its team meets the “Tổ dân vận khéo” standard",
        "yes_no",
        "hamlet",
    ),
    (
        "hamlets_with_team",
        "Tỷ lệ xóm, tổ dân phố thành lập tổ dân vận",
        "Share of hamlets and residential groups with a mobilisation team",
        "percent",
        "",
    ),
    (
        "teams_to_standard",
        "Tỷ lệ tổ dân vận đạt tiêu chuẩn “Tổ dân vận khéo”",
        "Share of mobilisation teams meeting the “Tổ dân vận khéo” standard",
        "percent",
        "",
    ),
]


def seed_indicators(indicator_model) -> None:
    for position, (code, name, name_en, value_kind, unit_kind) in enumerate(INDICATORS):
        indicator_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "value_kind": value_kind,
                "unit_kind": unit_kind,
                "position": position,
            },
        )
