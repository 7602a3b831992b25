"""What a reviewer found on the programme pages: the list's money, a claim
decided by pressing Enter, a claim approved by whoever filed it, a claim sent
twice or for an activity still to come, and negative amounts on a programme."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from partners.incentives import services
from partners.incentives.models import IncentiveProgram, MdfClaim
from tests.factories import ChannelFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(partner_user):
    today = timezone.localdate()
    channel = ChannelFactory(slug="market", route="indirect", name="Marketplace")
    mine = PartnerFactory(channel=channel, manager=partner_user, name="Nordlicht Handel")
    program = services.program_create(
        data={
            "name": "Co-marketing fund",
            "kind": "mdf",
            "channel": channel,
            "start_date": date(today.year - 1, 1, 1),
            "accrual_period": "quarter",
            "mdf_allocation": D("5000"),
        },
        created_by=partner_user,
    )
    services.enrollment_add(program=program, partner=mine, start_date=date(today.year - 1, 1, 1))
    return program, mine, today


def test_the_programme_list_shows_accrued_and_paid_in_money_not_hundredths(
    fund, marketing_client, partner_user
):
    program, mine, today = fund
    accrual = apps.get_model("kpis", "IncentiveAccrual")
    accrual.objects.create(
        program=program, partner=mine, channel=mine.channel, period_start=today,
        period_end=today, accrued_on=today, amount=D("30978.62"),
    )  # fmt: skip
    services.payout_record(
        program=program, partner=mine, period_start=today, period_end=today,
        amount=D("5.00"), paid_on=today, recorded_by=partner_user,
    )  # fmt: skip
    page = marketing_client.get(reverse("partners:programs")).text
    assert "$30,978.62" in page and "$5.00" in page
    assert "$309.79" not in page and "$0.05" not in page


def _decide(client, claim, **data):
    return client.post(reverse("partners:claim-decide", args=[claim.pk]), data, follow=True)


def test_only_a_press_of_approve_or_reject_decides_a_claim(fund, marketing_client):
    program, mine, today = fund
    claim = services.claim_submit(
        program=program, partner=mine, activity_date=today, amount=D("300"), description="Ads"
    )
    # What Enter in the note sent before the form had a disabled default button.
    for data in ({"note": "Rejected: no invoice"}, {"note": "x", "decision": "maybe"}):
        response = _decide(marketing_client, claim, **data)
        assert "Nothing was decided: press Approve or Reject." in response.text
        claim.refresh_from_db()
        assert claim.status == MdfClaim.Status.SUBMITTED and claim.decided_by is None
    page = marketing_client.get(program.get_absolute_url()).text
    # The form's first button is disabled: Enter in the note submits nothing.
    form = page[page.index(reverse("partners:claim-decide", args=[claim.pk])) :]
    assert form.index('type="submit" disabled hidden') < form.index('value="approve"')
    _decide(marketing_client, claim, decision="reject", note="No invoice")
    claim.refresh_from_db()
    assert claim.status == MdfClaim.Status.REJECTED and claim.decision_note == "No invoice"


def test_whoever_submitted_a_claim_does_not_decide_it(fund, marketing_client, marketing_user):
    program, mine, today = fund
    claim = services.claim_submit(
        program=program, partner=mine, activity_date=today, amount=D("300"),
        description="Ads", created_by=marketing_user,
    )  # fmt: skip
    page = marketing_client.get(program.get_absolute_url()).text
    assert "You submitted this claim: another approver decides it." in page
    assert reverse("partners:claim-decide", args=[claim.pk]) not in page
    response = _decide(marketing_client, claim, decision="approve")
    assert "You submitted this claim: another marketing manager or an administrator" in (
        response.text
    )
    assert MdfClaim.objects.get().status == MdfClaim.Status.SUBMITTED
    # Another marketing manager decides it.
    tom = UserFactory(username="tom", role="Marketing manager")
    services.claim_decide(claim=claim, approve=True, user=tom)
    assert MdfClaim.objects.get().status == MdfClaim.Status.APPROVED


def test_the_same_claim_sent_twice_is_kept_once(fund, partner_client):
    program, mine, today = fund
    data = {
        "partner": mine.pk,
        "activity_date": today.isoformat(),
        "amount": "250",
        "description": "Trade fair booth",
    }
    url = reverse("partners:program-claim", args=[program.pk])
    assert partner_client.post(url, data).status_code == 302
    again = partner_client.post(url, data)
    assert "awaits a decision: it is not sent twice" in again.text
    assert MdfClaim.objects.count() == 1
    # A second claim that differs (another amount) is a claim of its own.
    assert partner_client.post(url, {**data, "amount": "100"}).status_code == 302
    assert MdfClaim.objects.count() == 2


def test_a_claim_for_an_activity_still_to_come_is_refused_next_to_its_date(fund, partner_client):
    program, mine, today = fund
    response = partner_client.post(
        reverse("partners:program-claim", args=[program.pk]),
        {
            "partner": mine.pk,
            "activity_date": (today + timedelta(days=30)).isoformat(),
            "amount": "250",
            "description": "Booth",
        },
    )
    errors = response.context["claim_form"].errors
    assert "took place: this date is to come" in errors["activity_date"][0]
    assert not MdfClaim.objects.exists()


@pytest.mark.parametrize(
    ("kind", "field", "extra"),
    [
        ("mdf", "mdf_allocation", {}),
        ("spiff", "spiff_per_unit", {"end_date": "2025-12-31"}),
        ("rebate", "rebate_threshold", {"rebate_rate": "0.02"}),
    ],
)
def test_a_negative_programme_amount_is_refused_next_to_its_field(
    marketing_client, kind, field, extra
):
    channel = ChannelFactory(slug="market", route="indirect")
    data = {
        "name": "Bonus", "kind": kind, "channel": channel.pk, "accrual_period": "quarter",
        "start_date": "2025-01-01", "rebate_threshold": "0", "brackets-TOTAL_FORMS": "0",
        "brackets-INITIAL_FORMS": "0", **extra, field: "-500",
    }  # fmt: skip
    response = marketing_client.post(reverse("partners:program-create"), data)
    form = response.context["form"]
    assert form.errors[field] == ["Enter an amount of 0 or more."]
    assert "Constraint" not in response.text and 'value="-500"' in response.text
    assert not IncentiveProgram.objects.exists()
    assert form.fields["mdf_allocation"].label == "MDF allocation"
    assert form.fields["spiff_per_unit"].label == "SPIFF per unit"
