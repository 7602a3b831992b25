"""Pure Plotly figure builders: a pandas frame in, a Figure out.

One theme for every chart; each channel drawn in its own style
(kpis.dashboards.colours: one colour per channel id), the same on every chart,
page and pack. Labels stay horizontal: period axes show at most
PERIOD_TICKS labels, and channel names sit on the vertical axis. Values
arrive already aggregated (one point per channel, or per channel and period),
never one per daily fact. Builders do no I/O and no formatting beyond axis
units and hover text; they are tested by their traces' data.

The module stays long (about 850 lines) on purpose: each builder is short and
independent, and together they share one theme and colour scheme that a split
would scatter; a reader looks for a chart by its builder's name.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from django.conf import settings

from channelhub.lib.charts import figure, trace
from channelhub.metrics.display import CURRENCY_SYMBOLS

from .colours import ChannelStyle, channel_style

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
GRID = "#e2e6ec"
INK = "#1d2330"
MUTED = "#5f6b7a"
GOOD = "#1f8a4c"
BAD = "#c53030"
WARN = "#b7791f"
BRAND = "#2457c5"


def currency_prefix() -> str:
    code = settings.REPORTING_CURRENCY
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def _money_hover(field: str = "y") -> str:
    return f"{currency_prefix()}%{{{field}:,.2f}}"


# The parts of Plotly's default "plotly" template that cartesian charts use
# (its axis spacing, hover and colour defaults), and nothing else: the full
# template is ~7 KB of 3D, map and polar defaults in every figure's JSON.
COLORWAY = [
    "#636efa",
    "#EF553B",
    "#00cc96",
    "#ab63fa",
    "#FFA15A",
    "#19d3f3",
    "#FF6692",
    "#B6E880",
    "#FF97FF",
    "#FECB52",
]
_TEMPLATE_AXIS = {
    "ticks": "",
    "title": {"standoff": 15},
    "zerolinecolor": "white",
    "automargin": True,
    "zerolinewidth": 2,
}
TEMPLATE: dict[str, Any] = {
    "layout": {
        "autotypenumbers": "strict",
        "colorway": COLORWAY,
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": _TEMPLATE_AXIS,
        "yaxis": _TEMPLATE_AXIS,
        "shapedefaults": {"line": {"color": "#2a3f5f"}},
        "annotationdefaults": {"arrowcolor": "#2a3f5f", "arrowhead": 0, "arrowwidth": 1},
    },
    "data": {"bar": [{"type": "bar", "marker": {"line": {"color": "#E5ECF6", "width": 0.5}}}]},
}
# Never slanted: slanted labels overlap each other and the legend.
X_AXIS = {"gridcolor": "#f0f2f5", "linecolor": GRID, "zeroline": False, "tickangle": 0}
# A period axis labels at most this many periods (13 week labels side by
# side overlap on a phone); hover names every point.
PERIOD_TICKS = 6
PERIOD_AXIS = {"type": "category", "nticks": PERIOD_TICKS}
Y_AXIS = {"gridcolor": GRID, "linecolor": GRID, "zeroline": False}


def _hline(y: float, line: dict[str, Any], text: str = "") -> tuple[dict[str, Any], list[Any]]:
    """A horizontal line across the plot at `y` (and its label at the right
    end): what Figure.add_hline draws, as layout data."""
    shape = {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y, "y1": y}
    label = {
        "text": text, "showarrow": False, "xref": "x domain", "x": 1, "xanchor": "right",
        "yref": "y", "y": y, "yanchor": "bottom",
    }  # fmt: skip
    return {**shape, "line": line}, [label] if text else []


def _figure(
    traces: list[Any],
    *,
    title: str,
    height: int = 360,
    xaxis: dict[str, Any] | None = None,
    yaxis: dict[str, Any] | None = None,
    hlines: list[tuple[dict[str, Any], list[Any]]] | None = None,
    **layout: Any,
) -> go.Figure:
    """A figure in the house theme (channelhub.lib.charts: assembled from
    plain data, unvalidated); `hlines` from _hline."""
    data: dict[str, Any] = {
        "template": copy.deepcopy(TEMPLATE),
        "title": {"text": title, "x": 0, "font": {"size": 15, "color": INK}},
        "font": {"family": FONT, "size": 12, "color": INK},
        "margin": {"l": 60, "r": 20, "t": 48, "b": 16},  # axes and legend push it (automargin)
        "height": height,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"font": {"family": FONT}},
        # At the foot of the chart, not of the plot: slanted period labels
        # never run into it, and the plot shrinks to make room.
        "legend": {
            "orientation": "h",
            "yref": "container",
            "y": 0,
            "yanchor": "bottom",
            "font": {"size": 11},
        },
        "xaxis": {**X_AXIS, **(xaxis or {})},
        "yaxis": {**Y_AXIS, **(yaxis or {})},
        **layout,
    }
    if hlines:
        data["shapes"] = [shape for shape, _ in hlines]
        data["annotations"] = [note for _, notes in hlines for note in notes]
    return figure(traces, data)


def _axis_title(text: str) -> dict[str, str]:
    return {"text": text}


@functools.lru_cache(maxsize=512)
def _empty_figure_json(title: str, message: str, currency: str) -> str:
    note = {
        "text": message, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
        "y": 0.5, "font": {"size": 14, "color": MUTED},
    }  # fmt: skip
    empty = _figure(
        [],
        title=title,
        height=240,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[note],
    )
    return str(empty.to_json())


def empty_figure(title: str, message: str = "No data for these filters yet") -> go.Figure:
    """A titled chart saying why it is empty (kept per title, message and
    currency: a dashboard may show several)."""
    text = _empty_figure_json(title, message, settings.REPORTING_CURRENCY)
    return go.Figure(json.loads(text), _validate=False)


def _floats(series: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else round(float(v), 6) for v in series]


# --- Partial periods (docs/metrics.md section 7) -------------------------------------------

PARTIAL_OPACITY = 0.4  # a partial period's bar, against 1 for the others


@dataclass(frozen=True)
class PartialPeriod:
    """The last period of a chart when it is not over: drawn apart (a dashed
    segment to a hollow marker, a lighter bar) with its own legend entry."""

    label: str
    days: int
    length: int

    @property
    def legend(self) -> str:
        return f"partial ({self.days} of {self.length} days)"


def _is_partial(labels: list[str], partial: PartialPeriod | None) -> bool:
    return partial is not None and bool(labels) and labels[-1] == partial.label


def _line_traces(
    labels: list[str],
    values: list[float | None],
    *,
    partial: PartialPeriod | None,
    name: str,
    line: dict[str, Any],
    marker: dict[str, Any],
    hovertemplate: str,
    **properties: Any,
) -> list[Any]:
    """A line with markers; when its last point is a partial period, the
    segment to it is dashed and its marker hollow (a trace of its own in the
    same legend group, so a legend click shows or hides both)."""
    common = {"mode": "lines+markers", "legendgroup": name, **properties}
    if not _is_partial(labels, partial) or values[-1] is None:
        return [
            trace(
                go.Scatter,
                x=labels,
                y=values,
                name=name,
                line=line,
                marker=marker,
                hovertemplate=hovertemplate,
                **common,
            )
        ]
    assert partial is not None
    size = marker.get("size", 6)
    solid = trace(
        go.Scatter,
        x=labels,
        y=[*values[:-1], None],
        name=name,
        line=line,
        marker=marker,
        hovertemplate=hovertemplate,
        **common,
    )
    tail = 2 if len(values) > 1 and values[-2] is not None else 1
    dashed = trace(
        go.Scatter,
        x=labels[-tail:],
        y=values[-tail:],
        name=name,
        line={**line, "dash": "dash"},
        marker={
            **marker,
            "symbol": ["circle"] * (tail - 1) + ["circle-open"],
            "size": [size] * (tail - 1) + [size + 4],
        },
        hovertemplate=hovertemplate.replace("<extra>", f" ({partial.legend})<extra>"),
        **{**common, "showlegend": False},
    )
    return [solid, dashed]


def _bar_marker(labels: list[str], partial: PartialPeriod | None, colour: str) -> dict[str, Any]:
    """A bar colour, lighter for a partial last period."""
    if not _is_partial(labels, partial):
        return {"color": colour}
    return {"color": colour, "opacity": [1.0] * (len(labels) - 1) + [PARTIAL_OPACITY]}


def _partial_legend(labels: list[str], partial: PartialPeriod | None) -> list[Any]:
    """The legend entry saying what the hollow marker and lighter bar mean."""
    if not _is_partial(labels, partial):
        return []
    assert partial is not None
    return [
        trace(
            go.Scatter,
            x=[None],
            y=[None],
            mode="markers",
            name=partial.legend,
            marker={"symbol": "circle-open", "size": 10, "color": MUTED},
            hoverinfo="skip",
        )
    ]


THIN_LEGEND = "⚠ thin base (see the table)"


def _thin_marks(
    labels: list[str],
    values: list[float | None],
    flags: list[bool],
    *,
    what: str,
    **properties: Any,
) -> list[Any]:
    """A ⚠ over each point whose ratio rests on a thin base (formulas.
    thin_ratios), one legend entry for all of them, hover saying which."""
    points = [
        (label, value)
        for label, value, flag in zip(labels, values, flags, strict=True)
        if flag and value is not None
    ]
    if not points:
        return []
    return [
        trace(
            go.Scatter,
            x=[label for label, _ in points],
            y=[value for _, value in points],
            mode="text",
            text=["⚠"] * len(points),
            textposition="top center",
            textfont={"size": 14, "color": "#8a4b00"},
            name=THIN_LEGEND,
            legendgroup="thin",
            hovertemplate=f"%{{x}}: {what} over a thin base<extra></extra>",
            **properties,
        )
    ]


def _flags(rows: pd.DataFrame, column: str) -> list[bool]:
    return [bool(v) for v in rows[column]] if column in rows else [False] * len(rows)


# --- Portfolio -----------------------------------------------------------------------


def _style(row_id: Any) -> ChannelStyle:
    return channel_style(int(row_id)) if row_id is not None and not pd.isna(row_id) else NEUTRAL


NEUTRAL = ChannelStyle("#64748b", "solid", "circle")


def _name_axis_height(count: int) -> int:
    """A horizontal bar chart's height: every name on its own line."""
    return max(240, 110 + 26 * count)


