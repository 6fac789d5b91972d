from django.db import migrations

MOVED = {
    "notifications.tasks.open_due_cycles": "workflows.tasks.open_due_cycles",
    "notifications.tasks.fire_workflow_timers": "workflows.tasks.fire_workflow_timers",
}


def forwards(apps, schema_editor):
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in MOVED.items():
        periodic_task.objects.filter(task=old).update(task=new)


def backwards(apps, schema_editor):
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    for old, new in MOVED.items():
        periodic_task.objects.filter(task=new).update(task=old)


class Migration(migrations.Migration):
    """The cycle-opening task and the timers moved to the app that owns them."""

    dependencies = [
        ("workflows", "0005_lifecycle_steps"),
        ("notifications", "0002_beat_schedules"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
