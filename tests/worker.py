"""Start a real Celery worker (or beat) process against the configured broker and test DB.

In CI the broker is Redis and the database PostgreSQL; on a laptop with nothing
set, the filesystem broker and the SQLite test database. Each test run listens
on a queue of its own, so a developer's `make run` worker never steals its
messages.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{Path(db['NAME']).resolve()}"


def process_env(queue: str, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process (worker, beat, gunicorn) that shares this
    test's database, queue and uploaded files."""
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }


@contextlib.contextmanager
def private_queue(prefix: str = "test") -> Iterator[str]:
    """A queue of this test's own: what this process sends goes there too."""
    from channelhub.celery import app

    queue = f"{prefix}-{uuid.uuid4().hex[:10]}"
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous_queue


@contextlib.contextmanager
def running_worker(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the name of a private queue that a freshly started worker consumes."""
    with (
        private_queue() as queue,
        running_worker_process(queue, extra_env, hostname=queue),
    ):
        yield queue


@contextlib.contextmanager
def running_worker_process(
    queue: str, extra_env: dict[str, str] | None = None, *, hostname: str = ""
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker on an existing `queue`, yielding its process (fault tests kill it)."""
    name = hostname or f"{queue}-{uuid.uuid4().hex[:6]}"
    args = ["worker", "--pool", "solo", "--queues", queue, "--hostname", f"{name}@%h"]
    args += ["--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with _process(args, process_env(queue, extra_env), f"worker-{name}") as process:
        yield process


@contextlib.contextmanager
def running_beat(queue: str, extra_env: dict[str, str] | None = None) -> Iterator[None]:
    """Celery beat (the database schedule of the test DB), sending to `queue`."""
    with _process(["beat", "--loglevel", "INFO"], process_env(queue, extra_env), f"beat-{queue}"):
        yield


def stop(process: subprocess.Popen[Any]) -> None:
    """Terminate `process`, killing it if it has not ended after 20 s."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _process(args: list[str], env: dict[str, str], name: str) -> Iterator[subprocess.Popen[bytes]]:
    log = open(settings.VAR_DIR / f"{name}.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "channelhub", *args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        stop(process)
        log.close()


def wait_for(predicate: Callable[[], object], *, timeout: float = 60, what: str = "it") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
