"""Stored renders of the default dashboard views, and the one-row state they
are keyed on.

After a recompute lands, a worker renders the default views once (the
portfolio for each period kind, each channel's dashboard) and stores them; a
page with default filters then reads one stored render instead of computing.
"""

from __future__ import annotations

from django.db import models

from .runs import RecomputeRun


class DashboardState(models.Model):
    """One row (pk 1): which version of the data the dashboards show.

    `generation` goes up by one, in the writing transaction, whenever what a
    dashboard shows changes: a recompute landing (which also records itself as
    `last_run`), objectives re-evaluated, a channel, objective or brand audit
    edited. A stored render is current only while its generation is the
    state's.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    generation = models.PositiveBigIntegerField(default=0)
    last_run = models.ForeignKey(
        RecomputeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    landed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="dashboard_state_one")]

    def __str__(self) -> str:
        return f"generation {self.generation}"


class DashboardRender(models.Model):
    """One default dashboard view, rendered once for one visibility scope.

    `key` names the view and the scope ("portfolio:month:team",
    "channel:12:month:team"); there is one row per key, replaced in place by a
    conditional upsert that never lets an older generation overwrite a newer.
    """

    key = models.CharField(max_length=200, unique=True)
    generation = models.PositiveBigIntegerField()
    run_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField()
    rendered_at = models.DateTimeField()
    render_ms = models.PositiveIntegerField(default=0)
    # Fingerprint of the code that rendered it (kpis.renders.code_version): a
    # deploy that changes a part template or a chart serves no older render.
    code_version = models.CharField(max_length=40, default="", blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} (generation {self.generation})"
