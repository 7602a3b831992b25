"""The fit: refusals and flags for bad input (no sampling needed), and one quick
fit of a simulated business whose truth is known.

The quick fit (2 chains x 300 draws on 78 weeks) is held to what it honestly
meets; the full targets (20% on three years, 90% coverage) are measured by
`bench/modeling.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from kpis.modeling.contract import ChannelStatus, FitRefused, FitSettings, LiftTest
from kpis.modeling.fitting import check, fit
from kpis.modeling.simulate import lift_test, simulate


def with_channel(data, slug, name, cost):
    media = data.media.copy()
    media[slug] = cost
    return replace(data, media=media, channel_names={**data.channel_names, slug: name})


def statuses(checked):
    return {channel.slug: (channel.status, channel.reason) for channel in checked.channels}


# Refusals and flags: decided before any sampling.


def test_under_26_weeks_is_refused():
    data, _ = simulate("saas", seed=1, days=150)
    with pytest.raises(FitRefused) as refused:
        fit(data, FitSettings(quick=True))
    assert refused.value.reason == (
        "Only 21 weeks of data: the model needs at least 26 weeks of daily facts."
    )


def test_all_zero_spend_is_refused():
    data, _ = simulate("saas", seed=1, days=400)
    data = replace(data, media=data.media * 0.0)
    with pytest.raises(FitRefused) as refused:
        fit(data, FitSettings(quick=True))
    assert refused.value.reason == (
        "Every paid channel's cost is zero on every day: there is no spend to model."
    )


def test_gross_profit_without_cost_of_goods_is_refused():
    data, _ = simulate("saas", seed=1, days=400)
    with pytest.raises(FitRefused, match="Gross profit was asked for"):
        check(replace(data, gross_profit=None), FitSettings(target="gross_profit"))


def test_constant_sparse_and_barely_varying_channels_are_refused_or_flagged():
    data, _ = simulate("saas", seed=1, days=400)
    rng = np.random.default_rng(0)
    data = with_channel(data, "newsletter", "Newsletter", np.full(400, 500.0))
    sparse = np.zeros(400)
    sparse[[20, 90, 150, 200, 260, 300, 310]] = 2000.0
    data = with_channel(data, "podcast", "Podcast", sparse)
    data = with_channel(data, "shows", "Trade Shows", 1000 * (1 + 0.05 * rng.standard_normal(400)))
    checked = check(data, FitSettings())
    found = statuses(checked)
    assert found["newsletter"] == (
        ChannelStatus.REFUSED,
        "Newsletter's spend never changes, so its effect cannot be told apart from the baseline.",
    )
    assert found["podcast"] == (
        ChannelStatus.REFUSED,
        "Podcast had spend on only 7 of 344 days: too few to tell its effect from everything else.",
    )
    assert found["shows"] == (
        ChannelStatus.FLAGGED,
        "Trade Shows' spend barely varies: its estimate is uncertain.",
    )
    assert found["paid_search"] == (ChannelStatus.OK, "")
    assert [channel.slug for channel in checked.modeled] == [
        "paid_search", "social", "brand", "partners", "shows",
    ]  # fmt: skip
    assert "Newsletter's spend never changes" in " ".join(checked.warnings)


def test_no_channel_left_is_refused_with_each_reason():
    data, _ = simulate("saas", seed=1, days=400)
    media = data.media.copy()
    media[:] = 0.0
    media.iloc[:5, 0] = 100.0
    data = replace(data, media=media)
    with pytest.raises(FitRefused) as refused:
        check(data)
    assert refused.value.reason.startswith("No paid channel has enough varying spend to model.")
    assert "Paid Search had spend on only 5 of 344 days" in refused.value.reason
    assert "Brand Video has no cost in the fitted window." in refused.value.reason


def test_a_short_gap_trims_the_window_to_the_stretch_without_gaps():
    data, _ = simulate("saas", seed=1, days=600)
    gap = tuple(day.date() for day in data.days[100:103])
    checked = check(replace(data, missing_days=gap))
    assert checked.days[0] == data.days[103] and checked.days[-1] == data.days[-1]
    assert checked.warnings[0] == (
        "3 days have no facts at all: the model uses only the 71 weeks from 2023-04-15 to "
        "2024-08-23, which have no gap."
    )


def test_gaps_leaving_no_26_weeks_in_one_piece_are_refused():
    data, _ = simulate("saas", seed=1, days=300)
    gap = (data.days[150].date(),)
    with pytest.raises(FitRefused) as refused:
        check(replace(data, missing_days=gap))
    assert refused.value.reason == (
        "The facts have gaps (1 days with no facts at all) and the longest stretch without a gap "
        "is 21 weeks: the model needs at least 26 weeks."
    )


def test_less_than_a_year_is_said_in_plain_words():
    data, _ = simulate("saas", seed=1, days=300)
    checked = check(data)
    assert checked.fit_days == 244
    assert "Less than 52 weeks of data (34 weeks fitted)" in checked.warnings[0]
    assert not any(column.startswith("year_") for column in checked.controls.columns)


def test_controls_are_trend_yearly_weekday_and_events():
    data, _ = simulate("retail", seed=1, days=800)
    checked = check(data)
    columns = list(checked.controls.columns)
    assert columns[:7] == ["trend", "year_sin_1", "year_cos_1", "year_sin_2", "year_cos_2",
                           "year_sin_3", "year_cos_3"]  # fmt: skip
    assert [column for column in columns if column.startswith("weekday_")] == [
        f"weekday_{day}" for day in range(6)
    ]
    # Black Friday 2023 and 2024 lie in the fitted window; 2025 is beyond the data.
    assert [column for column in columns if column.startswith("event_")] == ["event_0", "event_1"]
    assert checked.controls["event_0"].sum() == 4


# One quick fit on a simulated business.


@pytest.fixture(scope="module")
def quick():
    data, truth = simulate("saas", seed=11, days=546)
    data = with_channel(data, "newsletter", "Newsletter", np.full(546, 500.0))
    # A switch-off test of each always-on channel (their level cannot be read
    # from data whose cost never goes near zero), and one impossible test.
    calibration = tuple(
        lift_test(truth, slug, data.days[150 + 60 * number].date(), 28, -1.0, rng_seed=number)
        for number, slug in enumerate(["paid_search", "social", "partners"])
    )
    start = data.days[300].date()
    impossible = LiftTest("brand", start, start + timedelta(days=13), 1000.0, -500.0, 300.0, 0.0)
    data = replace(data, lift_tests=(*calibration, impossible))
    return data, truth, fit(data, FitSettings(quick=True))


def test_quick_fit_recovers_incremental_roas_within_tolerance(quick):
    data, truth, result = quick
    true_roas = truth.incremental_roas(result.start, result.end)
    by_slug = {channel.slug: channel for channel in result.channels}
    covered = 0
    for slug in truth.specs:
        estimate = by_slug[slug]
        assert estimate.status in (ChannelStatus.OK, ChannelStatus.FLAGGED)
        assert abs(estimate.incremental_roas / true_roas[slug] - 1) < 0.25, slug
        covered += estimate.roas_low <= true_roas[slug] <= estimate.roas_high
    assert covered >= 3  # of 4
    # Attribution was far off for brand video (0.2 x the truth); the model is not.
    brand = by_slug["brand"]
    assert data.attributed_revenue["brand"] / brand.spend < 0.5 * brand.incremental_roas


def test_quick_fit_ranks_channels_by_marginal_roas(quick):
    _, truth, result = quick
    true_marginal = truth.marginal_roas(result.start, result.end)
    modeled = {c.slug: c.marginal_roas for c in result.channels if c.marginal_roas is not None}
    assert max(modeled, key=modeled.__getitem__) == max(
        true_marginal, key=true_marginal.__getitem__
    )


def test_quick_fit_reports_everything_the_contract_asks(quick):
    data, _, result = quick
    assert result.start == data.days[0].date()
    assert result.end == data.days[-57].date()  # 8 weeks held out
    assert result.library.startswith("pymc-marketing 0.19") and "nutpie" in result.library
    d = result.diagnostics
    assert d.r2 > 0.9 and d.mape_holdout < 0.1
    assert d.rhat_max < 1.1 and d.ess_min > 50 and d.divergences is not None
    assert 0.3 < d.baseline_share < 0.9
    for channel in result.channels:
        if channel.slug == "newsletter":
            assert channel.status == ChannelStatus.REFUSED
            assert channel.incremental_roas is None and channel.curve is None
            assert channel.spend == pytest.approx(500.0 * 490)
            continue
        assert channel.roas_low < channel.incremental_roas < channel.roas_high
        assert channel.incremental_revenue == pytest.approx(
            channel.incremental_roas * channel.spend
        )
        assert channel.half_life_days >= 0 and channel.saturation_point > 0
        curve = channel.curve
        assert curve.spend[0] == 0 and len(curve.spend) == 25
        assert curve.samples.shape == (200, 25)
        assert curve.mean[0] == 0 and (np.diff(curve.mean) > 0).all()
        assert (curve.low <= curve.mean).all() and (curve.mean <= curve.high).all()
    assert "A lift test of Brand Video (" in " ".join(result.warnings)
