"""Thin Celery tasks of the project itself."""

from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from .models import Heartbeat


@shared_task(name="channelhub.heartbeat", ignore_result=True, soft_time_limit=30, time_limit=60)
def heartbeat_task(name: str = "worker") -> None:
    """Record that a worker picked up a message (beat sends one on a schedule)."""
    Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now(), "detail": socket.gethostname()}
    )
