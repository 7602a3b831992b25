"""The Celery application, configured from Django settings (namespace CELERY),
with the worker heartbeat, the beat heartbeat and one log line per job."""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from typing import Any

from celery import Celery, bootsteps
from celery.signals import (
    beat_init,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")

app = Celery("channelhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
log = logging.getLogger(__name__)


@app.task(name="channelhub.ping")
def ping() -> str:
    """A trivial task the health checks and tests use to prove a worker answers."""
    return "pong"


# --- Liveness: worker and beat heartbeats (read by /health/) -----------------------------


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes `worker:<hostname>` every WORKER_HEARTBEAT_SECONDS from the worker's
    main process (its timer), so a worker whose pool is busy with a long job
    still proves it is alive; a hung or killed worker stops writing."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        from django.conf import settings

        name = f"worker:{worker.hostname}"
        self._beat(name)
        self.tref = worker.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, self._beat, (name,), priority=10
        )

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    @staticmethod
    def _beat(name: str) -> None:
        _record_heartbeat(name)


app.steps["worker"].add(WorkerHeartbeat)


def _record_heartbeat(name: str) -> None:
    from django.db import close_old_connections

    from .services import heartbeat_record

    try:
        close_old_connections()
        heartbeat_record(name=name, detail=socket.gethostname())
    except Exception as exc:  # the database is down: /health/ will say so
        log.warning("heartbeat %s not recorded: %s", name, exc.__class__.__name__)


_process = {"beat": False}


@beat_init.connect
def _in_beat(**kwargs: Any) -> None:
    _process["beat"] = True


@before_task_publish.connect
def _beat_heartbeat(sender: str | None = None, **kwargs: Any) -> None:
    """Beat is alive while it sends tasks (the heartbeat task every minute)."""
    if _process["beat"]:
        _record_heartbeat("beat")


# --- Job log lines and the last run of each scheduled task ------------------------------

_OUTCOMES = {"SUCCESS": "succeeded", "FAILURE": "failed", "RETRY": "retrying"}
_started: dict[str, tuple[float, str | None]] = {}
_errors: dict[str, str] = {}
job_log = logging.getLogger("channelhub.jobs")


def _periodic_name(task: Any) -> str | None:
    """django-celery-beat puts the PeriodicTask's name in the message headers."""
    request = task.request
    name = getattr(request, "periodic_task_name", None)
    if not name and isinstance(getattr(request, "headers", None), dict):
        name = request.headers.get("periodic_task_name")
    return str(name) if name else None


@task_prerun.connect
def _job_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    from .lib.logs import job_begin

    job_begin()
    periodic = _periodic_name(task)
    _started[task_id] = (time.perf_counter(), periodic)
    if periodic:
        from .services import scheduled_task_started

        try:
            scheduled_task_started(name=periodic, task=task.name)
        except Exception as exc:
            log.warning("could not record the start of %s: %s", periodic, exc)


@task_failure.connect
def _job_failed(task_id: str = "", exception: BaseException | None = None, **kwargs: Any) -> None:
    if exception is not None:
        _errors[task_id] = f"{exception.__class__.__name__}: {exception}"[:4000]


@task_postrun.connect
def _job_finished(
    task_id: str = "", task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    from .lib.logs import job_fields

    started, periodic = _started.pop(task_id, (None, None))
    duration_ms = round((time.perf_counter() - started) * 1000) if started else None
    error = _errors.pop(task_id, "")
    in_flight = sys.exc_info()[1]
    if not error and state is None and in_flight is not None:
        # An eager task that propagates its exception (tests, commands) sends
        # no task_failure: the exception is still in flight here.
        error = f"{in_flight.__class__.__name__}: {in_flight}"[:4000]
    outcome = "failed" if error else _OUTCOMES.get(state or "", (state or "unknown").lower())
    fields: dict[str, Any] = {
        "event": "job",
        "task": task.name,
        "task_id": task_id,
        "outcome": outcome,
        "duration_ms": duration_ms,
    }
    if periodic:
        fields["periodic_task"] = periodic
    fields.update(job_fields())  # the run ids the task noted (job_note)
    if error:
        fields["error"] = error
    job_log.log(logging.ERROR if outcome == "failed" else logging.INFO, "job", extra=fields)
    if periodic:
        from .services import scheduled_task_finished

        try:
            scheduled_task_finished(
                name=periodic, task=task.name, outcome=outcome, duration_ms=duration_ms, error=error
            )
        except Exception as exc:
            log.warning("could not record the end of %s: %s", periodic, exc)
