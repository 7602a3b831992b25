"""docs/metrics.md section 4 on the pure function, facts given as plain numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from channelhub.metrics.formulas import evaluate_objective

START, END = date(2025, 1, 1), date(2025, 1, 10)  # a 10-day window


def evaluate(
    metric="revenue",
    direction="at_least",
    target="1000",
    *,
    as_of,
    actual,
    has_facts=True,
    today=date(2025, 6, 1),
):
    return evaluate_objective(
        metric=metric,
        direction=direction,
        target=Decimal(target),
        start=START,
        end=END,
        today=today,
        as_of=as_of,
        has_facts_in_window=has_facts,
        actual=None if actual is None else Decimal(actual),
    )


def test_it_is_not_started_before_the_window_opens():
    result = evaluate(as_of=None, actual=None, has_facts=False, today=date(2024, 12, 31))
    assert result.status == "not_started"
    assert result.actual is None and result.progress is None


def test_it_reports_no_data_when_the_window_is_open_but_has_no_facts():
    result = evaluate(as_of=date(2024, 12, 20), actual=None, has_facts=False)
    assert result.status == "no_data"
    assert result.as_of == date(2024, 12, 20)


def test_a_sum_is_projected_at_the_current_pace():
    # 4 of 10 days elapsed, 400 so far: projected 1000, meets 1000 exactly.
    result = evaluate(as_of=date(2025, 1, 4), actual="400")
    assert result.projected == Decimal("1000")
    assert result.status == "on_track"
    assert result.progress == Decimal("0.4")


def test_at_risk_includes_the_boundary_of_the_ten_percent_band():
    # projected 900 = target - 10% of 1000: still at risk (inclusive).
    assert evaluate(as_of=date(2025, 1, 4), actual="360").status == "at_risk"
    # projected 897.5: just outside the band.
    assert evaluate(as_of=date(2025, 1, 4), actual="359").status == "off_track"


def test_at_most_direction_uses_the_band_above_the_target():
    # spend cap 1000; 5 of 10 days, 550 spent: projected 1100 = target + 10%.
    kwargs = {"metric": "spend", "direction": "at_most", "target": "1000"}
    at_risk = evaluate(**kwargs, as_of=date(2025, 1, 5), actual="550")
    assert at_risk.projected == Decimal("1100")
    assert at_risk.status == "at_risk"
    assert evaluate(**kwargs, as_of=date(2025, 1, 5), actual="551").status == "off_track"
    on_track = evaluate(**kwargs, as_of=date(2025, 1, 5), actual="500")
    assert on_track.status == "on_track"
    # progress for at_most is target / actual
    assert on_track.progress == Decimal("2")


def test_a_ratio_is_judged_by_its_value_so_far_not_extrapolated():
    # ROI 0.27 after 2 of 10 days against a target of 0.30 (band 0.03): at risk.
    result = evaluate(metric="roi", target="0.30", as_of=date(2025, 1, 2), actual="0.27")
    assert result.projected == Decimal("0.27")
    assert result.status == "at_risk"
    assert (
        evaluate(metric="roi", target="0.30", as_of=date(2025, 1, 2), actual="0.2699").status
        == "off_track"
    )


def test_negative_roi_target_band_uses_the_absolute_target():
    # target -0.20, band 0.02: -0.22 is at risk, -0.2201 off track.
    assert (
        evaluate(metric="roi", target="-0.20", as_of=date(2025, 1, 2), actual="-0.22").status
        == "at_risk"
    )
    assert (
        evaluate(metric="roi", target="-0.20", as_of=date(2025, 1, 2), actual="-0.2201").status
        == "off_track"
    )


@pytest.mark.parametrize(
    ("direction", "actual", "expected"),
    [
        ("at_least", "1000", "achieved"),
        ("at_least", "999.99", "missed"),
        ("at_most", "1000", "achieved"),
        ("at_most", "1000.01", "missed"),
    ],
)
def test_a_finished_window_is_achieved_or_missed_by_its_whole_value(direction, actual, expected):
    result = evaluate(direction=direction, as_of=date(2025, 1, 10), actual=actual)
    assert result.status == expected
    assert result.projected == Decimal(actual)


def test_facts_after_the_end_still_close_the_window():
    result = evaluate(as_of=date(2025, 3, 1), actual="1200")
    assert result.status == "achieved"
    assert result.progress == Decimal("1.2")


def test_progress_is_empty_when_its_denominator_is_zero():
    assert evaluate(target="0", as_of=date(2025, 1, 5), actual="10").progress is None
    at_most = evaluate(metric="spend", direction="at_most", as_of=date(2025, 1, 5), actual="0")
    assert at_most.progress is None
    assert at_most.status == "on_track"


def test_an_undefined_ratio_is_no_data_not_a_miss():
    result = evaluate(metric="roi", target="0.3", as_of=date(2025, 1, 5), actual=None)
    assert result.status == "no_data"
