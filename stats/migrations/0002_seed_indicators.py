from django.db import migrations


def seed(apps, schema_editor):
    from stats.reference_data import seed_indicators

    seed_indicators(apps.get_model("stats", "Indicator"))


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
