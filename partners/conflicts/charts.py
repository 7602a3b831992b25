"""Figures of the conflict dashboard (open cases by age, days to close): pure
Plotly figure builders.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# Young to old: from calm to alarming.
AGE_COLOURS = ["#9db7f0", "#2457c5", "#b7791f", "#c53030"]


RESOLVED_COLOUR = "#1f8a4c"


DISMISSED_COLOUR = "#9ca3af"


def _dashboard_layout(figure: go.Figure, title: str, y_title: str) -> None:
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        height=340,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.18},
        yaxis={"title": y_title, "gridcolor": "#e2e6ec", "rangemode": "tozero"},
        xaxis={"gridcolor": "#f0f2f5"},
    )


def build_open_conflicts_figure(frame: pd.DataFrame, *, title: str = "Open cases") -> go.Figure:
    """Open cases per kind, one horizontal bar each (kind names are long),
    stacked by age bucket, youngest first.

    `frame` has one row per kind and bucket: `kind_label`, `bucket`, `count`
    (rows in display order; zeros included so every kind has its bar). Each
    trace is one bucket: y the kinds (first kind on top), x the counts.
    """
    figure = go.Figure()
    if not frame.empty:
        buckets = list(dict.fromkeys(frame["bucket"]))
        kinds = list(dict.fromkeys(frame["kind_label"]))
        for bucket, colour in zip(buckets, AGE_COLOURS * 2, strict=False):
            part = frame[frame["bucket"] == bucket].set_index("kind_label")["count"]
            figure.add_trace(
                go.Bar(
                    y=kinds,
                    x=[int(part.get(kind, 0)) for kind in kinds],
                    name=bucket,
                    orientation="h",
                    marker={"color": colour},
                    hovertemplate=f"%{{y}}<br>{bucket}: %{{x}}<extra></extra>",
                )
            )
    figure.update_layout(barmode="stack")
    _dashboard_layout(figure, title, "")
    figure.update_layout(
        xaxis={"title": "Open cases", "gridcolor": "#e2e6ec", "rangemode": "tozero"},
        yaxis={"autorange": "reversed", "title": "", "automargin": True},
        margin={"l": 10, "r": 10, "t": 40, "b": 40},
    )
    if frame.empty or frame["count"].groupby(frame["kind_label"]).sum().max() <= 10:
        figure.update_xaxes(dtick=1)
    return figure


def build_time_to_resolve_figure(frame: pd.DataFrame, *, title: str = "Days to close") -> go.Figure:
    """Median days from opening to closing per kind (x), one bar for resolved
    and one for dismissed cases. `frame` has one row per closed case:
    `kind_label`, `status` ("resolved" / "dismissed"), `days`."""
    figure = go.Figure()
    if not frame.empty:
        kinds = list(dict.fromkeys(frame["kind_label"]))
        for status, label, colour in (
            ("resolved", "Resolved", RESOLVED_COLOUR),
            ("dismissed", "Dismissed", DISMISSED_COLOUR),
        ):
            part = frame[frame["status"] == status]
            if part.empty:
                continue
            medians = part.groupby("kind_label")["days"].median()
            counts = part.groupby("kind_label")["days"].count()
            present = [k for k in kinds if k in medians.index]
            figure.add_trace(
                go.Bar(
                    x=present,
                    y=[round(float(medians[k]), 1) for k in present],
                    customdata=[int(counts[k]) for k in present],
                    name=label,
                    marker={"color": colour},
                    hovertemplate=(
                        f"%{{x}}<br>{label}: median %{{y}} days"
                        "<br>%{customdata} case(s)<extra></extra>"
                    ),
                )
            )
    figure.update_layout(barmode="group")
    _dashboard_layout(figure, title, "Median days to close")
    return figure
