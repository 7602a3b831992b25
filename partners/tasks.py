"""The partners app's Celery tasks, where Celery's autodiscovery looks for them
(`<app>.tasks`); each is defined in its sub-domain's package."""

from partners.attention.tasks import partner_daily_task
from partners.deals.tasks import conflict_detection_task
from partners.tiering.tasks import tier_rules_task

__all__ = ["conflict_detection_task", "partner_daily_task", "tier_rules_task"]
