"""Fits the marketing-mix model: ModelData in, FitResult out (see contract.py).

The model (PyMC-Marketing's multidimensional `MMM`, sampled by nutpie):

    revenue[day] = intercept + trend + yearly season (Fourier) + weekday + events
                   + sum over channels of  ceiling * x^s / (half point^s + x^s),
                     x = adstock(cost / typical daily cost)
                   + noise

- Daily data. Carry-over is PyMC-Marketing's geometric adstock over 28 days
  (normalised, so a steady daily cost settles at itself), then a Hill
  saturation with a slope `s` learnt per channel (`_level_hill`). With `s`
  fixed at 1 (Michaelis-Menten) the curve cannot bend like an S, and the
  benchmark's S-shaped channels came out 19% and 26% too high with intervals
  that missed the truth (coverage 57%); logistic put a saturated channel 32%
  off. Each channel's cost is divided by its typical daily cost (the median
  over the days it spent, `_mmm_class`), revenue by its maximum.
- Controls are columns we build (a linear trend, sine/cosine yearly terms,
  weekday dummies, one column per user event), so that the held-out weeks can
  be predicted with the same numbers.
- Priors: the curve is sampled as its level at the typical daily cost, its
  half point and its slope (`_level_hill`: these the data tell apart, the
  ceiling and the half point of an unsaturated channel they do not). The
  level, per unit of typical cost, is half-normal with scale 3 (nine times in
  ten below 5, zero allowed); the half point ~ LogNormal(0, 1) typical daily
  costs (90% between 0.19 and 5.2: before, it was LogNormal(log 0.5, 1) of
  the channel's largest day, which is 4 to 23 times its typical day, so the
  prior said little about the curve where the channel operates); the slope
  ~ LogNormal(0, 0.35), centred on the Michaelis-Menten curve; carry-over
  `adstock_alpha` ~ Beta(1.2, 1.5), wide enough for TV-like half-lives of a
  week. (Google's Meridian, too, puts its priors on a channel's return per
  unit of spend and on a half point measured in the channel's typical spend.)
- Lift tests enter through `MMM.add_lift_test_measurements` (a likelihood on
  the saturation curve's difference between the tested levels).
- Holdout: the last `holdout_days` are kept out of the fit and scored with the
  posterior mean (MAPE). The published figures come from that same fit (no
  refit on the full window): one fit keeps the run under two minutes, and the
  figures describe the fitted window `start`..`end`, which the result states.

Every figure is read from the posterior draws of the free parameters: a
channel's contribution is our numpy forward pass (checked against the model's
own `channel_contribution` on a few draws), its response curve is the
saturation of (cost / typical daily cost) per draw, and the marginal ROAS is
that curve's slope at the window's average daily cost: the mean over draws of
each draw's slope, with the 5th-95th percentile as its interval. The mean of
the slopes is the slope of the mean curve (the one the page draws and the
planner's expected revenue follows), so the three agree; the slope of the
curve at the parameters' posterior means is another number (the curve is not
linear in them) and is not used.
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
import warnings
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import pandas as pd

from channelhub.metrics.display import money
from kpis.modeling.contract import (
    INTERVAL,
    ChannelEstimate,
    ChannelStatus,
    Curve,
    Diagnostics,
    FitRefused,
    FitResult,
    FitSettings,
    ModelData,
)

MIN_DAYS = 26 * 7  # under this, no model at all
FULL_YEAR_DAYS = 52 * 7
MIN_ACTIVE_DAYS = 28  # a channel needs spend on at least this many days ...
MIN_ACTIVE_SHARE = 0.05  # ... and on this share of the days
CONSTANT_CV = 0.02  # daily cost varying less than this (std / mean): no figure
LOW_CV = 0.15  # varying less than this: a figure with a warning
WIDE_INTERVAL = 1.2  # (roas_high - roas_low) / roas above this: flagged as uncertain
# Two channels next to each other by marginal ROAS: below this share of the
# draws in which the one ahead is ahead, the page says the model cannot order them.
ORDER_SURE = 0.8
MAX_MISSING_SHARE = 0.02  # missing days beyond this share of the window: refused
L_MAX = 28  # carry-over window, days
YEARLY_ORDER = 3  # sine/cosine pairs of the yearly season

QUICK = {"chains": 2, "draws": 300, "tune": 400}
# The saturation curve: ceiling * x^s / (kappa^s + x^s), x the cost divided
# by the channel's typical daily cost, kappa the x that reaches half the
# ceiling, the slope s learnt per channel (below 1 steep from the first
# dollar, above 1 S-shaped); sampled in the form of `_level_hill`.


# "Today's spend" in the planner: the daily average of the data's last 13
# weeks (the window's average is two years old at its start).
RECENT_DAYS = 91


def recent_daily(cost: np.ndarray) -> float:
    """The average daily cost of the last RECENT_DAYS days of the data."""
    tail = np.asarray(cost, dtype=float)[-RECENT_DAYS:]
    return float(tail.mean()) if tail.size else 0.0


def months_seen(days: pd.DatetimeIndex, cost: np.ndarray) -> tuple[float, float] | None:
    """The average daily cost of the quietest and the busiest whole calendar
    month among `days` (None without a whole month)."""
    series = pd.Series(np.asarray(cost, dtype=float), index=days)
    months = series.groupby(days.to_period("M"))
    means = months.mean()
    whole = months.size().to_numpy() == pd.PeriodIndex(means.index).days_in_month.to_numpy()
    if not whole.any():
        return None
    return float(means[whole].min()), float(means[whole].max())


def _curve(ceiling: np.ndarray, kappa: np.ndarray, x: np.ndarray, slope=1.0) -> np.ndarray:
    level = np.power(np.maximum(x, 0.0), slope)
    return np.asarray(ceiling * level / (np.power(kappa, slope) + level))


def _slope(ceiling: np.ndarray, kappa: np.ndarray, x: float, slope=1.0) -> np.ndarray:
    """d curve / d x (x scaled, x > 0)."""
    half = np.power(kappa, slope)
    level = np.power(x, slope)
    return np.asarray(ceiling * slope * half * np.power(x, slope - 1) / (half + level) ** 2)


logger = logging.getLogger(__name__)


@dataclass
class _Channel:
    slug: str
    name: str
    cost: np.ndarray  # daily cost over the whole (trimmed) window, holdout included
    status: str = ChannelStatus.OK
    reason: str = ""


@dataclass
class Checked:
    days: pd.DatetimeIndex  # the whole trimmed window, holdout included
    target: np.ndarray
    fit_days: int  # the first fit_days are fitted, the rest is the holdout
    channels: list[_Channel]
    controls: pd.DataFrame  # index = days
    warnings: list[str]

    @property
    def modeled(self) -> list[_Channel]:
        return [channel for channel in self.channels if channel.status != ChannelStatus.REFUSED]


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _possessive(name: str) -> str:
    """ "Events" -> "Events'", "TV" -> "TV's"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def days_text(day: pd.Timestamp) -> str:
    return str(day.date().isoformat())


