"""The review score trend of a partner: a pure Plotly figure builder."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from channelhub.lib.charts import score_history_figure

from .models import REVIEW_CRITERIA

OVERALL_COLOUR = "#2457c5"
CRITERION_COLOURS = ["#1f8a4c", "#b7791f", "#7c3aed", "#c53030", "#0e7490"]


def build_review_score_figure(
    frame: pd.DataFrame, *, title: str = "Review scores", show_criteria: bool = True
) -> go.Figure:
    """The overall review score over time (a line with markers), and each
    criterion as a thin dotted line, hidden until clicked in the legend.

    `frame` has one row per review: `reviewed_on`, `overall` and the criterion
    columns (score_sales, ...). Scores are 1-5, so the axis is fixed to that
    range: a move from 3 to 4 looks like what it is.
    """
    return score_history_figure(
        frame,
        date_column="reviewed_on",
        items=REVIEW_CRITERIA,
        colours=CRITERION_COLOURS,
        title=title,
        show_items=show_criteria,
        overall_colour=OVERALL_COLOUR,
    )
