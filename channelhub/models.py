"""Cross-cutting records: liveness heartbeats of the worker and beat processes,
and the personal API tokens of users."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Heartbeat(models.Model):
    """The last time a process proved it is alive (a worker ran a task, beat fired).

    Written with an upsert by `heartbeat_task`; read by health checks and tests.
    """

    name = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField()
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


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
