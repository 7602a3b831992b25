"""In Chromium: fit the model, read the Incremental ROI page with its charts,
plan a budget and save it. The fit is the deterministic fake of the modeling
tests (kpis/modeling/tests/fakefit.py) until the real one is wired in."""

import pytest

from channelhub.lib.roles import MARKETING_MANAGER
from kpis.modeling import fitting
from kpis.modeling.tests.conftest import business_rows
from kpis.modeling.tests.fakefit import make_fit
from kpis.models import BudgetPlan, ModelRun
from kpis.tests.helpers import import_rows
from tests.browser import draw_all_charts, screenshot, sign_in
from tests.factories import PASSWORD, ChannelFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_fit_read_the_results_and_plan_a_budget(live_server, page, monkeypatch):
    monkeypatch.setattr(fitting, "fit", make_fit())
    ChannelFactory(name="Zeta Search", slug="paid-search", kind="paid_search")
    ChannelFactory(name="Alpha Social", slug="social", kind="social_media")
    ChannelFactory(name="Mid Events", slug="events", kind="events")
    ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    import_rows(["date", "channel", "spend", "revenue", "cogs"], business_rows())
    UserFactory(username="maria", role=MARKETING_MANAGER)
    sign_in(page, live_server, "maria", PASSWORD)

    page.click("nav >> text=Incremental ROI")
    page.wait_for_selector("text=No model yet")
    page.click("button:has-text('Fit now')")
    page.wait_for_selector("text=For every $1 on Zeta Search")
    assert ModelRun.objects.get().status == "succeeded"
    draw_all_charts(page)  # the curves below the fold draw when scrolled to
    page.wait_for_selector(".chart[data-figure='fig-model-roas'][data-rendered='true']")
    page.wait_for_selector(".chart[data-figure='fig-social-curve'][data-rendered='true']")
    assert page.locator("#model-health").count() == 1
    # A status with its reason reads as a few lines, not a column of single words.
    heights = page.eval_on_selector_all(
        "#model-table tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert heights and max(heights) < 100, heights
    screenshot(page, "incremental-roi")

    page.click("text=Budget planner")
    page.fill("#id_total_budget", "9000")
    page.fill("tr[data-slug='social'] input[name='min__social']", "2000")
    page.click("button[name='plan']")
    page.wait_for_selector("#plan-result")
    social = page.locator("#plan-result tr[data-slug='social'] td").nth(1).inner_text()
    assert float(social.replace("$", "").replace(",", "")) >= 2000
    page.fill("#id_name", "September push")
    page.click("button[name='save']")
    page.wait_for_selector("h1:has-text('September push')")
    assert BudgetPlan.objects.get().name == "September push"
    screenshot(page, "budget-plan")
    assert page.console_errors == []
