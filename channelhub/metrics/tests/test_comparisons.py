"""Comparison spans and the comparison rule (docs/metrics.md section 7), pure."""

from datetime import date
from decimal import Decimal as D

from channelhub.metrics.formulas import compare
from channelhub.metrics.periods import Span, comparison_spans, year_earlier


def test_twelve_months_ending_in_a_2_day_december_compare_with_the_same_days_before():
    spans = comparison_spans("month", date(2026, 1, 1), date(2026, 12, 31), date(2026, 12, 2))
    assert spans.current == Span("month", date(2026, 1, 1), date(2026, 12, 2))
    assert spans.before == Span("month", date(2025, 1, 1), date(2025, 12, 2))
    assert spans.last_year == Span("month", date(2025, 1, 1), date(2025, 12, 2))
    assert (spans.last_period_days, spans.last_period_length) == (2, 31)
    assert spans.is_partial
    assert spans.before.whole == (date(2025, 1, 1), date(2025, 11, 30))
    assert spans.before.cut == (date(2025, 12, 1), date(2025, 12, 2))


def test_three_months_ending_in_a_partial_month_cut_the_last_month_before():
    spans = comparison_spans("month", date(2026, 10, 1), date(2026, 12, 31), date(2026, 12, 2))
    # The 3 months before: July to September, September cut to its first 2 days.
    assert spans.before == Span("month", date(2026, 7, 1), date(2026, 9, 2))
    assert spans.before.whole == (date(2026, 7, 1), date(2026, 8, 31))
    assert spans.last_year == Span("month", date(2025, 10, 1), date(2025, 12, 2))


def test_a_cut_longer_than_the_earlier_month_stops_at_its_end():
    spans = comparison_spans("month", date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 30))
    assert spans.before == Span("month", date(2026, 2, 1), date(2026, 2, 28))
    assert spans.before.cut is None and spans.before.whole == (date(2026, 2, 1), date(2026, 2, 28))


def test_whole_periods_compare_with_the_whole_periods_before():
    spans = comparison_spans("quarter", date(2025, 1, 1), date(2025, 6, 30), date(2025, 9, 1))
    assert spans.current == Span("quarter", date(2025, 1, 1), date(2025, 6, 30))
    assert spans.before == Span("quarter", date(2024, 7, 1), date(2024, 12, 31))
    assert not spans.is_partial and spans.before.cut is None


def test_last_year_of_a_week_is_the_same_iso_week():
    assert year_earlier("week", date(2026, 11, 30)) == date(2025, 12, 1)  # Monday of W49
    assert year_earlier("week", date(2026, 12, 28)) == date(2025, 12, 22)  # W53 -> W52
    assert year_earlier("month", date(2028, 2, 29)) == date(2027, 2, 28)


def test_a_change_of_a_sum_is_relative_and_of_a_ratio_in_points():
    result = compare(
        ["revenue", "roi"],
        {"revenue": D("1100"), "roi": D("0.593")},
        {"revenue": D("1000"), "roi": D("0.452")},
        against="before",
        current_days=30,
        current_span_days=30,
        earlier_days=27,
        earlier_span_days=30,
    )
    assert result.comparable
    assert result.changes == {"revenue": D("0.1"), "roi": D("0.141")}


def test_an_earlier_span_holding_29_days_is_not_comparable():
    result = compare(
        ["revenue"],
        {"revenue": D("2000")},
        {"revenue": D("70")},
        against="before",
        current_days=730,
        current_span_days=730,
        earlier_days=29,
        earlier_span_days=731,
    )
    assert not result.comparable and result.changes == {}
    assert result.reason == "not comparable: the earlier span holds 29 days of data"
    assert result.earlier == {"revenue": D("70")}


def test_coverage_at_90_percent_of_the_current_one_is_still_comparable():
    args = {"against": "last year", "current_days": 20, "current_span_days": 20}
    assert compare(["revenue"], {}, {}, **args, earlier_days=18, earlier_span_days=20).comparable
    refused = compare(["revenue"], {}, {}, **args, earlier_days=17, earlier_span_days=20)
    assert refused.reason == "not comparable: the earlier span holds 17 days of data"
    none = compare(["revenue"], {}, {}, **args, earlier_days=0, earlier_span_days=20)
    assert none.reason == "no earlier data"