def _weeks(days: int) -> int:
    return days // 7


def _trim_gaps(data: ModelData, notes: list[str]) -> slice:
    """The longest run of days without missing facts (a gap is never filled in)."""
    n = len(data.days)
    if not data.missing_days:
        return slice(0, n)
    missing = {pd.Timestamp(day) for day in data.missing_days}
    flags = np.array([day in missing for day in data.days])
    count = int(flags.sum())
    if count == 0:
        return slice(0, n)
    best, best_start, start = 0, 0, 0
    for position in range(n + 1):
        if position == n or flags[position]:
            if position - start > best:
                best, best_start = position - start, start
            start = position + 1
    if count > MAX_MISSING_SHARE * n and best < MIN_DAYS:
        first = min(data.missing_days)
        raise FitRefused(
            f"{count} days have no facts at all (the first is {first.isoformat()}), and no stretch "
            f"of at least 26 weeks without a gap is left: import the missing days first."
        )
    if best < MIN_DAYS:
        raise FitRefused(
            f"The facts have gaps ({count} days with no facts at all) and the longest stretch "
            f"without a gap is {_weeks(best)} weeks: the model needs at least 26 weeks."
        )
    window = slice(best_start, best_start + best)
    notes.append(
        f"{count} days have no facts at all: the model uses only the {_weeks(best)} weeks from "
        f"{days_text(data.days[window.start])} to {days_text(data.days[window.stop - 1])}, "
        f"which have no gap."
    )
    return window


