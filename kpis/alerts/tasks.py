"""The alert digests' task: beat sends it daily and weekly (kpis migration
0016); any number of workers may run it at once (kpis.alerts.services)."""

from __future__ import annotations

import logging

from celery import shared_task

from channelhub.lib.logs import job_note

from .services import ALERTS_SEND_TASK, digests_send

log = logging.getLogger(__name__)


@shared_task(name=ALERTS_SEND_TASK, ignore_result=True, soft_time_limit=600, time_limit=660)
def alerts_send_task(frequency: str) -> None:
    job_note(alerts=frequency)
    sent = digests_send(frequency=frequency)
    log.info("attention alerts (%s): %s items sent", frequency, sent)
