"""Chart builders, tested by their traces' data, not by HTML."""

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from kpis.dashboards import charts


def channels():
    return pd.DataFrame(
        [
            {
                "channel_id": 1,
                "slug": "shop",
                "name": "Shop",
                "roi": 0.5,
                "total_cost": 100.0,
                "revenue": 300.0,
                "gross_profit": 150.0,
            },
            {
                "channel_id": 2,
                "slug": "ads",
                "name": "Ads",
                "roi": -0.2,
                "total_cost": 200.0,
                "revenue": 180.0,
                "gross_profit": -20.0,
            },
            {
                "channel_id": 3,
                "slug": "new",
                "name": "New",
                "roi": None,
                "total_cost": 0.0,
                "revenue": 10.0,
                "gross_profit": 5.0,
            },
        ]
    )


def series():
    rows = []
    for i, label in enumerate(["2025-01", "2025-02", "2025-03"]):
        rows.append(
            {
                "channel_id": 1,
                "slug": "shop",
                "name": "Shop",
                "period_start": date(2025, i + 1, 1),
                "label": label,
                "roi": 0.1 * i,
                "revenue_share": 0.6,
                "total_cost": 10.0,
            }
        )
        rows.append(
            {
                "channel_id": 2,
                "slug": "ads",
                "name": "Ads",
                "period_start": date(2025, i + 1, 1),
                "label": label,
                "roi": -0.1,
                "revenue_share": 0.4,
                "total_cost": 50.0,
            }
        )
    return pd.DataFrame(rows)


def test_roi_by_channel_is_sorted_with_break_even_and_targets():
    figure = charts.build_roi_by_channel_figure(channels(), targets={"ads": 0.1})
    bars, targets = figure.data
    # Horizontal: names on the vertical axis, level, highest first.
    assert bars.orientation == "h" and figure.layout.yaxis.autorange == "reversed"
    assert list(bars.y) == ["Shop", "Ads"]  # "New" has no cost: no ROI to draw
    assert list(bars.x) == [0.5, -0.2]
    assert list(bars.marker.color) == ["#2457c5", "#c2410c"]  # channels 1 and 2
    assert (list(targets.y), list(targets.x)) == (["Ads"], [0.1])
    assert figure.layout.shapes[0].x0 == 0  # break-even line
    assert figure.layout.xaxis.tickformat == ".0%"
    assert figure.layout.title.text == "ROI by channel"


def test_cost_revenue_bubbles_one_per_channel_in_its_colour_with_labels():
    figure = charts.build_cost_revenue_figure(channels())
    by_name = {t.name: t for t in figure.data}
    assert set(by_name) == {"Shop", "Ads", "New", "ROAS = 1"}
    shop = by_name["Shop"]
    assert list(shop.x) == [100.0] and list(shop.y) == [300.0]
    assert shop.marker.color == "#2457c5" and by_name["New"].marker.color == "#2b8a3e"
    assert list(shop.text) == ["Shop"] and shop.mode == "markers+text"
    assert list(by_name["Ads"].marker.symbol) == ["circle-open"]  # a loss
    diagonal = by_name["ROAS = 1"]
    assert diagonal.x[0] == diagonal.y[0] == 0 and diagonal.x[1] == diagonal.y[1]
    assert figure.layout.xaxis.title.text == "Total cost (USD)"


def test_bubble_labels_never_overlap_and_a_crowded_one_is_left_out():
    # Three bubbles on one spot: the biggest is labelled above; the small
    # ones inside it find no place clear of it (8 px around every bubble).
    points = [(100.0, 100.0, 3.0, "Alpha"), (100.0, 100.0, 12.0, "Beta"), (100, 100, 3, "Gam")]
    placed = charts.place_labels(points)
    assert [p[0] if p else None for p in placed] == [None, "top center", None]
    # Far apart, every bubble gets its label above it.
    apart = [(40.0, 40.0, 8.0, "A"), (200.0, 180.0, 8.0, "B")]
    assert [p[0] for p in charts.place_labels(apart) if p] == ["top center", "top center"]
    # Crowded rows of bubbles: whatever is labelled, no two labels overlap.
    crowd = [
        (30.0 + 35 * (i % 7), 30.0 + 45 * (i // 7) + 6 * (i % 2), 4.0 + i % 3, f"Ch {i}")
        for i in range(20)
    ]
    boxes = [p[1] for p in charts.place_labels(crowd) if p]
    assert len(boxes) == 19  # one left to the legend and the hover
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])


