# A search without accents (core.search) of the initiatives over the whole country scans
# 500,000 rows; on PostgreSQL a trigram index of their folded text answers it. The index's
# expression calls dvk_fold(), an IMMUTABLE wrapper of lower(unaccent()) (unaccent() itself
# is only STABLE: its dictionary could change, so it cannot be indexed directly); the
# search's query writes exactly the same expression (core.search.FoldedText). The units'
# names and codes get the same index, for the unit part of the search. Nothing on SQLite,
# where core.search registers its own dvk_fold().
from django.db import migrations

FOLD_FUNCTION = """
CREATE OR REPLACE FUNCTION public.dvk_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    FOLD_FUNCTION,
    "CREATE INDEX IF NOT EXISTS core_initiative_search_trgm ON core_initiative USING gin "
    "(public.dvk_fold(code || ' ' || title || ' ' || owner_name) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS core_unit_search_trgm ON core_unit USING gin "
    "(public.dvk_fold(name || ' ' || code) gin_trgm_ops)",
    # Statistics of the indexed expressions: without them the planner guesses that a word
    # is rare and scans the index for "dan van", which every title holds, instead of the
    # user's subtree (measured 5.2 s instead of 0.2 s for a province's 16,000 initiatives).
    "ANALYZE core_initiative",
    "ANALYZE core_unit",
]
BACKWARD = [
    "DROP INDEX IF EXISTS core_unit_search_trgm",
    "DROP INDEX IF EXISTS core_initiative_search_trgm",
    "DROP FUNCTION IF EXISTS public.dvk_fold(text)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0009_tallies")]

    operations = [migrations.RunPython(forward, backward)]