def build_roi_by_channel_figure(
    frame: pd.DataFrame, *, targets: Mapping[str, float] | None = None
) -> go.Figure:
    """Horizontal bars of each channel's ROI over the range, highest first, in
    the channel's colour (names read level on the vertical axis, however
    many), a break-even line at 0 and a diamond at each channel's ROI
    target. Channels whose ROI is undefined (no cost) are left out: there is
    nothing to draw. A ratio over a thin base (`thin` true) is marked ⚠.

    frame: channel_id, slug, name, roi (fraction), optionally thin.
    """
    title = "ROI by channel"
    data = (
        frame.dropna(subset=["roi"]).sort_values("roi", ascending=False)
        if not frame.empty
        else frame
    )
    if data.empty:
        return empty_figure(title)
    thin = list(data["thin"]) if "thin" in data else [False] * len(data)
    names = [f"{n} ⚠" if t else str(n) for n, t in zip(data["name"], thin, strict=True)]
    rois = _floats(data["roi"])
    colours = [_style(i).colour for i in data["channel_id"]]
    traces = [
        trace(
            go.Bar,
            y=names,
            x=rois,
            orientation="h",
            marker={"color": colours},
            name="ROI",
            customdata=list(data["slug"]),
            hovertemplate="%{y}<br>ROI %{x:.1%}<extra></extra>",
        )
    ]
    if targets:
        with_target = [
            (n, targets[s]) for n, s in zip(names, data["slug"], strict=True) if s in targets
        ]
        if with_target:
            traces.append(
                trace(
                    go.Scatter,
                    y=[n for n, _ in with_target],
                    x=[float(t) for _, t in with_target],
                    mode="markers",
                    name="ROI target",
                    marker={
                        "symbol": "diamond",
                        "size": 11,
                        "color": INK,
                        "line": {"color": "#fff", "width": 1},
                    },
                    hovertemplate="%{y}<br>Target %{x:.1%}<extra></extra>",
                )
            )
    break_even = {
        "type": "line", "yref": "y domain", "y0": 0, "y1": 1, "xref": "x", "x0": 0, "x1": 0,
        "line": {"color": MUTED, "width": 1.5, "dash": "dash"},
    }  # fmt: skip
    return _figure(
        traces,
        title=title,
        height=_name_axis_height(len(names)),
        showlegend=bool(targets),
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
        xaxis={"title": _axis_title("ROI (dashed line: break-even)"), "tickformat": ".0%"},
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
        shapes=[break_even],
    )


