"""What the dashboards show: the portfolio and one channel's dashboard, for a
set of filters (`Filters`). The attention list is kpis.dashboards.attention.

Everything here reads stored snapshots (only the comparisons, in
kpis.dashboards.comparisons, sum the days of a cut period from the day-level
data), aggregates in the database where it can, and runs a fixed number of
queries whatever the number of channels and periods. Figures are built by
kpis.dashboards.charts from the frames made here; every KPI value comes from
channelhub.metrics.formulas.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import pandas as pd
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from channelhub.metrics import formulas, periods
from channelhub.metrics.formulas import (
    COMPONENT_NAMES,
    Components,
    kpis,
)
from channels_app.audits.charts import build_audit_score_figure
from channels_app.audits.selectors import audit_score_frame
from channels_app.channels.models import Channel, ChannelObjective
from channels_app.channels.selectors import channel_list, objective_list
from kpis.models import NO_PARTNER, ChannelDataState, KpiSnapshot

from . import charts
from .comparisons import ScopeComparison, compare_scope

DASHBOARD_KINDS = ("week", "month", "quarter")
DEFAULT_PERIODS = {"week": 13, "month": 12, "quarter": 8}
HEADLINE_METRICS = ("total_cost", "revenue", "gross_profit", "roi", "roas", "cac")
TOP_N = 5  # channels the ROI trend shows
TREND_LEGEND = 20  # channels in its legend (the costliest)
# The components a chart point needs (ROI, revenue share, total cost).
SERIES_COMPONENTS = ("spend", "incentive_cost", "revenue", "cogs")


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows; lives in the URL so a view can be bookmarked."""

    kind: str = "month"
    start: date | None = None
    end: date | None = None
    channel_kind: str = ""
    route: str = ""
    status: str = ""
    owner: int | None = None

    @property
    def is_default(self) -> bool:
        return self == Filters(kind=self.kind)

    def query(self, **overrides: Any) -> str:
        values = {
            "period": self.kind,
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "kind": self.channel_kind,
            "route": self.route,
            "status": self.status,
            "owner": self.owner or "",
            **overrides,
        }
        return urlencode({k: v for k, v in values.items() if v})

    def snapped(self, latest: date | None) -> Filters:
        """Whole periods: the range widened to period bounds, defaults filled in
        (the last DEFAULT_PERIODS periods up to the latest data)."""
        end_day = self.end or latest or timezone.localdate()
        end = periods.period_end(self.kind, periods.period_start(self.kind, end_day))
        if self.start:
            start = periods.period_start(self.kind, min(self.start, end))
        else:
            start = periods.period_start(self.kind, end)
            for _ in range(DEFAULT_PERIODS[self.kind] - 1):
                start = periods.previous_start(self.kind, start)
        return replace(self, start=start, end=end)


def _channel_filter(filters: Filters, prefix: str = "") -> Q:
    q = Q()
    if filters.channel_kind:
        q &= Q(**{f"{prefix}kind": filters.channel_kind})
    if filters.route:
        q &= Q(**{f"{prefix}route": filters.route})
    if filters.status:
        q &= Q(**{f"{prefix}status": filters.status})
    if filters.owner:
        q &= Q(**{f"{prefix}owner_id": filters.owner})
    return q


def channel_filter(filters: Filters) -> Q:
    """The channels a dashboard's filters keep, as a condition on Channel."""
    return _channel_filter(filters)


def _float(value: Any) -> float | None:
    """Chart data is floats (exact Decimals stay in tables and exports)."""
    return None if value is None else float(value)


def latest_fact_day() -> date | None:
    """The last day with facts, as the dashboards' default range ends: never
    after today (one row dated two years ahead, which an import allows, moved
    every user's default view to an empty future)."""
    latest = ChannelDataState.objects.aggregate(latest=Max("last_fact_day"))["latest"]
    return None if latest is None else min(latest, timezone.localdate())


def _snapshots(filters: Filters, channel_q: Q) -> QuerySet[KpiSnapshot]:
    return KpiSnapshot.objects.filter(
        channel_q,
        period_kind=filters.kind,
        partner_key=NO_PARTNER,
        period_start__gte=filters.start,
        period_start__lte=filters.end,
    )


def revenue_totals(filters: Filters) -> dict[date, Decimal]:
    """Revenue of every channel (every status, whatever the filters) per period."""
    rows = (
        _snapshots(filters, Q())
        .order_by()  # no join to channels for Meta.ordering
        .values("period_start")
        .annotate(total=Sum("revenue"))
        .values_list("period_start", "total")
    )
    return dict(rows)


