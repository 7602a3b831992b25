"""Partner users hear by email when one of their registrations is decided, and
never who else claimed the customer."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from channelhub.lib.roles import MARKETING_MANAGER
from partners.conflicts.models import ConflictCase
from partners.deals import services as deals_services
from tests.factories import PartnerFactory, UserFactory, make_partner_user

pytestmark = pytest.mark.django_db


def _register(partner, name="Initech AG", domain="initech.de"):
    return deals_services.deal_register(
        partner=partner,
        customer_name=name,
        customer_domain=domain,
        country="DE",
        estimated_value=Decimal("40000"),
        expected_close_on=timezone.localdate() + timedelta(days=30),
        notify=False,
    )


@pytest.fixture
def world():
    maria = UserFactory(username="maria", role=MARKETING_MANAGER)
    acme = PartnerFactory(name="Acme Resellers")
    globex = PartnerFactory(name="Globex Trading", channel=acme.channel)
    alice = make_partner_user(acme, "alice")
    return {"maria": maria, "acme": acme, "globex": globex, "alice": alice}


def test_an_approval_emails_the_partners_users_with_the_protection_end(
    world, django_capture_on_commit_callbacks
):
    deal = _register(world["acme"])

    with django_capture_on_commit_callbacks(execute=True):
        deal = deals_services.deal_approve(deal=deal, by=world["maria"], note="Welcome aboard")

    assert [m.to for m in mail.outbox] == [[world["alice"].email]]
    body = mail.outbox[0].body
    assert "Initech AG" in body and "approved" in body
    assert f"protected for you until {deal.expires_on:%Y-%m-%d}" in body
    assert "Welcome aboard" in body
    assert f"/portal/deals/{deal.pk}/" in body


def test_a_decision_in_a_conflict_case_never_names_the_other_partner(
    world, django_capture_on_commit_callbacks
):
    theirs = _register(world["globex"])
    mine = _register(world["acme"])
    case = ConflictCase.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        deals_services.overlap_case_close(
            case=case, status="resolved", resolution="First come.", keep=str(theirs.pk), by=None
        )

    mine.refresh_from_db()
    assert mine.status == "rejected" and "Globex" in mine.decision_note
    notices = [m for m in mail.outbox if m.to == [world["alice"].email]]
    assert len(notices) == 1 and "rejected" in notices[0].body
    assert "Globex" not in notices[0].body and "Globex" not in notices[0].subject


def test_a_closed_account_gets_no_notice(world, django_capture_on_commit_callbacks):
    contact = world["alice"].portal_account.contact
    contact.is_active = False
    contact.save()
    deal = _register(world["acme"])

    with django_capture_on_commit_callbacks(execute=True):
        deals_services.deal_reject(deal=deal, by=world["maria"], note="Not a fit")

    assert mail.outbox == []
