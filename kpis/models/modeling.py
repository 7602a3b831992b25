"""Modeled (incremental) ROI: model runs, their stored results, and what the
next fit reads besides the facts (events, lift tests, per-channel cost basis),
plus saved budget plans. Definitions: docs/metrics.md, "Modeled (incremental) ROI".

The live model is the newest run that published (status succeeded,
`published_at` set); a failed or refused run publishes nothing, so the
previous model stays live.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

BUSINESS = "business"


class ModelRun(models.Model):
    """One fit of the marketing-mix model: the job row (source of truth)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Fitting"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Weekly schedule"
        MANUAL = "manual", "Fit now"
        COMMAND = "command", "Command line"
        API = "api", "API"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    # One model per business for now: at most one queued or running run per scope.
    scope = models.CharField(max_length=20, default=BUSINESS, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    settings = models.JSONField(default=dict, blank=True)
    # The days the fit read (holdout included) and when it read them: the
    # model is stale once an import or undo finished after `data_cut`.
    data_start = models.DateField(null=True, blank=True)
    data_end = models.DateField(null=True, blank=True)
    data_cut = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    fit_seconds = models.FloatField(null=True, blank=True)
    library = models.CharField(max_length=200, blank=True)
    # Refused: why the data cannot support a model (words for a manager).
    reason = models.TextField(blank=True, max_length=4000)
    # Failed: the error.
    error = models.TextField(blank=True, max_length=4000)
    # Fit quality: r2, mape_holdout, rhat_max, ess_min, divergences, baseline_share.
    diagnostics = models.JSONField(default=dict, blank=True)
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["-published_at"], name="modelrun_published"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["scope"],
                condition=Q(status__in=["queued", "running"]),
                name="modelrun_one_active_per_scope",
            )
        ]

    def __str__(self) -> str:
        return f"Model fit #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("kpis:model-run", kwargs={"pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def fit_end(self) -> date | None:
        """The last day the fit read (diagnostics): its figures are over
        data_start to this; the days after, to data_end, were held out to test
        it. None for a run that did not say."""
        diagnostics = self.diagnostics if isinstance(self.diagnostics, dict) else {}
        stored = diagnostics.get("fit_end")
        if isinstance(stored, str):
            with contextlib.suppress(ValueError):
                return date.fromisoformat(stored)
        return None

    @property
    def figures_end(self) -> date | None:
        """The last day its figures (cost, sales, ROAS) are over: the fit's
        last day, or the data's when the run did not say."""
        if self.data_end is None:
            return None
        return min(self.data_end, self.fit_end or self.data_end)

    @property
    def held_out(self) -> bool:
        """Whether the fit's figures end before its data (a holdout was kept)."""
        fit_end = self.fit_end
        return fit_end is not None and self.data_end is not None and fit_end < self.data_end

    @property
    def elapsed_s(self) -> float | None:
        """Seconds it has been waiting (queued) or fitting (running) so far;
        None once it has finished."""
        if not self.is_active:
            return None
        since = self.started_at or self.created_at
        return max(0.0, (timezone.now() - since).total_seconds())

    @property
    def outcome(self) -> str:
        """The run's outcome in one sentence for a manager."""
        if self.status == self.Status.REFUSED:
            return f"No model: {self.reason}"
        if self.status == self.Status.FAILED:
            return "The fit failed (see the error): it published no model."
        if self.status == self.Status.SUCCEEDED:
            return "Fitted and published."
        return "Waiting for a worker." if self.status == self.Status.QUEUED else "Fitting…"


class ChannelModelResult(models.Model):
    """One channel's modeled figures of one published run (contract.ChannelEstimate)."""

    class Status(models.TextChoices):
        OK = "ok", "OK"
        FLAGGED = "flagged", "Uncertain"
        REFUSED = "refused", "No estimate"

    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="results")
    channel = models.ForeignKey(
        "channels_app.Channel", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    slug = models.CharField(max_length=80)
    name = models.CharField(max_length=120)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True, max_length=2000)
    spend = models.DecimalField(max_digits=18, decimal_places=2)
    attributed_revenue = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    gross_margin = models.FloatField(null=True, blank=True)
    incremental_revenue = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )
    incremental_revenue_low = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )
    incremental_revenue_high = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True
    )
    incremental_roas = models.FloatField(null=True, blank=True)
    roas_low = models.FloatField(null=True, blank=True)
    roas_high = models.FloatField(null=True, blank=True)
    incremental_roi = models.FloatField(null=True, blank=True)
    marginal_roas = models.FloatField(null=True, blank=True)
    # Its 90% interval (5th-95th percentile over the draws).
    marginal_roas_low = models.FloatField(null=True, blank=True)
    marginal_roas_high = models.FloatField(null=True, blank=True)
    half_life_days = models.FloatField(null=True, blank=True)
    saturation_point = models.FloatField(null=True, blank=True)
    # The response curve: {"spend": [...], "mean": [...], "low": [...], "high": [...]}
    # (daily cost held steady -> daily incremental revenue), and its posterior
    # draws apart (large: only the planner reads them).
    curve = models.JSONField(null=True, blank=True)
    curve_samples = models.JSONField(null=True, blank=True)
    # Relative change of incremental ROAS against the previous published model
    # (None: no previous model or no figure in one of them).
    moved = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["run", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["run", "slug"], name="modelresult_unique_channel")
        ]

    def __str__(self) -> str:
        return f"{self.name} in model #{self.run_id}"

    @property
    def attributed_roas(self) -> float | None:
        if self.attributed_revenue is None or not self.spend:
            return None
        return float(self.attributed_revenue) / float(self.spend)

    @property
    def daily_spend(self) -> float | None:
        """The average daily cost over the days its spend is summed on: the
        fitted days (the held-out weeks after the fit's end are not in it)."""
        run = self.run
        end = run.figures_end
        if run.data_start is None or end is None:
            return None
        days = (end - run.data_start).days + 1
        return float(self.spend) / days if days > 0 else None


