"""A partner manager logs a review with action items and sees it in the history
and the score chart, in a real Chromium."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from channelhub.lib.roles import PARTNER_MANAGER
from partners.models import PartnerReview, Tier
from tests.browser import draw_all_charts, screenshot, sign_in
from tests.factories import (
    PASSWORD,
    ChannelFactory,
    ContactFactory,
    PartnerFactory,
    ReviewFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def reference_data():
    # An earlier transactional test flushes the rows data migrations made
    # (roles, tiers); put back the ones this test needs.
    Group.objects.get_or_create(name=PARTNER_MANAGER)
    gold, _ = Tier.objects.get_or_create(
        code="gold", defaults={"name": "Gold", "rank": 30, "review_cadence_days": 90}
    )
    return gold


def test_a_partner_manager_logs_a_review_and_sees_it_in_the_history_and_chart(
    live_server, page, reference_data
):
    paul = UserFactory(username="paul", first_name="Paul", role=PARTNER_MANAGER)
    channel = ChannelFactory(name="EU Distributors", route="indirect")
    partner = PartnerFactory(
        name="Nordlicht Handel",
        slug="nordlicht",
        channel=channel,
        manager=paul,
        tier=reference_data,
    )
    ContactFactory(partner=partner, name="Clara Dubois")
    ReviewFactory(partner=partner, author=paul, reviewed_on=date(2025, 4, 10), overall="4.00")
    today = timezone.localdate()

    sign_in(page, live_server, "paul", PASSWORD)
    # The home page names Nordlicht Handel too (reviews due: a link to the review
    # form): wait for each page before clicking on it.
    page.click("nav >> text=Partners")
    page.wait_for_url("**/partners/")
    page.click("text=Nordlicht Handel")
    page.wait_for_url("**/partners/nordlicht/")
    page.click("text=+ Log review >> nth=0")
    page.fill("#id_period_start", (today - timedelta(days=90)).isoformat())
    page.fill("#id_period_end", (today - timedelta(days=1)).isoformat())
    page.fill("#id_reviewed_on", today.isoformat())
    page.select_option("#id_score_sales", "5")
    page.select_option("#id_score_enablement", "4")
    page.select_option("#id_score_brand", "4")
    page.select_option("#id_score_satisfaction", "5")
    # Forget one score: the form says so and keeps what was typed.
    page.fill("#id_strengths", "Fast quotes, happy customers")
    page.fill("#id_actions-0-description", "Certify two new sales reps")
    page.fill("#id_actions-0-owner", "Clara Dubois")
    page.fill("#id_actions-0-due_on", (today + timedelta(days=30)).isoformat())
    page.fill("#id_actions-1-description", "Share Q3 co-marketing plan")
    page.fill("#id_actions-1-owner", "Paul")
    page.fill("#id_actions-1-due_on", (today + timedelta(days=14)).isoformat())
    page.click("button:has-text('Submit review')")
    page.wait_for_selector(".field.has-error >> text=This field is required.")
    assert page.input_value("#id_strengths") == "Fast quotes, happy customers"
    page.select_option("#id_score_collaboration", "3")
    page.click("button:has-text('Submit review')")
    page.wait_for_selector("text=Review logged: overall 4.20.")

    history = page.locator("table.review-history")
    expect(history.locator("tbody tr")).to_have_count(2)
    first_row = history.locator("tbody tr").first
    for text in ("4.20", "Certify two new sales reps", "Share Q3 co-marketing plan"):
        expect(first_row).to_contain_text(text, use_inner_text=True)
    # Plotly drew the trend as SVG, with both reviews on the overall line.
    draw_all_charts(page)  # below the fold: drawn when scrolled to
    page.wait_for_selector("#review-score-chart[data-rendered=true] svg.main-svg")
    points = page.locator("#review-score-chart .scatterlayer .trace").first.locator(".point")
    assert points.count() == 2
    screenshot(page, "partner-review-logged")

    review = PartnerReview.objects.get(reviewed_on=today)
    assert review.overall == Decimal("4.20") and review.author == paul
    assert review.action_items.count() == 2
    assert page.console_errors == []
