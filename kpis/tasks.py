"""Thin Celery tasks: take ids, re-check state, call a service.

Retries are only for named transient errors (a dropped database connection, a
deadlock victim), with exponential backoff and jitter; anything else marks the
job failed with its error. Every task is idempotent (claims are conditional
updates), so acks_late redelivery after a killed worker is safe.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from channelhub.lib.logs import job_note

from .models import ImportRun, RecomputeRun
from .renders import DASHBOARDS_RENDER_TASK
from .services import imports, recompute
from .services.imports import FACTS_IMPORT_TASK
from .services.packs import PACK_RENDER_TASK
from .services.recompute import RECOMPUTE_BATCH_TASK, RECOMPUTE_RUN_TASK

log = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
RETRY = {"max_retries": 3}
LIMITS = {"soft_time_limit": 50 * 60, "time_limit": 55 * 60}
QUEUED_RESEND_AFTER = timedelta(minutes=2)


def _countdown(retries: int) -> int:
    # 5 s, 10 s, 20 s ... with full jitter, capped far below the broker's
    # visibility timeout (a countdown above it would be redelivered early).
    return get_exponential_backoff_interval(5, retries, 300, full_jitter=True)


@shared_task(name=FACTS_IMPORT_TASK, bind=True, acks_late=True, **LIMITS, **RETRY)
def facts_import_task(self, import_run_id: int) -> None:
    job_note(import_run_id=import_run_id)
    try:
        imports.import_execute(import_run_id)
    except TRANSIENT as exc:
        # Hand the claim back so the retry (or the sweeper) can take it again.
        ImportRun.objects.filter(pk=import_run_id).update(status=ImportRun.Status.QUEUED)
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(name=RECOMPUTE_RUN_TASK, bind=True, acks_late=True, **LIMITS, **RETRY)
def recompute_run_task(self, run_id: int) -> None:
    job_note(recompute_run_id=run_id)
    try:
        recompute.recompute_execute(run_id)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            recompute.recompute_fail(run_id, exc)
            raise
        RecomputeRun.objects.filter(pk=run_id).update(status=RecomputeRun.Status.QUEUED)
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(name=RECOMPUTE_BATCH_TASK, bind=True, acks_late=True, **LIMITS, **RETRY)
def recompute_batch_task(self, run_id: int, index: int) -> None:
    job_note(recompute_run_id=run_id)
    try:
        recompute.batch_execute(run_id, index)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            recompute.recompute_fail(run_id, exc)
            raise
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc
    except Exception as exc:
        recompute.recompute_fail(run_id, exc)
        raise


@shared_task(name="kpis.recompute_all", ignore_result=True, **LIMITS)
def recompute_all_task() -> None:
    """The scheduled full recompute (beat; default nightly, editable in the admin)."""
    run = recompute.recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE)
    job_note(recompute_run_id=run.pk)
    log.info("scheduled recompute queued as run %s", run.pk)


@shared_task(name="kpis.sweeper", ignore_result=True, soft_time_limit=60, time_limit=90)
def kpis_sweeper_task() -> None:
    """Re-send jobs whose message was lost (broker down at commit) or whose
    worker died (lease expired). The job rows, not the broker, are the truth."""
    now = timezone.now()
    stale = now - QUEUED_RESEND_AFTER
    for run_id in RecomputeRun.objects.filter(
        status=RecomputeRun.Status.QUEUED, created_at__lt=stale
    ).values_list("pk", flat=True):
        recompute.send_run(run_id)
    lost = list(
        RecomputeRun.objects.filter(
            status=RecomputeRun.Status.RUNNING, lease_expires_at__lt=now
        ).values_list("pk", flat=True)
    )
    # A worker killed mid-run releases the run's lock with its connection: no
    # need to wait for the lease (PostgreSQL).
    lost += recompute.orphaned_run_ids()
    for run_id in lost:
        log.warning("recompute run %s lost its worker: sending it again", run_id)
        recompute.send_run(run_id)
    job_note(recompute_runs_resent=len(lost))
    for import_id in ImportRun.objects.filter(
        status=ImportRun.Status.QUEUED, created_at__lt=stale
    ).values_list("pk", flat=True):
        facts_import_task.delay(import_id)
    for import_id in ImportRun.objects.filter(
        status=ImportRun.Status.RUNNING, lease_expires_at__lt=now
    ).values_list("pk", flat=True):
        facts_import_task.delay(import_id)


RENDER_DEFER_SECONDS = 15


@shared_task(
    name=DASHBOARDS_RENDER_TASK,
    bind=True,
    ignore_result=True,
    max_retries=240,  # an hour of bursts; then the next landing queues it again
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
)
def dashboards_render_task(self) -> None:
    """After a recompute landed: render and store the default dashboard views
    (later, while other recomputes are still pending), then wake the review
    packs that waited for it."""
    from .renders import render_defaults
    from .services.packs import resume_waiting

    stored = render_defaults()
    woken = resume_waiting()
    log.info("dashboard renders stored: %s; review packs woken: %s", stored, woken)
    if stored is None and not self.request.is_eager:
        raise self.retry(countdown=RENDER_DEFER_SECONDS)


@shared_task(name=PACK_RENDER_TASK, bind=True, acks_late=True, max_retries=10, **LIMITS)
def pack_render_task(self, render_id: int) -> None:
    from .services.packs import RetryLater, pack_render_execute

    job_note(pack_render_id=render_id)
    try:
        pack_render_execute(render_id)
    except (RetryLater, *TRANSIENT) as exc:
        raise self.retry(exc=exc, countdown=_countdown(self.request.retries)) from exc


@shared_task(name="kpis.packs_dispatch", ignore_result=True, soft_time_limit=60, time_limit=90)
def packs_dispatch_task() -> None:
    """Beat, every few minutes: render the packs whose cadence slot has come."""
    from .services.packs import packs_dispatch

    created = packs_dispatch()
    if created:
        log.info("review packs queued: %s", [r.pk for r in created])
