"""Edits that change what a dashboard shows without a recompute make every
stored dashboard render stale (kpis.renders), in the editing transaction."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from channels_app.audits.models import BrandAudit
from channels_app.channels.models import Channel, ChannelObjective
from partners.models import ConflictCase

from .renders import dashboards_changed

# Conflict cases show on the attention list (open conflicts per channel).
SHOWN_ON_DASHBOARDS = (Channel, ChannelObjective, BrandAudit, ConflictCase)


def _changed(sender: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:  # fixtures load without touching derived state
        dashboards_changed()


def connect() -> None:
    for model in SHOWN_ON_DASHBOARDS:
        uid = f"kpis.dashboards_changed.{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"{uid}.delete")
