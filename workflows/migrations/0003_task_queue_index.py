"""An index for the task queues on viewflow's task table (viewflow's own migrations have
none on ``owner_permission``): each kind of taker's waiting tasks are found through it.

Plain SQL because the table belongs to the ``viewflow`` app; the same statement works on
PostgreSQL and SQLite."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0002_lifecycle_process"),
    ]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX workflows_task_queue ON viewflow_task (owner_permission, status)",
            reverse_sql="DROP INDEX workflows_task_queue",
        ),
    ]