class ModelChannelSetting(models.Model):
    """What the model counts as a channel's cost (METRICS.md section 8)."""

    class CostBasis(models.TextChoices):
        TOTAL = "total", "Spend + incentive cost"
        SPEND = "spend", "Spend only"
        # Its costs are not advertising (a shop's rent, a sales team's
        # salaries): no media of the model, its sales part of the base.
        NONE = "none", "Not advertising: its sales count in the base"

    channel = models.OneToOneField(
        "channels_app.Channel", on_delete=models.CASCADE, related_name="model_setting"
    )
    cost_basis = models.CharField(
        "cost the model uses", max_length=10, choices=CostBasis.choices, default=CostBasis.TOTAL
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.cost_basis}"


class ModelEvent(models.Model):
    """An event or holiday the model controls for (a sale, a strike, Black Friday)."""

    name = models.CharField(max_length=120)
    start = models.DateField()
    end = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="event_end_ok")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kpis:model-event-edit", kwargs={"pk": self.pk})


class LiftTest(models.Model):
    """A measured experiment on one channel; the next fit calibrates with it
    (contract.LiftTest)."""

    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120, blank=True)
    start = models.DateField()
    end = models.DateField()
    cost = models.DecimalField(
        "cost before the change",
        max_digits=18,
        decimal_places=2,
        help_text="The channel's total cost over the test.",
    )
    delta_cost = models.DecimalField(
        "change of cost",
        max_digits=18,
        decimal_places=2,
        help_text="How much the cost changed over the test (negative for a hold-out).",
    )
    delta_revenue = models.DecimalField(
        "measured incremental revenue",
        max_digits=18,
        decimal_places=2,
        help_text="The revenue the change of cost added (or removed) over the test.",
    )
    sigma = models.DecimalField(
        "standard error",
        max_digits=18,
        decimal_places=2,
        help_text="The measurement's standard error, in money.",
    )
    notes = models.TextField(blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="lifttest_end_ok"),
            models.CheckConstraint(condition=Q(sigma__gt=0), name="lifttest_sigma_positive"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="lifttest_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name or f"Lift test {self.start}"

    def get_absolute_url(self) -> str:
        return reverse("kpis:lift-test-edit", kwargs={"pk": self.pk})


class BudgetPlan(models.Model):
    """A saved budget scenario: the question asked and the planner's answer."""

    class Goal(models.TextChoices):
        REVENUE = "revenue", "Incremental revenue"
        GROSS_PROFIT = "gross_profit", "Incremental gross profit"

    class Mode(models.TextChoices):
        BUDGET = "budget", "Best split of a budget"
        TARGET = "target", "Smallest budget reaching a target"

    class Reach(models.TextChoices):
        # How far a channel left without a bound may move from today's spend
        # (kpis.modeling.planner.Planner._limits): the model has seen spend
        # near today's, and from its quietest to its busiest month; far from
        # that, its curve is a guess.
        NEAR = "near", "Within what the model has seen"
        FREE = "free", "Anywhere, down to nothing"

    name = models.CharField(max_length=120)
    run = models.ForeignKey(
        ModelRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans"
    )
    goal = models.CharField(max_length=20, choices=Goal.choices, default=Goal.REVENUE)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.BUDGET)
    period_start = models.DateField()
    period_end = models.DateField()
    total_budget = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    # {slug: {"min": str|None, "max": str|None, "locked": bool}}
    bounds = models.JSONField(default=dict, blank=True)
    # Plans saved before this choice existed moved channels freely.
    reach = models.CharField(max_length=10, choices=Reach.choices, default=Reach.FREE)
    # The planner's answer (kpis.modeling.planner.PlanResult.as_json()).
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kpis:plan-detail", kwargs={"pk": self.pk})

    @property
    def allocations(self) -> list[dict[str, Any]]:
        return list(self.result.get("channels", [])) if isinstance(self.result, dict) else []
