"""Cross-cutting records: liveness heartbeats of the worker and beat processes,
the last run of every scheduled task, and the personal API tokens of users."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Heartbeat(models.Model):
    """The last time a process proved it is alive.

    Names in use: `worker:<hostname>` (each worker, every
    WORKER_HEARTBEAT_SECONDS, from a bootstep in channelhub.celery), `beat`
    (the beat process, each time it sends a task) and `queue` (a worker ran the
    heartbeat task beat sends: the whole beat → broker → worker path works).
    Written with an upsert by `heartbeat_record`; read by /health/.
    """

    name = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class ScheduledTaskState(models.Model):
    """The last run of one periodic task (django-celery-beat's PeriodicTask by name).

    django-celery-beat records when beat *sent* a task; this records what the
    worker made of it: when it started and finished, and how it ended. Written
    from Celery signals for messages that carry beat's `periodic_task_name`
    header; read by `manage.py job_status`.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        RETRYING = "retrying", "Retrying"

    name = models.CharField(max_length=200, primary_key=True)
    task = models.CharField(max_length=200)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    runs = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.last_outcome or 'never run'}"


class ApiToken(models.Model):
    """A personal API token: the user's own permissions, for scripts.

    Only the SHA-256 of the token is stored; the token itself is shown once,
    when it is created. `prefix` (the first characters) is kept in clear so a
    user can tell their tokens apart. A revoked token stays listed (with when
    it was revoked) but no longer authenticates.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. 'shop sync'.")
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["user", "-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
