"""Model fit tasks, on their own queue (`modeling`, settings.CELERY_TASK_ROUTES):
a fit takes minutes and must not hold up imports and recomputes. Retry
policy: kpis.jobs (transient database errors only)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from channelhub.lib.logs import job_note
from kpis.jobs import RETRY, TRANSIENT, countdown
from kpis.models import ModelRun

from . import services
from .services import MODEL_FIT_TASK

log = logging.getLogger(__name__)

LIMITS = {
    "soft_time_limit": settings.MODEL_FIT_SOFT_TIME_LIMIT,
    "time_limit": settings.MODEL_FIT_TIME_LIMIT,
}


@shared_task(name=MODEL_FIT_TASK, bind=True, acks_late=True, **LIMITS, **RETRY)
def model_fit_task(self, run_id: int) -> None:
    job_note(model_run_id=run_id)
    try:
        services.model_fit_execute(run_id)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            services.model_fit_fail(run_id, exc)
            raise
        ModelRun.objects.filter(pk=run_id, status=ModelRun.Status.FAILED).update(
            status=ModelRun.Status.QUEUED, error=""
        )
        raise self.retry(exc=exc, countdown=countdown(self.request.retries)) from exc


@shared_task(name="kpis.model_fit_scheduled", ignore_result=True, soft_time_limit=60, time_limit=90)
def model_fit_scheduled_task() -> None:
    """The weekly refit (beat; editable in the admin): queues a run unless one waits."""
    run, created = services.model_fit_request(trigger=ModelRun.Trigger.SCHEDULE)
    job_note(model_run_id=run.pk)
    log.info("scheduled model fit %s as run %s", "queued" if created else "already queued", run.pk)