@dataclass
class ChannelTotal:
    channel: Channel
    components: Components
    values: dict[str, Any]
    periods: int
    complete: bool  # the channel has facts up to the end of the range
    change: formulas.Comparison | None = None  # against before, this channel's own coverage

    @property
    def thin(self) -> dict[str, formulas.Thin]:
        """The ratios over a thin base (docs/metrics.md s3): marked ⚠."""
        return formulas.thin_ratios(self.components)


@dataclass
class Portfolio:
    filters: Filters
    headline: dict[str, Any]
    comparison: ScopeComparison
    table: list[ChannelTotal]
    objectives: list[ChannelObjective]
    figures: dict[str, dict[str, Any]]
    period_labels: list[str]
    has_data: bool
    complete_through: date | None = None
    notes: list[str] = field(default_factory=list)
    # For the ROI trend's caption.
    trend_shown: ClassVar[int] = TOP_N
    trend_kept: ClassVar[int] = TREND_LEGEND


@dataclass
class Totals:
    """The KPIs of a set of channels over a range, each channel's and all
    together, with their changes (compare_scope)."""

    channels: dict[int, Channel]
    table: list[ChannelTotal]  # by revenue, highest first
    headline: dict[str, Any]
    comparison: ScopeComparison
    revenue_by_period: dict[date, Decimal]

    @property
    def thin(self) -> dict[str, formulas.Thin]:
        return formulas.thin_ratios(Components.total([t.components for t in self.table]))


def visible_channels(
    *, user: Any, scope: str | None, filters: Filters, channel_ids: Collection[int] | None
) -> dict[int, Channel]:
    visible = channel_list(user=user, scope=scope).filter(_channel_filter(filters))
    if channel_ids is not None:
        visible = visible.filter(pk__in=channel_ids)
    return {c.pk: c for c in visible}


def channel_totals(
    *,
    filters: Filters,
    channels: Mapping[int, Channel],
    channel_changes: bool = True,
    metrics: Collection[str] = HEADLINE_METRICS,
) -> Totals:
    """Each of `channels`' components and KPIs over the snapped range of
    `filters`, summed in the database, and their changes against before and
    last year: a fixed number of queries whatever the number of channels."""
    start, end = filters.start, filters.end
    assert start is not None and end is not None, "snap the filters first"
    shown = _snapshots(filters, _channel_filter(filters, "channel__")).filter(
        channel_id__in=list(channels)
    )
    sums = {name: Sum(name) for name in COMPONENT_NAMES}
    per_channel = shown.order_by().values("channel_id").annotate(periods=Count("pk"), **sums)
    by_period = revenue_totals(filters)
    all_revenue = sum(by_period.values(), Decimal(0))
    last_days = dict(
        ChannelDataState.objects.filter(channel_id__in=list(channels)).values_list(
            "channel_id", "last_fact_day"
        )
    )
    table = []
    for row in per_channel:
        channel_id = row["channel_id"]
        last = last_days.get(channel_id)
        total = Components.from_mapping(row)
        table.append(
            ChannelTotal(
                channel=channels[channel_id],
                components=total,
                values=kpis(total, revenue_total=all_revenue),
                periods=row["periods"],
                complete=last is not None and end <= last,
            )
        )
    table.sort(key=lambda t: (-t.values["revenue"], t.channel.name))
    everything = Components.total([t.components for t in table])
    comparison = compare_scope(
        kind=filters.kind,
        start=start,
        end=end,
        last_day=max((d for d in last_days.values() if d), default=None),
        current={t.channel.pk: t.components for t in table},
        channel_ids=list(channels),
        metrics=metrics,
        per_channel=channel_changes,
    )
    for t in table:
        t.change = comparison.channels_before.get(t.channel.pk)
    return Totals(
        channels=dict(channels),
        table=table,
        headline=kpis(everything, revenue_total=all_revenue),
        comparison=comparison,
        revenue_by_period=by_period,
    )