# Label placement of the bubble chart, in pixels of a small plot (a phone's):
# a label that would overlap another label or come near another bubble there
# is left out (the legend and the hover still name the channel).
BUBBLE_PLOT_PX = (320.0, 220.0)
# A label keeps this far from other bubbles, so it reads as its own bubble's.
LABEL_CLEARANCE_PX = 8.0
LABEL_CHAR_PX = 6.6
LABEL_HEIGHT_PX = 14.0
_POSITIONS = ("top center", "bottom center", "middle right", "middle left")


@dataclass(frozen=True)
class Box:
    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Box) -> bool:
        return not (
            self.right <= other.left
            or other.right <= self.left
            or self.top <= other.bottom
            or other.top <= self.bottom
        )


def _label_box(x: float, y: float, radius: float, text: str, position: str) -> Box:
    width, height = LABEL_CHAR_PX * len(text) + 4, LABEL_HEIGHT_PX
    vertical, horizontal = position.split()
    if vertical == "top":
        cy = y + radius + height / 2
    elif vertical == "bottom":
        cy = y - radius - height / 2
    else:
        cy = y
    if horizontal == "right":
        cx = x + radius + width / 2
    elif horizontal == "left":
        cx = x - radius - width / 2
    else:
        cx = x
    return Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def place_labels(points: list[tuple[float, float, float, str]]) -> list[tuple[str, Box] | None]:
    """For bubbles (x, y in pixels, radius in pixels, label), a text position
    and its box for each label that fits without overlapping any bubble or
    label placed before it, or None. Biggest bubbles are labelled first."""
    width, height = BUBBLE_PLOT_PX
    pad = LABEL_CLEARANCE_PX
    bubbles = [Box(x - r - pad, y - r - pad, x + r + pad, y + r + pad) for x, y, r, _ in points]
    placed: list[Box] = []
    found: list[tuple[str, Box] | None] = [None] * len(points)
    for i in sorted(range(len(points)), key=lambda i: -points[i][2]):
        x, y, radius, text = points[i]
        for position in _POSITIONS:
            box = _label_box(x, y, radius, text, position)
            inside = box.left >= 0 and box.right <= width and box.bottom >= 0 and box.top <= height
            hits = any(box.overlaps(b) for j, b in enumerate(bubbles) if j != i)
            if inside and not hits and not any(box.overlaps(p) for p in placed):
                placed.append(box)
                found[i] = (position, box)
                break
    return found


