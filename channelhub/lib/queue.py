"""Sending a task without letting a broker outage fail the caller.

Every job of ours has a row (import, recompute run, pack render) that a
sweeper or the next scheduled run sends again, so a request or a commit hook
that cannot reach the broker logs it and goes on.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def send_task(task: Any, *args: Any, what: str) -> bool:
    """`task.delay(*args)`; False (logged) when the broker is unreachable.
    `what` names the job in the log line ("recompute run 12")."""
    try:
        task.delay(*args)
    except Exception as exc:  # any broker failure: kombu and redis raise many kinds
        log.warning("%s not sent, broker unavailable (%s)", what, exc.__class__.__name__)
        return False
    return True
