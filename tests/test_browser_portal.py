"""A partner manager invites a partner's contact to the portal; the contact
chooses a password, signs in, registers a deal for a customer another partner
already holds (and is told only that it is protected), writes to the manager,
who reads it inside. In a real Chromium."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from channelhub.lib.roles import PARTNER_MANAGER
from channels_app.library.services import library_item_publish
from partners.deals import services as deals_services
from partners.models import (
    ConflictCase,
    ContractAcknowledgement,
    DealRegistration,
    Interaction,
    MdfClaim,
    PortalAccount,
    TrainingCompletion,
)
from tests.browser import screenshot, sign_in, sign_out
from tests.documents import pdf_bytes
from tests.factories import (
    PASSWORD,
    ChannelFactory,
    ContactFactory,
    ContractFactory,
    EnrollmentFactory,
    IncentiveProgramFactory,
    PartnerFactory,
    TrainingModuleFactory,
    UserFactory,
    make_partner_user,
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
    expect(page.locator("#contacts")).to_contain_text(
        "invited, link not used yet", use_inner_text=True
    )
    sign_out(page)  # done before Nina's link is opened, not cancelled by it
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
    expect(page.locator("header")).to_contain_text("Nordlicht Handel", use_inner_text=True)
    screenshot(page, "portal-home")

    # She registers a deal for a customer Alpine Supply already holds.
    page.click("nav >> text=Deals")
    page.wait_for_url("**/portal/deals/")
    page.click("text=+ Register a deal")
    page.wait_for_url("**/portal/deals/new/")
    page.fill("#id_customer_name", "ACME Deutschland")
    page.fill("#id_customer_domain", "https://www.acme.de/kontakt")
    page.fill("#id_country", "de")
    page.fill("#id_estimated_value", "60000")
    page.fill("#id_expected_close_on", (timezone.localdate() + timedelta(days=30)).isoformat())
    page.click("button:has-text('Register deal')")
    # The form says "already protected by another registration" too: wait for the
    # deal's page (loaded, as what it must not show is read below).
    page.wait_for_url(re.compile(r"/portal/deals/\d+/$"))
    page.wait_for_selector("text=already protected by another registration")
    main = page.inner_text("main")
    assert "Alpine" not in main and "80000" not in main and "80,000" not in main
    assert page.locator("#deal-protected").count() == 1
    screenshot(page, "portal-deal-protected")

    # She writes to Paul.
    page.click("nav >> text=Messages")
    page.wait_for_url("**/portal/messages/")
    page.fill("#id_body", "Can we get demo units for ACME?")
    page.click("button:has-text('Send message')")
    page.wait_for_selector("text=Message sent.")
    expect(page.locator(".message-thread")).to_contain_text(
        "Can we get demo units for ACME?", use_inner_text=True
    )

    # An internal page is not hers (the browser notes the 403 it answers).
    assert page.console_errors == []
    page.goto(f"{live_server.url}/partners/")
    page.wait_for_selector("text=This page is not part of the partner portal")
    assert [e for e in page.console_errors if "403" not in e] == []
    page.console_errors.clear()
    sign_out(page)  # done before sign_in opens the sign-in page, not cancelled by it

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


def test_a_partner_user_records_training_acknowledges_terms_claims_and_reads_the_library(
    live_server, page, tmp_path
):
    paul = UserFactory(username="paul", first_name="Paul", role=PARTNER_MANAGER)
    channel = ChannelFactory(name="EU Distributors", route="indirect")
    nordlicht = PartnerFactory(name="Nordlicht Handel", channel=channel, manager=paul)
    TrainingModuleFactory(name="Selling our desks")
    ContractFactory(partner=nordlicht)
    fund = IncentiveProgramFactory(
        name="Co-marketing fund", channel=channel, mdf_allocation=Decimal("1000")
    )
    EnrollmentFactory(program=fund, partner=nordlicht)
    library_item_publish(
        channel=channel,
        title="Brand guidelines",
        kind="guideline",
        file=ContentFile(pdf_bytes(), name="guidelines.pdf"),
    )
    nina = make_partner_user(nordlicht, "nina", name="Nina Berger")
    proof = tmp_path / "invoice.pdf"
    proof.write_bytes(pdf_bytes())
    today = timezone.localdate()

    sign_in(page, live_server, nina.username, PASSWORD)

    # Training: she records a module she completed, with its certificate.
    page.click("nav >> text=Training")
    page.wait_for_url("**/portal/training/")
    page.select_option("#id_module", label="Selling our desks")
    page.fill("#id_completed_on", today.isoformat())
    page.set_input_files("#id_certificate", str(proof))
    page.click("button:has-text('Record completion')")
    page.wait_for_selector("text=Recorded: you completed")

    # Contracts: she acknowledges the current terms.
    page.click("nav >> text=Contracts")
    page.wait_for_url("**/portal/contracts/")
    page.click("button:has-text('I acknowledge these terms')")
    page.wait_for_selector("text=You acknowledged the terms")

    # Incentives: a claim with proof (an empty one is refused next to the field first).
    page.click("nav >> text=Incentives")
    page.wait_for_url("**/portal/funds/")
    page.click("text=+ Claim")
    page.wait_for_url("**/portal/funds/*/claim/")
    page.fill("#id_activity_date", (today - timedelta(days=2)).isoformat())
    page.fill("#id_amount", "250")
    page.fill("#id_description", "Trade fair booth")
    page.click("button:has-text('Send claim')")
    page.wait_for_selector(".field.has-error")
    page.set_input_files("#id_proof", str(proof))
    page.click("button:has-text('Send claim')")
    page.wait_for_selector("text=Claim of $250.00 sent")
    expect(page.locator("#claims")).to_contain_text("Trade fair booth", use_inner_text=True)

    # Library: her channel's material, with its version and date.
    page.click("nav >> text=Library")
    page.wait_for_url("**/portal/library/")
    row = page.inner_text(".library-table")
    assert "Brand guidelines" in row and "v1" in row and today.isoformat() in row
    screenshot(page, "portal-library")

    assert TrainingCompletion.objects.get().certificate_name == "invoice.pdf"
    assert ContractAcknowledgement.objects.get().user == nina
    assert MdfClaim.objects.get().partner == nordlicht
    assert Interaction.objects.filter(partner=nordlicht, kind="in_portal").count() == 3
    assert page.console_errors == []
