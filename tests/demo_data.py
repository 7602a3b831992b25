"""The demo business (`manage.py seed_demo`), built once per test process.

`seed_demo` runs about 25,000 queries: users, channels, partners with two years
of history, and two years of daily facts imported and recomputed through the
real pipeline. Several tests need that business (the screens, the user guide's
screenshots, the CSP and dashboard browser tests, the demo's own test). The
first of them in a process runs the real `seed_demo`; what it wrote (every
table's rows and the uploaded files under MEDIA_ROOT) is kept in memory, and
every later test gets exactly that state back by a bulk copy into empty
tables, in about a second instead of tens of seconds.

The restored state is the seeded one row for row, primary keys and files
included: a test cannot tell a restore from a seed. It is rebuilt when the
day changes (the demo's dates are relative to today).

Works inside a test's transaction (`db`: rolled back after the test) and in a
transactional test (`transactional_db`, `live_server`: committed, flushed
after the test).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from channels_app.channels.models import Channel

Rows = tuple[list[str], list[tuple[Any, ...]]]  # column names, rows


@dataclass(frozen=True)
class Snapshot:
    day: date  # the demo's "today"
    # Each table that holds rows: COPY's text on PostgreSQL, the rows on SQLite.
    tables: dict[str, str | Rows]
    files: dict[str, bytes]  # path under MEDIA_ROOT -> content


_snapshot: Snapshot | None = None


def _tables() -> list[str]:
    """The tables a flush empties: every model's, none of the migrations' own."""
    return sorted(connection.introspection.django_table_names(only_existing=True))


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _take(day: date) -> Snapshot:
    tables: dict[str, str | Rows] = {}
    with connection.cursor() as cursor:
        for table in _tables():
            if connection.vendor == "postgresql":
                out = io.StringIO()
                cursor.copy_expert(f"COPY {_quote(table)} TO STDOUT", out)
                if out.tell():
                    tables[table] = out.getvalue()
            else:
                cursor.execute(f"SELECT * FROM {_quote(table)}")
                rows = cursor.fetchall()
                if rows:
                    tables[table] = ([c[0] for c in cursor.description], rows)
    media = Path(settings.MEDIA_ROOT)
    files = {
        str(path.relative_to(media)): path.read_bytes()
        for path in (media.rglob("*") if media.exists() else [])
        if path.is_file()
    }
    return Snapshot(day, tables, files)


def _restore(snapshot: Snapshot) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        # Emptied with DELETE: most tables hold a few rows or none, for which
        # it is much cheaper than TRUNCATE. Foreign keys are checked at the end
        # (deferred), when every row is back.
        names = _tables()
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s WHERE EXISTS (SELECT 1 FROM {_quote(t)})" for t in names
            ),
            names,
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"DELETE FROM {_quote(table)}")
        if connection.vendor == "postgresql":
            for table, data in snapshot.tables.items():
                assert isinstance(data, str)
                cursor.copy_expert(f"COPY {_quote(table)} FROM STDIN", io.StringIO(data))
        else:
            for table, data in snapshot.tables.items():
                assert isinstance(data, tuple)
                columns, rows = data
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in columns)}) "
                    f"VALUES ({marks})",
                    rows,
                )
        if connection.vendor == "postgresql":
            # New rows get ids after the restored ones. A sequence never goes
            # back: rows restored later with their ids (a transactional test's
            # serialized rollback) must not meet them again.
            for table in snapshot.tables:
                for sequence in connection.introspection.get_sequences(cursor, table):
                    name, column = _quote(sequence["name"]), _quote(sequence["column"])
                    cursor.execute(
                        f"SELECT setval(%s, GREATEST((SELECT max({column}) FROM {_quote(table)}),"
                        f" (SELECT last_value FROM {name})))",
                        [sequence["name"]],
                    )
        # SQLite numbers new rows after the highest id it ever stored (AUTOINCREMENT).
    media = Path(settings.MEDIA_ROOT)
    for name, content in snapshot.files.items():
        path = media / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    ContentType.objects.clear_cache()


def load_demo() -> None:
    """Give the test database the demo business: seeded the first time in this
    process (and on a new day), restored from that seed afterwards."""
    global _snapshot
    # Rows a fixture wrote before would be lost in a restore, or taken into the snapshot.
    assert not get_user_model().objects.exists() and not Channel.objects.exists(), (
        "request demo_business before the fixtures that write rows"
    )
    today = timezone.localdate()
    if _snapshot is not None and _snapshot.day == today:
        _restore(_snapshot)
        return
    call_command("seed_demo", verbosity=0)
    _snapshot = _take(today)
