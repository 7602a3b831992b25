"""The simulated businesses: seeded, shaped as named, and their truth adds up."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import numpy as np
import pytest

from kpis.modeling.simulate import (
    ALWAYS_ON,
    BURSTY,
    PULSED,
    SCENARIOS,
    lift_test,
    simulate,
    truncate,
)


@pytest.fixture(scope="module")
def retail():
    return simulate("retail", seed=3)


def test_three_named_scenarios_of_three_years_daily_with_four_or_five_channels():
    assert len(SCENARIOS) >= 3
    for name in SCENARIOS:
        data, truth = simulate(name, seed=1)
        assert len(data.days) == 1095
        assert (np.diff(data.days.to_numpy()) == np.timedelta64(1, "D")).all()  # consecutive
        assert 4 <= data.media.shape[1] <= 5
        assert list(data.media.columns) == list(data.channel_names)
        assert (data.media.to_numpy() >= 0).all()
        assert data.revenue.shape == (1095,) and (data.revenue > 0).all()
        assert set(truth.incremental_roas()) == set(data.media.columns)


def test_same_seed_same_business_other_seed_other_business():
    first, _ = simulate("saas", seed=7, days=200)
    again, _ = simulate("saas", seed=7, days=200)
    other, _ = simulate("saas", seed=8, days=200)
    assert np.array_equal(first.revenue, again.revenue)
    assert first.media.equals(again.media)
    assert not np.allclose(first.revenue, other.revenue)


def test_revenue_is_baseline_plus_true_contributions_plus_noise(retail):
    data, truth = retail
    residual = data.revenue - truth.baseline - truth.contributions.sum(axis=1).to_numpy()
    noise = SCENARIOS["retail"].noise * SCENARIOS["retail"].base_level
    assert abs(residual.mean()) < 0.1 * noise
    assert 0.9 * noise < residual.std() < 1.1 * noise
    revenue = truth.incremental_revenue()
    spend = truth.spend()
    for slug, roas in truth.incremental_roas().items():
        assert roas == pytest.approx(revenue[slug] / spend[slug])
        assert revenue[slug] == pytest.approx(truth.contributions[slug].sum())


def test_attribution_is_biased_the_way_the_scenario_says(retail):
    data, truth = retail
    revenue = truth.incremental_revenue()
    for slug, spec in truth.specs.items():
        assert data.attributed_revenue[slug] == pytest.approx(revenue[slug] * spec.attribution_bias)
    # Last-touch search is over-credited, slow TV under-credited.
    assert data.attributed_revenue["paid_search"] > 2 * revenue["paid_search"]
    assert data.attributed_revenue["tv"] < 0.5 * revenue["tv"]


def test_attribution_up_to_a_day_is_what_the_sources_credited_until_then(retail):
    data, truth = retail
    end = data.days[400].date()
    for slug, spec in truth.specs.items():
        credited = truth.contributions[slug].iloc[:401].sum() * spec.attribution_bias
        assert data.attributed_until(slug, end) == pytest.approx(credited)
        assert data.attributed_until(slug, None) == data.attributed_revenue[slug]
    shorter = truncate(data, 401)
    assert len(shorter.attributed_daily) == 401
    assert shorter.attributed_until("tv", None) == data.attributed_revenue["tv"]  # the window's


def test_spend_patterns_dark_days_and_correlated_budgets(retail):
    data, truth = retail
    zero_share = (data.media == 0).mean()
    for slug, spec in truth.specs.items():
        if spec.pattern == ALWAYS_ON:
            assert zero_share[slug] <= spec.dark_day_share + 0.05
        elif spec.pattern == BURSTY:
            assert 0.2 < zero_share[slug] < 0.6
        elif spec.pattern == PULSED:
            assert zero_share[slug] > 0.6
    assert zero_share["affiliates"] > 0.05  # dark days of an always-on channel
    always_on = [slug for slug, spec in truth.specs.items() if spec.pattern == ALWAYS_ON]
    weekly = data.media[always_on].resample("W").sum()
    correlations = weekly.corr().to_numpy()[np.triu_indices(len(always_on), 1)]
    assert correlations.mean() > 0.3


def test_response_curves_rise_with_diminishing_returns_and_marginal_roas_is_their_slope(retail):
    _, truth = retail
    grid = np.linspace(0, 20_000, 41)
    for slug in truth.specs:
        curve = truth.response(slug)(grid)
        assert curve[0] == 0
        assert (np.diff(curve) > 0).all()
        assert np.diff(curve)[-1] < np.diff(curve)[len(grid) // 2]
    marginal = truth.marginal_roas()
    for slug in truth.specs:
        level = truth.media[slug].mean()
        slope = (
            truth.response(slug)(np.array([level + 1.0])) - truth.response(slug)(np.array([level]))
        )[0]
        assert marginal[slug] == pytest.approx(slope, rel=1e-3)
    # Distinct marginal returns, so a ranking of channels is meaningful.
    values = sorted(marginal.values())
    assert min(b / a for a, b in pairwise(values)) > 1.05


def test_half_lives_span_fast_and_slow_carry_over(retail):
    _, truth = retail
    half_lives = truth.half_life_days()
    assert min(half_lives.values()) < 1 and max(half_lives.values()) > 4


def test_truncate_keeps_a_prefix_and_windows_of_the_truth(retail):
    data, truth = retail
    short = truncate(data, 400)
    assert len(short.days) == 400 and short.media.shape == (400, data.media.shape[1])
    assert np.array_equal(short.revenue, data.revenue[:400])
    assert all(event.start <= short.days[-1].date() for event in short.events)
    end = short.days[-1].date()
    assert truth.spend(end=end)["tv"] == pytest.approx(short.media["tv"].sum())


def test_a_lift_test_measures_the_true_steady_state_lift(retail):
    data, truth = retail
    start = data.days[600].date()
    test = lift_test(truth, "social", start, 28, -1.0, rng_seed=1)
    assert test.end == start + timedelta(days=27)
    level = test.cost / 28
    expected = -truth.response("social")(np.array([level]))[0] * 28
    assert test.delta_cost == pytest.approx(-test.cost)
    assert abs(test.delta_revenue - expected) < 4 * test.sigma
