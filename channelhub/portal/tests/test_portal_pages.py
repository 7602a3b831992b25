"""The partner portal's pages: what a partner user sees and does, and what
another partner's user, an internal user, a deactivated contact and an
offboarded partner get instead."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channelhub.lib.roles import PARTNER_MANAGER, VIEWER
from kpis.tests.helpers import import_rows, recompute
from partners.deals import services as deals_services
from partners.models import (
    ConflictCase,
    DealRegistration,
    Interaction,
    Partner,
    PortalMessage,
    ReviewActionItem,
    Tier,
)
from tests.auth import signed_in_client
from tests.factories import (
    ActionItemFactory,
    CertificationFactory,
    ChannelFactory,
    ContactFactory,
    ContractFactory,
    PartnerFactory,
    ReviewFactory,
    UserFactory,
    make_partner_user,
)
from tests.test_authorization_audit import database_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    paul = UserFactory(username="paul", first_name="Paul", role=PARTNER_MANAGER)
    petra = UserFactory(username="petra", first_name="Petra", role=PARTNER_MANAGER)
    channel = ChannelFactory(slug="market", name="Market")
    # The tiers every installation starts with (migration 0003): Silver, then Gold.
    silver = Tier.objects.get(code="silver")
    Tier.objects.filter(code="gold").update(description="EUR 500k revenue a year")
    acme = PartnerFactory(name="Acme Resellers", slug="acme", channel=channel, manager=paul)
    acme.tier = silver
    acme.save()
    globex = PartnerFactory(name="Globex Trading", slug="globex", channel=channel, manager=petra)
    alice = make_partner_user(acme, "alice", name="Alice Acme")
    bob = make_partner_user(globex, "bob", name="Bob Globex")
    return {
        "paul": paul,
        "petra": petra,
        "acme": acme,
        "globex": globex,
        "alice": alice,
        "bob": bob,
        "channel": channel,
    }


def _deal_data(**overrides):
    data = {
        "customer_name": "Initech AG",
        "customer_domain": "initech.de",
        "country": "DE",
        "estimated_value": "40000",
        "product_interest": "Desks",
        "expected_close_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "notes": "",
    }
    return {**data, **overrides}


# --- home / scorecard ---------------------------------------------------------------------


def test_home_shows_the_partners_own_scorecard(world):
    acme = world["acme"]
    review = ReviewFactory(partner=acme, author=world["paul"], strengths="Fast quotes")
    ActionItemFactory(review=review, description="Send the co-marketing plan")
    alice_contact = world["alice"].portal_account.contact
    CertificationFactory(contact=alice_contact, name="Desk expert", expires_on=date(2030, 1, 1))
    ContractFactory(partner=acme, end_on=date(2031, 6, 30))
    # Another partner's things stay out.
    ActionItemFactory(review=ReviewFactory(partner=world["globex"]), description="Globex task")

    response = signed_in_client(world["alice"]).get(reverse("portal:home"))

    assert response.status_code == 200
    text = response.text
    assert "Acme Resellers" in text and "Silver" in text and "next: Gold" in text
    assert "EUR 500k revenue a year" in text
    assert f"{review.overall}" in text and "Fast quotes" in text
    assert "Send the co-marketing plan" in text and "Globex task" not in text
    assert "Desk expert" in text and "2030-01-01" in text
    assert "2031-06-30" in text
    assert "Globex Trading" not in text


def test_home_shows_sales_and_roi_from_the_kpi_engine(world):
    # Partner row: revenue 400, spend 100, no cost of goods: ROI (400 - 100) / 100 = 3.
    import_rows(
        ["date", "channel", "partner", "spend", "revenue"],
        [["2025-01-02", "market", "acme", "100", "400"], ["2025-01-02", "market", "", "50", "90"]],
    )
    recompute()

    response = signed_in_client(world["alice"]).get(reverse("portal:home"))

    figures = response.context["figures"]
    assert figures.revenue == Decimal("400")
    assert figures.roi == Decimal("3")
    assert len(figures.months) == 1 and figures.months[0]["revenue"] == Decimal("400")
    assert response.context["figures"].roi is not None
    assert "300.0%" in response.text
    # What the ROI counts is said beside it.
    assert 'id="portal-roi-meaning"' in response.text
    assert "the gross profit of your sales less their cost" in response.text


def test_home_query_count_does_not_grow_with_the_partners_data(world):
    client = signed_in_client(world["alice"])
    acme = world["acme"]

    def queries() -> int:
        review = ReviewFactory(partner=acme)
        for _ in range(3):
            ActionItemFactory(review=review)
            CertificationFactory(contact=ContactFactory(partner=acme))
            ContractFactory(partner=acme)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("portal:home")).status_code == 200
        return len(ctx.captured_queries)

    assert queries() == queries()


def test_a_partner_user_marks_an_action_item_done_with_a_note(world):
    item = ActionItemFactory(review=ReviewFactory(partner=world["acme"]))
    client = signed_in_client(world["alice"])

    response = client.post(
        reverse("portal:action-done", args=[item.pk]), {f"{item.pk}-note": "Plan sent on Monday"}
    )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_on == timezone.localdate()
    assert item.done_note == "Plan sent on Monday"
    assert item.done_by == world["alice"]


def test_a_too_long_note_is_refused_next_to_the_field_and_kept(world):
    item = ActionItemFactory(review=ReviewFactory(partner=world["acme"]))
    long_note = "x" * 301

    response = signed_in_client(world["alice"]).post(
        reverse("portal:action-done", args=[item.pk]), {f"{item.pk}-note": long_note}
    )

    assert response.status_code == 200
    assert "at most 300 characters" in response.text
    assert long_note in response.text
    item.refresh_from_db()
    assert item.done_on is None


def test_another_partners_user_cannot_tick_off_an_action_item(world):
    item = ActionItemFactory(review=ReviewFactory(partner=world["acme"]))
    before = database_state()

    response = signed_in_client(world["bob"]).post(
        reverse("portal:action-done", args=[item.pk]), {f"{item.pk}-note": "mine now"}
    )

    assert response.status_code == 404
    assert database_state() == before
    assert ReviewActionItem.objects.get(pk=item.pk).done_on is None


# --- deals --------------------------------------------------------------------------------


def test_a_partner_user_registers_a_deal_through_the_deal_service(world):
    response = signed_in_client(world["alice"]).post(reverse("portal:deal-create"), _deal_data())

    deal = DealRegistration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:deal-detail", args=[deal.pk])
    assert deal.partner == world["acme"] and deal.registered_by == world["alice"]
    assert deal.status == "submitted" and deal.domain_key == "initech.de"
    assert deal.expires_on == timezone.localdate() + timedelta(days=90)


def test_bad_deal_input_is_shown_next_to_the_field_with_what_was_typed(world):
    response = signed_in_client(world["alice"]).post(
        reverse("portal:deal-create"), _deal_data(country="D1")
    )

    assert response.status_code == 200
    assert "is not a country code" in str(response.context["form"].errors["country"])
    assert 'value="Initech AG"' in response.text
    assert not DealRegistration.objects.exists()


def test_a_conflicting_registration_says_only_that_the_customer_is_protected(world):
    deals_services.deal_register(
        partner=world["globex"],
        customer_name="Initech AG",
        customer_domain="initech.de",
        country="DE",
        estimated_value=Decimal("90000"),
        expected_close_on=timezone.localdate() + timedelta(days=20),
        registered_by=world["bob"],
    )
    client = signed_in_client(world["alice"])

    response = client.post(
        reverse("portal:deal-create"), _deal_data(customer_domain="www.initech.de"), follow=True
    )

    case = ConflictCase.objects.get()
    assert case.kind == "deal_overlap" and case.is_open
    mine = DealRegistration.objects.get(partner=world["acme"])
    assert set(case.deals.all()) == {mine, DealRegistration.objects.get(partner=world["globex"])}
    assert "already protected by another registration" in response.text
    assert "Globex" not in response.text and "bob" not in response.text.lower()
    assert "90000" not in response.text and "90,000" not in response.text


def test_a_decision_taken_in_a_conflict_case_does_not_leak_the_other_partner(world):
    other = deals_services.deal_register(
        partner=world["globex"],
        customer_name="Initech AG",
        customer_domain="initech.de",
        country="DE",
        estimated_value=Decimal("90000"),
        expected_close_on=timezone.localdate() + timedelta(days=20),
    )
    mine = deals_services.deal_register(
        partner=world["acme"],
        customer_name="Initech AG",
        customer_domain="initech.de",
        country="DE",
        estimated_value=Decimal("10000"),
        expected_close_on=timezone.localdate() + timedelta(days=20),
    )
    case = ConflictCase.objects.get()
    deals_services.overlap_case_close(
        case=case, status="resolved", resolution="First come.", keep=str(other.pk), by=None
    )
    mine.refresh_from_db()
    assert mine.status == "rejected" and "Globex" in mine.decision_note

    response = signed_in_client(world["alice"]).get(reverse("portal:deal-detail", args=[mine.pk]))

    assert response.status_code == 200
    assert "Rejected" in response.text
    assert "Globex" not in response.text


def test_the_deal_list_and_detail_show_only_the_partners_own_deals(world):
    theirs = deals_services.deal_register(
        partner=world["globex"],
        customer_name="Umbrella Corp",
        country="US",
        estimated_value=Decimal("5000"),
        expected_close_on=timezone.localdate() + timedelta(days=20),
    )
    ours = deals_services.deal_register(
        partner=world["acme"],
        customer_name="Hooli Inc",
        country="US",
        estimated_value=Decimal("5000"),
        expected_close_on=timezone.localdate() + timedelta(days=20),
    )
    client = signed_in_client(world["alice"])

    listing = client.get(reverse("portal:deal-list"))
    assert "Hooli Inc" in listing.text and "Umbrella Corp" not in listing.text
    detail = client.get(reverse("portal:deal-detail", args=[ours.pk]))
    assert detail.status_code == 200 and ours.expires_on.isoformat() in detail.text
    assert client.get(reverse("portal:deal-detail", args=[theirs.pk])).status_code == 404


# --- messages -----------------------------------------------------------------------------


def test_a_message_lands_on_the_partners_log_and_emails_the_manager(
    world, django_capture_on_commit_callbacks
):
    world["paul"].email = "paul@example.com"
    world["paul"].save()
    client = signed_in_client(world["alice"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:messages"), {"body": "Can we get demo units?"})

    assert response.status_code == 302
    message = PortalMessage.objects.get()
    assert message.partner == world["acme"] and message.direction == "from_partner"
    interaction = Interaction.objects.get()
    assert interaction.partner == world["acme"] and interaction.kind == "portal"
    assert "Can we get demo units?" in interaction.summary
    assert list(interaction.contacts.all()) == [world["alice"].portal_account.contact]
    assert message.interaction == interaction
    assert [m.to for m in mail.outbox] == [["paul@example.com"]]
    assert "Can we get demo units?" in mail.outbox[0].body


def test_the_manager_answers_and_the_partners_users_get_an_email(
    world, django_capture_on_commit_callbacks
):
    client = signed_in_client(world["paul"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partners:portal-messages", args=["acme"]), {"body": "Sure, 3 units."}
        )

    assert response.status_code == 302
    message = PortalMessage.objects.get()
    assert message.direction == "to_partner" and message.sender == world["paul"]
    assert [m.to for m in mail.outbox] == [[world["alice"].email]]
    thread = signed_in_client(world["alice"]).get(reverse("portal:messages"))
    assert "Sure, 3 units." in thread.text
    assert (
        "Sure, 3 units." not in signed_in_client(world["bob"]).get(reverse("portal:messages")).text
    )


def test_a_message_sent_again_at_once_is_the_one_message(world, django_capture_on_commit_callbacks):
    """The report: three posts of the same message made three (and three emails)."""
    client = signed_in_client(world["alice"])
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            response = client.post(reverse("portal:messages"), {"body": "Demo units?"})
            assert response.status_code == 302
    assert PortalMessage.objects.count() == 1 and Interaction.objects.count() == 1
    assert len(mail.outbox) == 1
    # Saying it again later, or saying something else, is a new message.
    PortalMessage.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    client.post(reverse("portal:messages"), {"body": "Demo units?"})
    client.post(reverse("portal:messages"), {"body": "And brochures?"})
    assert PortalMessage.objects.count() == 3


def test_an_empty_message_is_refused_next_to_the_field(world):
    response = signed_in_client(world["alice"]).post(reverse("portal:messages"), {"body": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert not PortalMessage.objects.exists() and not Interaction.objects.exists()


def test_another_partner_manager_cannot_answer_a_partners_thread(world):
    before = database_state()

    response = signed_in_client(world["petra"]).post(
        reverse("partners:portal-messages", args=["acme"]), {"body": "Hello"}
    )

    assert response.status_code == 403
    assert database_state() == before


# --- who may use the portal at all -----------------------------------------------------------

PORTAL_PAGES = ["portal:home", "portal:deal-list", "portal:deal-create", "portal:messages"]


@pytest.mark.parametrize("name", PORTAL_PAGES)
def test_internal_users_are_refused_by_portal_pages(world, name):
    viewer = UserFactory(username="vera", role=VIEWER)
    for user in (world["paul"], viewer):
        assert signed_in_client(user).get(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/partners/",
        "/partners/acme/",
        "/partners/globex/",
        "/partners/deals/",
        "/channels/",
        "/kpis/packs/",
        "/accounts/profile/",
        "/admin/",
        "/api/v1/partners/",
        "/history/partner/1/",
    ],
)
def test_a_partner_user_reaches_no_internal_page(world, path):
    response = signed_in_client(world["alice"]).get(path)

    assert response.status_code == 403
    if path.startswith("/api/"):  # the API's own error body
        assert response.json()["code"] == "permission_denied"
    else:
        assert "not part of the partner portal" in response.text


def test_a_partner_user_is_sent_from_the_internal_home_to_the_portal(world):
    response = signed_in_client(world["alice"]).get("/")

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")


def test_a_partner_users_api_token_opens_nothing(world):
    from tests.api import token_client

    response = token_client(world["alice"]).get("/api/v1/partners/")

    assert response.status_code == 403


def test_deactivating_the_contact_shuts_a_signed_in_session_at_the_next_click(world):
    client = signed_in_client(world["alice"])
    assert client.get(reverse("portal:home")).status_code == 200
    contact = world["alice"].portal_account.contact
    contact.is_active = False
    contact.save()

    response = client.get(reverse("portal:home"))

    assert response.status_code == 403
    assert "Your portal access is closed" in response.text
    # Signed out: the next request is a stranger's.
    assert client.get(reverse("portal:deal-list")).status_code == 302


def test_offboarding_the_partner_shuts_its_accounts(world):
    client = signed_in_client(world["alice"])
    Partner.objects.filter(pk=world["acme"].pk).update(status=Partner.Status.OFFBOARDED)
    before = database_state()

    response = client.post(reverse("portal:deal-create"), _deal_data())

    assert response.status_code == 403
    assert "Your portal access is closed" in response.text
    assert not DealRegistration.objects.exists()
    assert {k: v for k, v in database_state().items() if k != "auth.User"} == {
        k: v for k, v in before.items() if k != "auth.User"
    }


def test_a_removed_contacts_account_is_shut(world):
    client = signed_in_client(world["alice"])
    world["alice"].portal_account.contact.delete()

    response = client.get(reverse("portal:home"))

    assert response.status_code == 403 and "Your portal access is closed" in response.text


def test_the_deal_list_shows_when_each_registration_is_expected_to_stop_protecting(world):
    today = timezone.localdate()
    waiting = deals_services.deal_register(
        partner=world["acme"],
        customer_name="Waiting Corp",
        country="US",
        estimated_value=Decimal("5000"),
        expected_close_on=today + timedelta(days=20),
        submitted_on=today - timedelta(days=10),
    )
    approved = deals_services.deal_register(
        partner=world["acme"],
        customer_name="Approved Corp",
        country="US",
        estimated_value=Decimal("5000"),
        expected_close_on=today + timedelta(days=20),
    )
    deals_services.deal_approve(
        deal=approved, by=world["paul"], expires_on=today + timedelta(days=45)
    )
    rejected = deals_services.deal_register(
        partner=world["acme"],
        customer_name="Rejected Corp",
        country="US",
        estimated_value=Decimal("5000"),
        expected_close_on=today + timedelta(days=20),
    )
    deals_services.deal_reject(deal=rejected, by=world["paul"], note="No")

    response = signed_in_client(world["alice"]).get(reverse("portal:deal-list"))

    rows = {
        name: response.text.split(name, 1)[1].split("</tr>", 1)[0]
        for name in ("Waiting Corp", "Approved Corp", "Rejected Corp")
    }
    # Waiting: registered 10 days ago, so approval today would protect it
    # 90 days from today, 10 days longer than its current expiry.
    expected = (today + timedelta(days=90)).isoformat()
    assert expected in rows["Waiting Corp"] and "if approved today" in rows["Waiting Corp"]
    assert waiting.expires_on.isoformat() not in rows["Waiting Corp"]
    assert (today + timedelta(days=45)).isoformat() in rows["Approved Corp"]
    assert "if approved" not in rows["Approved Corp"]
    assert "—" in rows["Rejected Corp"]


def _protection(client, deal) -> str:
    page = client.get(reverse("portal:deal-detail", args=[deal.pk])).text
    return page.split('id="deal-protected-until">', 1)[1].split("</dd>", 1)[0]


def _register(world, name, partner="acme", **kwargs):
    return deals_services.deal_register(
        partner=world[partner],
        customer_name=name,
        country="US",
        estimated_value=Decimal("5000"),
        expected_close_on=timezone.localdate() + timedelta(days=20),
        **kwargs,
    )


def test_a_deal_says_in_plain_words_until_when_it_protects_the_customer(world):
    today = timezone.localdate()
    in_90 = (today + timedelta(days=90)).isoformat()
    waiting = _register(world, "Waiting Corp", submitted_on=today - timedelta(days=10))
    fresh = _register(world, "Fresh Corp")
    approved = _register(world, "Approved Corp")
    deals_services.deal_approve(
        deal=approved, by=world["paul"], expires_on=today + timedelta(days=45)
    )
    rejected = _register(world, "Rejected Corp")
    deals_services.deal_reject(deal=rejected, by=world["paul"], note="No")
    lapsed = _register(world, "Lapsed Corp", submitted_on=today - timedelta(days=100))
    client = signed_in_client(world["alice"])

    assert _protection(client, waiting) == (
        f"Protected until {(today + timedelta(days=80)).isoformat()} while it waits for "
        f"approval. If approved today, protected until {in_90}."
    )
    assert _protection(client, fresh) == (
        f"Protected until {in_90}, while it waits for approval and if approved today."
    )
    assert _protection(client, approved) == (
        f"Protected until {(today + timedelta(days=45)).isoformat()}."
    )
    assert _protection(client, rejected) == "Not protected."
    assert _protection(client, lapsed) == (
        f"No longer protected: its protection ended on {(today - timedelta(days=10)).isoformat()}."
    )


def test_a_deal_waiting_in_a_conflict_says_only_what_approval_would_give(world):
    _register(world, "Initech AG", partner="globex", customer_domain="initech.de")
    mine = _register(world, "Initech AG", customer_domain="initech.de")
    in_90 = (timezone.localdate() + timedelta(days=90)).isoformat()

    protection = _protection(signed_in_client(world["alice"]), mine)

    assert protection == f"If approved today, protected until {in_90}."
    assert "Globex" not in protection and "Initech" not in protection


def test_the_partner_who_registered_first_is_not_told_another_holds_the_customer(world):
    """The report: Nina registered first, yet her page said the customer was
    already protected by another registration, and her protection line went."""
    today = timezone.localdate()
    mine = _register(world, "Initech AG", customer_domain="initech.de")
    _register(world, "Initech GmbH", partner="globex", customer_domain="www.initech.de")
    assert ConflictCase.objects.get().deals.count() == 2
    alice = signed_in_client(world["alice"])

    page = alice.get(reverse("portal:deal-detail", args=[mine.pk])).text
    assert "Yours came first and stays protected while it waits" in page
    assert "already protected by another registration" not in page
    in_90 = (today + timedelta(days=90)).isoformat()
    assert _protection(alice, mine) == (
        f"Protected until {in_90}, while it waits for approval and if approved today."
    )
    assert "Globex" not in page
    # The second one is told the customer is protected.
    theirs = DealRegistration.objects.get(partner=world["globex"])
    response = signed_in_client(world["bob"]).get(reverse("portal:deal-detail", args=[theirs.pk]))
    assert "already protected by another registration" in response.text
