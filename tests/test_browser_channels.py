"""A marketing manager creates a channel and an objective in a real Chromium."""

import pytest
from playwright.sync_api import expect

from channelhub.lib.roles import MARKETING_MANAGER
from channels_app.channels.models import Channel, ChannelObjective
from tests.browser import screenshot, sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_marketing_manager_creates_a_channel_and_an_objective(live_server, page):
    UserFactory(username="maria", first_name="Maria", role=MARKETING_MANAGER)
    sign_in(page, live_server, "maria", PASSWORD)

    page.click("text=Channels")
    page.wait_for_url("**/channels/")
    page.click("text=+ New channel")
    page.wait_for_url("**/channels/new/")
    page.fill("#id_name", "Google Ads")
    page.select_option("#id_kind", "paid_search")
    page.select_option("#id_status", "active")
    page.fill("#id_target_segment", "High-intent searchers")
    page.click("button:has-text('Create channel')")
    page.wait_for_selector("text=Channel “Google Ads” created.")

    page.click("text=+ Add objective >> nth=0")
    page.wait_for_url("**/google-ads/objectives/new/")
    page.select_option("#id_metric", "roas")
    page.fill("#id_target", "4")
    page.fill("#id_start_date", "2025-01-01")
    page.fill("#id_end_date", "2024-12-31")  # bad: ends before it starts
    page.click("button:has-text('Add objective')")
    page.wait_for_selector("text=The end date must be on or after the start date.")
    page.fill("#id_end_date", "2025-12-31")
    page.click("button:has-text('Add objective')")
    page.wait_for_selector("text=Objective added.")
    screenshot(page, "channel-with-objective")

    expect(page.locator("td", has_text="ROAS")).to_have_count(1)
    expect(page.locator("text=≥ 4.00×")).to_have_count(1)
    # A click starts the navigation and returns: wait for the new page before counting.
    page.click("nav >> text=Channels")
    page.wait_for_url("**/channels/")
    expect(page.locator("table >> text=Google Ads")).to_have_count(1)
    page.click("nav >> text=Objectives")
    page.wait_for_url("**/channels/objectives/")
    expect(page.locator("table >> text=Google Ads")).to_have_count(1)
    assert Channel.objects.get().slug == "google-ads"
    assert ChannelObjective.objects.get().metric == "roas"
    assert page.console_errors == []
