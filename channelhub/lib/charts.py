"""Plotly figure pieces shared by the apps' chart builders.

Plotly validates every property it is given, one by one: ~10 ms for a themed
layout and ~0.1 ms per trace, per chart and request, more than the rest of a
dashboard request. Builders set known-good properties, so figures here are
assembled from plain data with validation off; every builder's tests check
its output with Plotly's own validators (`go.Figure(figure.to_plotly_json())`).
Titles are {"text": ...}: plotly.js 3 ignores plain-string titles.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go


def trace(trace_type: Any, **properties: Any) -> Any:
    """A trace (go.Scatter, go.Bar, ...) built without per-property validation."""
    return trace_type(_validate=False, **properties)


def figure(traces: Sequence[Any], layout: dict[str, Any]) -> go.Figure:
    """A figure from traces and a layout given as plain data, unvalidated."""
    return go.Figure(data=list(traces), layout=layout, _validate=False)


# Days shown either side of a chart's only date.
SINGLE_DATE_PAD_DAYS = 45


def score_history_figure(
    frame: pd.DataFrame,
    *,
    date_column: str,
    items: Sequence[tuple[str, str]],
    colours: Sequence[str],
    title: str,
    show_items: bool = True,
    overall_colour: str = "#2457c5",
) -> go.Figure:
    """A 1-5 score over time: the overall score as a line with markers, and
    each item (a review criterion, a brand audit checklist item) as a thin
    dotted line, hidden until clicked in the legend. The axis is fixed to
    the 1-5 range, so a move from 3 to 4 looks its size.

    `frame` has one row per review or audit: `date_column`, `overall` and one
    column per item key (a missing column or score is left out).

    One date alone (a single review or audit) would be autoranged by Plotly
    to a millisecond around it ("23:59:59.999 Dec 2 ... 00:00:00.0005"): the
    axis then spans the months around it instead, one tick per month.
    """
    traces = []
    xaxis: dict[str, Any] = {"type": "date", "gridcolor": "#f0f2f5"}
    if not frame.empty:
        frame = frame.sort_values(date_column)
        x = [d.isoformat() for d in frame[date_column]]
        days = set(frame[date_column])
        if len(days) == 1:
            (day,) = days
            pad = timedelta(days=SINGLE_DATE_PAD_DAYS)
            xaxis.update(
                range=[(day - pad).isoformat(), (day + pad).isoformat()],
                dtick="M1",
                tickformat="%b %Y",
            )
        traces.append(
            trace(
                go.Scatter,
                x=x,
                y=[round(float(v), 2) for v in frame["overall"]],
                name="Overall",
                mode="lines+markers",
                line={"color": overall_colour, "width": 3},
                marker={"size": 8},
                hovertemplate="%{x|%Y-%m-%d}<br>Overall %{y:.2f}<extra></extra>",
            )
        )
        shown = zip(items, colours, strict=True) if show_items else []
        for (key, label), colour in shown:
            if key not in frame:
                continue
            traces.append(
                trace(
                    go.Scatter,
                    x=x,
                    y=[None if pd.isna(v) else int(v) for v in frame[key]],
                    name=label,
                    mode="lines+markers",
                    line={"color": colour, "width": 1.5, "dash": "dot"},
                    marker={"size": 5},
                    visible="legendonly",
                    hovertemplate=f"%{{x|%Y-%m-%d}}<br>{label} %{{y}}<extra></extra>",
                )
            )
    return figure(
        traces,
        {
            "title": {"text": title, "x": 0, "font": {"size": 15}},
            "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
            "height": 320,
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "#ffffff",
            "legend": {"orientation": "h", "y": -0.2},
            "hovermode": "x unified",
            "yaxis": {
                "range": [0.8, 5.2],
                "dtick": 1,
                "title": {"text": "Score (1-5)"},
                "gridcolor": "#e2e6ec",
            },
            "xaxis": xaxis,
        },
    )
