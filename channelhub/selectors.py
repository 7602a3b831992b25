"""Reads that belong to no single app."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django_celery_beat.models import PeriodicTask

from kpis.models import ImportRun, RecomputeRun

from .models import ApiToken, ScheduledTaskState


def api_token_list(*, user: Any) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (revoked ones too, marked as such)."""
    if not getattr(user, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at", "-pk")


# --- operations: what the scheduled jobs did --------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _schedule_label(task: PeriodicTask) -> str:
    if task.interval is not None:
        return f"every {task.interval.every} {task.interval.period}"
    if task.crontab is not None:
        c = task.crontab
        return f"cron {c.minute} {c.hour} {c.day_of_month} {c.month_of_year} {c.day_of_week}"
    return str(task.schedule)


def scheduled_job_status() -> list[dict[str, Any]]:
    """Every periodic task (django-celery-beat) with its last run.

    `last_sent_at` is when beat sent it (django-celery-beat); start, finish,
    outcome and error come from ScheduledTaskState (what a worker made of it);
    the scheduled recompute also shows the last RecomputeRun it queued.
    """
    states = {s.name: s for s in ScheduledTaskState.objects.all()}
    latest_scheduled_run = (
        RecomputeRun.objects.filter(trigger=RecomputeRun.Trigger.SCHEDULE)
        .order_by("-created_at", "-pk")
        .first()
    )
    rows = []
    for task in PeriodicTask.objects.select_related("interval", "crontab").order_by("name"):
        state = states.get(task.name)
        row: dict[str, Any] = {
            "name": task.name,
            "task": task.task,
            "schedule": _schedule_label(task),
            "enabled": task.enabled,
            "last_sent_at": _iso(task.last_run_at),
            "total_sent": task.total_run_count,
            "last_started_at": _iso(state.last_started_at) if state else None,
            "last_finished_at": _iso(state.last_finished_at) if state else None,
            "outcome": (state.last_outcome if state else "") or "never run",
            "duration_ms": state.last_duration_ms if state else None,
            "runs": state.runs if state else 0,
            "failures": state.failures if state else 0,
            "error": state.last_error if state else "",
        }
        if task.task == "kpis.recompute_all" and latest_scheduled_run is not None:
            run = latest_scheduled_run
            row["run"] = {
                "recompute_run_id": run.pk,
                "status": run.status,
                "finished_at": _iso(run.finished_at),
                "error": run.error,
            }
        rows.append(row)
    return rows


def recent_job_runs(*, limit: int = 5) -> dict[str, list[dict[str, Any]]]:
    """The latest recompute and import runs (the job rows), newest first."""
    recomputes = [
        {
            "id": run.pk,
            "trigger": run.trigger,
            "status": run.status,
            "scope": run.scope_label,
            "attempts": run.attempts,
            "created_at": _iso(run.created_at),
            "finished_at": _iso(run.finished_at),
            "duration_s": run.duration_s,
            "error": run.error,
        }
        for run in RecomputeRun.objects.order_by("-created_at", "-pk")[:limit]
    ]
    imports = [
        {
            "id": run.pk,
            "file": run.original_name,
            "status": run.status,
            "attempts": run.attempts,
            "created_at": _iso(run.created_at),
            "finished_at": _iso(run.finished_at),
            "rows": run.rows_total,
            "message": run.message,
        }
        for run in ImportRun.objects.order_by("-created_at", "-pk")[:limit]
    ]
    return {"recompute_runs": recomputes, "import_runs": imports}
