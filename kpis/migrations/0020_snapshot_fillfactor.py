"""Leave room on each page of the snapshots for HOT updates (PostgreSQL).

A recompute rewrites the changed rows of a period in place; with free space
on their page PostgreSQL keeps the new version there and touches none of the
table's three indexes (none of the updated columns is indexed). The daily
import's recompute updates the current week, month, quarter and year of every
channel it touched: with full pages each of those updates also wrote three
index entries. Pages written from now on keep 15% free.
"""

from django.db import migrations


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpis_kpisnapshot SET (fillfactor = 85)")


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE kpis_kpisnapshot RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("kpis", "0019_merge_0016_stage_action_0018_merge_20261206_1637")]

    operations = [migrations.RunPython(leave_room, fill_pages)]
