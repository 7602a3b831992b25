"""Test databases on PostgreSQL, copied from a migrated template.

Migrating an empty database runs all the project's migrations, each of which
makes Django re-render the models' state: about 25 s of CPU, and every process
of the parallel suite did it at the start of every run. Instead the migrations
run once into a template database whose name carries a fingerprint of the code
and of the installed packages (any change to either makes a new one); each
process's test database is then created as a copy of it (`TEST["TEMPLATE"]`,
0.15 s), and Django's own migrate finds nothing left to do.

Two processes may start at once: an advisory lock on the server lets one build
the template while the other waits for it. The template is built under another
name and renamed when its migrations are done, so a build that fails half-way
is never copied. Templates of older fingerprints are dropped then.

`CHANNELHUB_TEST_TEMPLATE=0` turns this off (Django migrates each test
database, as it does on SQLite).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from contextlib import suppress
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import DatabaseError

ROOT = Path(__file__).resolve().parent.parent
# What the migrations can read: the apps' code (migrations, the functions
# data migrations call, the settings), tests aside.
CODE = ("channelhub", "channels_app", "kpis", "partners")
# Held on the server's maintenance database, where the application takes no
# advisory lock of its own.
TEMPLATE_LOCK = (1_952_003, 1)
PREFIX_LENGTH = 40  # PostgreSQL names stop at 63 bytes


def fingerprint() -> str:
    """Of the installed packages (their versions: third-party migrations) and
    of every file of the apps' code."""
    digest = hashlib.sha256()
    # A set: a package seen on two paths of sys.path counts once.
    packages = sorted({f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions()})
    digest.update("\n".join(packages).encode())
    for package in CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "tests" in relative.parts:
                continue
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def template_name(test_name: str, print_: str) -> str:
    """The template of `test_name` (without the parallel processes' _gwN)."""
    base = test_name.rsplit("_gw", 1)[0] if "_gw" in test_name else test_name
    return f"{base[:PREFIX_LENGTH]}_tpl_{print_}"


def use_template() -> None:
    """Point the default test database at an up-to-date template, building it
    first if there is none. Does nothing off PostgreSQL."""
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql" or os.environ.get("CHANNELHUB_TEST_TEMPLATE") == "0":
        return
    settings_dict = connection.settings_dict
    test = settings_dict.setdefault("TEST", {})
    test_name = test.get("NAME") or f"test_{settings_dict['NAME']}"
    template = template_name(test_name, fingerprint())
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", list(TEMPLATE_LOCK))
        try:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cursor.fetchone() is None:
                _build(cursor, template)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(TEMPLATE_LOCK))
    test["TEMPLATE"] = template


def _build(cursor: Any, template: str) -> None:
    building = f"{template}_new"
    cursor.execute(f'DROP DATABASE IF EXISTS "{building}"')
    cursor.execute(f'CREATE DATABASE "{building}"')
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path=f"/{building}"))}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    prefix = template.rsplit("_tpl_", 1)[0]
    cursor.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
        [f"{prefix}_tpl_", template],
    )
    for (stale,) in cursor.fetchall():
        # Another checkout's run may be copying it: then it is left for later.
        with suppress(DatabaseError):
            cursor.execute(f'DROP DATABASE IF EXISTS "{stale}"')


def recreate_from_template() -> bool:
    """The test database again as a fresh copy of its template: 0.3 s where
    migrating it forward from an old state takes about 10 s. False (and the
    database untouched) off PostgreSQL, without a template, or when the copy
    cannot be made (the caller then migrates forward)."""
    from django.db import connections

    connection = connections["default"]
    template = connection.settings_dict.get("TEST", {}).get("TEMPLATE")
    if connection.vendor != "postgresql" or not template:
        return False
    name = connection.settings_dict["NAME"]
    fresh = f"{name}_fresh"
    connection.close()
    with connection.creation._nodb_cursor() as cursor:
        try:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
            cursor.execute(f'CREATE DATABASE "{fresh}" TEMPLATE "{template}"')
        except DatabaseError:
            return False
        # The database is this process's own (one per process of the suite):
        # another connection to it is one that a thread of this process left
        # idle (in the full suite, one opened by an early test, its last
        # statement a ROLLBACK); it goes as Django's own went above. A busy
        # one means work is still going on: then nothing is dropped.
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state <> 'idle' "
            "AND pid <> pg_backend_pid()",
            [name],
        )
        busy = cursor.fetchone()[0]
        try:
            if busy:
                raise DatabaseError(f"{busy} connection(s) busy in {name}")
            cursor.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        except DatabaseError:
            cursor.execute(f'DROP DATABASE "{fresh}"')
            return False
        cursor.execute(f'ALTER DATABASE "{fresh}" RENAME TO "{name}"')
    return True