def _controls(
    days: pd.DatetimeIndex, fit_days: int, data: ModelData, notes: list[str]
) -> pd.DataFrame:
    n = len(days)
    position = np.arange(n, dtype=float)
    columns: dict[str, np.ndarray] = {"trend": position / max(fit_days - 1, 1)}
    if fit_days >= FULL_YEAR_DAYS:
        years = (days - pd.Timestamp("2000-01-01")).days.to_numpy() / 365.25
        for order in range(1, YEARLY_ORDER + 1):
            columns[f"year_sin_{order}"] = np.sin(2 * np.pi * order * years)
            columns[f"year_cos_{order}"] = np.cos(2 * np.pi * order * years)
    for weekday in range(6):  # Sunday is the reference
        columns[f"weekday_{weekday}"] = (days.day_of_week == weekday).astype(float)
    fit_first, fit_last = days[0], days[fit_days - 1]
    for number, event in enumerate(data.events):
        start, end = pd.Timestamp(event.start), pd.Timestamp(event.end)
        if end < fit_first or start > fit_last:
            continue  # not in the fitted window: nothing to learn it from
        columns[f"event_{number}"] = ((days >= start) & (days <= end)).astype(float)
    return pd.DataFrame(columns, index=days)


def check(data: ModelData, settings: FitSettings | None = None) -> Checked:
    """What the fit would use, before any sampling: the window (gaps trimmed),
    the holdout, each channel's status and reason, the controls and the
    warnings. Raises FitRefused when no model can be fitted at all."""
    settings = settings or FitSettings()
    notes: list[str] = []
    if len(data.days) < MIN_DAYS:
        raise FitRefused(
            f"Only {_weeks(len(data.days))} weeks of data: the model needs at least 26 weeks "
            "of daily facts."
        )
    if settings.target == "gross_profit":
        if data.gross_profit is None:
            raise FitRefused(
                "Gross profit was asked for but the facts have no cost of goods to compute it."
            )
        target_all = np.asarray(data.gross_profit, dtype=float)
    else:
        target_all = np.asarray(data.revenue, dtype=float)
    if not np.all(np.isfinite(target_all)):
        raise FitRefused("Some days have no usable revenue figure (empty or not a number).")

    window = _trim_gaps(data, notes)
    days = data.days[window]
    target = target_all[window]
    media = data.media.iloc[window].fillna(0.0)
    n = len(days)
    if float(target.sum()) <= 0:
        raise FitRefused("The revenue is zero on every day: there is nothing to explain.")
    if float(media.to_numpy().clip(min=0).sum()) <= 0:
        raise FitRefused(
            "Every paid channel's cost is zero on every day: there is no spend to model."
        )

    holdout = min(settings.holdout_days, max(n - MIN_DAYS, 0))
    if holdout < 14:
        holdout = 0
        notes.append(
            "Too little data to keep weeks out of the fit: the model's accuracy on new weeks "
            "is not scored."
        )
    elif holdout < settings.holdout_days:
        notes.append(
            f"Only the last {_weeks(holdout)} weeks could be kept out of the fit to score it."
        )
    fit_days = n - holdout
    if fit_days < FULL_YEAR_DAYS:
        notes.append(
            f"Less than 52 weeks of data ({_weeks(fit_days)} weeks fitted): the yearly season "
            f"cannot be told apart from the channels, so every estimate is less certain."
        )

    channels = []
    for slug in media.columns:
        name = data.channel_names.get(slug, slug)
        cost = media[slug].to_numpy(dtype=float)
        channel = _Channel(slug=slug, name=name, cost=cost)
        fitted = cost[:fit_days]
        active = int((fitted > 0).sum())
        if (fitted < 0).any():
            channel.status, channel.reason = (
                ChannelStatus.REFUSED,
                f"{name} has negative costs: fix the facts first.",
            )
        elif active == 0:
            channel.status, channel.reason = (
                ChannelStatus.REFUSED,
                f"{name} has no cost in the fitted window.",
            )
        elif active < max(MIN_ACTIVE_DAYS, MIN_ACTIVE_SHARE * fit_days):
            channel.status = ChannelStatus.REFUSED
            channel.reason = (
                f"{name} had spend on only {active} of {fit_days} days: too few to tell its effect "
                f"from everything else."
            )
        else:
            variation = float(fitted.std() / fitted.mean())
            if variation < CONSTANT_CV:
                channel.status = ChannelStatus.REFUSED
                channel.reason = (
                    f"{_possessive(name)} spend never changes, so its effect cannot be told apart "
                    "from the baseline."
                )
            elif variation < LOW_CV:
                channel.status = ChannelStatus.FLAGGED
                channel.reason = (
                    f"{_possessive(name)} spend barely varies: its estimate is uncertain."
                )
        channels.append(channel)
    prepared = Checked(
        days=days,
        target=target,
        fit_days=fit_days,
        channels=channels,
        controls=_controls(days, fit_days, data, notes),
        warnings=notes,
    )
    if not prepared.modeled:
        reasons = " ".join(channel.reason for channel in channels)
        raise FitRefused(f"No paid channel has enough varying spend to model. {reasons}")
    for channel in channels:
        if channel.status == ChannelStatus.REFUSED:
            notes.append(channel.reason)
    return prepared


