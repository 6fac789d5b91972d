from django.db import migrations


def create_schedules(apps, schema_editor):
    from notifications.beat import ensure_beat_schedules

    ensure_beat_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTasks"),
    )


class Migration(migrations.Migration):
    """The print-job sweeper's beat schedule, on databases migrated before it existed."""

    dependencies = [
        ("documents", "0004_print_job_recovery"),
        ("notifications", "0002_beat_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, migrations.RunPython.noop)]