def build_cost_revenue_figure(frame: pd.DataFrame) -> go.Figure:
    """Bubbles: x total cost, y revenue, size gross profit, one per channel
    in the channel's colour, labelled with its name where the label fits
    without overlapping (place_labels; otherwise the legend and hover name
    it); a ROAS = 1 diagonal (revenue equals cost). A channel whose gross
    profit is negative is drawn as a hollow bubble of its loss's size.

    frame: channel_id, slug, name, total_cost, revenue, gross_profit.
    """
    title = "Cost vs revenue per channel"
    if frame.empty:
        return empty_figure(title)
    rows = frame.sort_values("name")
    biggest = max(float(rows["gross_profit"].abs().max() or 0), 1.0)
    # Room above and right of the biggest values for their bubbles and labels.
    x_top = max(float(rows["total_cost"].max() or 0), 1.0) * 1.15
    y_top = max(float(rows["revenue"].max() or 0), 1.0) * 1.2
    top = max(x_top, y_top)
    width, height = BUBBLE_PLOT_PX
    sizes = [max(8.0, 48 * (abs(float(p)) / biggest) ** 0.5) for p in rows["gross_profit"]]
    points = [
        (float(c) / x_top * width, float(r) / y_top * height, size / 2, str(name))
        for c, r, size, name in zip(
            rows["total_cost"], rows["revenue"], sizes, rows["name"], strict=True
        )
    ]
    labels = place_labels(points)
    traces = []
    for (_, row), size, label in zip(rows.iterrows(), sizes, labels, strict=True):
        profit = float(row["gross_profit"])
        style = _style(row["channel_id"])
        traces.append(
            trace(
                go.Scatter,
                x=[round(float(row["total_cost"]), 6)],
                y=[round(float(row["revenue"]), 6)],
                mode="markers+text" if label else "markers",
                name=str(row["name"]),
                text=[str(row["name"])] if label else None,
                textposition=label[0] if label else None,
                textfont={"size": 11, "color": INK},
                customdata=[[profit]],
                marker={
                    "size": [size],
                    "color": style.colour,
                    "opacity": 0.8,
                    "symbol": ["circle" if profit >= 0 else "circle-open"],
                    "line": {"width": 1 if profit >= 0 else 2, "color": style.colour},
                },
                hovertemplate=(
                    "<b>%{fullData.name}</b><br>Total cost "
                    + _money_hover("x")
                    + "<br>Revenue "
                    + _money_hover("y")
                    + "<br>Gross profit "
                    + _money_hover("customdata[0]")
                    + "<extra></extra>"
                ),
            )
        )
    traces.append(
        trace(
            go.Scatter,
            x=[0, top],
            y=[0, top],
            mode="lines",
            name="ROAS = 1",
            line={"color": MUTED, "dash": "dash", "width": 1},
            hoverinfo="skip",
        )
    )
    currency = settings.REPORTING_CURRENCY
    return _figure(
        traces,
        title=title,
        height=480,
        showlegend=len(rows) <= LEGEND_CHANNELS,
        xaxis={
            "title": _axis_title(f"Total cost ({currency})"),
            "tickprefix": currency_prefix(),
            "range": [0, x_top],
        },
        yaxis={
            "title": _axis_title(f"Revenue ({currency})"),
            "tickprefix": currency_prefix(),
            "range": [0, y_top],
        },
    )


