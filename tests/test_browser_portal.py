"""A partner manager invites a partner's contact to the portal; the contact
chooses a password, signs in, registers a deal for a customer another partner
already holds (and is told only that it is protected), writes to the manager,
who reads it inside. In a real Chromium."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from channelhub.lib.roles import PARTNER_MANAGER
from partners.deals import services as deals_services
from partners.models import ConflictCase, DealRegistration, Interaction, PortalAccount
from tests.browser import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    ChannelFactory,
    ContactFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_PASSWORD = "Harbour-lights-2041"


def test_invite_accept_sign_in_register_a_deal_and_write_to_the_manager(live_server, page):
    paul = UserFactory(
        username="paul", first_name="Paul", email="paul@example.com", role=PARTNER_MANAGER
    )
    petra = UserFactory(username="petra", first_name="Petra", role=PARTNER_MANAGER)
    channel = ChannelFactory(name="EU Distributors", route="indirect")
    nordlicht = PartnerFactory(
        name="Nordlicht Handel", slug="nordlicht", channel=channel, manager=paul
    )
    alpine = PartnerFactory(name="Alpine Supply", channel=channel, manager=petra)
    ContactFactory(partner=nordlicht, name="Nina Berger", email="nina@nordlicht.example")
    deals_services.deal_register(
        partner=alpine,
        customer_name="Acme GmbH",
        customer_domain="acme.de",
        country="DE",
        estimated_value=Decimal("80000"),
        expected_close_on=timezone.localdate() + timedelta(days=45),
        registered_by=petra,
    )

    # Paul invites Nina from the partner page.
    sign_in(page, live_server, "paul", PASSWORD)
    page.goto(f"{live_server.url}/partners/nordlicht/")
    page.click("#contacts button:has-text('Invite to portal')")
    page.wait_for_selector("text=Invitation sent to nina@nordlicht.example")
    assert "invited, link not used yet" in page.inner_text("#contacts")
    page.click("button:has-text('Sign out')")
    link = re.search(r"https?://\S+/portal/invitation/\S+/", mail.outbox[-1].body).group(0)

    # Nina chooses her password (a mismatch is said next to the field first).
    page.goto(link)
    page.wait_for_selector("text=Welcome, Nina Berger")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD + "!")
    page.click("button:has-text('Set my password')")
    page.wait_for_selector(".field.has-error >> text=The two passwords differ.")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("button:has-text('Set my password')")
    page.wait_for_selector("text=Your password is set")

    # She signs in and lands in the portal.
    page.fill("#id_username", "nina@nordlicht.example")
    page.fill("#id_password", NEW_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h2:has-text('Your scorecard')")
    assert "Nordlicht Handel" in page.inner_text("header")
    screenshot(page, "portal-home")

    # She registers a deal for a customer Alpine Supply already holds.
    page.click("nav >> text=Deals")
    page.click("text=+ Register a deal")
    page.fill("#id_customer_name", "ACME Deutschland")
    page.fill("#id_customer_domain", "https://www.acme.de/kontakt")
    page.fill("#id_country", "de")
    page.fill("#id_estimated_value", "60000")
    page.fill("#id_expected_close_on", (timezone.localdate() + timedelta(days=30)).isoformat())
    page.click("button:has-text('Register deal')")
    page.wait_for_selector("text=already protected by another registration")
    main = page.inner_text("main")
    assert "Alpine" not in main and "80000" not in main and "80,000" not in main
    assert page.locator("#deal-protected").count() == 1
    screenshot(page, "portal-deal-protected")

    # She writes to Paul.
    page.click("nav >> text=Messages")
    page.fill("#id_body", "Can we get demo units for ACME?")
    page.click("button:has-text('Send message')")
    page.wait_for_selector("text=Message sent.")
    assert "Can we get demo units for ACME?" in page.inner_text(".message-thread")

    # An internal page is not hers (the browser notes the 403 it answers).
    assert page.console_errors == []
    page.goto(f"{live_server.url}/partners/")
    page.wait_for_selector("text=This page is not part of the partner portal")
    assert [e for e in page.console_errors if "403" not in e] == []
    page.console_errors.clear()
    page.click("button:has-text('Sign out')")

    # Paul reads it inside, and answers.
    sign_in(page, live_server, "paul", PASSWORD)
    page.goto(f"{live_server.url}/partners/nordlicht/messages/")
    assert "Can we get demo units for ACME?" in page.inner_text(".message-thread")
    page.fill("#id_body", "Yes: three units ship Monday.")
    page.click("button:has-text('Send to Nordlicht Handel')")
    page.wait_for_selector("text=Message sent to Nordlicht Handel.")

    account = PortalAccount.objects.get(user__username="nina@nordlicht.example")
    assert account.partner == nordlicht
    deal = DealRegistration.objects.get(customer_name="ACME Deutschland")
    assert deal.partner == nordlicht and deal.registered_by == account.user
    assert ConflictCase.objects.get().is_open
    assert Interaction.objects.filter(partner=nordlicht, kind="portal").count() == 2
    recipients = [m.to for m in mail.outbox]
    assert ["paul@example.com"] in recipients and ["nina@nordlicht.example"] in recipients
    assert page.console_errors == []
