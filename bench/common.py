"""Shared set-up of the benchmarks: a scratch PostgreSQL database, Django, timing.

Benchmarks run on demand (`make bench`), never in the test suite. They need
PostgreSQL: DATABASE_URL names the server (its database name is replaced by a
scratch database that the benchmark creates and drops).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scratch_database(name: str) -> str:
    """Create (or recreate) database `name` next to DATABASE_URL's; return its URL."""
    import psycopg2

    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlparse(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("The benchmarks need PostgreSQL: set DATABASE_URL=postgres://...")
    admin = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password or None,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return urlunparse(parts._replace(path=f"/{name}"))


def setup_django(database: str) -> None:
    """Point Django at a fresh scratch database and migrate it."""
    os.environ["DATABASE_URL"] = scratch_database(database)
    os.environ.setdefault("CHANNELHUB_VAR_DIR", tempfile.mkdtemp(prefix="channelhub-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    import psycopg2

    parts = urlparse(os.environ["DATABASE_URL"])
    admin = psycopg2.connect(
        dbname="postgres", user=parts.username or "postgres", host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432, password=parts.password or None,
    )  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@contextmanager
def timed(results: dict[str, float], key: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    results[key] = time.perf_counter() - start
    print(f"  {key:<40} {results[key]:8.3f} s", flush=True)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def machine() -> str:
    cores = os.cpu_count()
    try:
        mem_kb = int(
            next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1]
        )
        memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "?"
    return f"{cores} cores, {memory} RAM"
