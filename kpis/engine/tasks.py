"""Recompute tasks: a run, one batch of a split run, and the scheduled full
recompute (retry policy: kpis.jobs)."""

from __future__ import annotations

import logging

from celery import shared_task

from channelhub.lib.logs import job_note
from kpis.jobs import LIMITS, RETRY, TRANSIENT, countdown
from kpis.models import RecomputeRun

from . import recompute
from .recompute import RECOMPUTE_BATCH_TASK, RECOMPUTE_RUN_TASK

log = logging.getLogger(__name__)


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
        raise self.retry(exc=exc, countdown=countdown(self.request.retries)) from exc


@shared_task(name=RECOMPUTE_BATCH_TASK, bind=True, acks_late=True, **LIMITS, **RETRY)
def recompute_batch_task(self, run_id: int, index: int) -> None:
    job_note(recompute_run_id=run_id)
    try:
        recompute.batch_execute(run_id, index)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            recompute.recompute_fail(run_id, exc)
            raise
        raise self.retry(exc=exc, countdown=countdown(self.request.retries)) from exc
    except Exception as exc:
        recompute.recompute_fail(run_id, exc)
        raise


@shared_task(name="kpis.recompute_all", ignore_result=True, **LIMITS)
def recompute_all_task() -> None:
    """The scheduled full recompute (beat; default nightly, editable in the admin)."""
    run = recompute.recompute_request(trigger=RecomputeRun.Trigger.SCHEDULE)
    job_note(recompute_run_id=run.pk)
    log.info("scheduled recompute queued as run %s", run.pk)