def _lift_frame(data: ModelData, prepared: Checked, notes: list[str]) -> pd.DataFrame | None:
    modeled = {channel.slug: channel for channel in prepared.modeled}
    last_fitted = prepared.days[prepared.fit_days - 1].date()
    rows = []
    not_media = set(data.not_media)
    for test in data.lift_tests:
        if test.channel not in modeled:
            name = test.channel_name or test.channel
            if name in not_media:
                why = "it is set as not advertising, so the model does not estimate it"
            elif test.channel in data.channel_names:
                why = "the model could not estimate it this time (see its status)"
            else:
                why = "it has no cost in the days the model reads"
            notes.append(f"A lift test of {name} ({test.start.isoformat()}) was left out: {why}.")
            continue
        days = (test.end - test.start).days + 1
        name = modeled[test.channel].name
        if (
            days <= 0
            or test.sigma <= 0
            or test.delta_cost == 0
            or test.delta_revenue == 0
            or test.cost < 0
        ):
            notes.append(
                f"A lift test of {name} ({test.start.isoformat()}) has impossible values "
                "and was left out."
            )
            continue
        if test.delta_cost * test.delta_revenue < 0:
            # (Recorded before the form refused it: the library refuses the whole fit.)
            notes.append(
                f"A lift test of {name} ({test.start.isoformat()}) measured revenue moving "
                "against its cost, which the model's curves cannot do, and was left out: "
                "correct its figures."
            )
            continue
        if test.start > last_fitted:
            # In the held-out weeks: the fit does not see it (later fits will).
            notes.append(
                f"A lift test of {name} ({test.start.isoformat()}) starts in the last weeks, "
                "which are held out to check the fit, and was left out; fits use it once "
                "it is older than those weeks."
            )
            continue
        rows.append(
            {
                "channel": test.channel,
                "x": test.cost / days,
                "delta_x": test.delta_cost / days,
                "delta_y": test.delta_revenue / days,
                "sigma": test.sigma / days,
            }
        )
    return pd.DataFrame(rows) if rows else None


ZERO = 1e-9  # added to the scaled cost inside the Hill curve (see _saturation)
LEVEL_SIGMA = 3.0  # prior scale of the return per unit of cost at the typical daily cost
SLOPE_SIGMA = 0.35  # prior spread of the Hill slope around 1 (log scale)


def _level_hill(x, slope, kappa, level):
    """The Hill curve through `level` at x = 1 (the typical daily cost):

        level * (1 + kappa^s) * x^s / (kappa^s + x^s)

    It is `beta * x^s / (kappa^s + x^s)` with the ceiling beta = level * (1 +
    kappa^s), written so that its parameters are what the data tell apart:
    `level` is pinned by the revenue on typical days, `kappa` and `slope` by
    how the curve bends. With the ceiling as a parameter, a channel far from
    saturation has a ceiling and a half point of which only the ratio beta /
    kappa^s is known: a long ridge that the sampler crossed slowly (saas:
    Brand Video's log ceiling and log half point correlated at 0.99 in the
    draws, r-hat 1.06, 39 effective draws).

    x^s / (kappa^s + x^s) is evaluated as sigmoid(s * (log x - log kappa)):
    the same number with one logarithm and one exponential per day and
    channel, where the powers and their gradients took several (the curve is
    most of the sampler's time per step)."""
    import pytensor.xtensor as ptx

    return (
        level
        * (1 + kappa**slope)
        * ptx.math.sigmoid(slope * (ptx.math.log(x + ZERO) - ptx.math.log(kappa)))
    )


def _ceiling(level: np.ndarray, kappa: np.ndarray, slope: np.ndarray) -> np.ndarray:
    return np.asarray(level * (1 + np.power(kappa, slope)))


