"""How every KPI job retries and how long it may run (the sub-domains' tasks
modules share it; it imports nothing from kpis).

Retries are only for named transient errors (a dropped database connection, a
deadlock victim), with exponential backoff and jitter; anything else marks the
job failed with its error. Every task is idempotent (claims are conditional
updates), so acks_late redelivery after a killed worker is safe.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {"max_retries": 3}
LIMITS = {"soft_time_limit": 50 * 60, "time_limit": 55 * 60}


def countdown(retries: int) -> int:
    # 5 s, 10 s, 20 s ... with full jitter, capped far below the broker's
    # visibility timeout (a countdown above it would be redelivered early).
    return get_exponential_backoff_interval(5, retries, 300, full_jitter=True)


def pause_point(env_name: str, run_id: int) -> None:
    """A no-op unless a fault test set `env_name` to a marker file's path: then
    write the run's id there and wait (at most 10 minutes) until the test
    removes it, so the test can kill the worker at a known moment."""
    path = os.environ.get(env_name)
    if not path:
        return
    marker = Path(path)
    marker.write_text(str(run_id))
    deadline = time.monotonic() + 600
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
