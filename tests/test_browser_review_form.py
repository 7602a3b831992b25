"""The review form fits a phone (390 px): the period's dates stay in their
card, and each action item's four inputs are whole and labelled, the page
never scrolling sideways."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from channelhub.lib.roles import PARTNER_MANAGER
from partners.models import Tier
from tests.browser import screenshot, sign_in
from tests.factories import PASSWORD, ChannelFactory, PartnerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def paul():
    # An earlier transactional test flushes the rows data migrations made
    # (roles, tiers); put back the ones this test needs.
    Group.objects.get_or_create(name=PARTNER_MANAGER)
    gold, _ = Tier.objects.get_or_create(
        code="gold", defaults={"name": "Gold", "rank": 30, "review_cadence_days": 90}
    )
    paul = UserFactory(username="paul", first_name="Paul", role=PARTNER_MANAGER)
    PartnerFactory(
        name="Nordlicht Handel",
        slug="nordlicht",
        channel=ChannelFactory(route="indirect"),
        manager=paul,
        tier=gold,
    )
    return paul


def _right_edge(page, selector: str) -> float:
    return page.locator(selector).evaluate("e => e.getBoundingClientRect().right")


def test_the_review_form_fits_a_phone(page, live_server, paul):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "paul", PASSWORD)

    page.goto(f"{live_server.url}/partners/nordlicht/reviews/new/")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card = page.locator(".card", has=page.locator("#id_reviewed_on"))
    card_right = card.evaluate("e => e.getBoundingClientRect().right")
    assert _right_edge(page, "#id_reviewed_on") <= card_right
    for field in ("description", "owner", "due_on", "done_on"):
        box = page.locator(f"#id_actions-0-{field}").bounding_box()
        assert box is not None and box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"]
        assert box["width"] >= 120, f"{field} is squashed to {box['width']} px"
    expect(page.get_by_label("Done").first).to_be_visible()
    screenshot(page, "review-form-phone")
    assert page.console_errors == []


def test_the_review_forms_action_item_inputs_are_labelled(page, live_server, paul):
    from axe_playwright_python.sync_playwright import Axe

    sign_in(page, live_server, "paul", PASSWORD)
    page.goto(f"{live_server.url}/partners/nordlicht/reviews/new/")

    found = Axe().run(page).response["violations"]
    blocking = [v["id"] for v in found if v["impact"] in ("critical", "serious")]
    assert blocking == []
    expect(page.get_by_label("Owner")).to_have_count(3)
