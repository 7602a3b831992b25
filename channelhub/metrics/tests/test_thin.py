"""Ratios over a thin base (docs/metrics.md s3, issue 17 item 2): exact values."""

from decimal import Decimal as D

from channelhub.metrics.display import thin_reason, thin_rules
from channelhub.metrics.formulas import Components, kpis, thin_ratios


def test_a_partner_row_with_orders_over_few_leads_is_marked():
    # 3 orders over 2 leads: a 150% conversion rate over 2 leads.
    c = Components(spend=D("40"), revenue=D("300"), cogs=D("100"), orders=3, leads=2)
    assert kpis(c)["conversion_rate"] == D("1.5")
    thin = thin_ratios(c)
    assert set(thin) == {"roi", "roas", "cpl", "conversion_rate", "aov"}
    assert thin["roi"].base == D("40") and thin["cpl"].base == D("2")
    assert thin_reason(thin["roi"]) == "ROI over only $40.00 of cost (under $100.00)"
    assert thin_reason(thin["conversion_rate"]) == (
        "Conversion rate over only 2 leads (fewer than 20)"
    )
    assert thin_reason(thin["aov"]) == "AOV over only 3 orders (fewer than 10)"


def test_at_the_floor_a_ratio_is_no_longer_thin():
    c = Components(spend=D("100"), revenue=D("100"), orders=10, leads=20, new_customers=10)
    assert thin_ratios(c) == {}
    just_under = Components(spend=D("99.99"), revenue=D("100"), orders=10, leads=20)
    assert set(thin_ratios(just_under)) == {"roi", "roas"}


def test_more_orders_than_leads_is_marked_even_over_many_leads():
    c = Components(spend=D("500"), revenue=D("1000"), orders=428, leads=100)
    thin = thin_ratios(c)
    assert set(thin) == {"conversion_rate"}  # 428%, over 100 leads
    assert thin["conversion_rate"].orders_over_leads
    assert thin_reason(thin["conversion_rate"]) == (
        "Conversion rate above 100%: more orders than leads (orders that did not come from leads)"
    )


def test_an_undefined_ratio_is_empty_not_thin():
    # No cost: ROI is empty, not marked; the margin over $50 of revenue is.
    assert set(thin_ratios(Components(revenue=D("50")))) == {"gross_margin_pct"}


def test_the_rule_in_words():
    assert thin_rules() == (
        "ROI over less than $100.00 of cost; ROAS over less than $100.00 of cost; "
        "CAC over fewer than 10 new customers; CPL over fewer than 20 leads; "
        "Conversion rate over fewer than 20 leads; CTR over fewer than 1,000 impressions; "
        "AOV over fewer than 10 orders; Gross margin over less than $100.00 of revenue; "
        "Inventory turnover over fewer than 7 days with stock reported; "
        "NPS over fewer than 20 responses; Average rating over fewer than 10 ratings"
    )
