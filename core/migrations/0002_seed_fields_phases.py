import datetime as dt

from django.db import migrations

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


def seed(apps, schema_editor):
    Field = apps.get_model("core", "Field")
    Phase = apps.get_model("core", "Phase")
    for position, (code, name, name_en) in enumerate(FIELDS, start=1):
        Field.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": position}
        )
    for start, end in PHASES:
        Phase.objects.get_or_create(
            code=f"{start}-{end}",
            defaults={
                "name": f"Giai đoạn {start} - {end}",
                "starts_on": dt.date(start, 1, 1),
                "ends_on": dt.date(end, 12, 31),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