# A legend of more channels than this is a wall of names: hover names them.
LEGEND_CHANNELS = 20


def build_roi_trend_figure(
    frame: pd.DataFrame,
    *,
    top_n: int = 5,
    legend: int = 20,
    partial: PartialPeriod | None = None,
) -> go.Figure:
    """ROI per period, one line per channel: the `top_n` channels by total
    cost are shown, the next ones up to `legend` in all start hidden (a click
    in the legend shows them); channels past that are left out (a legend of
    two hundred names is unreadable; the filters narrow the choice).

    frame: channel_id, slug, name, period_start, label, roi, total_cost. Each
    line in its channel's style. A `partial` last period ends each line with
    a dashed segment to a hollow marker.
    """
    title = "ROI trend"
    if frame.empty or frame["roi"].dropna().empty:
        return empty_figure(title)
    ranking = frame.groupby("slug")["total_cost"].sum().sort_values(ascending=False)
    kept = list(ranking.index[:legend])
    points: dict[str, tuple[list[str], list[float | None]]] = {slug: ([], []) for slug in kept}
    names: dict[str, str] = {}
    styles: dict[str, ChannelStyle] = {}
    columns = frame[frame["slug"].isin(kept)].sort_values("period_start")
    picked = columns[["slug", "name", "label", "roi", "channel_id"]]
    for slug, name, label, roi, channel_id in picked.itertuples(index=False):
        labels, rois = points[slug]
        labels.append(label)
        rois.append(None if pd.isna(roi) else round(float(roi), 6))
        names[slug] = name
        styles[slug] = _style(channel_id)
    traces = [
        part
        for rank, slug in enumerate(kept)
        for part in _line_traces(
            points[slug][0],
            points[slug][1],
            partial=partial,
            name=str(names[slug]),
            visible=True if rank < top_n else "legendonly",
            line={"width": 2, "color": styles[slug].colour, "dash": styles[slug].dash},
            marker={"size": 6, "symbol": styles[slug].symbol},
            connectgaps=False,
            hovertemplate="%{fullData.name}<br>%{x}: ROI %{y:.1%}<extra></extra>",
        )
    ]
    all_labels = list(columns.sort_values("period_start")["label"].drop_duplicates())
    traces += _partial_legend(all_labels, partial)
    return _figure(
        traces,
        title=title,
        height=380,
        hovermode="closest",
        xaxis=PERIOD_AXIS,
        yaxis={"title": _axis_title("ROI"), "tickformat": ".0%", "rangemode": "tozero"},
        hlines=[_hline(0, {"color": MUTED, "width": 1, "dash": "dash"})],
    )


