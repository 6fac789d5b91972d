"""The movement's reference data: the eight fields of GLOSSARY.md and the phases.

Written by migration 0002 and again after every flush (``post_migrate``), so a database
emptied by a transactional test gets them back. Takes the model classes as arguments so the
migration can pass its historical models.
"""

import datetime as dt

FIELDS = [
    ("economy", "Phát triển kinh tế", "Economic development"),
    ("culture_society", "Văn hóa - xã hội", "Culture and society"),
    ("defence_security", "Quốc phòng - an ninh", "National defence and security"),
    ("political_system", "Xây dựng hệ thống chính trị", "Building the political system"),
    ("new_rural", "Xây dựng nông thôn mới", "New rural development"),
    (
        "admin_reform",
        "Cải cách hành chính, xây dựng cơ quan, công sở",
        "Administrative reform, building agencies",
    ),
    (
        "front_unions",
        "Xây dựng tổ chức Mặt trận, đoàn thể vững mạnh",
        "Strengthening the Fatherland Front and mass organisations",
    ),
    (
        "party_government",
        "Vận động đóng góp xây dựng Đảng, chính quyền",
        "Mobilising contributions to building the Party and government",
    ),
]

PHASES = [(2011, 2015), (2016, 2020), (2021, 2025), (2026, 2030)]


def seed_reference_data(field_model, phase_model) -> None:
    if not field_model.objects.exists():
        for position, (code, name, name_en) in enumerate(FIELDS, start=1):
            field_model.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "position": position}
            )
    if not phase_model.objects.exists():
        for start, end in PHASES:
            phase_model.objects.get_or_create(
                code=f"{start}-{end}",
                defaults={
                    "name": f"Giai đoạn {start} - {end}",
                    "starts_on": dt.date(start, 1, 1),
                    "ends_on": dt.date(end, 12, 31),
                },
            )
