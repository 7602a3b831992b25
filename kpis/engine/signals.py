"""What the engine tells the layers above it, without importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that changed what the figures show: a recompute
# landing (`run_id` = the run) or objectives re-evaluated (`run_id` = None).
# kpis.dashboards marks its stored renders stale (kpis.dashboards.signals).
figures_changed = Signal()
