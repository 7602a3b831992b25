"""The portfolio dashboard in Chromium, on the demo data: charts render, a
filter change updates them without a reload."""

import pytest

from tests.browser import draw_all_charts, screenshot, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_portfolio_renders_and_follows_its_filters(demo_business, live_server, page):
    sign_in(page, live_server, "vera", "channelhub-demo")
    page.wait_for_selector(
        "#fig-roi-by-channel + .chart .main-svg, [data-figure='fig-roi-by-channel'] .main-svg"
    )
    draw_all_charts(page)  # those below the fold draw when scrolled to
    for figure in ("fig-roi-by-channel", "fig-cost-revenue", "fig-roi-trend", "fig-revenue-share"):
        assert page.locator(f"[data-figure='{figure}'] .main-svg").count() >= 1, figure
    # A date axis with month labels, spaced so none overlaps (none slanted).
    ticks = page.locator("[data-figure='fig-roi-trend'] .xtick text")
    assert ticks.count() >= 4
    assert all("rotate" not in (t.get_attribute("transform") or "") for t in ticks.all())
    page.evaluate("window.__marker = 'no reload'")
    # The first drawing set data-charts-drawn: clear it, so the wait below is for
    # the swapped body's charts (it returned at once, before the swap).
    page.evaluate("delete document.documentElement.dataset.chartsDrawn")
    page.select_option("#id_period", "quarter")
    page.wait_for_url("**/?period=quarter*")
    page.wait_for_selector("html[data-charts-drawn]", state="attached")
    draw_all_charts(page)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll(\"[data-figure='fig-roi-trend'] .xtick text\")).some(t => t.textContent.startsWith('FY'))"
    )
    assert page.evaluate("window.__marker") == "no reload"  # htmx swapped the body
    screenshot(page, "portfolio-dashboard")
    page.reload()
    draw_all_charts(page)
    page.wait_for_selector("[data-figure='fig-roi-trend'] .main-svg")
    assert page.locator("#id_period").input_value() == "quarter"  # filters live in the URL
    assert page.console_errors == []
