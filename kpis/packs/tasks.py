"""Review pack tasks: render one pack, and the beat's dispatch of the packs
whose cadence slot has come (retry policy: kpis.jobs)."""

from __future__ import annotations

import logging

from celery import shared_task

from channelhub.lib.logs import job_note
from kpis.jobs import LIMITS, TRANSIENT, countdown

from .services import (
    PACK_RENDER_TASK,
    RetryLater,
    pack_render_execute,
    packs_dispatch,
    packs_retention_sweep,
)

log = logging.getLogger(__name__)


@shared_task(name=PACK_RENDER_TASK, bind=True, acks_late=True, max_retries=10, **LIMITS)
def pack_render_task(self, render_id: int) -> None:
    job_note(pack_render_id=render_id)
    try:
        pack_render_execute(render_id)
    except (RetryLater, *TRANSIENT) as exc:
        raise self.retry(exc=exc, countdown=countdown(self.request.retries)) from exc


@shared_task(name="kpis.packs_dispatch", ignore_result=True, soft_time_limit=60, time_limit=90)
def packs_dispatch_task() -> None:
    """Beat, every few minutes: render the packs whose cadence slot has come."""
    created = packs_dispatch()
    if created:
        log.info("review packs queued: %s", [r.pk for r in created])


@shared_task(name="kpis.packs_retention", ignore_result=True, soft_time_limit=600, time_limit=660)
def packs_retention_task() -> None:
    """Beat, daily: delete archived pack files older than PACK_RETENTION_DAYS."""
    swept = packs_retention_sweep()
    job_note(pack_renders_swept=swept)
    if swept:
        log.info("review pack retention: files of %s render(s) removed", swept)
