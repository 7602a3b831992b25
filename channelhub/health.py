"""Is ChannelHub able to do its work? The checks behind /health/ and `manage.py health`.

- database: a round trip to the database.
- broker: Redis answers PING (or, embedded, the filesystem broker's folders
  are writable).
- worker: some worker wrote its heartbeat within two WORKER_HEARTBEAT_SECONDS
  (a bootstep in channelhub.celery writes it from the worker's main process,
  so a worker busy with a long recompute still counts as alive).
- beat: the beat process sent a task within two intervals of the heartbeat
  schedule (the "channelhub.heartbeat" periodic task, every 60 s by default,
  editable in the admin).

`recompute` is reported but never unhealthy on its own: the latest recompute of
every channel (the nightly one or "Recompute all channels now"), its status and
the rows it skipped for their date, without names or error text (this page
answers without sign-in; the Jobs page has the details).

`queue` is reported but never unhealthy on its own: the last time a worker ran
the heartbeat task beat sent, i.e. the whole beat → broker → worker path. It
lags when workers are busy with long jobs, which is not a fault.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

CHECKS = ("database", "broker", "worker", "beat")
HEARTBEAT_TASK = "channelhub.heartbeat"


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    age_s: float | None = None
    max_age_s: float | None = None


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return Check(False, f"unreachable: {exc.__class__.__name__}")
    return Check(True, connection.vendor)


def check_broker() -> Check:
    if settings.REDIS_URL:
        import redis

        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
            )
            client.ping()
            client.close()
        except Exception as exc:
            # The class only: the URL may hold a password.
            return Check(False, f"redis unreachable: {exc.__class__.__name__}")
        return Check(True, "redis")
    folders = [settings.BROKER_DIR / sub for sub in ("out", "processed", "control")]
    missing = [f.name for f in folders if not (f.is_dir() and os.access(f, os.W_OK))]
    if missing:
        return Check(False, f"filesystem broker folders not writable: {', '.join(missing)}")
    return Check(True, "filesystem")


def _age(seen_at: datetime | None, now: datetime) -> float | None:
    return round((now - seen_at).total_seconds(), 1) if seen_at else None


def _fresh(what: str, seen_at: datetime | None, max_age: timedelta, now: datetime) -> Check:
    age = _age(seen_at, now)
    limit = max_age.total_seconds()
    if age is None:
        return Check(False, f"no {what} heartbeat yet", None, limit)
    if age > limit:
        return Check(False, f"{what} heartbeat is stale", age, limit)
    return Check(True, f"{what} alive", age, limit)


def check_worker(now: datetime) -> Check:
    from .models import Heartbeat

    try:
        seen = (
            Heartbeat.objects.filter(name__startswith="worker:")
            .order_by("-seen_at")
            .values_list("seen_at", flat=True)
            .first()
        )
    except Exception as exc:
        return Check(False, f"cannot read heartbeats: {exc.__class__.__name__}")
    return _fresh("worker", seen, timedelta(seconds=2 * settings.WORKER_HEARTBEAT_SECONDS), now)


def beat_interval() -> timedelta:
    """The heartbeat schedule's interval, as the administrator set it."""
    from django_celery_beat.models import PeriodicTask

    task = (
        PeriodicTask.objects.filter(task=HEARTBEAT_TASK, enabled=True, interval__isnull=False)
        .select_related("interval")
        .first()
    )
    if task is None or task.interval is None:
        return timedelta(seconds=settings.BEAT_HEARTBEAT_SECONDS)
    return timedelta(**{task.interval.period: task.interval.every})


def check_beat(now: datetime) -> Check:
    from .models import Heartbeat

    try:
        seen = Heartbeat.objects.filter(name="beat").values_list("seen_at", flat=True).first()
        interval = beat_interval()
    except Exception as exc:
        return Check(False, f"cannot read heartbeats: {exc.__class__.__name__}")
    return _fresh("beat", seen, 2 * interval, now)


def queue_info(now: datetime) -> dict[str, Any]:
    from .models import Heartbeat

    try:
        seen = Heartbeat.objects.filter(name="queue").values_list("seen_at", flat=True).first()
    except Exception:
        return {"age_s": None}
    return {"age_s": _age(seen, now)}


def latest_full_recompute() -> dict[str, Any] | None:
    from kpis.models import RecomputeRun

    try:
        run = (
            RecomputeRun.objects.filter(channel_ids__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
    except Exception:
        return None
    if run is None:
        return None
    skipped = run.stats.get("skipped") if isinstance(run.stats, dict) else None
    return {
        "id": run.pk,
        "status": run.status,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "failed": run.status == RecomputeRun.Status.FAILED,
        "skipped_rows": int(skipped["rows"]) if skipped else 0,
        "warning": run.warning_summary,
    }


def health_report(checks: tuple[str, ...] | list[str] = CHECKS) -> dict[str, Any]:
    """Run the named checks; `ok` is true when every one of them passed."""
    now = timezone.now()
    run = {
        "database": check_database,
        "broker": check_broker,
        "worker": lambda: check_worker(now),
        "beat": lambda: check_beat(now),
    }
    results = {name: asdict(run[name]()) for name in CHECKS if name in checks}
    report: dict[str, Any] = {
        "ok": all(r["ok"] for r in results.values()),
        "time": now.isoformat(),
        "checks": results,
    }
    if "worker" in results or "beat" in results:
        report["queue"] = queue_info(now)
    if "database" in results:
        report["recompute"] = {"latest_full": latest_full_recompute()}
    return report
