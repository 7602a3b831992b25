"""The Celery application, configured from Django settings (namespace CELERY)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")

app = Celery("channelhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="channelhub.ping")
def ping() -> str:
    """A trivial task the health checks and tests use to prove a worker answers."""
    return "pong"
