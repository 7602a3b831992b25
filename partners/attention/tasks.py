"""The daily partner flags and reminders task: a thin call of one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .services import partner_daily_run

log = logging.getLogger(__name__)


# Idempotent (flags are reconciled, reminders claimed once a day), so a
# redelivered message after a lost worker is harmless: acks_late is safe.
@shared_task(
    name="partners.partner_daily_task",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=15 * 60,
    max_retries=0,
)
def partner_daily_task() -> None:
    """Raise and clear partner flags for today, then remind each manager."""
    today = timezone.localdate()
    result, sent = partner_daily_run(today=today)
    log.info(
        "partner flags on %s: %d raised, %d cleared, %d kept; %d reminders sent",
        today,
        result.raised,
        result.cleared,
        result.kept,
        sent,
    )
