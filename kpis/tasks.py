"""The KPI app's Celery tasks, where Celery's autodiscovery looks for them
(`<app>.tasks`). Each sub-domain's tasks are defined in its package and
imported here; the two below span sub-domains, so they live here:

- the sweeper resends lost imports (kpis.ingest), recompute runs
  (kpis.engine) and model fits (kpis.modeling);
- the dashboard render stores the default views (kpis.dashboards), then wakes
  the review packs that waited for them (kpis.packs).

Task names never change with the code's layout: beat schedules (rows of
django-celery-beat) and queued messages refer to them by name
(kpis/tests/test_tasks.py checks them). Retry policy: kpis.jobs.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from channelhub.lib.logs import job_note

from .alerts.tasks import alerts_send_task
from .dashboards import renders
from .dashboards.renders import DASHBOARDS_RENDER_TASK
from .engine import recompute, recovery
from .engine.tasks import recompute_all_task, recompute_batch_task, recompute_run_task
from .ingest.pipeline import orphaned_import_ids
from .ingest.staging import drop_orphaned_stages
from .ingest.tasks import facts_import_task
from .modeling import services as modeling
from .modeling.tasks import model_fit_scheduled_task, model_fit_task
from .models import ImportRun, RecomputeRun
from .packs import services as packs
from .packs.tasks import pack_render_task, packs_dispatch_task, packs_retention_task

__all__ = [
    "alerts_send_task",
    "dashboards_render_task",
    "facts_import_task",
    "kpis_sweeper_task",
    "model_fit_scheduled_task",
    "model_fit_task",
    "pack_render_task",
    "packs_dispatch_task",
    "packs_retention_task",
    "recompute_all_task",
    "recompute_batch_task",
    "recompute_run_task",
]

log = logging.getLogger(__name__)

QUEUED_RESEND_AFTER = timedelta(minutes=2)


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
    lost += recovery.orphaned_run_ids()
    for run_id in lost:
        log.warning("recompute run %s lost its worker: sending it again", run_id)
        recompute.send_run(run_id)
    job_note(recompute_runs_resent=len(lost))
    # A batch of a split run whose worker died: only that batch is sent again.
    lost_batches = recovery.orphaned_batches()
    for run_id, index in lost_batches:
        log.warning("recompute run %s batch %s lost its worker: sending it again", run_id, index)
        recompute.send_batch(run_id, index)
    job_note(recompute_batches_resent=len(lost_batches))
    # Every batch done but the publisher died: a resent batch publishes the run.
    unpublished = recovery.orphaned_publishes()
    for run_id in unpublished:
        log.warning("recompute run %s lost its publisher: publishing it again", run_id)
        recompute.send_batch(run_id, 0)
    job_note(recompute_publishes_resent=len(unpublished))
    for import_id in ImportRun.objects.filter(
        status=ImportRun.Status.QUEUED, created_at__lt=stale
    ).values_list("pk", flat=True):
        facts_import_task.delay(import_id)
    lost_imports = list(
        ImportRun.objects.filter(
            status=ImportRun.Status.RUNNING, lease_expires_at__lt=now
        ).values_list("pk", flat=True)
    )
    # As for recomputes: a killed import's lock went with its connection.
    lost_imports += orphaned_import_ids()
    for import_id in lost_imports:
        log.warning("import run %s lost its worker: sending it again", import_id)
        facts_import_task.delay(import_id)
    job_note(import_runs_resent=len(lost_imports))
    job_note(import_stages_dropped=len(drop_orphaned_stages()))
    job_note(model_runs_resent=modeling.resend_lost_runs())


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
    stored = renders.render_defaults()
    woken = packs.resume_waiting()
    log.info("dashboard renders stored: %s; review packs woken: %s", stored, woken)
    if stored is None and not self.request.is_eager:
        raise self.retry(countdown=RENDER_DEFER_SECONDS)
