"""Charts in words ({% chart %}): each chart is a figure named after its title,
with its figures in a table beside it, and its numbers rounded for the page."""

from __future__ import annotations

from django.template import Context, Template

from channelhub.lib.charts import compact_figure, figure_table, figure_title
from kpis.dashboards.charts import build_funnel_figure, figure_json


def _render(figure: dict, **options: str) -> str:
    extra = " ".join(f'{k}="{v}"' for k, v in options.items())
    template = Template("{% load channelhub %}{% chart figure 'roi' " + extra + " %}")
    return template.render(Context({"figure": figure}))


SHARED_X = {
    "data": [
        {"type": "bar", "name": "Cost", "x": ["2026-10", "2026-11"], "y": [1200.0, 950.5]},
        {"type": "scatter", "name": "ROI", "x": ["2026-10", "2026-11"], "y": [0.5, -0.125],
         "yaxis": "y2"},
    ],
    "layout": {
        "title": {"text": "Cost & <b>ROI</b>"},
        "xaxis": {"title": {"text": "Month"}},
        "yaxis": {"tickprefix": "$"},
        "yaxis2": {"tickformat": ".0%"},
    },
}  # fmt: skip


def test_series_sharing_their_periods_make_one_row_per_period():
    assert figure_table(SHARED_X) == (
        ["Month", "Cost", "ROI"],
        [["2026-10", "$1,200", "50.0%"], ["2026-11", "$950.50", "-12.5%"]],
    )


def test_points_of_series_with_their_own_x_are_listed_one_per_row():
    bubbles = {
        "data": [
            {"type": "scatter", "name": "Marketplace", "x": [10.0, 20.0], "y": [30.0, 15.0],
             "text": ["Amazon", "eBay"]},
            {"type": "scatter", "name": "Email", "x": [5.0], "y": [50.0], "text": ["Newsletter"]},
        ],
        "layout": {"xaxis": {"title": {"text": "Cost"}}, "yaxis": {"title": {"text": "Revenue"}}},
    }  # fmt: skip
    headings, rows = figure_table(bubbles)
    assert headings == ["Series", "", "Cost", "Revenue"]
    assert rows == [
        ["Marketplace", "Amazon", "10", "30"],
        ["Marketplace", "eBay", "20", "15"],
        ["Email", "Newsletter", "5", "50"],
    ]


def test_a_funnel_reads_step_by_step():
    figure = figure_json(build_funnel_figure({"impressions": 12000, "clicks": 300, "orders": 9}))
    assert figure_title(figure) == "Funnel"
    assert figure_table(figure)[1] == [
        ["Impressions", "12,000"],
        ["Clicks, 2.5% of impressions", "300"],
        ["Orders, 3.0% of clicks", "9"],
    ]


def test_the_chart_is_a_named_figure_with_its_table_and_escapes_its_title():
    html = _render(SHARED_X)
    assert 'role="figure"' in html
    assert (
        'aria-label="Chart: Cost &amp; &lt;b&gt;ROI&lt;/b&gt;; its figures are in the table' in html
    )
    assert "<b>ROI</b>" not in html.split("</script>", 1)[1]  # escaped outside the JSON
    assert (
        '<th scope="row">2026-10</th><td class="num">$1,200</td><td class="num">50.0%</td>' in html
    )
    assert '<details class="chart-data">' in html


def test_a_chart_whose_page_holds_its_table_gets_no_second_one():
    html = _render(SHARED_X, figure_id="x-figure", chart_id="x-chart", data_table="")
    assert "<details" not in html
    assert 'id="x-chart" data-figure="x-figure"' in html
    assert "its figures are in the table below it" in html


def test_an_empty_chart_says_only_its_title():
    html = _render({"data": [], "layout": {"title": {"text": "Funnel"}}})
    assert 'aria-label="Chart: Funnel"' in html and "<details" not in html


def test_numbers_are_kept_to_six_significant_digits():
    figure = {"data": [{"y": [0.123456789, 1234567.891, 3, None]}], "layout": {"height": 300}}
    assert compact_figure(figure)["data"][0]["y"] == [0.123457, 1234570.0, 3, None]
