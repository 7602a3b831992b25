"""Incentive programme pages: who may do what, and what they see."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from partners.incentives import services as services
from partners.incentives.models import (
    IncentivePayout,
    IncentiveProgram,
    MdfClaim,
    ProgramEnrollment,
)
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(partner_user, other_partner_user):
    """Paul's fund (he owns it) for a channel where Paul and Petra manage a partner."""
    channel = ChannelFactory(slug="market", route="indirect", name="Marketplace")
    mine = PartnerFactory(channel=channel, manager=partner_user, name="Mine")
    theirs = PartnerFactory(channel=channel, manager=other_partner_user, name="Theirs")
    fund = services.program_create(data={
        "name": "Co-marketing fund", "kind": "mdf", "channel": channel, "start_date": date(2025, 1, 1),
        "accrual_period": "quarter", "mdf_allocation": D("1000"),
    }, created_by=partner_user)  # fmt: skip
    return channel, mine, theirs, fund


def test_a_partner_manager_creates_a_programme(partner_client, setup):
    channel = setup[0]
    response = partner_client.post(reverse("partners:program-create"), {
        "name": "Spring rebate", "kind": "rebate", "channel": channel.pk, "accrual_period": "quarter",
        "start_date": "2025-01-01", "rebate_rate": "", "rebate_threshold": "0",
        "brackets-TOTAL_FORMS": "3", "brackets-INITIAL_FORMS": "0",
        "brackets-0-from_revenue": "0", "brackets-0-rate": "0.02",
        "brackets-1-from_revenue": "10000", "brackets-1-rate": "0.04",
    })  # fmt: skip
    program = IncentiveProgram.objects.get(name="Spring rebate")
    assert response.status_code == 302
    assert [(b.from_revenue, b.rate) for b in program.brackets.all()] == [
        (D("0.00"), D("0.0200")),
        (D("10000.00"), D("0.0400")),
    ]
    page = partner_client.get(program.get_absolute_url())
    assert "2.00% from $0.00; 4.00% from $10,000.00" in page.text


def test_a_rate_typed_as_a_percentage_says_how_to_type_it(partner_client, setup):
    response = partner_client.post(reverse("partners:program-create"), {
        "name": "Spring rebate", "kind": "rebate", "channel": setup[0].pk,
        "accrual_period": "quarter", "start_date": "2025-01-01", "rebate_rate": "5",
        "rebate_threshold": "0", "brackets-TOTAL_FORMS": "0", "brackets-INITIAL_FORMS": "0",
    })  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["rebate_rate"] == [
        "A rate is a share: type 0.05 for 5% (at most 1, for 100%)."
    ]
    assert not IncentiveProgram.objects.filter(name="Spring rebate").exists()


def test_programme_form_errors_show_next_to_fields(marketing_client, setup):
    response = marketing_client.post(reverse("partners:program-create"), {
        "name": "Bonus", "kind": "spiff", "accrual_period": "quarter", "start_date": "2025-01-01",
        "rebate_threshold": "0", "brackets-TOTAL_FORMS": "0", "brackets-INITIAL_FORMS": "0",
    })  # fmt: skip
    errors = response.context["form"].errors
    assert "Choose the channel or the tier" in errors["channel"][0]
    assert "amount per unit" in errors["spiff_per_unit"][0]
    assert "give its end" in errors["end_date"][0]


def test_a_partner_manager_enrols_and_claims_only_for_their_partners(partner_client, setup):
    _, mine, theirs, fund = setup
    assert (
        partner_client.post(
            reverse("partners:program-enroll", args=[fund.pk]), {"partner": theirs.pk}
        ).status_code
        == 403
    )
    partner_client.post(reverse("partners:program-enroll", args=[fund.pk]), {"partner": mine.pk})
    assert list(ProgramEnrollment.objects.values_list("partner__name", flat=True)) == ["Mine"]
    services.enrollment_add(program=fund, partner=theirs)
    claim = {
        "partner": theirs.pk,
        "activity_date": "2025-02-01",
        "amount": "100",
        "description": "Ads",
    }
    assert (
        partner_client.post(reverse("partners:program-claim", args=[fund.pk]), claim).status_code
        == 403
    )
    partner_client.post(
        reverse("partners:program-claim", args=[fund.pk]), {**claim, "partner": mine.pk}
    )
    assert list(MdfClaim.objects.values_list("partner__name", flat=True)) == ["Mine"]


def test_only_budget_owners_approve_claims_and_record_payouts(
    partner_client, marketing_client, setup
):
    _, mine, _, fund = setup
    services.enrollment_add(program=fund, partner=mine)
    claim = services.claim_submit(
        program=fund,
        partner=mine,
        activity_date=date(2025, 2, 1),
        amount=D("300"),
        description="Ads",
    )
    assert (
        partner_client.post(
            reverse("partners:claim-decide", args=[claim.pk]), {"decision": "approve"}
        ).status_code
        == 403
    )
    payout = {
        "partner": mine.pk,
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "amount": "300",
        "paid_on": "2025-04-10",
    }
    assert (
        partner_client.post(reverse("partners:program-payout", args=[fund.pk]), payout).status_code
        == 403
    )
    marketing_client.post(
        reverse("partners:claim-decide", args=[claim.pk]), {"decision": "approve"}
    )
    marketing_client.post(reverse("partners:program-payout", args=[fund.pk]), payout)
    assert MdfClaim.objects.get().status == "approved"
    assert IncentivePayout.objects.get().amount == D("300")


def test_viewers_see_programmes_and_change_nothing(viewer_client, setup):
    _, mine, _, fund = setup
    assert "Co-marketing fund" in viewer_client.get(reverse("partners:programs")).text
    assert viewer_client.get(fund.get_absolute_url()).status_code == 200
    assert viewer_client.get(reverse("partners:program-create")).status_code == 403
    assert (
        viewer_client.post(reverse("partners:program-edit", args=[fund.pk]), {}).status_code == 403
    )
    assert (
        viewer_client.post(
            reverse("partners:program-enroll", args=[fund.pk]), {"partner": mine.pk}
        ).status_code
        == 403
    )
    assert not ProgramEnrollment.objects.exists()


def test_the_partner_page_lists_its_programmes(partner_client, setup):
    _, mine, _, fund = setup
    services.enrollment_add(program=fund, partner=mine)
    page = partner_client.get(mine.get_absolute_url())
    assert "Co-marketing fund" in page.text and "Incentives" in page.text
