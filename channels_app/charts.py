"""Pure Plotly figure builders for channel pages: data in, figure out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .models import BRAND_AUDIT_ITEMS

OVERALL_COLOUR = "#2457c5"
ITEM_COLOURS = ["#1f8a4c", "#b7791f", "#7c3aed", "#c53030", "#0e7490"]


def build_audit_score_figure(
    frame: pd.DataFrame, *, title: str = "Brand audit scores", show_items: bool = True
) -> go.Figure:
    """A channel's brand audit score over time: the overall score as a line
    with markers, and each checklist item as a thin dotted line, hidden until
    clicked in the legend.

    `frame` has one row per audit (see channels_app.selectors.audit_score_frame):
    `audited_on`, `overall` and one column per checklist item. Scores are 1-5,
    so the axis is fixed to that range and a move from 3 to 4 looks its size.
    """
    figure = go.Figure()
    if not frame.empty:
        frame = frame.sort_values("audited_on")
        x = [d.isoformat() for d in frame["audited_on"]]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[round(float(v), 2) for v in frame["overall"]],
                name="Overall",
                mode="lines+markers",
                line={"color": OVERALL_COLOUR, "width": 3},
                marker={"size": 8},
                hovertemplate="%{x|%Y-%m-%d}<br>Overall %{y:.2f}<extra></extra>",
            )
        )
        if show_items:
            for (key, label), colour in zip(BRAND_AUDIT_ITEMS, ITEM_COLOURS, strict=True):
                if key not in frame:
                    continue
                figure.add_trace(
                    go.Scatter(
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
    figure.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        margin={"l": 40, "r": 10, "t": 40, "b": 40},
        height=320,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "y": -0.2},
        hovermode="x unified",
        yaxis={"range": [0.8, 5.2], "dtick": 1, "title": "Score (1-5)", "gridcolor": "#e2e6ec"},
        xaxis={"type": "date", "gridcolor": "#f0f2f5"},
    )
    return figure
