"""What the alerts pages read: a user's own subscriptions, nobody else's."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kpis.models import AlertSubscription


def subscription_list(*, user: Any) -> QuerySet[AlertSubscription]:
    return AlertSubscription.objects.filter(user=user).prefetch_related("channels")
