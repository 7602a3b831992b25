"""What the KPI engine adds to the pages and services of the apps below it.

channels_app and partners may not import kpis (imports go downward); they
declare extension points (their `extensions` modules) and `connect()`, called
from KPIsConfig.ready, fills them: the channel page's KPI table and feedback,
the partner page's sales, an objective evaluated when it changes, and a
recompute when an incentive program's costs change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest

from channels_app.channels.models import Channel, ChannelObjective
from channels_app.extensions import channel_page, objective_changed
from partners.extensions import incentive_costs_changed, partner_page, partner_revenue
from partners.models import Partner

from .dashboards.forms import PeriodForm
from .engine import selectors
from .feedback.selectors import recent_feedback
from .modeling.selectors import modeled_figures
from .models import STORED_PERIOD_KINDS


def channel_page_context(*, request: HttpRequest, channel: Channel) -> dict[str, Any]:
    period = PeriodForm(request.GET)
    period.is_valid()
    kind = period.cleaned_data.get("period") or "month"
    return {
        "kpi": selectors.channel_kpi_table(
            channel=channel, kind=kind, count=period.cleaned_data.get("periods") or 12
        ),
        "feedback": recent_feedback(channel=channel),
        "modeled": modeled_figures().get(channel.pk),
        "period_kinds": [(k.value, k.label) for k in STORED_PERIOD_KINDS],
    }


def partner_page_context(*, partner: Partner) -> dict[str, Any]:
    return {"sales": selectors.partner_sales(partner=partner)}


def partner_revenue_context(*, partner_ids: list[int], start: date, end: date) -> dict[str, Any]:
    return {"revenue": selectors.partner_revenue(partner_ids=partner_ids, start=start, end=end)}


def _evaluate_objective(sender: Any, *, objective: ChannelObjective, **kwargs: Any) -> None:
    from .engine.objectives import objective_evaluate

    objective_evaluate(objective=objective)


def _recompute_incentive_costs(
    sender: Any,
    *,
    channel_ids: list[int],
    start: date | None,
    end: date | None,
    requested_by: User | None,
    **kwargs: Any,
) -> None:
    from .engine.recompute import data_changed

    data_changed(channel_ids=channel_ids, start=start, end=end, requested_by=requested_by)


def connect() -> None:
    channel_page.provide("kpis", channel_page_context)
    partner_page.provide("kpis", partner_page_context)
    partner_revenue.provide("kpis", partner_revenue_context)
    objective_changed.connect(_evaluate_objective, dispatch_uid="kpis.evaluate_objective")
    incentive_costs_changed.connect(
        _recompute_incentive_costs, dispatch_uid="kpis.recompute_incentive_costs"
    )
