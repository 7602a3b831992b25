"""In Chromium, as a marketing manager: import a year of a simulated
business's daily figures through the import page, press "Fit now" (the real
fit, PyMC-Marketing and nutpie, in its quick size), read the Incremental ROI
page with its charts, plan next month's budget and save the plan.

This is the suite's second real fit (the first is kpis/modeling/tests/
test_end_to_end.py, which checks the figures against the simulation's truth);
here what matters is that a user gets from a file to a saved plan."""

from dataclasses import replace

import pytest
from playwright.sync_api import expect

from channelhub.lib.roles import MARKETING_MANAGER
from kpis.modeling import fitting
from kpis.modeling.simulate import simulate
from kpis.modeling.tests.conftest import SIMULATED_HEADER, simulated_rows
from kpis.models import BudgetPlan, ChannelModelResult, ModelRun
from kpis.tests.helpers import csv_bytes
from tests.browser import draw_all_charts, htmx_settled, screenshot, sign_in
from tests.factories import PASSWORD, ChannelFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FIT_TIMEOUT_MS = 900_000  # a quick fit takes about a minute on an idle 2 cores


def test_import_fit_read_the_results_and_plan_a_budget(live_server, page, monkeypatch, tmp_path):
    data, truth = simulate("saas", seed=11, days=364)
    real_fit = fitting.fit

    def quick_fit(data, settings=None):  # the real fit, in the size the tests afford
        return real_fit(data, replace(settings, quick=True) if settings else None)

    monkeypatch.setattr(fitting, "fit", quick_fit)
    for slug, name in {**data.channel_names, "organic": "Organic"}.items():
        ChannelFactory(slug=slug, name=name)
    facts = tmp_path / "daily-figures.csv"
    facts.write_bytes(csv_bytes(SIMULATED_HEADER, simulated_rows(data, truth)))
    UserFactory(username="maria", role=MARKETING_MANAGER)
    sign_in(page, live_server, "maria", PASSWORD)

    page.click("nav >> text=Import")
    page.wait_for_url("**/kpis/import/")
    page.set_input_files("#id_file", str(facts))
    page.click("button:has-text('Check and import')")
    page.wait_for_selector(f"text={len(data.days) * 5:,} row(s) added")

    page.click("nav >> text=Incremental ROI")
    page.wait_for_selector("text=No model yet")
    page.click("button:has-text('Fit now')", timeout=FIT_TIMEOUT_MS)  # the fit runs in the request
    page.wait_for_selector("text=For every $1 on Paid Search", timeout=FIT_TIMEOUT_MS)
    run = ModelRun.objects.get()
    assert run.status == "succeeded", (run.reason, run.error)
    assert run.library.startswith("pymc-marketing 0.19")
    results = {r.slug: r for r in ChannelModelResult.objects.filter(run=run)}
    for slug, name in data.channel_names.items():
        assert results[slug].status in ("ok", "flagged"), (slug, results[slug].reason)
        expect(page.locator(f"#model-table tr[data-slug='{slug}']", has_text=name)).to_have_count(1)
    draw_all_charts(page)  # the curves below the fold draw when scrolled to
    page.wait_for_selector(".chart[data-figure='fig-model-roas'][data-rendered='true']")
    page.wait_for_selector(".chart[data-figure='fig-social-curve'][data-rendered='true']")
    expect(page.locator("#model-health")).to_have_count(1)
    # A status with its reason reads as a few lines, not a column of single words.
    heights = page.eval_on_selector_all(
        "#model-table tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 100, heights
    screenshot(page, "incremental-roi")

    page.click("text=Budget planner")
    # The click returns as the navigation starts: read the planner, not this page.
    page.wait_for_url("**/kpis/modeled-roi/planner/")
    # Each mode shows its own figure: the budget to split, or the target to reach.
    expect(page.locator("#id_total_budget")).to_be_visible()
    expect(page.locator("#id_target")).to_be_hidden()
    page.select_option("#id_mode", "target")
    expect(page.locator("#id_target")).to_be_visible()
    expect(page.locator("#id_total_budget")).to_be_hidden()
    page.select_option("#id_mode", "budget")

    # Today's spend beside the bounds is over the period chosen, as it changes.
    def today_over_period():
        days = int(page.inner_text("table.bounds [data-period-days]"))
        cell = page.inner_text("table.bounds tr[data-slug='social'] [data-per-day]")
        return days, float(cell.replace("$", "").replace(",", ""))

    month_days, month_social = today_over_period()
    month_budget = float(page.input_value("#id_total_budget"))
    page.select_option("#id_period", "quarter")
    quarter_days, quarter_social = today_over_period()
    assert 28 <= month_days <= 31 and 89 <= quarter_days <= 92
    assert quarter_social == pytest.approx(month_social * quarter_days / month_days, abs=2)
    # The budget proposed at today's pace follows too, until it is typed over.
    quarter_budget = float(page.input_value("#id_total_budget"))
    assert quarter_budget == pytest.approx(month_budget * quarter_days / month_days, abs=2)
    page.fill("#id_total_budget", "123456")
    page.select_option("#id_period", "month")
    assert page.input_value("#id_total_budget") == "123456"
    page.fill("#id_total_budget", "300000")
    page.fill("tr[data-slug='social'] input[name='min__social']", "60000")
    page.click("button[name='plan']")
    page.wait_for_selector("#plan-result")
    social = page.locator("#plan-result tr[data-slug='social'] td").nth(1).inner_text()
    assert float(social.replace("$", "").replace(",", "")) >= 60000
    # A what-if answers in place: the plan above it stays on the page.
    page.select_option("#what-if select[name='channel']", "social")
    page.fill("#what-if input[name='amount']", "20000")
    page.click("#what-if button[type='submit']")
    page.wait_for_selector("#what-if-answer")
    htmx_settled(page)
    expect(page.locator("#plan-result")).to_have_count(1)
    page.fill("#id_name", "Next month")
    page.click("button[name='save']")
    page.wait_for_selector("h1:has-text('Next month')")
    plan = BudgetPlan.objects.get()
    assert plan.name == "Next month" and plan.run_id == run.pk
    screenshot(page, "budget-plan")
    assert page.console_errors == []
