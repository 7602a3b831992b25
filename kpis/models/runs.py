"""Recompute runs (the job row of every recompute) and the channel batches
a big run is split into."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse

from channelhub.lib.dates import FACTS_STORED_END, FACTS_STORED_FIRST


class RecomputeRun(models.Model):
    """One recompute of KPI snapshots for a scope: the job row (source of truth).

    The broker message only wakes a worker; a periodic sweeper re-sends runs
    that stay queued and re-queues runs whose lease expired (a killed worker).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        IMPORT = "import", "After an import"
        UNDO = "undo", "After an undo"
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Recompute now"
        COMMAND = "command", "Command line"
        DATA = "data", "Data changed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    # None = every channel; otherwise a list of channel ids.
    channel_ids = models.JSONField(null=True, blank=True)
    # None = all time.
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    batches_total = models.PositiveIntegerField(default=0)
    # Set once, by whichever batch finishes last: that task publishes the run.
    publish_claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    stats = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Recompute #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("kpis:run-detail", kwargs={"pk": self.pk})

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def warning(self) -> str:
        """Rows the run skipped for their date (kpis.engine.recompute), in words."""
        skipped = self.stats.get("skipped") if isinstance(self.stats, dict) else None
        if not skipped:
            return ""
        rows = int(skipped["rows"])
        first = "" if rows == 1 else "first: "
        it = "it" if rows == 1 else "them"
        return (
            f"{self.warning_summary} ({first}{skipped['day']}, channel “{skipped['channel']}”): "
            f"undo the import that wrote {it} or correct the row. Every other row was computed."
        )

    @property
    def warning_summary(self) -> str:
        """The warning without names (for /health/, which answers without sign-in)."""
        skipped = self.stats.get("skipped") if isinstance(self.stats, dict) else None
        if not skipped:
            return ""
        rows = int(skipped["rows"])
        what = "1 fact row" if rows == 1 else f"{rows} fact rows"
        was = "was" if rows == 1 else "were"
        return (
            f"{what} dated outside {FACTS_STORED_FIRST} to "
            f"{FACTS_STORED_END - timedelta(days=1)} {was} skipped"
        )

    @property
    def scope_label(self) -> str:
        channels = (
            "all channels" if self.channel_ids is None else f"{len(self.channel_ids)} channel(s)"
        )
        if self.start_date and self.end_date:
            return f"{channels}, {self.start_date:%Y-%m-%d} → {self.end_date:%Y-%m-%d}"
        return f"{channels}, all dates"


class RecomputeBatch(models.Model):
    """A slice of channels of one run, computed by one worker task into staging."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"

    run = models.ForeignKey(RecomputeRun, on_delete=models.CASCADE, related_name="batches")
    index = models.PositiveIntegerField()
    channel_ids = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When a worker last took it (under its BATCH_LOCK): a pending batch that
    # was started and whose lock is free lost its worker (kpis.engine.recompute).
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.BigIntegerField(default=0)
    # {channel_id: facts_version} read before the batch scanned the facts.
    versions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="batch_unique_index")]

    def __str__(self) -> str:
        return f"Run #{self.run_id} batch {self.index}"