def test_roi_trend_shows_the_top_channels_by_cost_and_hides_the_rest():
    figure = charts.build_roi_trend_figure(series(), top_n=1)
    assert [t.name for t in figure.data] == ["Ads", "Shop"]
    assert [t.line.color for t in figure.data] == ["#c2410c", "#2457c5"]
    assert [t.visible for t in figure.data] == [True, "legendonly"]
    assert list(figure.data[1].y) == [0.0, 0.1, 0.2]
    assert list(figure.data[1].x) == ["2025-01", "2025-02", "2025-03"]


def test_revenue_share_is_a_stacked_area():
    figure = charts.build_revenue_share_figure(series())
    assert {t.stackgroup for t in figure.data} == {"share"}
    assert [t.name for t in figure.data] == ["Shop", "Ads"]
    assert list(figure.data[0].y) == [0.6, 0.6, 0.6]


def test_channel_trend_has_cost_and_revenue_bars_and_roi_on_a_second_axis():
    frame = pd.DataFrame(
        [
            {
                "label": "2025-01",
                "period_start": date(2025, 1, 1),
                "total_cost": 10.0,
                "revenue": 30.0,
                "roi": 1.0,
            }
        ]
    )
    figure = charts.build_channel_trend_figure(frame)
    assert [t.name for t in figure.data] == ["Total cost", "Revenue", "ROI"]
    assert figure.data[2].yaxis == "y2" and list(figure.data[2].y) == [1.0]
    assert figure.layout.yaxis.tickprefix == "$"


def test_funnel_leaves_out_untracked_steps_and_reads_on_a_log_scale_with_rates():
    figure = charts.build_funnel_figure(
        {"impressions": 100000, "clicks": 2500, "leads": 0, "orders": 50, "new_customers": 20}
    )
    bars = figure.data[0]
    assert list(bars.y) == [
        "Impressions",
        "Clicks<br>2.5% of impressions",
        "Orders<br>2.0% of clicks",
        "New customers<br>40.0% of orders",
    ]
    assert list(bars.x) == [100000, 2500, 50, 20]
    assert list(bars.text) == ["100,000", "2,500", "50", "20"]
    assert figure.layout.xaxis.type == "log" and bars.orientation == "h"


def test_objective_history_draws_the_target_line():
    frame = pd.DataFrame([{"label": "2025-01", "period_start": date(2025, 1, 1), "value": 0.2}])
    figure = charts.build_objective_history_figure(
        frame, metric_label="ROI", target=0.3, unit="percent"
    )
    assert list(figure.data[0].y) == [0.2]
    assert figure.layout.shapes[0].y0 == 0.3
    assert figure.layout.yaxis.tickformat == ".0%"


def test_every_builder_has_an_empty_state():
    empty = pd.DataFrame(
        columns=[
            "slug",
            "name",
            "channel_id",
            "roi",
            "total_cost",
            "revenue",
            "gross_profit",
            "period_start",
            "label",
            "revenue_share",
            "cac",
            "cpl",
            "inventory_turnover",
            "value",
        ]
    )
    figures = [
        charts.build_roi_by_channel_figure(empty),
        charts.build_cost_revenue_figure(empty),
        charts.build_roi_trend_figure(empty),
        charts.build_revenue_share_figure(empty),
        charts.build_channel_trend_figure(empty),
        charts.build_funnel_figure({}),
        charts.build_cac_cpl_figure(empty),
        charts.build_inventory_turnover_figure(empty),
        charts.build_objective_history_figure(
            empty, metric_label="ROI", target=0.1, unit="percent"
        ),
    ]
    for figure in figures:
        assert len(figure.data) == 0
        assert figure.layout.annotations[0].text  # says why it is empty


def test_no_chart_slants_its_labels():
    for figure in every_builder_with_data():
        assert figure.layout.xaxis.tickangle in (None, 0)


def test_revenue_share_folds_the_smallest_channels_into_one_area():
    rows = [
        {
            "channel_id": i + 1,
            "slug": f"c{i}",
            "name": f"C{i}",
            "period_start": date(2025, 1, 1),
            "label": "2025-01",
            "revenue_share": 0.01 * (i + 1),
        }
        for i in range(5)
    ]
    figure = charts.build_revenue_share_figure(pd.DataFrame(rows), limit=3)
    assert [t.name for t in figure.data] == ["C4", "C3", "C2", "Other channels (2)"]
    assert list(figure.data[3].y) == [0.03]  # 0.01 + 0.02


