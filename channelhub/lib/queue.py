"""Sending a task without letting a broker outage fail the caller.

Every job of ours has a row (import, recompute run, pack render) that a
sweeper or the next scheduled run sends again, so a request or a commit hook
that cannot reach the broker logs it and goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app

log = logging.getLogger(__name__)


def send_task(name: str, *args: Any, what: str) -> bool:
    """Queue the task registered as `name` with `args`; False (logged) when the
    broker is unreachable. `what` names the job in the log line ("recompute run 12").

    By name: a service queues its task without importing the tasks module, which
    imports the service (tasks call services; the arrow goes one way).
    """
    task = _registered(name)
    try:
        task.delay(*args)
    except Exception as exc:  # any broker failure: kombu and redis raise many kinds
        log.warning("%s not sent, broker unavailable (%s)", what, exc.__class__.__name__)
        return False
    return True


def _registered(name: str) -> Any:
    app = current_app
    if name not in app.tasks:
        # A web process has not imported the apps' tasks modules yet: this is
        # Celery's own autodiscovery, as a worker runs it at start.
        app.loader.import_default_modules()
    return app.tasks[name]
