"""The nightly conflict detection task: a thin call of one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .detection import conflicts_detect

log = logging.getLogger(__name__)


# Idempotent (one open case per fingerprint, enforced by the database; an
# advisory lock queues a second run on PostgreSQL): acks_late is safe.
@shared_task(
    name="partners.conflict_detection_task",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=15 * 60,
    max_retries=0,
)
def conflict_detection_task() -> None:
    """Expire old deal registrations, then run every conflict detection rule."""
    today = timezone.localdate()
    result = conflicts_detect(today=today)
    log.info(
        "conflict detection on %s: %s opened, %d observations added to open cases, "
        "%d registrations expired",
        today,
        result.opened or "none",
        result.attached,
        result.expired_deals,
    )