def every_builder_with_data():
    per_period = pd.DataFrame(
        [
            {
                "label": "2025-01",
                "period_start": date(2025, 1, 1),
                "total_cost": 10.0,
                "revenue": 30.0,
                "roi": 1.0,
                "cac": 5.0,
                "cpl": 2.0,
                "inventory_turnover": 1.5,
                "value": 0.2,
            }
        ]
    )
    return [
        charts.build_roi_by_channel_figure(channels(), targets={"ads": 0.1}),
        charts.build_cost_revenue_figure(channels()),
        charts.build_roi_trend_figure(series(), top_n=1),
        charts.build_revenue_share_figure(series(), limit=1),
        charts.build_channel_trend_figure(per_period),
        charts.build_funnel_figure({"impressions": 1000, "clicks": 50}),
        charts.build_cac_cpl_figure(per_period),
        charts.build_inventory_turnover_figure(per_period),
        charts.build_objective_history_figure(
            per_period, metric_label="Revenue", target=100.0, unit="money"
        ),
        charts.empty_figure("Nothing", "No data"),
        # A partial last period adds dashed traces, hollow markers, lighter bars.
        charts.build_roi_trend_figure(series(), top_n=1, partial=MARCH_SO_FAR),
        charts.build_channel_trend_figure(two_months(), partial=MARCH_SO_FAR),
        charts.build_cac_cpl_figure(two_months(), partial=MARCH_SO_FAR),
        charts.build_inventory_turnover_figure(two_months(), partial=MARCH_SO_FAR),
        charts.build_revenue_share_figure(series(), partial=MARCH_SO_FAR),
        charts.build_objective_history_figure(
            two_months().assign(value=[0.5, 0.6]),
            metric_label="ROI",
            target=0.4,
            unit="percent",
            partial=MARCH_SO_FAR,
        ),
    ]


def test_every_figure_passes_plotlys_own_validation():
    """Builders assemble figures with validation off (it costs more than the
    rest of a dashboard request); here Plotly validates every property of
    every builder's output, so a misspelt or invalid one still fails."""
    for figure in every_builder_with_data():
        data = figure.to_plotly_json()
        go.Figure(data)  # raises ValueError on any invalid property or value
        for axis in ("xaxis", "yaxis", "yaxis2"):
            title = data["layout"].get(axis, {}).get("title")
            # plotly.js 3 ignores plain-string titles: they must be {"text": ...}.
            assert title is None or isinstance(title, dict), (axis, title)
        assert isinstance(data["layout"]["title"], dict)


def test_roi_trend_legend_keeps_the_channels_with_the_highest_cost():
    rows = [
        {
            "channel_id": c + 1,
            "slug": f"c{c}",
            "name": f"C{c}",
            "period_start": date(2025, m, 1),
            "label": f"2025-{m:02d}",
            "roi": 0.1 * c if m != 2 else None,
            "total_cost": float(c),
        }
        for c in range(30)
        for m in (3, 1, 2)
    ]
    figure = charts.build_roi_trend_figure(pd.DataFrame(rows), top_n=2, legend=4)
    assert [t.name for t in figure.data] == ["C29", "C28", "C27", "C26"]
    assert [t.visible for t in figure.data] == [True, True, "legendonly", "legendonly"]
    assert list(figure.data[0].x) == ["2025-01", "2025-02", "2025-03"]  # in period order
    assert list(figure.data[0].y) == [2.9, None, 2.9]  # a gap stays a gap


# --- Partial periods (issue 17 item 2) -----------------------------------------------------

MARCH_SO_FAR = charts.PartialPeriod(label="2025-03", days=2, length=31)


def two_months():
    return pd.DataFrame(
        [
            {
                "label": label,
                "period_start": start,
                "total_cost": cost,
                "revenue": revenue,
                "roi": roi,
                "cac": 5.0,
                "cpl": 2.0,
                "inventory_turnover": 1.5,
            }
            for label, start, cost, revenue, roi in (
                ("2025-02", date(2025, 2, 1), 100.0, 190.0, 0.9),
                ("2025-03", date(2025, 3, 1), 10.0, 27.0, 1.69),
            )
        ]
    )


def test_a_partial_last_period_ends_each_roi_line_dashed_at_a_hollow_marker():
    figure = charts.build_roi_trend_figure(series(), top_n=1, partial=MARCH_SO_FAR)
    names = [(t.name, t.showlegend, t.line.dash) for t in figure.data]
    assert names == [
        ("Ads", None, "solid"),
        ("Ads", False, "dash"),
        ("Shop", None, "solid"),
        ("Shop", False, "dash"),
        ("partial (2 of 31 days)", None, None),
    ]
    solid, dashed = figure.data[2], figure.data[3]
    assert list(solid.y) == [0.0, 0.1, None]  # the solid line stops before March
    assert list(dashed.x) == ["2025-02", "2025-03"] and list(dashed.y) == [0.1, 0.2]
    assert list(dashed.marker.symbol) == ["circle", "circle-open"]
    assert dashed.visible == "legendonly" and dashed.legendgroup == solid.legendgroup == "Shop"
    assert "(partial (2 of 31 days))" in dashed.hovertemplate
    legend = figure.data[4]
    assert legend.marker.symbol == "circle-open" and list(legend.x) == [None]
    assert figure.layout.yaxis.rangemode == "tozero"


