"""What makes every stored dashboard render stale (kpis.dashboards.renders), in
the transaction that changed it: the engine's figures changing (a recompute
landing, objectives re-evaluated: kpis.engine.signals.figures_changed), and
edits that change what a dashboard shows without a recompute."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from channels_app.audits.models import BrandAudit
from channels_app.channels.models import Channel, ChannelObjective
from kpis.engine.signals import figures_changed
from partners.models import ConflictCase

from .renders import dashboards_changed

# Conflict cases show on the attention list (open conflicts per channel).
SHOWN_ON_DASHBOARDS = (Channel, ChannelObjective, BrandAudit, ConflictCase)


def _changed(sender: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures load without touching derived state
        dashboards_changed()


def _figures_changed(sender: Any, *, run_id: int | None = None, **kwargs: Any) -> None:
    dashboards_changed(run_id=run_id)


def connect() -> None:
    figures_changed.connect(_figures_changed, dispatch_uid="kpis.dashboards_changed.figures")
    for model in SHOWN_ON_DASHBOARDS:
        uid = f"kpis.dashboards_changed.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
