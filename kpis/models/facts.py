"""Daily facts, the files they are imported from, and the backups an import keeps to be undone.

Facts are bulk data (millions of rows, written by COPY and set-based upserts),
so their table is kept lean: a natural composite primary key and no foreign-key
constraints (every id is validated by the import before it is written)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from channelhub.lib.dates import FACTS_STORED_END, FACTS_STORED_FIRST
from channelhub.lib.fields import CentsField
from channels_app.channels.models import Channel

from .common import NO_PARTNER


class ImportRun(models.Model):
    """One uploaded file (daily facts or customer feedback), from upload to outcome."""

    class Kind(models.TextChoices):
        FACTS = "facts", "Daily facts"
        FEEDBACK = "feedback", "Customer feedback"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        MAPPING = "mapping", "Waiting for its mapping"
        SUCCEEDED = "succeeded", "Imported"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        UNDONE = "undone", "Undone"

    class Source(models.TextChoices):
        PAGE = "page", "Import page"
        COMMAND = "command", "Command line"
        API = "api", "API"
        DEMO = "demo", "Demo data"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FACTS)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PAGE)
    create_channels = models.BooleanField(default=False)
    # Where the file comes from, and the plan its columns were read with
    # (kpis.ingest.mapping): the source's, the mapping step's or the command's.
    data_source = models.ForeignKey(
        "Source", null=True, blank=True, on_delete=models.SET_NULL, related_name="imports"
    )
    mapping = models.JSONField(default=dict, blank=True)
    # What reading found: separator, encoding, header row, notes, totals rows
    # skipped and rows dropped by channel value (kpis.ingest.reading.ReadReport).
    reading = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A worker claims the run until this time; the sweeper re-queues it after.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    rows_total = models.BigIntegerField(default=0)
    rows_processed = models.BigIntegerField(default=0)
    rows_added = models.BigIntegerField(default=0)
    rows_replaced = models.BigIntegerField(default=0)
    rows_unchanged = models.BigIntegerField(default=0)
    values_rounded = models.BigIntegerField(default=0)
    columns = models.JSONField(default=list, blank=True)
    ignored_columns = models.JSONField(default=list, blank=True)
    channels_created = models.JSONField(default=list, blank=True)
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    channel_ids = models.JSONField(default=list, blank=True)
    error_count = models.BigIntegerField(default=0)
    bad_rows = models.BigIntegerField(default=0)
    # Timings and the load path taken (COPY or batched inserts).
    stats = models.JSONField(default=dict, blank=True)
    # The first errors in full: [{"line", "column", "value", "reason"}, ...].
    errors = models.JSONField(default=list, blank=True)
    message = models.TextField(blank=True)
    recompute_run = models.ForeignKey(
        "RecomputeRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The recompute its undo queued.
    undo_recompute_run = models.ForeignKey(
        "RecomputeRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # An earlier import of the same channels and dates that was undone after this
    # one: rows this one found unchanged went with it.
    changed_by_undo = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Import #{self.pk} {self.original_name} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("kpis:import-detail", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def rows_written(self) -> int:
        return self.rows_added + self.rows_replaced


class DailyFact(models.Model):
    """One day of one channel (and optionally one partner): METRICS.md section 1."""

    pk = models.CompositePrimaryKey("channel_id", "day", "partner_key")
    # No extra indexes: the primary key serves "facts by channel and date", and
    # every index on a table of millions of rows is paid on every import.
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    partner_key = models.BigIntegerField(default=NO_PARTNER)
    spend = CentsField(default=0)
    revenue = CentsField(default=0)
    cogs = CentsField(default=0)
    orders = models.BigIntegerField(default=0)
    units = models.BigIntegerField(default=0)
    leads = models.BigIntegerField(default=0)
    new_customers = models.BigIntegerField(default=0)
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    # NULL = not reported that day (never 0).
    inventory_value = CentsField(null=True, blank=True)
    import_run = models.ForeignKey(
        ImportRun,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # only undo looks rows up by import, rarely: it scans
        related_name="+",
    )

    class Meta:
        ordering = ["channel_id", "day", "partner_key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(spend__gte=0)
                & Q(revenue__gte=0)
                & Q(cogs__gte=0)
                & Q(orders__gte=0)
                & Q(units__gte=0)
                & Q(leads__gte=0)
                & Q(new_customers__gte=0)
                & Q(impressions__gte=0)
                & Q(clicks__gte=0)
                & (Q(inventory_value__isnull=True) | Q(inventory_value__gte=0)),
                name="dailyfact_values_not_negative",
            ),
            # Fixed bounds (a check cannot read today's date): the import and
            # the API refuse the narrower window of channelhub.lib.dates.
            models.CheckConstraint(
                condition=Q(day__gte=FACTS_STORED_FIRST) & Q(day__lt=FACTS_STORED_END),
                name="dailyfact_day_in_range",
            ),
        ]
        indexes = [
            # Partner rows are a minority; this lets the recompute's partner
            # branch skip the channel-level rows instead of scanning them.
            models.Index(
                fields=["partner_key", "channel", "day"],
                name="dailyfact_partner_rows",
                condition=~Q(partner_key=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id} {self.day} {self.partner_key}"


class FactBackup(models.Model):
    """The values a fact row had before an import replaced them (for undo)."""

    pk = models.CompositePrimaryKey("import_run_id", "channel_id", "day", "partner_key")
    import_run = models.ForeignKey(
        ImportRun, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    channel_id = models.BigIntegerField()
    day = models.DateField()
    partner_key = models.BigIntegerField()
    spend = CentsField(default=0)
    revenue = CentsField(default=0)
    cogs = CentsField(default=0)
    orders = models.BigIntegerField(default=0)
    units = models.BigIntegerField(default=0)
    leads = models.BigIntegerField(default=0)
    new_customers = models.BigIntegerField(default=0)
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    inventory_value = CentsField(null=True, blank=True)
    previous_import_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["import_run_id", "channel_id", "day", "partner_key"]

    def __str__(self) -> str:
        return (
            f"backup of {self.channel_id} {self.day} {self.partner_key} for #{self.import_run_id}"
        )
