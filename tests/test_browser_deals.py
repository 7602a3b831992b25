"""A partner manager registers a deal for a customer another partner already
holds, and sees the conflict case appear, in a real Chromium."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from channelhub.lib.roles import PARTNER_MANAGER
from partners.deals import services as deals_services
from partners.models import ConflictCase, DealRegistration
from tests.browser import screenshot, sign_in
from tests.factories import PASSWORD, ChannelFactory, PartnerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_colliding_registration_opens_a_conflict_case_the_manager_sees(live_server, page):
    paul = UserFactory(username="paul", first_name="Paul", role=PARTNER_MANAGER)
    petra = UserFactory(username="petra", first_name="Petra", role=PARTNER_MANAGER)
    channel = ChannelFactory(name="EU Distributors", route="indirect")
    nordlicht = PartnerFactory(name="Nordlicht Handel", channel=channel, manager=paul)
    alpine = PartnerFactory(name="Alpine Supply", channel=channel, manager=petra)
    today = timezone.localdate()
    held = deals_services.deal_register(
        partner=alpine,
        customer_name="Acme GmbH",
        customer_domain="acme.de",
        country="DE",
        estimated_value=Decimal("80000"),
        expected_close_on=today + timedelta(days=45),
        registered_by=petra,
    )

    sign_in(page, live_server, "paul", PASSWORD)
    page.click("nav >> text=Deals")
    page.wait_for_url("**/partners/deals/")
    page.click("text=+ Register deal")
    page.wait_for_url("**/partners/deals/new/")
    page.select_option("#id_partner", label="Nordlicht Handel (EU Distributors)")
    page.fill("#id_customer_name", "ACME Deutschland")
    page.fill("#id_customer_domain", "https://www.acme.de/kontakt")
    page.fill("#id_country", "de")
    page.fill("#id_estimated_value", "60000")
    page.fill("#id_product_interest", "Standing desks for 3 offices")
    # A close date in the past: the form says so and keeps what was typed.
    page.fill("#id_expected_close_on", (today - timedelta(days=3)).isoformat())
    page.click("button:has-text('Register deal')")
    page.wait_for_selector(".field.has-error >> text=The expected close date has passed.")
    assert page.input_value("#id_customer_name") == "ACME Deutschland"
    page.fill("#id_expected_close_on", (today + timedelta(days=30)).isoformat())
    page.click("button:has-text('Register deal')")

    # The form says "another partner already holds this customer" too: wait for
    # the registered deal's page (loaded: what it must not show is counted below),
    # not for words the form page already shows.
    page.wait_for_url(re.compile(r"/partners/deals/\d+/$"))
    page.wait_for_selector("text=Registered, but another partner already holds this customer")
    callout = page.locator("#deal-conflict")
    expect(callout).to_contain_text(
        "Deal overlap: ACME Deutschland registered by Nordlicht Handel", use_inner_text=True
    )
    assert page.locator("button[value=approve]").count() == 0  # Paul does not decide deals
    screenshot(page, "deal-registered-with-conflict")

    callout.locator("a").first.click()
    page.wait_for_selector("h2:has-text('Facts')")
    facts = page.locator("#facts")
    for name in ("Acme GmbH", "ACME Deutschland", "Alpine Supply", "Nordlicht Handel"):
        expect(facts).to_contain_text(name, use_inner_text=True)
    expect(page.locator("main")).to_contain_text(
        "They match on the same domain (acme.de)", use_inner_text=True
    )

    page.click("nav >> text=Conflicts")
    page.wait_for_url("**/partners/conflicts/")
    row = page.locator("table.conflict-table tbody tr").first
    for text in ("Deal / customer overlap", "Nordlicht Handel", "Alpine Supply"):
        expect(row).to_contain_text(text, use_inner_text=True)
    screenshot(page, "conflict-case-in-list")

    newer = DealRegistration.objects.get(customer_name="ACME Deutschland")
    assert newer.partner == nordlicht and newer.registered_by == paul
    assert newer.status == "submitted" and newer.domain_key == "acme.de"
    case = ConflictCase.objects.get()
    assert case.kind == "deal_overlap" and case.status == "open"
    assert set(case.deals.all()) == {held, newer}
    assert page.console_errors == []
