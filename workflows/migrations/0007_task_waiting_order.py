"""A partial index on viewflow's task table for the queue pages: the waiting human tasks
in the order the pages list them (created, id), so each kind of taker's branch walks them
in order and stops after a page (``workflows.selectors.task_page``). Plain SQL because the
table belongs to the ``viewflow`` app; the same statement works on PostgreSQL and SQLite."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("workflows", "0006_beat_tasks_moved")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX workflows_task_waiting_order ON viewflow_task (created, id) "
                "WHERE status = 'NEW' AND owner_id IS NULL AND flow_task_type = 'HUMAN'"
            ),
            reverse_sql="DROP INDEX workflows_task_waiting_order",
        ),
    ]
