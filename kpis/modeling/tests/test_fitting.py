"""The fit's checks: refusals and flags for bad input, decided before any
sampling.

The one real (quick) fit of the suite, on a simulated business whose truth is
known, is in test_end_to_end.py: it goes through the import, the selector and
`model_fit --quick`, and its tests read both what was published and what the
fit returned.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from kpis.modeling.contract import ChannelStatus, FitRefused, FitSettings
from kpis.modeling.fitting import RECENT_DAYS, check, fit, months_seen, order_notes, recent_daily
from kpis.modeling.simulate import simulate


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


# The curve the sampler sees and the curve the figures are read from.


def test_the_sampled_curve_is_the_hill_curve_through_its_level_at_the_typical_cost():
    import pytensor.xtensor as ptx

    from kpis.modeling.fitting import _ceiling, _curve, _level_hill

    x = np.array([0.0, 0.3, 1.0, 2.5, 9.0])
    for slope, kappa, level in [(1.0, 1.0, 0.2), (1.6, 0.4, 0.05), (0.7, 4.0, 1.3)]:
        sampled = _level_hill(
            ptx.as_xtensor(x, dims=("date",)),
            ptx.as_xtensor(np.float64(slope)),
            ptx.as_xtensor(np.float64(kappa)),
            ptx.as_xtensor(np.float64(level)),
        ).eval()
        ceiling = _ceiling(np.float64(level), np.float64(kappa), np.float64(slope))
        read = _curve(ceiling, np.float64(kappa), x, slope)
        # atol: the sampled curve is evaluated a billionth of a typical day above zero
        np.testing.assert_allclose(sampled, read, rtol=1e-6, atol=1e-5 * level)
        assert sampled[2] == pytest.approx(level)  # x = 1: the typical daily cost
        half = _curve(ceiling, np.float64(kappa), np.array([kappa]), slope)[0]
        assert half == pytest.approx(ceiling / 2)  # kappa: the half point


def test_costs_are_scaled_by_their_typical_day_not_their_largest():
    from kpis.modeling.fitting import build_model

    data, _ = simulate("retail", seed=1, days=400)
    checked = check(data)
    mmm = build_model(checked, data)
    scale = dict(zip(mmm.channel_columns, np.asarray(mmm.scalers._channel).ravel(), strict=True))
    for channel in checked.modeled:
        fitted = channel.cost[: checked.fit_days]
        assert scale[channel.slug] == pytest.approx(np.median(fitted[fitted > 0]))
        assert scale[channel.slug] < fitted.max() / 2


def test_channels_whose_order_the_draws_do_not_settle_are_named():
    rng = np.random.default_rng(7)
    common = rng.normal(0, 0.05, 1000)  # draws move together: compared draw by draw
    search = 2.0 + common + rng.normal(0, 0.1, 1000)
    display = 1.2 + common + rng.normal(0, 0.3, 1000)
    events = 1.15 + common + rng.normal(0, 0.3, 1000)
    notes = order_notes([("Events", events), ("Paid Search", search), ("Display", display)])
    # Search is ahead of both in every draw; Display and Events are a coin toss.
    assert len(notes) == 1
    assert notes[0].startswith(
        "The model cannot tell whether the next $1 on Display or on Events brings more "
        "(Display ahead in 5"
    )
    assert "treat them as level when moving budget between them" in notes[0]
    assert order_notes([("Paid Search", search), ("Display", display - 0.8)]) == []
    assert order_notes([("Display", display)]) == []


def test_a_chain_of_channels_the_draws_do_not_order_is_named_in_one_warning():
    rng = np.random.default_rng(11)
    common = rng.normal(0, 0.05, 1000)

    def draws(level):
        return level + common + rng.normal(0, 0.3, 1000)

    # Two groups of close channels, a clear gap between them and before the first.
    channels = [
        ("Search", 4.0 + common + rng.normal(0, 0.05, 1000)),
        ("Web Shop", draws(3.0)),
        ("Google Ads", draws(2.95)),
        ("Amazon", draws(2.9)),
        ("Events", draws(1.0)),
        ("Newsletter", draws(0.98)),
    ]
    notes = order_notes(list(reversed(channels)))  # the order given does not matter
    assert notes[0] == (
        "The model cannot rank Web Shop, Google Ads and Amazon by what the next $1 brings "
        "(each is ahead of the next in fewer than 80% of its draws): "
        "treat them as level when moving budget among them."
    )
    assert notes[1].startswith(
        "The model cannot tell whether the next $1 on Events or on Newsletter brings more "
        "(Events ahead in "
    )
    assert len(notes) == 2


def test_the_quietest_and_busiest_months_are_whole_calendar_months():
    import pandas as pd

    days = pd.date_range("2025-01-15", "2025-04-10")
    cost = np.where(days.month == 2, 10.0, np.where(days.month == 3, 30.0, 1000.0))
    cost[(days.month == 3) & (days.day == 31)] = 61.0  # March: (30 x 30 + 61) / 31
    low, high = months_seen(days, cost)  # January and April are not whole: left out
    assert (low, high) == (10.0, pytest.approx(31.0))
    assert months_seen(days[:40], cost[:40]) is None  # 15 January to 23 February


def test_todays_spend_is_the_last_13_weeks_pace():
    cost = np.concatenate([np.full(400, 1000.0), np.full(RECENT_DAYS, 250.0)])
    assert RECENT_DAYS == 91 and recent_daily(cost) == 250.0  # not the window's 877
    assert recent_daily(np.array([10.0, 20.0])) == 15.0  # less data: all of it
    assert recent_daily(np.array([])) == 0.0


def test_a_lift_test_against_the_curves_is_left_out_with_a_note_not_failing_the_fit():
    """A test whose revenue moved against its cost (recorded before the form
    refused it) would make the library refuse the whole fit."""
    from datetime import timedelta

    from kpis.modeling.contract import LiftTest
    from kpis.modeling.fitting import _lift_frame

    data, _ = simulate("saas", seed=1, days=400)
    slug = str(data.media.columns[0])
    first = data.days[100].date()
    good = LiftTest(slug, first, first + timedelta(days=27), 3000.0, -3000.0, -4200.0, 600.0)
    later = first + timedelta(days=40)
    against = replace(good, start=later, end=later + timedelta(days=27), delta_revenue=4200.0)
    data = replace(data, lift_tests=(good, against))
    prepared = check(data, FitSettings())
    notes: list[str] = []
    frame = _lift_frame(data, prepared, notes)
    assert frame is not None and len(frame) == 1 and frame["delta_y"].iloc[0] < 0
    name = data.channel_names[slug]
    assert notes == [
        f"A lift test of {name} ({later.isoformat()}) measured revenue moving against its cost, which "
        "the model's curves cannot do, and was left out: correct its figures."
    ]


def test_lift_tests_the_fit_cannot_use_are_named_in_its_notes():
    """A test of a channel the model does not estimate, or in the held-out
    weeks, was skipped without a word."""
    from datetime import timedelta

    from kpis.modeling.contract import LiftTest
    from kpis.modeling.fitting import _lift_frame

    data, _ = simulate("saas", seed=1, days=400)
    slug = str(data.media.columns[0])
    first = data.days[100].date()
    used = LiftTest(slug, first, first + timedelta(days=27), 3000.0, -3000.0, -4200.0, 600.0)
    late = data.days[-3].date()
    held_out = replace(used, start=late, end=late)
    stores = replace(used, channel="stores", channel_name="Flagship Stores")
    shop = replace(used, channel="zalando", channel_name="Zalando")
    data = replace(data, lift_tests=(used, held_out, stores, shop), not_media=("Flagship Stores",))
    notes: list[str] = []
    frame = _lift_frame(data, check(data, FitSettings()), notes)
    assert frame is not None and len(frame) == 1
    name = data.channel_names[slug]
    assert notes == [
        f"A lift test of {name} ({late.isoformat()}) starts in the last weeks, which are held "
        "out to check the fit, and was left out; fits use it once it is older than those weeks.",
        f"A lift test of Flagship Stores ({first.isoformat()}) was left out: it is set as not "
        "advertising, so the model does not estimate it.",
        f"A lift test of Zalando ({first.isoformat()}) was left out: it has no cost in the "
        "days the model reads.",
    ]
