"""Plotly figure pieces shared by the apps' chart builders.

Plotly validates every property it is given, one by one: ~10 ms for a themed
layout and ~0.1 ms per trace, per chart and request, more than the rest of a
dashboard request. Builders set known-good properties, so figures here are
assembled from plain data with validation off; every builder's tests check
its output with Plotly's own validators (`go.Figure(figure.to_plotly_json())`).
Titles are {"text": ...}: plotly.js 3 ignores plain-string titles.
"""

from __future__ import annotations

import re
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


# --- What a chart says in words: its accessible name and its data as a table ---


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("text", "")
    return str(value or "").replace("<br>", " ")


def figure_title(figure: Any) -> str:
    """The chart's title (plotly.js 3 titles are {"text": ...})."""
    layout = figure.get("layout") or {}
    return _text(layout.get("title")) or "Chart"


def _axis(layout: dict[str, Any], name: str) -> dict[str, Any]:
    axis = layout.get(name)
    return axis if isinstance(axis, dict) else {}


def _cell(value: Any, axis: dict[str, Any]) -> str:
    """A value as the chart's axis shows it: percent, currency prefix, thousands."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if "%" in str(axis.get("tickformat", "")):
        return f"{value * 100:,.1f}%"
    text = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 1000 else f"{value:,.2f}"
    prefix = str(axis.get("tickprefix", ""))
    return f"-{prefix}{text[1:]}" if prefix and text.startswith("-") else f"{prefix}{text}"


def _listed(values: Any) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, dict):  # plotly's typed arrays: {"dtype": ..., "bdata": ...}
        return []
    return list(values)


def figure_table(figure: Any) -> tuple[list[str], list[list[str]]]:
    """The figure's data as (column headings, rows), for the table shown
    beside the chart: one row per category or date with a column per series
    when the series share their categories, else one row per point."""
    layout = figure.get("layout") or {}
    xaxis, yaxis = _axis(layout, "xaxis"), _axis(layout, "yaxis")
    traces = [t for t in figure.get("data") or [] if isinstance(t, dict)]
    # Pies: labels and values.
    pies = [t for t in traces if t.get("labels") is not None]
    if pies:
        pie = pies[0]
        values = _listed(pie.get("values"))
        labels = _listed(pie.get("labels"))
        return ["", _text(pie.get("name")) or "Value"], [
            [str(label), _cell(value, {})] for label, value in zip(labels, values, strict=False)
        ]
    series = []
    for t in traces:
        x, y = _listed(t.get("x")), _listed(t.get("y"))
        if not x or not y:
            continue
        horizontal = t.get("orientation") == "h" or t.get("type") == "funnel"
        keys, values = (y, x) if horizontal else (x, y)
        value_axis = xaxis if horizontal else _axis(layout, _yaxis_name(t))
        series.append((_text(t.get("name")) or "Value", keys, values, value_axis, t))
    if not series:
        return [], []
    key_title = _text((yaxis if series[0][4].get("orientation") == "h" else xaxis).get("title"))
    first_keys = series[0][1]
    if all(keys == first_keys for _, keys, _, _, _ in series):
        headings = [key_title] + [name for name, *_ in series]
        rows = [
            [_plain(key)] + [_cell(values[i], axis) for _, _, values, axis, _ in series]
            for i, key in enumerate(first_keys)
        ]
        return headings, rows
    x_title = _text(xaxis.get("title")) or "x"
    y_title = _text(yaxis.get("title")) or "y"
    rows = []
    for name, _keys, _values, axis, t in series:
        labels = _listed(t.get("text")) or [""] * len(_listed(t.get("x")))
        for label, x, y in zip(labels, _listed(t.get("x")), _listed(t.get("y")), strict=False):
            rows.append([name, str(label), _cell(x, xaxis), _cell(y, axis)])
    return ["Series", "", x_title, y_title], rows


def _plain(key: Any) -> str:
    """A category as text: a two-line axis label ("Clicks<br>2.5% of
    impressions") reads as one line in the table."""
    text = re.sub(r"<br\s*/?>", ", ", str(key))
    return re.sub(r"<[^>]+>", "", text)


def _yaxis_name(trace_data: dict[str, Any]) -> str:
    name = str(trace_data.get("yaxis") or "y")
    return "yaxis" + name[1:]


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def compact_figure(figure: dict[str, Any]) -> dict[str, Any]:
    """The figure with every number kept to 6 significant digits (what any
    axis or hover label shows), so pages carry less JSON."""
    return {key: _rounded(value) for key, value in figure.items()}
