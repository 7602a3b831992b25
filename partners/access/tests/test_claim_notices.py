"""Partner users hear by email when a fund claim they filed is decided."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from channelhub.lib.roles import MARKETING_MANAGER, PARTNER_MANAGER
from partners.incentives import services as incentives_services
from tests.factories import (
    EnrollmentFactory,
    IncentiveProgramFactory,
    PartnerFactory,
    UserFactory,
    make_partner_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    maria = UserFactory(username="maria", role=MARKETING_MANAGER)
    acme = PartnerFactory(name="Acme Resellers")
    fund = IncentiveProgramFactory(
        name="Co-marketing fund",
        channel=acme.channel,
        kind="mdf",
        mdf_allocation=Decimal("1000"),
        start_date=date(2025, 1, 1),
        end_date=None,
    )
    EnrollmentFactory(program=fund, partner=acme)
    return {
        "maria": maria,
        "acme": acme,
        "fund": fund,
        "alice": make_partner_user(acme, "alice"),
        "carl": make_partner_user(acme, "carl"),
        "bob": make_partner_user(PartnerFactory(channel=acme.channel), "bob"),
    }


def _claim(world, by):
    return incentives_services.claim_submit(
        program=world["fund"],
        partner=world["acme"],
        activity_date=date(2025, 3, 1),
        amount=Decimal("250"),
        description="Trade fair booth",
        created_by=by,
    )


def test_an_approval_emails_who_filed_the_claim(world, django_capture_on_commit_callbacks):
    claim = _claim(world, world["alice"])

    with django_capture_on_commit_callbacks(execute=True):
        incentives_services.claim_decide(
            claim=claim, approve=True, user=world["maria"], note="Paid next month"
        )

    assert [m.to for m in mail.outbox] == [[world["alice"].email]]
    message = mail.outbox[0]
    assert "250.00" in message.subject and "Approved" in message.subject
    assert "Co-marketing fund" in message.body and "approved" in message.body
    assert "Paid next month" in message.body and "/portal/funds/#claims" in message.body


def test_a_rejection_of_a_claim_filed_inside_goes_to_the_partners_open_accounts(
    world, django_capture_on_commit_callbacks
):
    # Filed inside by the partner's manager (whoever files a claim does not decide it).
    claim = _claim(world, UserFactory(username="paul", role=PARTNER_MANAGER))
    contact = world["carl"].portal_account.contact
    contact.is_active = False
    contact.save()

    with django_capture_on_commit_callbacks(execute=True):
        incentives_services.claim_decide(
            claim=claim, approve=False, user=world["maria"], note="No proof of the booth"
        )

    assert [m.to for m in mail.outbox] == [[world["alice"].email]]
    assert "rejected" in mail.outbox[0].body and "No proof of the booth" in mail.outbox[0].body


def test_a_refused_decision_sends_nothing(world, django_capture_on_commit_callbacks):
    claim = _claim(world, world["alice"])
    incentives_services.claim_decide(claim=claim, approve=False, user=world["maria"])

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        incentives_services.claim_decide(claim=claim, approve=True, user=world["maria"])

    assert mail.outbox == []
