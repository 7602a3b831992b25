"""Structured logs: one JSON object per line, for requests, jobs and everything else.

`JsonFormatter` turns a record into JSON with its `extra=` fields as keys, so
`log.info("request", extra={"status": 200})` becomes
`{"time": ..., "level": "INFO", "logger": ..., "message": "request", "status": 200}`.

Secrets stay out: the request log records the path (tokens in it masked), never
the query string, headers or body; the job log records run ids, never a task's
arguments; keys that look like secrets are masked whatever logs them.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has: anything else on a record came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_SECRET_WORDS = ("password", "secret", "token", "authorization", "cookie", "dsn", "api_key")
REDACTED = "[redacted]"

# Fields a job adds to its own log line (e.g. the run a scheduled task queued).
_job_fields: ContextVar[dict[str, Any] | None] = ContextVar("job_fields", default=None)


def _is_secret(key: str) -> bool:
    key = key.lower()
    return any(word in key for word in _SECRET_WORDS)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_"):
                continue
            entry[key] = REDACTED if _is_secret(key) else value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def job_begin() -> None:
    """Start collecting the running job's own log fields (a task is starting)."""
    _job_fields.set({})


def job_note(**fields: Any) -> None:
    """Add fields to the running job's log line, e.g. `job_note(recompute_run_id=12)`."""
    current = _job_fields.get()
    if current is not None:
        current.update(fields)


def job_fields() -> dict[str, Any]:
    return dict(_job_fields.get() or {})
