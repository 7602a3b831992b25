"""Thin Celery tasks of the project itself."""

from __future__ import annotations

import socket

from celery import shared_task

from .services import heartbeat_record


@shared_task(name="channelhub.heartbeat", ignore_result=True, soft_time_limit=30, time_limit=60)
def heartbeat_task(name: str = "queue") -> None:
    """Record that a worker ran a message beat sent (the beat → broker → worker path)."""
    heartbeat_record(name=name, detail=socket.gethostname())