@functools.cache
def _saturation():
    """A PyMC-Marketing saturation: the Hill curve in the `level` form
    (`_level_hill`), evaluated at `x + ZERO`: at a cost of exactly zero (dark
    days, a switch-off lift test) log(x) is minus infinity and the gradient
    with respect to the slope NaN, which made every step of the sampler
    diverge. ZERO is far below a cent of any channel's scaled cost, so the
    curve is unchanged. Lift tests go through `function` like the model does."""
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import SaturationTransformation

    class LevelHillSaturation(SaturationTransformation):
        lookup_name = "channelhub_level_hill"

        def function(self, x, slope, kappa, level, *, dim=None):
            return _level_hill(x, slope, kappa, level)

        default_priors = {
            "slope": Prior("LogNormal", mu=0.0, sigma=SLOPE_SIGMA),
            "kappa": Prior("LogNormal", mu=0.0, sigma=1.0),
            "level": Prior("HalfNormal", sigma=1.0),
        }

    return LevelHillSaturation


def _typical_cost(cost: np.ndarray) -> float:
    """A channel's typical daily cost: the median over the days it spent."""
    spent = cost[cost > 0]
    return float(np.median(spent)) if spent.size else 1.0


@functools.cache
def _mmm_class():
    """PyMC-Marketing's MMM with each channel's cost divided by its typical
    daily cost (`_typical_cost`) instead of its largest: the priors on the
    half point and on the level speak of the cost a manager usually spends,
    not of a single peak day (a channel's largest day was 4 to 23 times its
    typical day in the simulated businesses). Everything that scales (the
    model, lift tests, our read-out) uses `scalers`, so this is the one place."""
    from pymc_marketing.mmm.multidimensional import MMM

    class TypicalCostMMM(MMM):
        def _compute_scales(self) -> None:
            super()._compute_scales()
            channel = self.xarray_dataset["_channel"]
            typical = channel.where(channel > 0).median(dim="date")
            self.scalers["_channel"] = typical.fillna(1.0)

    return TypicalCostMMM


def build_model(prepared: Checked, data: ModelData):
    """The PyMC-Marketing model for the fitted window (lift tests added)."""
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock

    fit_days = prepared.fit_days
    slugs = [channel.slug for channel in prepared.modeled]
    frame = pd.DataFrame({channel.slug: channel.cost[:fit_days] for channel in prepared.modeled})
    frame.insert(0, "date", prepared.days[:fit_days])
    controls = prepared.controls.iloc[:fit_days]
    for column in controls.columns:
        frame[column] = controls[column].to_numpy()
    target = pd.Series(prepared.target[:fit_days], name="y")
    target_scale = float(np.abs(target).max())
    typical = np.array([_typical_cost(channel.cost[:fit_days]) for channel in prepared.modeled])
    config = {
        "intercept": Prior("Normal", mu=0.5, sigma=0.5),
        "gamma_control": Prior("Normal", mu=0, sigma=0.5, dims="control"),
        "likelihood": Prior("Normal", sigma=Prior("HalfNormal", sigma=0.5), dims="date"),
        "adstock_alpha": Prior("Beta", alpha=1.2, beta=1.5, dims="channel"),
        # The half point, in typical daily costs: 90% between 0.19 and 5.2.
        "saturation_kappa": Prior("LogNormal", mu=0.0, sigma=1.0, dims="channel"),
        # Centred on the Michaelis-Menten curve (slope 1); 90% of the prior
        # between 0.56 (steep at first) and 1.8 (S-shaped).
        "saturation_slope": Prior("LogNormal", mu=0.0, sigma=SLOPE_SIGMA, dims="channel"),
        # The daily revenue a steady typical daily cost brings, in the model's
        # scale: per unit of cost half-normal with scale LEVEL_SIGMA (nine
        # times in ten below 5), zero allowed.
        "saturation_level": Prior(
            "HalfNormal", sigma=LEVEL_SIGMA * typical / target_scale, dims="channel"
        ),
    }
    mmm = _mmm_class()(
        date_column="date",
        channel_columns=slugs,
        control_columns=list(controls.columns),
        adstock=GeometricAdstock(l_max=L_MAX),
        saturation=_saturation()(),
        model_config=config,
    )
    X = frame.reset_index(drop=True)
    mmm.build_model(X, target)
    scale = np.asarray(mmm.scalers._channel, dtype=float).ravel()
    if not np.allclose(scale, typical):
        raise RuntimeError("The channels' scale is not their typical daily cost: library changed?")
    return mmm


def _posterior(idata, name: str) -> np.ndarray:
    values = idata.posterior[name]
    stacked = values.stack(sample=("chain", "draw")).transpose("sample", ...)
    return np.asarray(stacked.values, dtype=float)


