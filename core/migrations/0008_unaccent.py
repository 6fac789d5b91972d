# The web lists search without accents; on PostgreSQL through the unaccent extension (a
# trusted extension since PostgreSQL 13: the database's owner may create it). Nothing to do
# on SQLite, where core.search registers its own function.
from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0007_unit_registered_index")]

    operations = [UnaccentExtension()]
