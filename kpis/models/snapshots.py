"""KPI snapshots (the stored components per channel, partner and period), their
staging table, each channel's data freshness, and objective evaluations."""

from __future__ import annotations

from django.db import models

from channelhub.lib.fields import CentsField
from channelhub.metrics.formulas import OBJECTIVE_STATUS_CHOICES, OBJECTIVE_STATUS_LABELS
from channels_app.channels.models import Channel, ChannelObjective

from .common import NO_PARTNER, PeriodKind
from .runs import RecomputeRun


class SnapshotComponents(models.Model):
    """The additive components of a KPI snapshot (METRICS.md section 3)."""

    spend = CentsField(default=0)
    revenue = CentsField(default=0)
    cogs = CentsField(default=0)
    incentive_cost = CentsField(default=0)
    orders = models.BigIntegerField(default=0)
    units = models.BigIntegerField(default=0)
    leads = models.BigIntegerField(default=0)
    new_customers = models.BigIntegerField(default=0)
    impressions = models.BigIntegerField(default=0)
    clicks = models.BigIntegerField(default=0)
    inventory_sum = CentsField(default=0)
    inventory_days = models.IntegerField(default=0)
    nps_promoters = models.IntegerField(default=0)
    nps_detractors = models.IntegerField(default=0)
    nps_responses = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    rating_count = models.IntegerField(default=0)
    # The channel's (or partner's) last day with facts inside the period.
    last_fact_day = models.DateField(null=True, blank=True)
    # The channel's facts version the rows were computed from: a run never
    # overwrites rows computed from newer facts (see services.recompute).
    facts_version = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class KpiSnapshot(SnapshotComponents):
    """KPI components of a channel (partner_key 0) or one of its partners, per period."""

    # The key is the primary key: no surrogate id, whose index every run of
    # the recompute wrote too while nothing looked a row up by it.
    # Dates before partners: a run's channels and dates are one range of it
    # whatever the number of partners. Django's admin does not support
    # composite keys: snapshots are read through the KPI pages, the API and
    # the export.
    pk = models.CompositePrimaryKey("channel_id", "period_kind", "period_start", "partner_key")
    # No database FK constraints: the recompute writes 100,000s of rows per run,
    # and a per-row RI check (with a row lock on the same run) costs more than
    # the write. Django's collector still cascades a deleted channel.
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    partner_key = models.BigIntegerField(default=NO_PARTNER)
    period_kind = models.CharField(max_length=7, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    run = models.ForeignKey(
        RecomputeRun,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["channel", "period_kind", "period_start", "partner_key"]
        indexes = [
            # The portfolio pages: every channel's own rows (partner_key 0) of
            # one kind in a range of dates. Partner rows are read by channel,
            # through the primary key, so they are left out of this index.
            models.Index(
                fields=["period_kind", "period_start", "channel"],
                name="snapshot_portfolio_own",
                condition=models.Q(partner_key=NO_PARTNER),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.partner_key} {self.period_kind} {self.period_start}"


class KpiSnapshotStage(SnapshotComponents):
    """Rows computed by one batch of a split run, waiting for the run's publish.

    Unlogged on PostgreSQL (a migration says so): it is scratch space, and a
    crash only loses rows that a re-run computes again.
    """

    class Action(models.IntegerChoices):
        # No longer staged: a batch stages only what its publish writes.
        SAME = 0, "same as published when computed"
        WRITE = 1, "new or changed"
        DELETE = 2, "published, no longer computed"

    run_id = models.BigIntegerField()
    channel_id = models.BigIntegerField()
    partner_key = models.BigIntegerField(default=NO_PARTNER)
    period_kind = models.CharField(max_length=7)
    # What the batch found against the snapshots published when it ran: the
    # publish writes these rows (recompute.publish).
    action = models.SmallIntegerField(choices=Action.choices, default=Action.WRITE)
    period_start = models.DateField()
    period_end = models.DateField()

    class Meta:
        ordering = ["run_id"]
        indexes = [models.Index(fields=["run_id", "channel_id"], name="stage_run_channel")]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.channel_id} {self.period_kind} {self.period_start}"


class ChannelDataState(models.Model):
    """Per channel: how fresh its facts and snapshots are."""

    channel = models.OneToOneField(
        Channel, on_delete=models.CASCADE, primary_key=True, related_name="data_state"
    )
    # Bumped in the same transaction as every change of the channel's facts.
    facts_version = models.BigIntegerField(default=0)
    # Of the published snapshots: the channel's last day with facts ("as of").
    last_fact_day = models.DateField(null=True, blank=True)
    published_version = models.BigIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    # The latest recompute of this channel failed (cleared by a later run that
    # succeeds): the dashboards say their figures are stale, with its error.
    last_failed_run = models.ForeignKey(
        "kpis.RecomputeRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        related_name="+",
    )

    class Meta:
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.channel_id}: v{self.facts_version}, last fact {self.last_fact_day}"


class ObjectiveStatus(models.Model):
    """The latest evaluation of an objective (METRICS.md s4), written by the
    recompute job and whenever the objective is edited; pages only read it."""

    objective = models.OneToOneField(
        ChannelObjective, on_delete=models.CASCADE, primary_key=True, related_name="evaluation"
    )
    status = models.CharField(max_length=12, choices=OBJECTIVE_STATUS_CHOICES)
    actual = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    projected = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    progress = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    as_of = models.DateField(null=True, blank=True)
    evaluated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["objective"]
        verbose_name_plural = "objective statuses"

    def __str__(self) -> str:
        return f"{self.objective}: {OBJECTIVE_STATUS_LABELS[self.status]}"