def _adstock(scaled: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Normalised geometric carry-over: scaled (days, channels), alpha (draws, channels)
    -> (draws, days, channels)."""
    weights = alpha[:, None, :] ** np.arange(L_MAX)[None, :, None]  # draws, lag, channels
    weights = weights / weights.sum(axis=1, keepdims=True)
    result = np.zeros((alpha.shape[0], *scaled.shape))
    for lag in range(L_MAX):
        shifted = np.zeros_like(scaled)
        shifted[lag:] = scaled[: scaled.shape[0] - lag]
        result += weights[:, lag, None, :] * shifted[None, :, :]
    return result


def _summary(values: np.ndarray) -> tuple[float, float, float]:
    low, high = np.quantile(values, INTERVAL)
    return float(values.mean()), float(low), float(high)


def order_notes(channels: list[tuple[str, np.ndarray]]) -> list[str]:
    """Warnings for channels next to each other by marginal ROAS whose order
    the model is not sure of. `channels`: (name, marginal ROAS per draw, the
    same draws for every channel), so that the comparison keeps the
    posterior's correlations. Where the data cannot tell a channel's
    diminishing returns from the season (bench/modeling_identify.py), the
    order of two close channels is a coin toss: a manager must not move
    budget between them on it.

    Neighbours the model cannot order are chained into one group and named in
    one warning (a dozen channels of close figures give two or three lines,
    not one per pair); a group of two also says how often the first is ahead."""
    ranked = sorted(channels, key=lambda c: -float(np.mean(c[1])))
    groups: list[tuple[list[str], float]] = []  # names, share of the group's first pair
    previous_unsure = False
    for (ahead, a), (behind, b) in itertools.pairwise(ranked):
        share = float(np.mean(a > b))
        unsure = share < ORDER_SURE
        if unsure and previous_unsure:
            groups[-1][0].append(behind)
        elif unsure:
            groups.append(([ahead, behind], share))
        previous_unsure = unsure
    notes = []
    for names, share in groups:
        if len(names) == 2:
            ahead, behind = names
            notes.append(
                f"The model cannot tell whether the next {money(1, 0)} on {ahead} or on "
                f"{behind} brings more ({ahead} ahead in {share:.0%} of its draws): "
                "treat them as level when moving budget between them."
            )
        else:
            listed = f"{', '.join(names[:-1])} and {names[-1]}"
            notes.append(
                f"The model cannot rank {listed} by what the next {money(1, 0)} brings "
                f"(each is ahead of the next in fewer than {ORDER_SURE:.0%} of its draws): "
                "treat them as level when moving budget among them."
            )
    return notes


def fit(data: ModelData, settings: FitSettings | None = None) -> FitResult:
    settings = settings or FitSettings()
    started = time.perf_counter()
    prepared = check(data, settings)
    notes = prepared.warnings
    lift = _lift_frame(data, prepared, notes)

    logging.getLogger("pymc").setLevel(logging.ERROR)
    logging.getLogger("pymc_marketing").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm = build_model(prepared, data)
        if lift is not None:
            mmm.add_lift_test_measurements(lift)
        logger.info("model built in %.1f s", time.perf_counter() - started)
        sizes = (
            QUICK
            if settings.quick
            else {"chains": settings.chains, "draws": settings.draws, "tune": settings.tune}
        )
        idata = _sample(mmm, settings, sizes)
    logger.info("sampled in %.1f s", time.perf_counter() - started)
    return _result(data, settings, prepared, mmm, idata, started, notes)


def _sample(mmm, settings: FitSettings, sizes: dict):
    """The posterior of the model's free parameters, sampled by nutpie.

    `MMM.fit` would then evaluate every deterministic of the model (each day's
    contribution of each channel, the mean, the controls ...) for every draw
    and keep them: about a second and tens of megabytes for arrays that
    `_result` recomputes in numpy from the free parameters anyway (checked
    against the model's own on a few draws, `_check_forward_pass`)."""
    import pymc as pm

    with mmm.model:
        return pm.sample(
            var_names=[variable.name for variable in mmm.model.free_RVs],
            nuts_sampler="nutpie",
            progressbar=False,
            random_seed=settings.seed,
            cores=sizes["chains"],
            **sizes,
        )


CHECKED_DRAWS = 3  # draws of each chain on which the forward pass is checked


def _check_forward_pass(mmm, idata, contributions: np.ndarray, target_scale: float) -> None:
    """Our numpy forward pass against the model's own `channel_contribution` on
    the first draws of each chain: if the library's model changed (scaling,
    adstock, curve), the figures would silently describe another model."""
    import pymc as pm

    first = idata.posterior.isel(draw=slice(0, CHECKED_DRAWS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        library = pm.compute_deterministics(
            first,
            var_names=["channel_contribution"],
            model=mmm.model,
            progressbar=False,
            compile_kwargs={"mode": "FAST_COMPILE"},
        )
    values = library["channel_contribution"].transpose("chain", "draw", "date", "channel").values
    draws = idata.posterior.sizes["draw"]
    ours = contributions.reshape(-1, draws, *contributions.shape[1:])[:, :CHECKED_DRAWS]
    fit_days = values.shape[2]
    if not np.allclose(
        values * target_scale, ours[:, :, :fit_days], rtol=1e-4, atol=1e-3 * target_scale
    ):
        raise RuntimeError(
            "The model's channel contributions differ from the forward pass: model changed?"
        )


def _diagnostics(idata, free: list[str]) -> tuple[float | None, float | None, int | None]:
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        posterior = idata.posterior[free]
        rhat = az.rhat(posterior) if posterior.sizes["chain"] > 1 else None
        ess = az.ess(posterior)
    rhat_max = float(max(float(rhat[name].max()) for name in free)) if rhat is not None else None
    ess_min = float(min(float(ess[name].min()) for name in free))
    divergences = (
        int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else None
    )
    return rhat_max, ess_min, divergences


def _result(data, settings, prepared, mmm, idata, started, notes) -> FitResult:
    modeled = prepared.modeled
    fit_days = prepared.fit_days
    target_scale = float(np.asarray(mmm.scalers._target).ravel()[0])
    channel_scale = np.asarray(mmm.scalers._channel, dtype=float).ravel()
    alpha = _posterior(idata, "adstock_alpha")
    lam = _posterior(idata, "saturation_kappa")
    shape = _posterior(idata, "saturation_slope")
    beta = _ceiling(_posterior(idata, "saturation_level"), lam, shape)
    intercept = _posterior(idata, "intercept_contribution").reshape(-1)
    gamma = _posterior(idata, "gamma_control")

    # The whole window (holdout included), forward through the posterior draws.
    cost = np.column_stack([channel.cost for channel in modeled])
    adstocked = _adstock(cost / channel_scale, alpha)
    contributions = (
        _curve(beta[:, None, :], lam[:, None, :], adstocked, shape[:, None, :]) * target_scale
    )
    _check_forward_pass(mmm, idata, contributions, target_scale)
    controls = prepared.controls.to_numpy()
    mu = (intercept[:, None] + gamma @ controls.T) * target_scale + contributions.sum(axis=2)
    predicted = mu.mean(axis=0)
    observed = prepared.target

    fitted_obs, fitted_pred = observed[:fit_days], predicted[:fit_days]
    r2 = 1 - float(
        ((fitted_obs - fitted_pred) ** 2).sum() / ((fitted_obs - fitted_obs.mean()) ** 2).sum()
    )
    mape = None
    if fit_days < len(observed):
        hold_obs, hold_pred = observed[fit_days:], predicted[fit_days:]
        positive = hold_obs > 0
        if positive.any():
            mape = float(
                np.mean(np.abs(hold_obs[positive] - hold_pred[positive]) / hold_obs[positive])
            )
    media_total = contributions[:, :fit_days, :].sum(axis=(1, 2)).mean()
    baseline_share = float(1 - media_total / fitted_obs.sum())

    free = [
        name
        for name in (
            "adstock_alpha",
            "saturation_kappa",
            "saturation_slope",
            "saturation_level",
            "intercept_contribution",
            "gamma_control",
            "y_sigma",
        )
        if name in idata.posterior
    ]
    rhat_max, ess_min, divergences = _diagnostics(idata, free)

    rng = np.random.default_rng(settings.seed)
    draws = alpha.shape[0]
    picked = rng.choice(draws, size=min(settings.curve_samples, draws), replace=False)
    estimates = []
    slopes: dict[str, tuple[str, np.ndarray]] = {}  # slug: (name, marginal ROAS per draw)
    by_slug = {channel.slug: position for position, channel in enumerate(modeled)}
    for channel in prepared.channels:
        spend = float(channel.cost[:fit_days].sum())
        if channel.slug not in by_slug:
            estimates.append(
                ChannelEstimate(
                    slug=channel.slug,
                    name=channel.name,
                    status=channel.status,
                    reason=channel.reason,
                    spend=spend,
                    incremental_revenue=None,
                    incremental_revenue_low=None,
                    incremental_revenue_high=None,
                    incremental_roas=None,
                    roas_low=None,
                    roas_high=None,
                    marginal_roas=None,
                    half_life_days=None,
                    saturation_point=None,
                    curve=None,
                )
            )
            continue
        k = by_slug[channel.slug]
        revenue = contributions[:, :fit_days, k].sum(axis=1)
        inc, inc_low, inc_high = _summary(revenue)
        roas, roas_low, roas_high = _summary(revenue / spend)
        scale = channel_scale[k]
        ceiling = beta[:, k] * target_scale
        average = spend / fit_days
        slope = _slope(ceiling, lam[:, k], average / scale, shape[:, k]) / scale
        top = max(2.0 * average, float(np.quantile(channel.cost[:fit_days], 0.95)) * 1.2, 1.0)
        grid = np.linspace(0.0, top, settings.curve_points)
        samples = _curve(
            ceiling[picked, None],
            lam[picked, k, None],
            grid[None, :] / scale,
            shape[picked, k, None],
        )
        low, high = np.quantile(samples, INTERVAL, axis=0)
        curve = Curve(
            spend=grid,
            mean=samples.mean(axis=0),
            low=low,
            high=high,
            samples=samples,
            marginal=slope[picked],
            months_seen=months_seen(prepared.days[:fit_days], channel.cost[:fit_days]),
            recent_daily=recent_daily(channel.cost),
        )
        marginal, marginal_low, marginal_high = _summary(slope)
        slopes[channel.slug] = (channel.name, slope)
        with np.errstate(divide="ignore"):
            half_life = np.where(
                alpha[:, k] > 0, np.log(0.5) / np.log(np.clip(alpha[:, k], 1e-12, 1 - 1e-12)), 0.0
            )
        saturation_point = scale * lam[:, k]
        status, reason = channel.status, channel.reason
        if (
            status == ChannelStatus.OK
            and roas > 0
            and (roas_high - roas_low) / roas > WIDE_INTERVAL
        ):
            status = ChannelStatus.FLAGGED
            reason = (
                f"{_possessive(channel.name)} estimate is uncertain: each unit of cost "
                f"brought between {roas_low:.2f} and {roas_high:.2f} of sales."
            )
        if status == ChannelStatus.FLAGGED:
            notes.append(reason)
        estimates.append(
            ChannelEstimate(
                slug=channel.slug,
                name=channel.name,
                status=status,
                reason=reason,
                spend=spend,
                incremental_revenue=inc,
                incremental_revenue_low=inc_low,
                incremental_revenue_high=inc_high,
                incremental_roas=roas,
                roas_low=roas_low,
                roas_high=roas_high,
                marginal_roas=marginal,
                half_life_days=float(np.median(half_life)),
                saturation_point=float(np.median(saturation_point)),
                curve=curve,
                marginal_roas_low=marginal_low,
                marginal_roas_high=marginal_high,
            )
        )

    notes += order_notes(list(slopes.values()))
    if mape is not None and mape > 0.10:
        notes.append(
            f"The fit misses the last {_weeks(len(observed) - fit_days)} weeks by {mape:.0%}."
        )
    if rhat_max is not None and rhat_max > 1.05:
        notes.append(
            f"The sampler did not fully settle (r-hat {rhat_max:.2f}): treat the figures with care."
        )
    if divergences:
        notes.append(f"The sampler hit {divergences} divergent steps: treat the figures with care.")
    if ess_min is not None and ess_min < 100:
        notes.append(
            f"Few independent draws (effective sample size {ess_min:.0f}): intervals are rough."
        )

    return FitResult(
        start=prepared.days[0].date(),
        end=prepared.days[fit_days - 1].date(),
        channels=tuple(estimates),
        diagnostics=Diagnostics(
            r2=r2,
            mape_holdout=mape,
            rhat_max=rhat_max,
            ess_min=ess_min,
            divergences=divergences,
            baseline_share=baseline_share,
        ),
        warnings=tuple(dict.fromkeys(notes)),
        fit_seconds=time.perf_counter() - started,
        library=f"pymc-marketing {version('pymc-marketing')} + nutpie {version('nutpie')}",
    )