def portfolio(
    *,
    user: Any = None,
    scope: str | None = None,
    filters: Filters,
    channel_ids: Collection[int] | None = None,
    channel_changes: bool = True,
) -> Portfolio:
    """The portfolio dashboard for `filters` (already snapped to whole periods),
    of the channels the user (or the scope) sees, optionally only `channel_ids`
    (a review pack's selection; revenue share still counts every channel).
    `channel_changes` adds each channel's change against before (the table's
    change columns, packs)."""
    start, end = filters.start, filters.end
    assert start is not None and end is not None, "snap the filters first"
    channels = visible_channels(user=user, scope=scope, filters=filters, channel_ids=channel_ids)
    shown = _snapshots(filters, _channel_filter(filters, "channel__")).filter(
        channel_id__in=channels
    )
    # One point per channel and period for the charts: only what they plot.
    rows = list(
        shown.values("channel_id", "period_start", *SERIES_COMPONENTS).order_by(
            "channel_id", "period_start"
        )
    )
    found = channel_totals(filters=filters, channels=channels, channel_changes=channel_changes)
    totals = found.revenue_by_period
    series = []
    for row in rows:
        channel = channels[row["channel_id"]]
        components = Components(**{n: row[n] for n in SERIES_COMPONENTS})
        revenue_total = totals.get(row["period_start"])
        series.append(
            {
                "channel_id": channel.pk,
                "slug": channel.slug,
                "name": channel.name,
                "period_start": row["period_start"],
                "label": periods.label(filters.kind, row["period_start"]),
                "roi": _float(formulas.roi(components)),
                "revenue_share": _float(formulas.revenue_share(components, revenue_total)),
                "total_cost": _float(formulas.total_cost(components)),
            }
        )
    table, headline, comparison = found.table, found.headline, found.comparison
    objectives = list(
        objective_list(user=user, scope=scope)
        .filter(_channel_filter(filters, "channel__"), channel_id__in=channels)
        .filter(start_date__lte=filters.end, end_date__gte=filters.start)
        .order_by("evaluation__status", "end_date")
    )
    roi_targets = {o.channel.slug: float(o.target) for o in objectives if o.metric == "roi"}
    table_frame = pd.DataFrame(
        [
            {
                "channel_id": t.channel.pk,
                "slug": t.channel.slug,
                "name": t.channel.name,
                "roi": _float(t.values["roi"]),
                "thin": "roi" in t.thin,
                "total_cost": _float(t.values["total_cost"]),
                "revenue": _float(t.values["revenue"]),
                "gross_profit": _float(t.values["gross_profit"]),
            }
            for t in table
        ],
        columns=[
            "channel_id",
            "slug",
            "name",
            "roi",
            "thin",
            "total_cost",
            "revenue",
            "gross_profit",
        ],
    )
    series_frame = pd.DataFrame(
        series,
        columns=[
            "channel_id",
            "slug",
            "name",
            "period_start",
            "label",
            "roi",
            "revenue_share",
            "total_cost",
        ],
    )
    figures = {
        "roi_by_channel": charts.build_roi_by_channel_figure(table_frame, targets=roi_targets),
        "cost_revenue": charts.build_cost_revenue_figure(table_frame),
        "roi_trend": charts.build_roi_trend_figure(
            series_frame,
            top_n=TOP_N,
            legend=TREND_LEGEND,
            partial=partial_period(comparison),
        ),
        "revenue_share": charts.build_revenue_share_figure(
            series_frame, partial=partial_period(comparison)
        ),
    }
    return Portfolio(
        filters=filters,
        headline=headline,
        comparison=comparison,
        table=table,
        objectives=objectives,
        figures={k: charts.figure_json(f) for k, f in figures.items()},
        period_labels=[p.label for p in periods.periods_between(filters.kind, start, end)],
        has_data=bool(rows),
    )


def partial_period(comparison: ScopeComparison) -> charts.PartialPeriod | None:
    """The charts' partial last period: the one the compared span ends in,
    when the scope's facts stop before its end."""
    spans = comparison.spans
    if not spans.is_partial:
        return None
    start = periods.period_start(spans.current.kind, spans.current.end)
    return charts.PartialPeriod(
        label=periods.label(spans.current.kind, start),
        days=spans.last_period_days,
        length=spans.last_period_length,
    )


# --- One channel ---------------------------------------------------------------------------


@dataclass
class ChannelDashboard:
    channel: Channel
    filters: Filters
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    objectives: list[ChannelObjective]
    figures: dict[str, dict[str, Any]]
    objective_figures: list[tuple[ChannelObjective, dict[str, Any]]]
    state: ChannelDataState | None
    comparison: ScopeComparison


