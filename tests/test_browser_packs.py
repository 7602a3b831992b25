"""An archived review pack opens offline in Chromium and draws its charts."""

import pytest
from playwright.sync_api import expect

from kpis.tests.helpers import dispatch_and_render, import_rows, make_pack, settle
from tests.browser import screenshot
from tests.factories import ChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_an_archived_pack_opens_offline_with_its_charts(browser, tmp_path):
    ChannelFactory(name="Web Shop", slug="web-shop", kind="ecommerce")
    ChannelFactory(name="Google Ads", slug="google-ads", kind="paid_search")
    import_rows(["date", "channel", "spend", "revenue", "cogs"], [
        ["2025-03-10", "web-shop", "100", "150", "100"],
        ["2025-04-10", "web-shop", "100", "250", "50"],
        ["2025-03-10", "google-ads", "100", "200", "50"],
        ["2025-04-10", "google-ads", "100", "200", "50"],
    ])  # fmt: skip
    settle()
    make_pack(periods=3)
    render = dispatch_and_render()
    path = tmp_path / "pack.html"
    with render.html_file.open("rb") as f:
        path.write_bytes(f.read())

    context = browser.new_context(offline=True, viewport={"width": 1360, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector("[data-figure='fig-roi-by-channel'] .main-svg")
    charts = page.locator(".chart").count()
    assert charts >= 4 + 2 * 5  # the portfolio's four, five per channel
    # The first chart's drawing is no proof the others are done (each is a promise).
    expect(
        page.locator(".chart[data-rendered='true']"),
        f"{page.locator('.chart .main-svg').count()} of {charts} charts drawn",
    ).to_have_count(charts)
    assert "2 channels, 2025-02 to 2025-04" in page.inner_text(".pack-summary")
    assert [u for u in requests if not u.startswith("file:")] == []  # nothing fetched
    screenshot(page, "review-pack-offline")
    context.close()
    assert errors == []
