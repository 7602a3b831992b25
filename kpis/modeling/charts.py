"""Plotly figures of the modeled ROI page, built from stored results (no I/O):
attributed against modeled ROAS with intervals, and each channel's response
curve with its band and today's spend marked."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.conf import settings

from channelhub.lib.charts import figure, trace
from channelhub.metrics.display import CURRENCY_SYMBOLS
from kpis.models import ChannelModelResult

FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
INK = "#1d2330"
GRID = "#e2e6ec"
ATTRIBUTED = "#94a3b8"
MODELED = "#2457c5"
BAND = "rgba(36, 87, 197, 0.18)"


def _currency() -> str:
    code = settings.REPORTING_CURRENCY
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "x": 0, "font": {"size": 15, "color": INK}},
        "font": {"family": FONT, "size": 12, "color": INK},
        "margin": {"l": 60, "r": 20, "t": 48, "b": 16},
        "height": height,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
        "xaxis": {"gridcolor": "#f0f2f5", "linecolor": GRID, "zeroline": False, "automargin": True},
        "yaxis": {"gridcolor": GRID, "linecolor": GRID, "zeroline": False, "automargin": True},
        **extra,
    }


def roas_figure(results: list[ChannelModelResult]) -> go.Figure:
    """Per channel: attributed ROAS beside modeled ROAS with its 90% interval.
    Horizontal bars: every channel name reads level on its own line, however
    many channels there are (labels are never slanted)."""
    shown = [r for r in results if r.incremental_roas is not None][::-1]  # first on top
    names = [r.name for r in shown]
    modeled = [r.incremental_roas for r in shown]
    plus = [max((r.roas_high or 0) - (r.incremental_roas or 0), 0) for r in shown]
    minus = [max((r.incremental_roas or 0) - (r.roas_low or 0), 0) for r in shown]
    money = _currency()
    traces = [
        trace(
            go.Bar,
            name="Attributed ROAS",
            y=names,
            x=[r.attributed_roas for r in shown],
            orientation="h",
            marker={"color": ATTRIBUTED},
            hovertemplate="%{y}: attributed %{x:.2f}<extra></extra>",
        ),
        trace(
            go.Bar,
            name="Modeled ROAS (90% interval)",
            y=names,
            x=modeled,
            orientation="h",
            marker={"color": MODELED},
            error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus},
            hovertemplate="%{y}: modeled %{x:.2f}<extra></extra>",
        ),
    ]
    return figure(
        traces,
        _layout(
            "Attributed against modeled ROAS",
            max(260, 120 + 34 * len(shown)),
            barmode="group",
            xaxis={
                "title": {"text": f"Sales per {money}1 of cost"},
                "gridcolor": "#f0f2f5",
                "linecolor": GRID,
                "zeroline": False,
                "automargin": True,
            },
            yaxis={"linecolor": GRID, "automargin": True, "tickangle": 0},
            legend={
                "orientation": "h",
                "yref": "container",
                "y": 0,
                "yanchor": "bottom",
                "traceorder": "reversed",
            },
        ),
    )


def curve_figure(result: ChannelModelResult) -> go.Figure:
    """Daily cost held steady -> daily incremental revenue, its band, and the
    window's average daily cost marked (where "the next $1" is read; the
    planner's today is the last 13 weeks' pace)."""
    curve = result.curve or {}
    spend = curve.get("spend", [])
    money = _currency()
    traces = [
        trace(
            go.Scatter,
            x=spend + spend[::-1],
            y=curve.get("high", []) + curve.get("low", [])[::-1],
            fill="toself",
            fillcolor=BAND,
            line={"width": 0},
            hoverinfo="skip",
            name="90% interval",
        ),
        trace(
            go.Scatter,
            x=spend,
            y=curve.get("mean", []),
            mode="lines",
            line={"color": MODELED, "width": 2},
            name="Expected",
            hovertemplate=f"{money}%{{x:,.0f}} a day → {money}%{{y:,.0f}} a day<extra></extra>",
        ),
    ]
    today = result.daily_spend
    shapes = []
    if today is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "x0": today,
                "x1": today,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#b7791f", "dash": "dash"},
            }
        )
    return figure(
        traces,
        _layout(
            result.name,
            280,
            shapes=shapes,
            annotations=(
                [
                    {
                        "text": "average",
                        "x": today,
                        "xref": "x",
                        "y": 1,
                        "yref": "paper",
                        "showarrow": False,
                        "yanchor": "bottom",
                    }
                ]
                if today is not None
                else []
            ),
            xaxis={"title": {"text": f"Daily cost ({money})"}, "gridcolor": "#f0f2f5"},
            yaxis={"title": {"text": "Daily incremental revenue"}, "gridcolor": GRID},
        ),
    )


def figure_json(fig: go.Figure) -> dict[str, Any]:
    return fig.to_plotly_json()