def build_revenue_share_figure(
    frame: pd.DataFrame,
    *,
    limit: int = 12,
    partial: PartialPeriod | None = None,
) -> go.Figure:
    """Each channel's share of all channels' revenue per period, stacked: the
    market penetration view. The `limit` largest channels get an area each,
    the rest one "Other channels" area (a stack of 200 slivers reads as noise).
    Shares of the shown channels add up to less than 100% when filters hide
    channels. A `partial` last period is shaded, with a legend entry.

    frame: channel_id, slug, name, period_start, label, revenue_share; each
    area in its channel's colour.
    """
    title = "Share of revenue by channel"
    if frame.empty or frame["revenue_share"].dropna().empty:
        return empty_figure(title)
    ordered = frame.sort_values("period_start")
    labels = list(ordered["label"].drop_duplicates())
    shares: dict[str, dict[str, float | None]] = {}
    names: dict[str, str] = {}
    colours: dict[str, str] = {}
    totals: dict[str, float] = {}
    columns = ordered[["slug", "name", "label", "revenue_share", "channel_id"]]
    for slug, name, label, share, channel_id in columns.itertuples(index=False):
        value = None if pd.isna(share) else round(float(share), 6)
        shares.setdefault(slug, {})[label] = value
        names[slug] = name
        colours[slug] = _style(channel_id).colour
        totals[slug] = totals.get(slug, 0.0) + (value or 0.0)
    ranked = sorted(totals, key=lambda s: -totals[s])  # biggest at the bottom
    series: list[tuple[str, list[float | None], str | None]] = [
        (names[slug], [shares[slug].get(label) for label in labels], colours[slug])
        for slug in ranked[:limit]
    ]
    if len(ranked) > limit:
        rest: list[float | None] = [
            round(sum(shares[slug].get(label) or 0.0 for slug in ranked[limit:]), 6)
            for label in labels
        ]
        series.append((f"Other channels ({len(ranked) - limit})", rest, "#cbd5e1"))
    traces = [
        trace(
            go.Scatter,
            x=labels,
            y=values,
            mode="lines",
            stackgroup="share",
            name=name,
            line={"width": 0.5, "color": colour},
            hovertemplate="%{fullData.name}<br>%{x}: %{y:.1%}<extra></extra>",
        )
        for name, values, colour in series
    ]
    shade: dict[str, Any] = {}
    if _is_partial(labels, partial):
        traces += _partial_legend(labels, partial)
        # Category positions are 0, 1, ...: the band covers the last one.
        last = len(labels) - 1
        shade["shapes"] = [
            {
                "type": "rect", "xref": "x", "yref": "paper", "x0": last - 0.5, "x1": last + 0.5,
                "y0": 0, "y1": 1, "fillcolor": "#e2e6ec", "opacity": 0.5, "layer": "below",
                "line": {"width": 0},
            }
        ]  # fmt: skip
    return _figure(
        traces,
        title=title,
        height=380,
        hovermode="x unified",
        **shade,
        xaxis=PERIOD_AXIS,
        yaxis={
            "title": _axis_title("Share of revenue"),
            "tickformat": ".0%",
            "rangemode": "tozero",
        },
    )


# --- One channel -------------------------------------------------------------------------


