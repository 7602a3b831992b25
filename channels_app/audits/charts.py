"""The brand audit score history of a channel: a pure Plotly figure builder."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from channelhub.lib.charts import score_history_figure

from .models import BRAND_AUDIT_ITEMS

OVERALL_COLOUR = "#2457c5"


ITEM_COLOURS = ["#1f8a4c", "#b7791f", "#7c3aed", "#c53030", "#0e7490"]


def build_audit_score_figure(
    frame: pd.DataFrame, *, title: str = "Brand audit scores", show_items: bool = True
) -> go.Figure:
    """A channel's brand audit score over time (channelhub.lib.charts), one
    dotted line per checklist item.

    `frame` has one row per audit (see channels_app.selectors.audit_score_frame):
    `audited_on`, `overall` and one column per checklist item. Scores are 1-5,
    so the axis is fixed to that range and a move from 3 to 4 looks its size.
    """
    return score_history_figure(
        frame,
        date_column="audited_on",
        items=BRAND_AUDIT_ITEMS,
        colours=ITEM_COLOURS,
        title=title,
        show_items=show_items,
        overall_colour=OVERALL_COLOUR,
    )
