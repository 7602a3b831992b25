"""Incentive accruals (METRICS.md section 5) and how they enter the KPIs."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from channelhub.metrics.formulas import rebate_amount
from kpis.models import IncentiveAccrual
from kpis.tests.helpers import import_rows, kpi, recompute, row
from partners.incentives import services as services
from partners.models import IncentiveProgram, MdfClaim
from tests.factories import ChannelFactory, PartnerFactory

pytestmark = pytest.mark.django_db
HEADER = ["date", "channel", "partner", "spend", "revenue", "units"]


def test_a_flat_rebate_pays_the_rate_above_the_threshold():
    assert rebate_amount(D("12000"), rate=D("0.05"), threshold=D("10000")) == D("100.00")
    assert rebate_amount(D("9000"), rate=D("0.05"), threshold=D("10000")) == D("0.00")
    assert rebate_amount(D("100.10"), rate=D("0.05")) == D("5.01")  # 5.005 half up


def test_tiered_brackets_work_like_tax_brackets():
    brackets = [(D("0"), D("0.01")), (D("10000"), D("0.03")), (D("50000"), D("0.05"))]
    # 10,000 at 1% + 40,000 at 3% + 10,000 at 5% = 100 + 1,200 + 500
    assert rebate_amount(D("60000"), rate=None, brackets=brackets) == D("1800.00")
    assert rebate_amount(D("5000"), rate=None, brackets=brackets) == D("50.00")
    assert rebate_amount(D("5000"), rate=None, brackets=[(D("10000"), D("0.1"))]) == D("0.00")


@pytest.fixture
def market():
    channel = ChannelFactory(slug="market", route="indirect")
    return (
        channel,
        PartnerFactory(channel=channel, slug="nordic"),
        PartnerFactory(channel=channel, slug="baltic"),
    )


def program(channel, kind="rebate", **terms):
    defaults = {"name": f"{kind} programme", "kind": kind, "channel": channel, "start_date": date(2025, 1, 1),
                "accrual_period": "quarter"}  # fmt: skip
    return services.program_create(data={**defaults, **terms})


def test_a_quarterly_rebate_is_dated_on_the_quarter_end_and_enters_the_channel_cost(market):
    channel, nordic, _baltic = market
    rebate = program(channel, rebate_rate=D("0.10"), rebate_threshold=D("1000"))
    services.enrollment_add(program=rebate, partner=nordic)
    import_rows(HEADER, [
        ["2025-01-10", "market", "", "500", "0", "0"],
        ["2025-01-15", "market", "nordic", "0", "3000", "0"],
        ["2025-02-15", "market", "nordic", "0", "2000", "0"],
        ["2025-02-15", "market", "baltic", "0", "9000", "0"],  # not enrolled
    ])  # fmt: skip
    recompute()
    accrual = IncentiveAccrual.objects.get()
    # Q1 revenue 5,000, 10% above 1,000 = 400, dated 2025-03-31.
    assert (accrual.base_revenue, accrual.amount, accrual.accrued_on) == (
        D("5000.00"),
        D("400.00"),
        date(2025, 3, 31),
    )
    assert accrual.provisional is False
    march = row(channel.pk, "month", date(2025, 3, 1))
    assert march.values["incentive_cost"] == D("400")
    q1 = row(channel.pk, "quarter", date(2025, 1, 1))
    # total cost 500 + 400; ROI = (14,000 - 0 - 900) / 900
    assert q1.values["total_cost"] == D("900")
    assert round(q1.values["roi"], 4) == D("14.5556")
    assert kpi(
        channel.pk, "quarter", date(2025, 1, 1), "incentive_cost", partner_key=nordic.pk
    ) == D("400")


def test_an_import_in_january_updates_the_rebate_dated_in_march(market):
    channel, nordic, _ = market
    rebate = program(channel, rebate_rate=D("0.10"))
    services.enrollment_add(program=rebate, partner=nordic)
    import_rows(HEADER, [["2025-01-15", "market", "nordic", "0", "1000", "0"]])
    recompute()
    run = import_rows(HEADER, [["2025-01-16", "market", "nordic", "0", "1000", "0"]])
    from kpis.engine.recompute import recompute_execute

    recompute_execute(run.recompute_run_id, inline=True)  # scope: January only
    assert kpi(channel.pk, "month", date(2025, 3, 1), "incentive_cost") == D("200")


def test_a_spiff_pays_per_unit_on_each_day_inside_its_window(market):
    channel, nordic, _ = market
    spiff = program(
        channel,
        kind="spiff",
        spiff_per_unit=D("2.50"),
        start_date=date(2025, 1, 5),
        end_date=date(2025, 1, 6),
    )
    services.enrollment_add(program=spiff, partner=nordic)
    import_rows(HEADER, [
        ["2025-01-04", "market", "nordic", "0", "10", "7"],  # before the window
        ["2025-01-05", "market", "nordic", "0", "10", "4"],
        ["2025-01-06", "market", "nordic", "0", "10", "3"],
    ])  # fmt: skip
    recompute()
    assert sorted(IncentiveAccrual.objects.values_list("accrued_on", "base_units", "amount")) == [
        (date(2025, 1, 5), 4, D("10.00")),
        (date(2025, 1, 6), 3, D("7.50")),
    ]
    assert kpi(channel.pk, "week", date(2025, 1, 6), "incentive_cost") == D("7.5")


def test_fund_claims_cost_only_once_approved_and_within_the_budget(market, marketing_user):
    channel, nordic, _ = market
    fund = program(channel, kind="mdf", mdf_allocation=D("1000"))
    services.enrollment_add(program=fund, partner=nordic)
    first = services.claim_submit(
        program=fund,
        partner=nordic,
        activity_date=date(2025, 2, 1),
        amount=D("700"),
        description="Trade fair booth",
    )
    second = services.claim_submit(
        program=fund,
        partner=nordic,
        activity_date=date(2025, 3, 1),
        amount=D("300"),  # all that is left at submission (a claim over it is refused then)
        description="Flyers",
    )
    # The fund shrinks after both were submitted: approval checks again.
    type(fund).objects.filter(pk=fund.pk).update(mdf_allocation=D("900"))
    import_rows(HEADER, [["2025-02-02", "market", "nordic", "0", "100", "0"]])
    recompute()
    assert not IncentiveAccrual.objects.exists()  # submitted claims cost nothing
    services.claim_decide(claim=first, approve=True, user=marketing_user)
    with pytest.raises(ValidationError, match="exceeds the fund left"):
        services.claim_decide(claim=second, approve=True, user=marketing_user)
    assert MdfClaim.objects.get(pk=second.pk).status == "submitted"
    recompute()
    assert kpi(channel.pk, "month", date(2025, 2, 1), "incentive_cost") == D("700")


def test_changing_the_terms_recomputes_the_accruals(market, django_capture_on_commit_callbacks):
    channel, nordic, _ = market
    rebate = program(channel, rebate_rate=D("0.10"), accrual_period="month")
    services.enrollment_add(program=rebate, partner=nordic)
    import_rows(HEADER, [["2025-01-15", "market", "nordic", "0", "1000", "0"]])
    recompute()
    assert IncentiveAccrual.objects.get().amount == D("100.00")
    with django_capture_on_commit_callbacks(execute=True):
        services.program_update(
            program=rebate, data={"rebate_rate": D("0.05")}
        )  # the queued run executes
    assert IncentiveAccrual.objects.get().amount == D("50.00")
    assert kpi(channel.pk, "month", date(2025, 1, 1), "incentive_cost") == D("50")


def test_a_partner_outside_the_programme_cannot_enrol(market):
    channel, _nordic, _ = market
    elsewhere = PartnerFactory()
    rebate = program(channel, rebate_rate=D("0.1"))
    with pytest.raises(ValidationError, match="is not a partner of"):
        services.enrollment_add(program=rebate, partner=elsewhere)
    with pytest.raises(ValidationError, match="needs a rate"):
        program(channel, name="No terms")
    assert IncentiveProgram.objects.count() == 1
