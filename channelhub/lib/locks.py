"""PostgreSQL advisory locks, for work that two processes must never do at once.

On SQLite every lock here is a no-op: our transactions start IMMEDIATE, which
already takes the database write lock, and embedded mode runs one worker.
Keys: the KPI engine uses 7_302_00x, conflict detection its own (see callers).
"""

from __future__ import annotations

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def advisory_xact_lock(key: int) -> None:
    """Serialize a critical section across processes until the transaction ends.

    PostgreSQL releases the lock when the transaction or the connection ends,
    so a killed worker cannot leave it held. SQLite needs nothing: our
    transactions start IMMEDIATE, which already takes the database write lock.
    """
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def try_advisory_lock(namespace: int, key: int) -> bool:
    """Take a session-level lock on (namespace, key) if free; True on SQLite.

    Held until `advisory_unlock` or until the connection ends: a worker killed
    with SIGKILL loses its connection, so the lock tells a live holder from a
    dead one.
    """
    if not is_postgres():
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        return bool(cursor.fetchone()[0])


def advisory_unlock(namespace: int, key: int) -> None:
    if is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