def _audit_figure(channel: Channel) -> Any:
    """The brand audit score trend (every audit, whatever the date range: they
    come a few times a year). Two small queries."""
    frame = audit_score_frame(channel=channel)
    if frame.empty:
        return charts.empty_figure("Brand audit scores", "No brand audit recorded yet")
    return build_audit_score_figure(frame)


def channel_dashboard(
    *,
    user: Any = None,
    scope: str | None = None,
    channel: Channel,
    filters: Filters,
    totals_by_period: Mapping[date, Decimal] | None = None,
) -> ChannelDashboard:
    """One channel's dashboard for snapped `filters`. `totals_by_period`, the
    revenue of every channel per period (revenue_totals), may be passed by a
    caller that builds many channels' dashboards over the same range."""
    snapshots = list(
        _snapshots(filters, Q(channel_id=channel.pk))
        .values("period_start", "period_end", *COMPONENT_NAMES)
        .order_by("period_start")
    )
    if totals_by_period is None:
        totals_by_period = revenue_totals(filters)
    state = ChannelDataState.objects.filter(channel=channel).first()
    last = state.last_fact_day if state else None
    rows = []
    for snap in snapshots:
        components = Components(**{n: snap[n] for n in COMPONENT_NAMES})
        rows.append(
            {
                "period_start": snap["period_start"],
                "period_end": snap["period_end"],
                "label": periods.label(filters.kind, snap["period_start"]),
                "complete": last is not None and snap["period_end"] <= last,
                "components": components,
                "thin": formulas.thin_ratios(components),
                **kpis(components, revenue_total=totals_by_period.get(snap["period_start"])),
            }
        )
    frame = pd.DataFrame(
        [
            {
                **r,
                "roi_thin": "roi" in r["thin"],
                "cac_thin": "cac" in r["thin"],
                "cpl_thin": "cpl" in r["thin"],
            }
            for r in rows
        ],
        columns=[
            "label",
            "period_start",
            "total_cost",
            "revenue",
            "roi",
            "cac",
            "cpl",
            "inventory_turnover",
            "roi_thin",
            "cac_thin",
            "cpl_thin",
        ],
    )
    total = Components.total([r["components"] for r in rows])
    totals = kpis(total, revenue_total=sum(totals_by_period.values(), Decimal(0)))
    comparison = compare_scope(
        kind=filters.kind,
        start=filters.start,  # type: ignore[arg-type]
        end=filters.end,  # type: ignore[arg-type]
        last_day=last,
        current={channel.pk: total},
        channel_ids=[channel.pk],
        metrics=HEADLINE_METRICS,
    )
    partial = partial_period(comparison)
    objectives = list(objective_list(user=user, scope=scope, channel=channel).order_by("-end_date"))
    objective_figures = []
    for objective in objectives:
        # To date inside the window: sums accumulate, ratios come from the
        # accumulated components, so the line ends where the status is judged.
        running = Components()
        running_total = Decimal(0)
        history_rows = []
        for r in sorted(rows, key=lambda r: r["period_start"]):
            if r["period_end"] < objective.start_date or r["period_start"] > objective.end_date:
                continue
            running = running + r["components"]
            running_total += totals_by_period.get(r["period_start"]) or Decimal(0)
            value = kpis(running, revenue_total=running_total)[objective.metric]
            history_rows.append(
                {"label": r["label"], "period_start": r["period_start"], "value": value}
            )
        history = pd.DataFrame(history_rows, columns=["label", "period_start", "value"])
        figure = charts.build_objective_history_figure(
            history,
            metric_label=objective.metric_label,
            target=float(objective.target),
            unit=objective.unit,
            partial=partial,
        )
        objective_figures.append((objective, charts.figure_json(figure)))
    figures = {
        "trend": charts.build_channel_trend_figure(frame, partial=partial),
        "funnel": charts.build_funnel_figure(
            {k: int(totals[k] or 0) for k, _ in charts.FUNNEL_STEPS}
        ),
        "cac_cpl": charts.build_cac_cpl_figure(frame, partial=partial),
        "inventory": charts.build_inventory_turnover_figure(frame, partial=partial),
        "audits": _audit_figure(channel),
    }
    return ChannelDashboard(
        channel=channel,
        filters=filters,
        rows=list(reversed(rows)),
        totals=totals,
        objectives=objectives,
        figures={k: charts.figure_json(f) for k, f in figures.items()},
        objective_figures=objective_figures,
        state=state,
        comparison=comparison,
    )
