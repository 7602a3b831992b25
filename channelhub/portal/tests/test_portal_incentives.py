"""The portal's Incentives page: the partner's programmes, its rebate progress
against the brackets as the KPI engine accrued it, and its funds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.tests.helpers import import_rows, recompute
from partners.models import RebateBracket
from tests.auth import signed_in_client
from tests.factories import (
    ChannelFactory,
    EnrollmentFactory,
    IncentiveProgramFactory,
    PartnerFactory,
    make_partner_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    channel = ChannelFactory(slug="market", route="indirect")
    acme = PartnerFactory(name="Acme", slug="acme", channel=channel)
    globex = PartnerFactory(name="Globex", slug="globex", channel=channel)
    today = timezone.localdate()
    rebate = IncentiveProgramFactory(
        name="Growth rebate",
        kind="rebate",
        channel=channel,
        accrual_period="month",
        start_date=today.replace(day=1),
    )
    for lower, rate in (("0", "0.02"), ("1000", "0.04"), ("5000", "0.06")):
        RebateBracket.objects.create(
            program=rebate, from_revenue=Decimal(lower), rate=Decimal(rate)
        )
    EnrollmentFactory(program=rebate, partner=acme, start_date=today.replace(day=1))
    EnrollmentFactory(program=rebate, partner=globex, start_date=today.replace(day=1))
    return {
        "acme": acme,
        "rebate": rebate,
        "alice": make_partner_user(acme, "alice"),
        "bob": make_partner_user(globex, "bob"),
    }


def test_rebate_progress_reads_the_engines_accrual_and_names_the_next_bracket(world):
    today = timezone.localdate().isoformat()
    import_rows(
        ["date", "channel", "partner", "revenue"],
        [[today, "market", "acme", "3000"], [today, "market", "globex", "9000"]],
    )
    recompute()

    response = signed_in_client(world["alice"]).get(reverse("portal:funds"))

    assert response.status_code == 200
    (progress,) = response.context["rebates"]
    # The engine's accrual: 1,000 x 2% + 2,000 x 4% = 100.
    assert progress.revenue == Decimal("3000") and progress.earned == Decimal("100.00")
    assert [b.state for b in progress.brackets] == ["reached", "current", "ahead"]
    assert progress.revenue_to_next == Decimal("2000")
    # At 5,000: 20 + 4,000 x 4% = 180.
    assert progress.earned_at_next == Decimal("180.00")
    assert "Growth rebate" in response.text and "you are here" in response.text
    assert "9,000" not in response.text  # Globex's revenue is not Acme's to see


def test_rebate_progress_before_any_calculation_starts_from_nothing(world):
    response = signed_in_client(world["alice"]).get(reverse("portal:funds"))

    (progress,) = response.context["rebates"]
    assert progress.revenue == 0 and progress.earned == 0 and progress.computed_at is None
    assert [b.state for b in progress.brackets] == ["current", "ahead", "ahead"]


def test_the_incentives_page_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = signed_in_client(world["alice"])
    with django_assert_max_num_queries(25):
        client.get(reverse("portal:funds"))
    for n in range(3):
        program = IncentiveProgramFactory(
            name=f"Extra {n}", kind="rebate", channel=world["rebate"].channel,
            accrual_period="month", start_date=world["rebate"].start_date, rebate_rate=Decimal("0.01"),
        )  # fmt: skip
        EnrollmentFactory(program=program, partner=world["acme"], start_date=program.start_date)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("portal:funds"))
    assert len(response.context["rebates"]) == 4
