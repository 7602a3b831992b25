"""The import worker: a thin call of the pipeline (retry policy: kpis.jobs)."""

from __future__ import annotations

from celery import shared_task

from channelhub.lib.logs import job_note
from kpis.jobs import LIMITS, RETRY, TRANSIENT, countdown
from kpis.models import ImportRun

from .pipeline import import_execute
from .services import FACTS_IMPORT_TASK


@shared_task(name=FACTS_IMPORT_TASK, bind=True, acks_late=True, **LIMITS, **RETRY)
def facts_import_task(self, import_run_id: int) -> None:
    job_note(import_run_id=import_run_id)
    try:
        import_execute(import_run_id)
    except TRANSIENT as exc:
        # Hand the claim back so the retry (or the sweeper) can take it again.
        ImportRun.objects.filter(pk=import_run_id).update(status=ImportRun.Status.QUEUED)
        raise self.retry(exc=exc, countdown=countdown(self.request.retries)) from exc
