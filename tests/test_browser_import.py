"""In Chromium: upload a bad file and read the report, then a good one, and see
the channel's KPIs change."""

import pytest
from playwright.sync_api import expect

from channelhub.lib.roles import MARKETING_MANAGER
from kpis.tests.helpers import csv_bytes
from tests.browser import screenshot, sign_in
from tests.factories import PASSWORD, ChannelFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_upload_a_file_read_the_report_and_see_the_kpis_change(live_server, page, tmp_path):
    ChannelFactory(name="Web Shop", slug="web-shop")
    UserFactory(username="maria", role=MARKETING_MANAGER)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes(
            ["date", "channel", "spend", "revenue"],
            [["2025-01-02", "web-shop", "-5", "10"], ["2025-01-03", "nowhere", "1", "1"]],
        )
    )
    good = tmp_path / "good.csv"
    good.write_bytes(
        csv_bytes(
            ["date", "channel", "spend", "revenue"],
            [["2025-01-02", "web-shop", "100", "450"], ["2025-01-03", "Web Shop", "50", "150"]],
        )
    )
    sign_in(page, live_server, "maria", PASSWORD)

    page.click("nav >> text=Import")
    page.wait_for_url("**/kpis/import/")
    page.set_input_files("#id_file", str(bad))
    page.click("button:has-text('Check and import')")
    page.wait_for_selector("text=Why the file was rejected")
    expect(page.locator("td", has_text="must be 0 or more")).to_have_count(1)
    expect(page.locator("td", has_text="unknown channel")).to_have_count(1)
    screenshot(page, "import-rejected")

    page.click("text=Import another file")
    page.wait_for_url("**/kpis/import/")
    page.set_input_files("#id_file", str(good))
    page.click("button:has-text('Check and import')")
    page.wait_for_selector("text=2 row(s) added")

    page.goto(f"{live_server.url}/channels/web-shop/")
    page.wait_for_selector("text=KPIs by month")
    table = page.locator("table.kpi-table")
    assert table.locator("text=$600.00").count() >= 1  # revenue of January
    assert table.locator("text=300.0%").count() >= 1  # ROI (600 - 150) / 150
    screenshot(page, "channel-kpis")
    assert page.console_errors == []
