"""Market development fund claims (issue 21 item 6): refused at submission when
they do not fit, with the message next to the field and what was typed kept;
the fund left computed once and shown on the programme page and the form."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from partners.incentives import selectors, services
from partners.incentives.models import MdfClaim
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(partner_user):
    """A 5,000 a quarter fund, this year, with Paul's partner enrolled and 1,200
    already claimed (approved 700, 500 awaiting a decision) this quarter."""
    today = timezone.localdate()
    channel = ChannelFactory(slug="market", route="indirect", name="Marketplace")
    mine = PartnerFactory(channel=channel, manager=partner_user, name="Nordlicht Handel")
    program = services.program_create(
        data={
            "name": "Co-marketing fund",
            "kind": "mdf",
            "channel": channel,
            "start_date": date(today.year, 1, 1),
            "accrual_period": "quarter",
            "mdf_allocation": D("5000"),
        },
        created_by=partner_user,
    )
    services.enrollment_add(program=program, partner=mine, start_date=date(today.year, 1, 1))
    approved = services.claim_submit(
        program=program, partner=mine, activity_date=today, amount=D("700"), description="Fair"
    )
    MdfClaim.objects.filter(pk=approved.pk).update(status=MdfClaim.Status.APPROVED)
    services.claim_submit(
        program=program, partner=mine, activity_date=today, amount=D("500"), description="Ads"
    )
    return program, mine, today


def _claim(client, program, partner, amount, day):
    return client.post(
        reverse("partners:program-claim", args=[program.pk]),
        {
            "partner": partner.pk,
            "activity_date": day.isoformat(),
            "amount": amount,
            "description": "Trade fair booth",
        },
    )


def test_the_fund_left_counts_claims_approved_and_awaiting_a_decision(fund):
    program, mine, today = fund
    assert selectors.mdf_funds_left(program=program, day=today) == {mine.pk: D("3800")}


def test_a_claim_over_the_fund_left_is_refused_at_submission(fund, partner_client):
    program, mine, today = fund
    response = _claim(partner_client, program, mine, "4500", today)
    assert response.status_code == 200  # the page again, not a redirect
    errors = response.context["claim_form"].errors
    assert "Only $3,800.00 of Nordlicht Handel's fund is left" in errors["amount"][0]
    # What was typed is kept.
    assert 'value="4500"' in response.text and "Trade fair booth" in response.text
    assert MdfClaim.objects.filter(program=program).count() == 2


def test_a_claim_of_nothing_says_so_in_words(fund, partner_client):
    program, mine, today = fund
    response = _claim(partner_client, program, mine, "0", today)
    assert response.status_code == 200
    assert response.context["claim_form"].errors["amount"] == ["Claim an amount above 0."]
    assert "claim_amount_positive" not in response.text


def test_a_claim_that_fits_is_submitted(fund, partner_client):
    program, mine, today = fund
    response = _claim(partner_client, program, mine, "3800", today)
    assert response.status_code == 302
    assert selectors.mdf_funds_left(program=program, day=today) == {mine.pk: D("0")}


def test_the_page_shows_the_fund_left_and_periods_in_words(fund, partner_client):
    program, _mine, today = fund
    quarter = f"Q{(today.month - 1) // 3 + 1} {today.year}"
    text = partner_client.get(program.get_absolute_url()).text
    assert f"Fund left for {quarter}" in text
    assert "<strong>Nordlicht Handel</strong> $3,800.00" in text
    assert f'Fund left <small class="muted">({quarter})</small>' in text
    assert "Owed" in text and ">Balance<" not in text


def test_a_claim_stored_with_a_date_past_the_window_is_refused_approval_in_words(
    fund, marketing_client
):
    """Issue 19: a claim dated 9999-12-31 from before dates had a window answered
    500 on approval (its fund period does not exist); now it says why."""
    program, _mine, _today = fund
    claim = MdfClaim.objects.filter(program=program, status=MdfClaim.Status.SUBMITTED).get()
    MdfClaim.objects.filter(pk=claim.pk).update(activity_date=date(9999, 12, 31))

    response = marketing_client.post(
        reverse("partners:claim-decide", args=[claim.pk]), {"decision": "approve"}, follow=True
    )

    assert response.status_code == 200
    assert "activity date 9999-12-31 is out of range" in response.text
    assert MdfClaim.objects.get(pk=claim.pk).status == MdfClaim.Status.SUBMITTED
    marketing_client.post(reverse("partners:claim-decide", args=[claim.pk]), {"decision": "reject"})
    assert MdfClaim.objects.get(pk=claim.pk).status == MdfClaim.Status.REJECTED


def test_an_offboarded_partner_joins_no_fund_and_claims_only_what_came_before(
    fund, partner_client, partner_user
):
    from django.core.exceptions import ValidationError

    from partners.directory.services import partner_set_status

    program, mine, today = fund
    gone = PartnerFactory(channel=program.channel, manager=partner_user, name="Gone GmbH")
    partner_set_status(partner=gone, status="offboarded", note="Closed its business")
    page = partner_client.get(reverse("partners:program-detail", args=[program.pk])).text
    assert "Gone GmbH" not in page  # not offered for enrolment
    with pytest.raises(ValidationError, match="Gone GmbH is offboarded: it joins no programme"):
        services.enrollment_add(program=program, partner=gone)
    # Paul's own partner leaves: activities before that day can still be settled.
    partner_set_status(partner=mine, status="offboarded", note="Closed its business")
    response = _claim(partner_client, program, mine, "100", today)
    assert response.status_code == 200
    (error,) = response.context["claim_form"].errors["activity_date"]
    assert f"was offboarded on {today:%Y-%m-%d}: only activities before that day" in error
    if today.replace(month=1, day=1) < today:
        yesterday = today - timedelta(days=1)
        assert _claim(partner_client, program, mine, "100", yesterday).status_code == 302
