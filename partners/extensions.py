"""What the layers above partners add to its pages and hear of its changes
(see channelhub.lib.extensions): the KPI engine provides a partner's sales and
listens for changes to incentive terms."""

from __future__ import annotations

from django.dispatch import Signal

from channelhub.lib.extensions import PageContext

# The partner page: providers take `partner` and return template context.
partner_page = PageContext("partner page")

# Sent inside the transaction that changed what an incentive program costs
# (terms, enrolments, approved claims), with keyword arguments channel_ids,
# start, end and requested_by. The KPI engine recomputes those channels'
# accruals and incentive cost once the transaction commits.
incentive_costs_changed = Signal()
