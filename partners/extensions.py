"""Extension points of the partners app (see channelhub.lib.extensions).

For the layers above: the KPI engine provides a partner's sales and listens for
changes to incentive terms. Between the app's own sub-domains: the attention
flags and the review schedule follow writes in directory, enablement,
contracts and activity, which send a signal rather than import the packages
that react (those sit above them)."""

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

# Sent inside the transaction of a write that may raise or clear one of the
# partner's attention flags (keyword `partner`); attention refreshes its flags
# once the write commits, so the page shows the truth at once.
partner_attention_changed = Signal()

# Sent inside the transaction that created a partner or changed its status or
# tier (keyword `partner`); activity sets its next review date.
partner_review_schedule_changed = Signal()

# Sent inside the transaction that approved or rejected a deal registration
# (keyword `deal`); the partner portal (partners.access) emails the partner's
# users once it commits.
deal_decided = Signal()

# Sent inside the transaction that approved or rejected a fund claim (keyword
# `claim`); the partner portal (partners.access) emails who filed it once it
# commits.
claim_decided = Signal()

# A partner's revenue over a span of days, for the tier rules (partners.tiering):
# providers take `partner_ids`, `start` and `end` and return
# {"revenue": {partner_id: Decimal}}; the KPI engine provides it from the daily facts.
partner_revenue = PageContext("partner revenue")
