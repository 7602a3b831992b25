"""What a model fit takes and gives back: the line between the statistics
(`kpis.modeling.fitting`, `kpis.modeling.simulate`) and the application around
them (runs, stored results, pages, planner, API).

Plain data only: no Django, no ORM. The fit reads a `ModelData` built by one
GROUP BY over the facts and returns a `FitResult` that the run publishes in one
transaction. Definitions: docs/metrics.md, "Modeled (incremental) ROI".

Conventions
- Money is in the company currency, as floats (the fit is statistical; stored
  results are rounded to cents when written).
- `days` are consecutive calendar days (a gap in the facts is a day of zeros
  only when the data says so; `ModelData.missing_days` lists days with no facts
  at all, which the fit refuses or flags).
- A response curve maps a *daily* cost level, held steady, to the *daily*
  incremental revenue it brings once carry-over has settled. `samples` holds
  posterior draws of that curve (same draw index across channels, so sums over
  channels keep the posterior's correlations); `mean`/`low`/`high` are the
  mean and the 5th/95th percentiles of `samples`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

# The interval every modeled figure carries: 5th to 95th percentile (90%).
INTERVAL = (0.05, 0.95)


class ChannelStatus:
    OK = "ok"  # a modeled figure the manager can use
    FLAGGED = "flagged"  # a figure with a warning (wide interval, little variation ...)
    REFUSED = "refused"  # no figure: too little data of this channel to say anything


@dataclass(frozen=True)
class Event:
    """A user-entered event or holiday: a control for the days it covers."""

    name: str
    start: date
    end: date


@dataclass(frozen=True)
class LiftTest:
    """A measured experiment: over [start, end] the channel's cost was changed
    by `delta_cost` in total (negative for a hold-out/switch-off) and that
    changed revenue by `delta_revenue` in total, with standard error `sigma`
    (same unit as delta_revenue). `cost` is the channel's total cost over the
    window before the change."""

    channel: str  # channel slug
    start: date
    end: date
    cost: float
    delta_cost: float
    delta_revenue: float
    sigma: float
    channel_name: str = ""  # for the fit's notes (the slug when not given)


@dataclass(frozen=True)
class ModelData:
    days: pd.DatetimeIndex  # consecutive days, oldest first
    revenue: np.ndarray  # total daily revenue of the business (target), len(days)
    gross_profit: np.ndarray | None  # total daily gross profit, or None
    media: pd.DataFrame  # index = days, one column per paid channel slug: daily cost
    channel_names: dict[str, str]  # slug -> display name
    attributed_revenue: dict[str, float] = field(default_factory=dict)  # slug -> window sum
    # index = days, one column per paid channel slug: the revenue its sources
    # credited it each day (results compare it over the fitted days only).
    attributed_daily: pd.DataFrame | None = None
    gross_margin: dict[str, float] = field(default_factory=dict)  # slug -> margin in [0, 1]
    events: tuple[Event, ...] = ()
    lift_tests: tuple[LiftTest, ...] = ()
    missing_days: tuple[date, ...] = ()
    # Names of the channels with costs set as not advertising: in the target, not the media.
    not_media: tuple[str, ...] = ()

    def attributed_until(self, slug: str, end: date | None) -> float | None:
        """The revenue the sources credited `slug` up to `end` (the fit's last
        day, so it is over the same days as the spend it is divided by); the
        window's sum when there is no daily series or no end."""
        daily = self.attributed_daily
        if daily is None or end is None or slug not in daily.columns:
            return self.attributed_revenue.get(slug)
        return float(daily.loc[: pd.Timestamp(end), slug].sum())


@dataclass(frozen=True)
class FitSettings:
    target: str = "revenue"  # or "gross_profit"
    holdout_days: int = 56  # the last 8 weeks are kept out of the fit and scored
    chains: int = 2
    draws: int = 500
    tune: int = 500
    seed: int = 20261206
    quick: bool = False  # tests: a small, fast fit
    curve_points: int = 25
    curve_samples: int = 200


@dataclass(frozen=True)
class Curve:
    spend: np.ndarray  # daily cost levels, ascending, starting at 0
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    samples: np.ndarray  # shape (curve_samples, len(spend))
    # The slope at the window's average daily cost (the marginal ROAS) of each
    # of the same draws: channels compared draw by draw keep the posterior's
    # correlations (how sure the model is that one channel beats another).
    marginal: np.ndarray | None = None  # shape (curve_samples,)
    # The average daily cost of the channel's quietest and busiest whole
    # calendar month in the fitted window: the spend levels the model has
    # seen it held at for a month (the planner's "near" range widens to them).
    months_seen: tuple[float, float] | None = None
    # The average daily cost of the data's last 13 weeks (held-out weeks
    # included): "today's spend" in the planner.
    recent_daily: float | None = None


@dataclass(frozen=True)
class ChannelEstimate:
    slug: str
    name: str
    status: str  # ChannelStatus
    reason: str  # words for a manager; "" when status is OK
    spend: float  # total cost over the fitted window
    incremental_revenue: float | None
    incremental_revenue_low: float | None
    incremental_revenue_high: float | None
    incremental_roas: float | None
    roas_low: float | None
    roas_high: float | None
    marginal_roas: float | None  # at the window's average daily cost
    half_life_days: float | None  # carry-over
    saturation_point: float | None  # daily cost where the curve reaches half its ceiling
    curve: Curve | None
    # The marginal ROAS's 90% interval (5th-95th percentile over the draws).
    marginal_roas_low: float | None = None
    marginal_roas_high: float | None = None


@dataclass(frozen=True)
class Diagnostics:
    r2: float | None
    mape_holdout: float | None  # fraction, e.g. 0.14 for 14%
    rhat_max: float | None
    ess_min: float | None
    divergences: int | None
    baseline_share: float | None  # share of the target not explained by media


@dataclass(frozen=True)
class FitResult:
    start: date
    end: date  # last day used in the fit (holdout excluded from the fit but scored)
    channels: tuple[ChannelEstimate, ...]
    diagnostics: Diagnostics
    warnings: tuple[str, ...]  # plain words: "less than 52 weeks of data" ...
    fit_seconds: float
    library: str  # e.g. "pymc-marketing 0.19.2 + nutpie 0.15.2"


class FitRefused(Exception):
    """The data cannot support a model at all (too few weeks, no paid channel
    with enough spend, all-zero spend ...). `reason` is shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