def build_channel_trend_figure(
    frame: pd.DataFrame, *, partial: PartialPeriod | None = None
) -> go.Figure:
    """Total cost and revenue bars per period, ROI as a line on a second axis
    that starts at zero. A `partial` last period has lighter bars and a
    dashed ROI segment to a hollow marker.

    frame: label, period_start, total_cost, revenue, roi, optionally
    roi_thin (a ⚠ over the point: ROI over a thin base).
    """
    title = "Cost, revenue and ROI"
    if frame.empty:
        return empty_figure(title)
    rows = frame.sort_values("period_start")
    labels = list(rows["label"])
    traces = [
        trace(
            go.Bar,
            x=labels,
            y=_floats(rows["total_cost"]),
            name="Total cost",
            marker=_bar_marker(labels, partial, "#94a3b8"),
            hovertemplate="%{x}<br>Total cost " + _money_hover() + "<extra></extra>",
        ),
        trace(
            go.Bar,
            x=labels,
            y=_floats(rows["revenue"]),
            name="Revenue",
            marker=_bar_marker(labels, partial, BRAND),
            hovertemplate="%{x}<br>Revenue " + _money_hover() + "<extra></extra>",
        ),
        *_line_traces(
            labels,
            _floats(rows["roi"]),
            partial=partial,
            name="ROI",
            yaxis="y2",
            line={"color": WARN, "width": 2.5},
            marker={"size": 6},
            hovertemplate="%{x}<br>ROI %{y:.1%}<extra></extra>",
        ),
        *_thin_marks(
            labels, _floats(rows["roi"]), _flags(rows, "roi_thin"), what="ROI", yaxis="y2"
        ),
        *_partial_legend(labels, partial),
    ]
    return _figure(
        traces,
        title=title,
        height=380,
        barmode="group",
        xaxis=PERIOD_AXIS,
        yaxis={
            "title": _axis_title(settings.REPORTING_CURRENCY),
            "tickprefix": currency_prefix(),
        },
        yaxis2={
            **Y_AXIS,
            "title": _axis_title("ROI"),
            "overlaying": "y",
            "side": "right",
            "tickformat": ".0%",
            "rangemode": "tozero",
            "showgrid": False,
            "zeroline": True,
            "zerolinecolor": MUTED,
        },
    )


FUNNEL_STEPS = [
    ("impressions", "Impressions"),
    ("clicks", "Clicks"),
    ("leads", "Leads"),
    ("orders", "Orders"),
    ("new_customers", "New customers"),
]


def funnel_steps(totals: Mapping[str, int]) -> list[tuple[str, int, float | None]]:
    """(label, count, share of the step before) of each tracked step; steps
    the channel does not track (0) are left out rather than drawn as a cliff."""
    steps: list[tuple[str, int, float | None]] = []
    for key, label in FUNNEL_STEPS:
        value = int(totals.get(key) or 0)
        if value:
            before = steps[-1][1] if steps else None
            steps.append((label, value, round(value / before, 6) if before else None))
    return steps


def build_funnel_figure(totals: Mapping[str, int]) -> go.Figure:
    """The acquisition funnel over the range as horizontal bars on a log
    scale (impressions in millions and orders in tens both read), each bar
    labelled with its count, and each step named with its rate from the step
    before ("Orders<br>2.0% of clicks"): the rates are what a manager acts on."""
    title = "Funnel"
    steps = funnel_steps(totals)
    if not steps:
        return empty_figure(title, "No funnel data tracked for this range")
    # Each step's rate from the one before under its name (the axis makes
    # room for it), its count at the end of its bar.
    names = []
    for i, (label, _value, rate) in enumerate(steps):
        names.append(
            label if rate is None else f"{label}<br>{rate:.1%} of {steps[i - 1][0].lower()}"
        )
    bars = trace(
        go.Bar,
        y=names,
        x=[value for _, value, _ in steps],
        orientation="h",
        text=[f"{value:,}" for _, value, _ in steps],
        textposition="outside",
        cliponaxis=False,
        marker={"color": BRAND},
        name="Funnel",
        showlegend=False,
        hovertemplate="%{y}: %{x:,}<extra></extra>",
    )
    largest = max(value for _, value, _ in steps)
    return _figure(
        [bars],
        title=title,
        height=max(240, 110 + 46 * len(steps)),  # two lines per step name
        # Room on the right for the outside labels of the longest bar.
        xaxis={
            "type": "log",
            "title": _axis_title("Count (log scale)"),
            "range": [0, math.log10(largest) + 1.3],
        },
        yaxis={"type": "category", "autorange": "reversed", "automargin": True},
    )


