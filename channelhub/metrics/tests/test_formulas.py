"""Every KPI of docs/metrics.md section 3 on hand-made components."""

from decimal import Decimal as D

import pytest

from channelhub.metrics.formulas import Components, change, kpis, rounded, rounded_kpis

BASE = Components(
    spend=D("800"),
    incentive_cost=D("200"),
    revenue=D("5000"),
    cogs=D("3000"),
    orders=50,
    units=120,
    leads=400,
    new_customers=20,
    impressions=100000,
    clicks=2500,
    inventory_sum=D("30000"),
    inventory_days=3,
    nps_promoters=6,
    nps_detractors=2,
    nps_responses=10,
    rating_sum=42,
    rating_count=10,
)


def test_sums_and_costs():
    v = kpis(BASE)
    assert v["total_cost"] == D("1000")
    assert v["gross_profit"] == D("2000")
    assert (v["orders"], v["units"], v["leads"]) == (50, 120, 400)


def test_ratios():
    v = kpis(BASE, revenue_total=D("20000"))
    assert v["roi"] == D("1")  # (2000 - 1000) / 1000
    assert v["roas"] == D("5")
    assert v["cac"] == D("50")
    assert v["cpl"] == D("2.5")
    assert v["conversion_rate"] == D("0.125")
    assert v["ctr"] == D("0.025")
    assert v["aov"] == D("100")
    assert v["gross_margin_pct"] == D("0.4")
    assert v["revenue_share"] == D("0.25")
    assert v["inventory_turnover"] == D("0.3")  # 3000 / (30000 / 3)
    assert v["nps"] == D("40")  # (6 - 2) / 10 x 100
    assert v["avg_rating"] == D("4.2")


@pytest.mark.parametrize(
    ("components", "undefined"),
    [
        (Components(revenue=D("10")), ["roi", "roas", "cac", "cpl"]),
        (Components(spend=D("10")), ["conversion_rate", "ctr", "aov", "gross_margin_pct"]),
        (Components(cogs=D("10")), ["inventory_turnover", "nps", "avg_rating", "revenue_share"]),
    ],
)
def test_a_zero_denominator_is_empty_never_zero(components, undefined):
    v = kpis(components)
    for metric in undefined:
        assert v[metric] is None, metric


def test_revenue_share_is_empty_when_all_channels_earned_nothing():
    assert kpis(Components(), revenue_total=D("0"))["revenue_share"] is None


def test_inventory_days_with_no_report_leave_turnover_empty_not_infinite():
    v = kpis(Components(cogs=D("100"), inventory_sum=D("0"), inventory_days=0))
    assert v["inventory_turnover"] is None


def test_ratios_over_several_periods_come_from_summed_components():
    a = Components(spend=D("100"), revenue=D("300"), cogs=D("100"))  # roi 1.0
    b = Components(spend=D("300"), revenue=D("300"), cogs=D("100"))  # roi -0.333
    total = kpis(a + b)
    # (600 - 200 - 400) / 400 = 0, not the average of 1.0 and -0.333
    assert total["roi"] == D("0")


def test_rounding_is_half_up_only_for_output():
    assert rounded("spend", D("0.005")) == D("0.01")
    assert rounded("roi", D("0.12345")) == D("0.1235")
    assert rounded("roi", D("-0.12345")) == D("-0.1235")
    assert rounded("cac", D("33.333333")) == D("33.3333")
    assert rounded("orders", 7) == 7
    assert rounded("roi", None) is None
    values = rounded_kpis(kpis(Components(spend=D("3"), revenue=D("10"), new_customers=3)))
    assert values["cac"] == D("1.0000") and values["roi"] == D("2.3333")


def test_change_is_a_difference_for_ratios_and_relative_for_sums():
    assert change("roi", D("0.10"), D("0.25")) == D("-0.15")
    assert change("revenue", D("150"), D("100")) == D("0.5")
    assert change("revenue", D("150"), D("0")) is None
    assert change("revenue", D("150"), None) is None
    assert change("roi", None, D("0.2")) is None