def test_whole_periods_draw_no_partial_marks():
    figure = charts.build_roi_trend_figure(series(), top_n=1, partial=None)
    assert [t.name for t in figure.data] == ["Ads", "Shop"]
    other = charts.PartialPeriod(label="2025-04", days=2, length=30)  # not on the chart
    assert len(charts.build_channel_trend_figure(two_months(), partial=other).data) == 3


def test_a_partial_month_has_lighter_bars_and_a_dashed_roi_from_zero():
    figure = charts.build_channel_trend_figure(two_months(), partial=MARCH_SO_FAR)
    assert [t.name for t in figure.data] == [
        "Total cost",
        "Revenue",
        "ROI",
        "ROI",
        "partial (2 of 31 days)",
    ]
    assert list(figure.data[0].marker.opacity) == [1.0, charts.PARTIAL_OPACITY]
    assert list(figure.data[1].marker.opacity) == [1.0, 0.4]
    assert list(figure.data[2].y) == [0.9, None]
    assert list(figure.data[3].y) == [0.9, 1.69] and figure.data[3].yaxis == "y2"
    assert figure.data[3].line.dash == "dash"
    # The ROI axis starts at zero: a 90% to 169% move is not drawn from 83%.
    assert figure.layout.yaxis2.rangemode == "tozero"


def test_cac_cpl_and_inventory_mark_a_partial_month():
    cac = charts.build_cac_cpl_figure(two_months(), partial=MARCH_SO_FAR)
    assert [(t.name, t.line.dash) for t in cac.data] == [
        ("CAC", None),
        ("CAC", "dash"),
        ("CPL", None),
        ("CPL", "dash"),
        ("partial (2 of 31 days)", None),
    ]
    inventory = charts.build_inventory_turnover_figure(two_months(), partial=MARCH_SO_FAR)
    assert list(inventory.data[0].marker.opacity) == [1.0, 0.4]
    assert inventory.data[1].name == "partial (2 of 31 days)"
    assert inventory.layout.yaxis.rangemode == "tozero"


def test_a_partial_first_and_only_point_is_a_hollow_marker_alone():
    one = two_months().iloc[1:]
    figure = charts.build_cac_cpl_figure(one, partial=MARCH_SO_FAR)
    dashed = figure.data[1]
    assert list(dashed.x) == ["2025-03"] and list(dashed.marker.symbol) == ["circle-open"]


def test_revenue_share_shades_a_partial_month():
    figure = charts.build_revenue_share_figure(series(), partial=MARCH_SO_FAR)
    assert [t.name for t in figure.data] == ["Shop", "Ads", "partial (2 of 31 days)"]
    (band,) = figure.layout.shapes
    assert (band.x0, band.x1, band.layer) == (1.5, 2.5, "below")  # around "2025-03"
    assert not charts.build_revenue_share_figure(series()).layout.shapes


def test_an_objective_to_date_ends_dashed_in_a_partial_month():
    history = two_months().assign(value=[0.5, 0.6])
    figure = charts.build_objective_history_figure(
        history, metric_label="ROI", target=0.4, unit="percent", partial=MARCH_SO_FAR
    )
    solid, dashed, legend = figure.data
    assert list(solid.y) == [0.5, None] and solid.showlegend is False
    assert list(dashed.y) == [0.5, 0.6] and dashed.line.dash == "dash"
    assert dashed.showlegend is False and legend.name == "partial (2 of 31 days)"


def test_a_ratio_over_a_thin_base_carries_a_warning_mark_on_charts():
    frame = two_months().assign(
        roi_thin=[False, True], cac_thin=[True, True], cpl_thin=[True, False]
    )
    trend = charts.build_channel_trend_figure(frame)
    (marks,) = [t for t in trend.data if t.name == charts.THIN_LEGEND]
    assert list(marks.x) == ["2025-03"] and list(marks.y) == [1.69] and marks.yaxis == "y2"
    assert list(marks.text) == ["⚠"]
    cac = charts.build_cac_cpl_figure(frame)
    marks = [t for t in cac.data if t.name == charts.THIN_LEGEND]
    assert [(list(m.x), m.showlegend) for m in marks] == [
        (["2025-02", "2025-03"], None),
        (["2025-02"], False),
    ]
    bars = charts.build_roi_by_channel_figure(channels().assign(thin=[True, False, False]))
    assert list(bars.data[0].y) == ["Shop ⚠", "Ads"]
    assert len(charts.build_channel_trend_figure(two_months()).data) == 3  # no marks