def build_cac_cpl_figure(frame: pd.DataFrame, *, partial: PartialPeriod | None = None) -> go.Figure:
    """Customer acquisition cost and cost per lead per period (a `partial`
    last period: dashed to a hollow marker).

    frame: label, period_start, cac, cpl, optionally cac_thin and cpl_thin.
    """
    title = "CAC and CPL"
    if frame.empty or (frame["cac"].dropna().empty and frame["cpl"].dropna().empty):
        return empty_figure(title, "No leads or new customers in this range")
    rows = frame.sort_values("period_start")
    labels = list(rows["label"])
    traces = [
        part
        for column, name, colour in (("cac", "CAC", BRAND), ("cpl", "CPL", WARN))
        for part in _line_traces(
            labels,
            _floats(rows[column]),
            partial=partial,
            name=name,
            line={"color": colour, "width": 2},
            marker={"size": 6},
            hovertemplate="%{x}<br>" + name + " " + _money_hover() + "<extra></extra>",
        )
    ]
    marked = False
    for column, name in (("cac", "CAC"), ("cpl", "CPL")):
        flags = _flags(rows, f"{column}_thin")
        # One legend entry for the marks of both lines.
        extra = {"showlegend": False} if marked else {}
        marks = _thin_marks(labels, _floats(rows[column]), flags, what=name, **extra)
        marked = marked or bool(marks)
        traces += marks
    traces += _partial_legend(labels, partial)
    return _figure(
        traces,
        title=title,
        height=320,
        xaxis=PERIOD_AXIS,
        yaxis={
            "title": _axis_title(settings.REPORTING_CURRENCY),
            "tickprefix": currency_prefix(),
            "rangemode": "tozero",
        },
    )


def build_inventory_turnover_figure(
    frame: pd.DataFrame, *, partial: PartialPeriod | None = None
) -> go.Figure:
    """COGS / average daily inventory per period (not annualised), from zero;
    a `partial` last period's bar is lighter.

    frame: label, period_start, inventory_turnover.
    """
    title = "Inventory turnover"
    if frame.empty or frame["inventory_turnover"].dropna().empty:
        return empty_figure(title, "This channel reports no inventory")
    rows = frame.sort_values("period_start")
    labels = list(rows["label"])
    bars = trace(
        go.Bar,
        x=labels,
        y=_floats(rows["inventory_turnover"]),
        marker=_bar_marker(labels, partial, "#7c3aed"),
        name="Turnover",
        showlegend=False,
        hovertemplate="%{x}<br>Turnover %{y:.2f}×<extra></extra>",
    )
    return _figure(
        [bars, *_partial_legend(labels, partial)],
        title=title,
        height=320,
        xaxis=PERIOD_AXIS,
        yaxis={
            "title": _axis_title("Times per period"),
            "ticksuffix": "×",
            "rangemode": "tozero",
        },
    )


def build_objective_history_figure(
    frame: pd.DataFrame,
    *,
    metric_label: str,
    target: float,
    unit: str,
    partial: PartialPeriod | None = None,
) -> go.Figure:
    """One objective's metric to date, period by period, against its target
    (a dashed line): a sum accumulates over the window, a ratio is the ratio of
    the accumulated components.

    frame: label, period_start, value. `unit` is money / percent / count /
    multiple / score, for the axis format.
    """
    title = f"{metric_label} to date against its target"
    if frame.empty or frame["value"].dropna().empty:
        return empty_figure(title, "No data in the objective's window yet")
    rows = frame.sort_values("period_start")
    tick = {"percent": {"tickformat": ".0%"}, "money": {"tickprefix": currency_prefix()}}.get(
        unit, {}
    )
    hover = {"percent": "%{y:.1%}", "money": _money_hover()}.get(unit, "%{y:,.2f}")
    labels = list(rows["label"])
    lines = _line_traces(
        labels,
        _floats(rows["value"]),
        partial=partial,
        name=metric_label,
        showlegend=False,
        line={"color": BRAND, "width": 2},
        marker={"size": 6},
        hovertemplate="%{x}<br>" + hover + "<extra></extra>",
    )
    return _figure(
        [*lines, *_partial_legend(labels, partial)],
        title=title,
        height=300,
        xaxis=PERIOD_AXIS,
        yaxis={"title": _axis_title(metric_label), **tick},
        hlines=[_hline(float(target), {"color": WARN, "dash": "dash"}, "Target")],
    )


def figure_json(figure: go.Figure) -> dict[str, Any]:
    """A figure as plain data for json_script (the page draws it with Plotly.js)."""
    return figure.to_plotly_json()
