"""kpis_sum(bigint): the recompute's sum of integers on PostgreSQL (kpis.engine.sql.sum_int).

Built-in SUM(bigint) accumulates in a 128-bit state allocated per group and
returns numeric. kpis_sum keeps a plain bigint per group and adds with int8pl,
which raises "bigint out of range" on overflow: the same exact result as
CAST(SUM(x) AS BIGINT), cheaper. Strict with no initial value, so a group of
only NULLs sums to NULL, as SUM does. SQLite needs nothing (SUM of integers
is an integer there).
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE OR REPLACE AGGREGATE kpis_sum(bigint) "
            "(SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP AGGREGATE IF EXISTS kpis_sum(bigint)")


class Migration(migrations.Migration):
    dependencies = [("kpis", "0020_snapshot_fillfactor")]

    operations = [migrations.RunPython(create, drop)]
