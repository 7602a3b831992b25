"""What the layers above channels_app add to its pages (see
channelhub.lib.extensions): the KPI engine provides the channel page's KPI table
and its recent customer feedback."""

from __future__ import annotations

from django.dispatch import Signal

from channelhub.lib.extensions import PageContext

# The channel page: providers take `request` and `channel` and return template context.
channel_page = PageContext("channel page")

# Sent inside the transaction that created or changed an objective, with the
# keyword argument `objective`: the KPI engine evaluates it against the stored
# snapshots.
objective_changed = Signal()
