"""Simulated businesses with a known truth, for the tests and `bench/modeling.py`.

A business has a baseline (level, linear trend, yearly and weekly seasonality,
optional events), paid channels whose daily cost carries over (geometric
adstock) and runs into diminishing returns (a Hill curve), and noise. The
truth is therefore known exactly: what each channel added every day, its
incremental ROAS over any window, its response curve and its marginal ROAS.

The simulator's curves are deliberately *not* the model's (Hill, not
logistic), and the revenue the sources report per channel is biased the way
attribution is biased (last-touch channels over-credited, slow ones
under-credited), so a fit that reads the attribution cannot pass.

Everything is seeded: the same scenario and seed give the same business.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from kpis.modeling.contract import Event, LiftTest, ModelData

# Spend patterns.
ALWAYS_ON = "always_on"  # every day, drifting slowly
BURSTY = "bursty"  # flights of a few weeks, dark in between
PULSED = "pulsed"  # short bursts (a few days) now and then


@dataclass(frozen=True)
class ChannelSpec:
    slug: str
    name: str
    daily_cost: float  # average daily cost on days with spend
    pattern: str  # ALWAYS_ON, BURSTY or PULSED
    alpha: float  # carry-over: share of today's effect left tomorrow
    ceiling: float  # daily incremental revenue at infinite steady spend
    half_saturation: float  # steady daily cost that reaches half the ceiling
    shape: float = 1.0  # Hill slope (1: concave from the first dollar)
    attribution_bias: float = 1.0  # reported revenue / true incremental revenue
    dark_day_share: float = 0.0  # share of days without spend (always-on channels)
    variation: float = 0.35  # day-to-day log-scale variation of the cost


@dataclass(frozen=True)
class Scenario:
    name: str
    channels: tuple[ChannelSpec, ...]
    days: int = 1095
    start: date = date(2023, 1, 2)
    base_level: float = 20_000.0  # daily revenue without media, before trend and seasons
    trend: float = 0.25  # baseline growth over the whole window, as a share of base_level
    yearly: float = 0.15  # amplitude of the yearly season, share of base_level
    weekly: tuple[float, ...] = (0.02, 0.04, 0.03, 0.05, 0.10, -0.08, -0.16)  # Mon..Sun
    noise: float = 0.05  # daily noise, share of base_level
    budget_correlation: float = 0.5  # channels' budgets move together this much
    spend_follows_season: float = 0.3  # budgets rise with the season (a confounder)
    events: tuple[tuple[str, int, int, float], ...] = ()  # name, first day, length, uplift share
    gross_margin: float = 0.4
    dark_days: float = 0.0  # share of days when every channel is dark (an outage, a closure)
    description: str = ""


@dataclass(frozen=True)
class Truth:
    """What really happened in a simulated business."""

    specs: dict[str, ChannelSpec]
    contributions: pd.DataFrame  # index = days, one column per channel: true daily increment
    media: pd.DataFrame  # daily cost (same as the ModelData's)
    baseline: np.ndarray  # revenue without any media, per day

    def _window(self, start: date | None, end: date | None) -> slice:
        return slice(pd.Timestamp(start) if start else None, pd.Timestamp(end) if end else None)

    def incremental_revenue(
        self, start: date | None = None, end: date | None = None
    ) -> dict[str, float]:
        rows = self.contributions.loc[self._window(start, end)]
        return {slug: float(rows[slug].sum()) for slug in self.contributions.columns}

    def spend(self, start: date | None = None, end: date | None = None) -> dict[str, float]:
        rows = self.media.loc[self._window(start, end)]
        return {slug: float(rows[slug].sum()) for slug in self.media.columns}

    def incremental_roas(
        self, start: date | None = None, end: date | None = None
    ) -> dict[str, float]:
        revenue, spend = self.incremental_revenue(start, end), self.spend(start, end)
        return {
            slug: revenue[slug] / spend[slug] if spend[slug] else float("nan") for slug in revenue
        }

    def response(self, slug: str) -> Callable[[np.ndarray], np.ndarray]:
        """Daily cost held steady -> daily incremental revenue once carry-over has settled."""
        return _hill(self.specs[slug])

    def marginal_roas(self, start: date | None = None, end: date | None = None) -> dict[str, float]:
        """Slope of the true response curve at the window's average daily cost."""
        rows = self.media.loc[self._window(start, end)]
        result = {}
        for slug in self.media.columns:
            level = float(rows[slug].mean())
            step = max(level * 1e-4, 1e-6)
            curve = self.response(slug)
            result[slug] = float(
                (curve(np.array([level + step])) - curve(np.array([level - step])))[0] / (2 * step)
            )
        return result

    def steady_revenue(self, allocation: Mapping[str, float], days: int) -> float:
        """The true incremental revenue of a plan spending allocation[slug] over
        `days`, the same every day, once carry-over has settled (how a plan
        from the budget planner is held to the truth)."""
        return float(
            sum(
                days * self.response(slug)(np.array([amount / days]))[0]
                for slug, amount in allocation.items()
            )
        )

    def half_life_days(self) -> dict[str, float]:
        return {slug: float(np.log(0.5) / np.log(spec.alpha)) for slug, spec in self.specs.items()}


