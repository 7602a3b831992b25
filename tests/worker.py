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

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{Path(db['NAME']).resolve()}"


@contextlib.contextmanager
def running_worker(extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Yield the name of a private queue that a freshly started worker consumes."""
    from channelhub.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }
    # Messages this process sends go to the private queue too.
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    with _process(
        [
            "worker",
            "--pool",
            "solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        env,
        f"worker-{queue}",
    ):
        try:
            yield queue
        finally:
            app.conf.task_default_queue = previous_queue


@contextlib.contextmanager
def running_worker_process(
    queue: str, extra_env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker on an existing `queue`, yielding its process (fault tests kill it)."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }
    name = f"{queue}-{uuid.uuid4().hex[:6]}"
    args = ["worker", "--pool", "solo", "--queues", queue, "--hostname", f"{name}@%h"]
    args += ["--without-gossip", "--without-mingle", "--loglevel", "INFO"]
    with _process(args, env, f"worker-{name}") as process:
        yield process


@contextlib.contextmanager
def running_beat(queue: str, extra_env: dict[str, str] | None = None) -> Iterator[None]:
    """Celery beat (the database schedule of the test DB), sending to `queue`."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **(extra_env or {}),
    }
    with _process(["beat", "--loglevel", "INFO"], env, f"beat-{queue}"):
        yield


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
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_for(predicate: Callable[[], object], *, timeout: float = 60, what: str = "it") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
