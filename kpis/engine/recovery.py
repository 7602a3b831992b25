"""Telling a dead worker from a busy one, so that its job is sent again at once.

A worker holds a PostgreSQL session lock while it computes a recompute run
(RUN_LOCK), a batch of a split run (BATCH_LOCK) or publishes a split run
(RUN_LOCK again); PostgreSQL frees it with the worker's connection, so a job
marked running whose lock is free lost its worker (SIGKILL, out of memory).
The sweeper (kpis.tasks, every minute) asks these functions and sends the jobs
again instead of waiting out their lease. On SQLite (one embedded worker) the
lease's expiry stays the only sign of a dead worker, and these return nothing.
"""

from __future__ import annotations

from django.utils import timezone

from channelhub.lib import locks
from kpis.models import RecomputeBatch, RecomputeRun

from . import sql
from .recompute import BATCH_LOCK, RUN_LOCK


def orphaned_run_ids() -> list[int]:
    """Runs marked running in one piece whose worker is gone (PostgreSQL only:
    elsewhere the lease expiry is the only sign of a dead worker)."""
    if not sql.is_postgres():
        return []
    orphans = []
    running = RecomputeRun.objects.filter(
        status=RecomputeRun.Status.RUNNING, batches_total=0, lease_expires_at__gte=timezone.now()
    ).values_list("pk", flat=True)
    for run_id in running:
        if locks.try_advisory_lock(RUN_LOCK, run_id):
            locks.advisory_unlock(RUN_LOCK, run_id)
            orphans.append(run_id)
    return orphans


def orphaned_batches() -> list[tuple[int, int]]:
    """(run id, index) of started batches of running split runs whose worker is
    gone (PostgreSQL only: elsewhere the run's lease is the only sign)."""
    if not sql.is_postgres():
        return []
    started = RecomputeBatch.objects.filter(
        status=RecomputeBatch.Status.PENDING,
        started_at__isnull=False,
        run__status=RecomputeRun.Status.RUNNING,
    ).values_list("pk", "run_id", "index")
    orphans = []
    for batch_id, run_id, index in started:
        if locks.try_advisory_lock(BATCH_LOCK, batch_id):
            locks.advisory_unlock(BATCH_LOCK, batch_id)
            orphans.append((run_id, index))
    return orphans


def orphaned_publishes() -> list[int]:
    """Split runs whose batches are all done but that nobody is publishing (the
    publisher died, PostgreSQL only). Their publish claim is dropped so that a
    resent batch publishes them."""
    if not sql.is_postgres():
        return []
    done = (
        RecomputeRun.objects.filter(status=RecomputeRun.Status.RUNNING, batches_total__gt=0)
        .exclude(batches__status=RecomputeBatch.Status.PENDING)
        .values_list("pk", flat=True)
    )
    orphans = []
    for run_id in done:
        if locks.try_advisory_lock(RUN_LOCK, run_id):
            try:
                RecomputeRun.objects.filter(pk=run_id, status=RecomputeRun.Status.RUNNING).update(
                    publish_claimed_at=None
                )
            finally:
                locks.advisory_unlock(RUN_LOCK, run_id)
            orphans.append(run_id)
    return orphans