def _hill(spec: ChannelSpec) -> Callable[[np.ndarray], np.ndarray]:
    def curve(cost: np.ndarray) -> np.ndarray:
        level = np.maximum(np.asarray(cost, dtype=float), 0.0) ** spec.shape
        return spec.ceiling * level / (level + spec.half_saturation**spec.shape)

    return curve


def _spend(
    spec: ChannelSpec, days: int, common: np.ndarray, season: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    # A slowly drifting log-level (AR(1) over days), the shared budget factor and the season.
    drift = np.zeros(days)
    shocks = rng.normal(0, 0.08, days)
    for day in range(1, days):
        drift[day] = 0.97 * drift[day - 1] + shocks[day]
    level = drift + common + season + rng.normal(0, spec.variation, days)
    cost = spec.daily_cost * np.exp(level - level.mean())
    on = np.ones(days, dtype=bool)
    if spec.pattern == BURSTY:  # flights of 2-5 weeks, 1-4 weeks dark in between
        on[:] = False
        day = int(rng.integers(0, 14))
        while day < days:
            length = int(rng.integers(14, 36))
            on[day : day + length] = True
            day += length + int(rng.integers(7, 29))
        cost *= on.size / max(on.sum(), 1) * 0.6  # flights spend harder than always-on days
    elif spec.pattern == PULSED:  # 3-10 day bursts every 2-6 weeks
        on[:] = False
        day = int(rng.integers(0, 21))
        while day < days:
            length = int(rng.integers(3, 11))
            on[day : day + length] = True
            day += length + int(rng.integers(14, 43))
        cost *= 3.0
    if spec.dark_day_share:
        on &= rng.random(days) >= spec.dark_day_share
    return np.where(on, np.round(cost, 2), 0.0)


def _carry(cost: np.ndarray, alpha: float) -> np.ndarray:
    """Geometric carry-over, normalised so a steady cost x settles at x."""
    stock = np.zeros_like(cost)
    level = 0.0
    for day, value in enumerate(cost):
        level = value + alpha * level
        stock[day] = level
    return stock * (1 - alpha)


def simulate(
    scenario: Scenario | str, seed: int = 1, days: int | None = None
) -> tuple[ModelData, Truth]:
    """The business of `scenario` (or its name in SCENARIOS), seeded; `days` shortens it."""
    if isinstance(scenario, str):
        scenario = SCENARIOS[scenario]
    rng = np.random.default_rng(seed)
    n = days or scenario.days
    index = pd.date_range(scenario.start, periods=n, freq="D")
    t = np.arange(n) / 365.25
    season_wave = np.sin(2 * np.pi * t - 1.2) + 0.4 * np.cos(4 * np.pi * t + 0.5)
    weekday = np.array(scenario.weekly)[index.day_of_week]

    base = scenario.base_level * (
        1 + scenario.trend * np.arange(n) / scenario.days + scenario.yearly * season_wave + weekday
    )
    events: list[Event] = []
    for name, first, length, uplift in scenario.events:
        if first + length <= n:
            base[first : first + length] += uplift * scenario.base_level
            events.append(
                Event(name=name, start=index[first].date(), end=index[first + length - 1].date())
            )

    common = np.zeros(n)
    shocks = rng.normal(0, 0.1, n)
    for day in range(1, n):
        common[day] = 0.95 * common[day - 1] + shocks[day]
    common *= scenario.budget_correlation * 3
    season = scenario.spend_follows_season * season_wave

    all_dark = rng.random(n) < scenario.dark_days
    media = {}
    contributions = {}
    for spec in scenario.channels:
        cost = np.where(all_dark, 0.0, _spend(spec, n, common, season, rng))
        media[spec.slug] = cost
        contributions[spec.slug] = _hill(spec)(_carry(cost, spec.alpha))

    revenue = (
        base + sum(contributions.values()) + rng.normal(0, scenario.noise * scenario.base_level, n)
    )
    revenue = np.maximum(revenue, 0.0)
    gross_profit = revenue * scenario.gross_margin + rng.normal(0, 0.01 * scenario.base_level, n)

    media_frame = pd.DataFrame(media, index=index)
    contribution_frame = pd.DataFrame(contributions, index=index)
    # What the sources credit each channel: its true contribution, biased.
    attributed = contribution_frame * {s.slug: s.attribution_bias for s in scenario.channels}
    data = ModelData(
        days=index,
        revenue=revenue,
        gross_profit=gross_profit,
        media=media_frame,
        channel_names={spec.slug: spec.name for spec in scenario.channels},
        attributed_revenue={
            spec.slug: float(attributed[spec.slug].sum()) for spec in scenario.channels
        },
        attributed_daily=attributed,
        gross_margin={spec.slug: scenario.gross_margin for spec in scenario.channels},
        events=tuple(events),
    )
    truth = Truth(
        specs={spec.slug: spec for spec in scenario.channels},
        contributions=contribution_frame,
        media=media_frame,
        baseline=base,
    )
    return data, truth


def truncate(data: ModelData, days: int) -> ModelData:
    """The first `days` days of `data` (the window's attributed revenue sum is
    left as it is; its daily series is cut with the days)."""
    index = data.days[:days]
    last = index[-1].date()
    return replace(
        data,
        days=index,
        revenue=data.revenue[:days],
        gross_profit=None if data.gross_profit is None else data.gross_profit[:days],
        media=data.media.iloc[:days],
        attributed_daily=(
            None if data.attributed_daily is None else data.attributed_daily.iloc[:days]
        ),
        events=tuple(event for event in data.events if event.start <= last),
        lift_tests=tuple(test for test in data.lift_tests if test.end <= last),
        missing_days=tuple(day for day in data.missing_days if day <= last),
    )


def lift_test(
    truth: Truth, slug: str, start: date, days: int, change: float, rng_seed: int = 0
) -> LiftTest:
    """A measured experiment on the true response: the channel's daily cost is
    changed by `change` (a share, -1 for a switch-off) for `days` days from
    `start`; the measured lift is the true steady-state lift plus noise of 10%."""
    rows = truth.media.loc[pd.Timestamp(start) :].iloc[:days]
    cost = float(rows[slug].sum())
    level = cost / days
    curve = truth.response(slug)
    lift = float(curve(np.array([level * (1 + change)]))[0] - curve(np.array([level]))[0]) * days
    sigma = abs(lift) * 0.1 + 1.0
    noisy = lift + np.random.default_rng(rng_seed).normal(0, sigma)
    return LiftTest(
        channel=slug,
        start=rows.index[0].date(),
        end=rows.index[-1].date(),
        cost=cost,
        delta_cost=cost * change,
        delta_revenue=float(noisy),
        sigma=sigma,
    )


# Three named businesses, three years of daily data each.
SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            name="retail",
            description="Five channels: fast search and affiliates over-credited by attribution, "
            "slow bursty TV and pulsed events under-credited; correlated budgets, dark days.",
            channels=(
                ChannelSpec(
                    "paid_search",
                    "Paid Search",
                    3000,
                    ALWAYS_ON,
                    alpha=0.15,
                    ceiling=12000,
                    half_saturation=1800,
                    shape=1.0,
                    attribution_bias=2.6,
                ),
                ChannelSpec(
                    "social",
                    "Paid Social",
                    2000,
                    ALWAYS_ON,
                    alpha=0.45,
                    ceiling=10000,
                    half_saturation=4000,
                    shape=1.2,
                    attribution_bias=1.1,
                ),
                ChannelSpec(
                    "tv",
                    "TV",
                    5000,
                    BURSTY,
                    alpha=0.88,
                    ceiling=30000,
                    half_saturation=9000,
                    shape=1.3,
                    attribution_bias=0.15,
                ),
                ChannelSpec(
                    "affiliates",
                    "Affiliates",
                    800,
                    ALWAYS_ON,
                    alpha=0.1,
                    ceiling=6000,
                    half_saturation=2000,
                    shape=1.0,
                    attribution_bias=3.5,
                    dark_day_share=0.1,
                ),
                ChannelSpec(
                    "events",
                    "Events",
                    2500,
                    PULSED,
                    alpha=0.6,
                    ceiling=18000,
                    half_saturation=20000,
                    shape=1.0,
                    attribution_bias=0.4,
                ),
            ),
            events=(
                ("Black Friday 2023", 327, 4, 0.6),
                ("Black Friday 2024", 691, 4, 0.6),
                ("Black Friday 2025", 1055, 4, 0.6),
            ),
        ),
        Scenario(
            name="saas",
            description="Four unsaturated always-on channels with strongly correlated budgets and "
            "a steep trend; one slow brand channel.",
            base_level=12_000,
            trend=0.6,
            yearly=0.08,
            budget_correlation=0.8,
            spend_follows_season=0.1,
            channels=(
                ChannelSpec(
                    "paid_search",
                    "Paid Search",
                    1500,
                    ALWAYS_ON,
                    alpha=0.2,
                    ceiling=30000,
                    half_saturation=8000,
                    attribution_bias=2.0,
                    variation=0.4,
                ),
                ChannelSpec(
                    "social",
                    "Paid Social",
                    1200,
                    ALWAYS_ON,
                    alpha=0.3,
                    ceiling=14000,
                    half_saturation=5000,
                    attribution_bias=1.3,
                    variation=0.4,
                ),
                ChannelSpec(
                    "brand",
                    "Brand Video",
                    2000,
                    BURSTY,
                    alpha=0.8,
                    ceiling=16000,
                    half_saturation=12000,
                    attribution_bias=0.2,
                ),
                ChannelSpec(
                    "partners",
                    "Partner Program",
                    900,
                    ALWAYS_ON,
                    alpha=0.4,
                    ceiling=5000,
                    half_saturation=2500,
                    attribution_bias=0.8,
                    variation=0.45,
                ),
            ),
        ),
        Scenario(
            name="seasonal",
            description="Five channels in a strongly seasonal business whose budgets follow the "
            "season; saturated search, bursty TV, pulsed events, business-wide dark days.",
            base_level=30_000,
            trend=-0.1,
            yearly=0.3,
            spend_follows_season=0.6,
            budget_correlation=0.4,
            noise=0.06,
            dark_days=0.03,
            channels=(
                ChannelSpec(
                    "paid_search",
                    "Paid Search",
                    4000,
                    ALWAYS_ON,
                    alpha=0.1,
                    ceiling=16000,
                    half_saturation=2000,
                    shape=1.0,
                    attribution_bias=3.0,
                ),
                ChannelSpec(
                    "social",
                    "Paid Social",
                    2500,
                    ALWAYS_ON,
                    alpha=0.5,
                    ceiling=12000,
                    half_saturation=5000,
                    shape=1.5,
                    attribution_bias=1.0,
                    dark_day_share=0.05,
                ),
                ChannelSpec(
                    "tv",
                    "TV",
                    8000,
                    BURSTY,
                    alpha=0.85,
                    ceiling=50000,
                    half_saturation=10000,
                    shape=1.2,
                    attribution_bias=0.2,
                ),
                ChannelSpec(
                    "display",
                    "Display",
                    1200,
                    ALWAYS_ON,
                    alpha=0.3,
                    ceiling=6000,
                    half_saturation=3000,
                    attribution_bias=1.8,
                    variation=0.5,
                ),
                ChannelSpec(
                    "events",
                    "Events",
                    3000,
                    PULSED,
                    alpha=0.5,
                    ceiling=20000,
                    half_saturation=15000,
                    attribution_bias=0.5,
                ),
            ),
        ),
    )
}
