from django.db import migrations


def seed(apps, schema_editor):
    from core.reference_data import seed_reference_data

    seed_reference_data(apps.get_model("core", "Field"), apps.get_model("core", "Phase"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
