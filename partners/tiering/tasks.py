"""The daily tier rules task: a thin call of one service."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from .services import tier_proposals_refresh

log = logging.getLogger(__name__)


# Idempotent and serialised by an advisory lock: a redelivered or doubled
# message is harmless, so acks_late is safe.
@shared_task(
    name="partners.tier_rules_task",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=10 * 60,
    time_limit=15 * 60,
    max_retries=0,
)
def tier_rules_task() -> None:
    """Propose tier promotions and demotions for today."""
    today = timezone.localdate()
    result = tier_proposals_refresh(today=today)
    log.info(
        "tier rules on %s: %d proposed, %d refreshed, %d lapsed, %d failed",
        today,
        result.proposed,
        result.refreshed,
        result.lapsed,
        result.failed,
    )
