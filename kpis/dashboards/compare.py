"""Compare channels: 2 to 6 channels' KPIs and trends side by side.

Reads stored snapshots in a fixed number of queries whatever the channels
(content.channel_totals for the totals and changes, one query for the points
of the trends). Every channel keeps its colour (kpis.dashboards.colours).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from channelhub.metrics import formulas, periods
from channelhub.metrics.formulas import COMPONENT_NAMES, Components, kpis
from channels_app.channels.models import Channel

from . import charts, content
from .colours import ChannelStyle, channel_style
from .content import Filters

MIN_CHANNELS, MAX_CHANNELS = 2, 6
# The rows of the side-by-side table, in order.
COMPARED_METRICS = (
    "total_cost",
    "revenue",
    "gross_profit",
    "roi",
    "roas",
    "cac",
    "cpl",
    "conversion_rate",
    "ctr",
    "aov",
    "gross_margin_pct",
    "revenue_share",
)
# The trend charts: (metric, title, axis format).
TRENDS = (
    ("roi", "ROI per period", {"tickformat": ".0%"}),
    ("revenue", "Revenue per period", {"tickprefix": None}),
    ("total_cost", "Total cost per period", {"tickprefix": None}),
)


@dataclass
class ComparedChannel:
    channel: Channel
    style: ChannelStyle
    total: content.ChannelTotal | None  # None: no KPIs in the range


@dataclass
class Comparison:
    filters: Filters
    channels: list[ComparedChannel]
    metrics: Sequence[str]
    figures: dict[str, dict[str, Any]]
    has_data: bool

    @property
    def rows(self) -> list[tuple[str, list[tuple[Any, Any, formulas.Comparison | None]]]]:
        """(metric, [(value, thin mark, change against before) per channel])."""
        out = []
        for metric in self.metrics:
            cells: list[tuple[Any, Any, formulas.Comparison | None]] = []
            for c in self.channels:
                if c.total is None:
                    cells.append((None, None, None))
                    continue
                cells.append((c.total.values.get(metric), c.total.thin.get(metric), c.total.change))
            out.append((metric, cells))
        return out


def _trend_figure(
    frame: pd.DataFrame,
    chosen: Sequence[Channel],
    *,
    metric: str,
    title: str,
    axis: dict[str, Any],
    partial: charts.PartialPeriod | None,
) -> go.Figure:
    """One line per chosen channel (all shown), in its style."""
    if frame.empty or frame[metric].dropna().empty:
        return charts.empty_figure(title)
    money = formulas.METRICS[metric].unit == "money"
    hover = charts._money_hover() if money else "%{y:.1%}"
    traces = []
    for channel in chosen:
        rows = frame[frame["channel_id"] == channel.pk].sort_values("period_start")
        if rows.empty:
            continue
        style = channel_style(channel.pk)
        traces += charts._line_traces(
            list(rows["label"]),
            charts._floats(rows[metric]),
            partial=partial,
            name=channel.name,
            line={"width": 2, "color": style.colour, "dash": style.dash},
            marker={"size": 6, "symbol": style.symbol},
            connectgaps=False,
            hovertemplate="%{fullData.name}<br>%{x}: " + hover + "<extra></extra>",
        )
    labels = list(frame.sort_values("period_start")["label"].drop_duplicates())
    traces += charts._partial_legend(labels, partial)
    yaxis: dict[str, Any] = {"title": {"text": formulas.METRICS[metric].label}}
    if money:
        yaxis["tickprefix"] = charts.currency_prefix()
        yaxis["rangemode"] = "tozero"
    else:
        yaxis.update(axis)
    hlines = [charts._hline(0, {"color": charts.MUTED, "width": 1, "dash": "dash"})]
    return charts._figure(
        traces,
        title=title,
        height=340,
        xaxis=charts.PERIOD_AXIS,
        yaxis=yaxis,
        hlines=hlines if metric == "roi" else None,
    )


def compare_channels(*, filters: Filters, chosen: Sequence[Channel]) -> Comparison:
    """The comparison of `chosen` (already limited to what the user sees, in
    the order picked) over the snapped range of `filters`."""
    by_id = {c.pk: c for c in chosen}
    totals = content.channel_totals(filters=filters, channels=by_id)
    found = {t.channel.pk: t for t in totals.table}
    rows = list(
        content._snapshots(filters, content._channel_filter(filters, "channel__"))
        .filter(channel_id__in=list(by_id))
        .values("channel_id", "period_start", *COMPONENT_NAMES)
        .order_by("channel_id", "period_start")
    )
    points = []
    for row in rows:
        values = kpis(
            Components(**{n: row[n] for n in COMPONENT_NAMES}),
            revenue_total=totals.revenue_by_period.get(row["period_start"]),
        )
        points.append(
            {
                "channel_id": row["channel_id"],
                "period_start": row["period_start"],
                "label": periods.label(filters.kind, row["period_start"]),
                **{m: content._float(values[m]) for m, _t, _a in TRENDS},
            }
        )
    frame = pd.DataFrame(
        points, columns=["channel_id", "period_start", "label", *(m for m, _t, _a in TRENDS)]
    )
    partial = content.partial_period(totals.comparison)
    figures = {
        metric: charts.figure_json(
            _trend_figure(frame, chosen, metric=metric, title=title, axis=axis, partial=partial)
        )
        for metric, title, axis in TRENDS
    }
    return Comparison(
        filters=filters,
        channels=[ComparedChannel(c, channel_style(c.pk), found.get(c.pk)) for c in chosen],
        metrics=COMPARED_METRICS,
        figures=figures,
        has_data=bool(rows),
    )
