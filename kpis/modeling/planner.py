"""The budget planner: split a budget over channels for a future period from
the live model's stored response-curve draws (no Django here).

Every channel's curve maps a daily cost, held steady, to the daily incremental
revenue it brings (contract.Curve). A plan spends `amount[c]` over `days`, so
channel c brings `days * f_c(amount[c] / days)` in draw s, where f_c is that
draw's curve, interpolated monotonically (PCHIP) between the grid's points and
held flat past its last point (the model has not seen more spend, so it
promises nothing more). Expected outcomes are means over draws; intervals are
the 5th-95th percentiles of the *sum over channels per draw* (the same draw
index on every channel keeps the posterior's correlations).

Channels are addressed by slug everywhere: bounds, locks and answers are
dicts keyed by slug, and the optimiser's vector is built from one sorted list
of slugs, so no order or display name can shift a bound onto another channel.
Optimisation is scipy's (SLSQP for the split, brentq for the smallest budget
reaching a target); one of SLSQP's starts is the best split on a grid, found
by dynamic programming over the channels, since S-shaped curves can give the
expected outcome more than one peak.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import interpolate, optimize

from channelhub.metrics.display import money0

from .contract import INTERVAL, FitResult

# Steps of the spare budget in the planner's grid search (Planner._grid_start).
GRID = 200

# A budget this close to what the channels must or may take is taken as that.
ROUNDING = 1.0

# How a refusal made under `reach` (Planner._limits) says to widen it.
WIDEN = "let channels move further from today's spend"


def _times(factor: float) -> str:
    return "twice" if factor == 2 else f"{factor:g} times"


def _part(factor: float) -> str:
    return "half" if factor == 2 else f"1/{factor:g}"


def _listed(items: list[str], word: str) -> str:
    """'a', 'a or b', 'a, b or c' (`word`: "or", "and")."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def _or(actions: list[str]) -> str:
    return _listed(actions, "or")


def _floor_words(bounds: Mapping[str, Bound], reach: float | None) -> tuple[str, str]:
    """What holds the channels' least total up, and what to do for less:
    the minimums and locks given, and the range of the channels without a
    minimum (under `reach`). Only what the question holds is named."""
    given = [b for b in bounds.values() if b.min is not None]
    locked = [b for b in bounds.values() if b.locked]
    actions = (["lower some minimums"] if given else []) + (["unlock channels"] if locked else [])
    what = ""
    if reach:
        others = "each other channel" if given or locked else "each channel"
        what = f", {others} kept at least {_part(reach)} of today's spend or its quietest month's"
        actions.append(WIDEN)
    return what, _or(actions) if actions else "give a larger budget"


def _ceiling_words(
    bounds: Mapping[str, Bound], reach: float | None, channels: int
) -> tuple[str, str]:
    """What caps the channels' largest total, and what to do for more: the
    maximums and locks given; for the channels without either, the range
    (under `reach`) or the most the model has seen each spend."""
    given = [b for b in bounds.values() if b.max is not None]
    locked = [b for b in bounds.values() if b.locked]
    actions = (["raise some maximums"] if given else []) + (["unlock channels"] if locked else [])
    others = "each other channel" if given or locked else "each channel"
    if len(given) + len(locked) >= channels:
        what = ""
    elif reach:
        what = f", {others} at most {_times(reach)} today's spend or its busiest month's"
        actions.append(WIDEN)
    else:
        # The curves say nothing past the most each channel has spent.
        what = f", {others} at most the most the model has seen it spend"
    return what, _or(actions) if actions else "plan a smaller budget"


class PlanError(ValueError):
    """The question has no answer (bounds that cannot hold the budget ...): words for a manager.
    `field`: the form field the words are about, when one is (None: the question as a whole)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ChannelCurve:
    slug: str
    name: str
    spend: np.ndarray  # daily cost grid, ascending, from 0
    samples: np.ndarray  # (draws, len(spend)) daily incremental revenue
    today_daily: float  # today's average daily cost (the live model's window)
    margin: float = 1.0  # gross margin, for a gross-profit goal
    # The average daily cost of its quietest and busiest whole month in the
    # data (contract.Curve.months_seen): None for a fit that did not say.
    months_seen: tuple[float, float] | None = None

    def interpolator(self) -> Any:
        return interpolate.PchipInterpolator(self.spend, self.samples, axis=1, extrapolate=False)


@dataclass(frozen=True)
class Bound:
    min: float | None = None  # total over the period
    max: float | None = None
    locked: bool = False  # keep today's daily cost


@dataclass(frozen=True)
class Outcome:
    mean: float
    low: float
    high: float

    def as_json(self) -> dict[str, float]:
        return {"mean": round(self.mean, 2), "low": round(self.low, 2), "high": round(self.high, 2)}


@dataclass(frozen=True)
class PlanResult:
    days: int
    goal: str
    allocation: dict[str, float]  # slug -> total cost over the period
    today: dict[str, float]  # slug -> the same total in today's proportions
    outcome: Outcome
    today_outcome: Outcome
    per_channel: dict[str, Outcome]  # slug -> the channel's contribution
    capped: list[str] = field(default_factory=list)  # slugs held at the curve's end
    names: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the answer means, for a manager
    # slug -> "minimum" / "maximum": a channel planned at the least or the most
    # it may take (its bounds or the range), which the model would pass if allowed.
    at_limit: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.allocation.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "goal": self.goal,
            "total": round(self.total, 2),
            "outcome": self.outcome.as_json(),
            "today_outcome": self.today_outcome.as_json(),
            "channels": [
                {
                    "slug": slug,
                    "name": self.names.get(slug, slug),
                    "amount": round(self.allocation[slug], 2),
                    "today": round(self.today[slug], 2),
                    "outcome": self.per_channel[slug].as_json(),
                    "capped": slug in self.capped,
                    **({"at": self.at_limit[slug]} if slug in self.at_limit else {}),
                }
                for slug in sorted(
                    self.allocation, key=lambda s: (self.names.get(s) or s).lower() + "\x00" + s
                )
            ],
            **({"notes": list(self.notes)} if self.notes else {}),
        }


def fit_curves(result: FitResult, margin: float = 1.0) -> list[ChannelCurve]:
    """The planner's curves straight from a fit (the benchmark; pages plan on
    the stored ones, selectors.planner_curves): today is the last 13 weeks'
    average daily cost, as on the pages (the fitted window's for a fit that
    did not record it)."""
    days = (result.end - result.start).days + 1
    return [
        ChannelCurve(
            slug=c.slug,
            name=c.name,
            spend=c.curve.spend,
            samples=c.curve.samples,
            today_daily=c.curve.recent_daily
            if c.curve.recent_daily is not None
            else c.spend / days,
            margin=margin,
            months_seen=c.curve.months_seen,
        )
        for c in result.channels
        if c.curve is not None
    ]


class Planner:
    def __init__(self, curves: list[ChannelCurve], *, days: int, goal: str = "revenue") -> None:
        if days < 1:
            raise PlanError("The period must have at least one day.")
        if not curves:
            raise PlanError("The model has no channel with a response curve to plan with.")
        draws = {c.samples.shape[0] for c in curves}
        if len(draws) != 1:
            raise PlanError("The model's curves do not have the same number of draws.")
        self.curves = {c.slug: c for c in curves}
        self.slugs = sorted(self.curves)  # the one order of the optimiser's vector
        self.days = days
        self.goal = goal
        self._interp = {slug: self.curves[slug].interpolator() for slug in self.slugs}

    # --- evaluating a split -------------------------------------------------------------

    def _channel_draws(self, slug: str, amount: float) -> np.ndarray:
        curve = self.curves[slug]
        daily = min(max(amount / self.days, 0.0), float(curve.spend[-1]))
        values = np.asarray(self._interp[slug](daily), dtype=float).reshape(-1)
        scale = curve.margin if self.goal == "gross_profit" else 1.0
        return values * self.days * scale

    def draws(self, allocation: Mapping[str, float]) -> np.ndarray:
        """The plan's outcome in every draw (summed over channels)."""
        return np.sum([self._channel_draws(s, allocation.get(s, 0.0)) for s in self.slugs], axis=0)

    @staticmethod
    def _outcome(values: np.ndarray) -> Outcome:
        low, high = np.quantile(values, INTERVAL)
        return Outcome(float(values.mean()), float(low), float(high))

    def today(self) -> dict[str, float]:
        """Today's average daily cost of each channel over the period."""
        return {s: self.curves[s].today_daily * self.days for s in self.slugs}

    def today_split(self, total: float) -> dict[str, float]:
        """`total` split in today's proportions: what a plan is compared with."""
        today = self.today()
        spent = sum(today.values())
        if spent <= 0:
            return today
        return {s: amount * total / spent for s, amount in today.items()}

    def evaluate(
        self, allocation: Mapping[str, float], baseline: Mapping[str, float] | None = None
    ) -> PlanResult:
        """The outcome of `allocation`, against `baseline` (default: the same
        total split in today's proportions)."""
        unknown = set(allocation) - set(self.slugs)
        if unknown:
            raise PlanError(f"No response curve for: {', '.join(sorted(unknown))}.")
        alloc = {s: float(allocation.get(s, 0.0)) for s in self.slugs}
        today = dict(baseline) if baseline is not None else self.today_split(sum(alloc.values()))
        return PlanResult(
            days=self.days,
            goal=self.goal,
            allocation=alloc,
            today=today,
            outcome=self._outcome(self.draws(alloc)),
            today_outcome=self._outcome(self.draws(today)),
            per_channel={s: self._outcome(self._channel_draws(s, alloc[s])) for s in self.slugs},
            # At (within a rounding) or past the curve's last point.
            capped=[
                s
                for s in self.slugs
                if alloc[s] > 0
                and alloc[s] >= float(self.curves[s].spend[-1]) * self.days - ROUNDING
            ],
            names={s: self.curves[s].name for s in self.slugs},
        )

    def what_if(self, slug: str, amount: float) -> PlanResult:
        """Today's split with one channel's amount changed."""
        if slug not in self.curves:
            raise PlanError(f"No response curve for {slug}.")
        if amount < 0:
            raise PlanError("An amount cannot be negative.")
        return self.evaluate({**self.today(), slug: amount}, baseline=self.today())

    # --- optimising ------------------------------------------------------------------

    def _limits(
        self, bounds: Mapping[str, Bound], reach: float | None = None
    ) -> list[tuple[float, float]]:
        """Each channel's (lowest, highest) total over the period. With `reach`
        (say 2), a side the user left empty stays within today's spend divided
        and multiplied by it, or within the channel's quietest and busiest
        month in the data where that is wider, and never past the curve's last
        point (the most the model has seen it spend): the model has seen spend
        there, and far from it the curve is a guess; a bound given replaces
        its side. A minimum given above the curve's last point raises the
        maximum left empty with it (the curve is flat there: the plan says so)."""
        unknown = set(bounds) - set(self.slugs)
        if unknown:
            raise PlanError(f"No response curve for: {', '.join(sorted(unknown))}.")
        limits = []
        for slug in self.slugs:
            bound = bounds.get(slug, Bound())
            today = self.curves[slug].today_daily * self.days
            if bound.locked:
                limits.append((today, today))
                continue
            top = float(self.curves[slug].spend[-1]) * self.days
            if reach:
                near_low, near_high = today / reach, min(today * reach, top)
                seen = self.curves[slug].months_seen
                if seen:
                    near_low = min(near_low, seen[0] * self.days)
                    near_high = max(near_high, min(seen[1] * self.days, top))
                low = max(bound.min, 0.0) if bound.min is not None else near_low
                high = bound.max if bound.max is not None else max(near_high, low)
                if bound.min is None:
                    low = min(low, high)  # a maximum below the range: the range gives way
            else:
                low = max(bound.min or 0.0, 0.0)
                high = bound.max if bound.max is not None else max(top, low)
            if high < low:
                raise PlanError(f"{self.curves[slug].name}: the maximum is below the minimum.")
            limits.append((low, high))
        return limits

    def _expected(self, slug: str, amounts: np.ndarray) -> np.ndarray:
        """The expected outcome (mean over draws) of each of `amounts` on one channel."""
        curve = self.curves[slug]
        daily = np.clip(amounts / self.days, 0.0, float(curve.spend[-1]))
        values = np.asarray(self._interp[slug](daily), dtype=float).mean(axis=0)
        scale = curve.margin if self.goal == "gross_profit" else 1.0
        return values * self.days * scale

    def _grid_start(self, lows: np.ndarray, highs: np.ndarray, spare: float) -> np.ndarray:
        """The best split of `spare` above the minimums in steps of 1/GRID of it,
        by dynamic programming over the channels. Curves that start S-shaped
        (their first dollars bring little) give the expected outcome more than
        one peak, where a local search from an even spread can stop at the
        lower one; this start is the grid's global best, polished after."""
        if spare <= 0:
            return lows
        step = spare / GRID
        best = np.zeros(GRID + 1)  # best outcome of the channels so far, per steps used
        choices = []
        for i, slug in enumerate(self.slugs):
            top = int(min(GRID, np.floor((highs[i] - lows[i]) / step + 1e-9)))
            values = self._expected(slug, lows[i] + step * np.arange(top + 1))
            # total[j, k]: the channels before with j - k steps, this one with k.
            j, k = np.meshgrid(np.arange(GRID + 1), np.arange(top + 1), indexing="ij")
            total = np.where(k <= j, best[np.clip(j - k, 0, None)] + values[k], -np.inf)
            choices.append(total.argmax(axis=1))
            best = total.max(axis=1)
        steps = np.zeros(len(self.slugs), dtype=int)
        used = int(best.argmax())
        for i in reversed(range(len(self.slugs))):
            steps[i] = choices[i][used]
            used -= steps[i]
        return np.clip(lows + step * steps, lows, highs)

    def _best(
        self,
        budget: float,
        limits: list[tuple[float, float]],
        reach: float | None = None,
        bounds: Mapping[str, Bound] | None = None,
    ) -> np.ndarray:
        """The split of `budget` within `limits` with the highest expected
        outcome; `reach` and `bounds` (what made the limits) only word a refusal."""
        bounds = bounds or {}
        lows = np.array([lo for lo, _ in limits])
        highs = np.array([hi for _, hi in limits])
        # A budget given in whole units (as proposed) for channels kept at
        # today's spend in cents: within one unit, it is their sum.
        if lows.sum() - ROUNDING <= budget < lows.sum():
            budget = float(lows.sum())
        elif highs.sum() < budget <= highs.sum() + ROUNDING:
            budget = float(highs.sum())
        if budget < lows.sum() - 0.01:
            kept, do = _floor_words(bounds, reach)
            raise PlanError(
                f"The budget is below the channels' minimums and locked amounts "
                f"({money0(math.ceil(lows.sum()))}{kept}): {do}."
            )
        if budget > highs.sum() + 0.01:
            most, do = _ceiling_words(bounds, reach, len(self.slugs))
            raise PlanError(
                "The budget is above what the channels may take "
                f"({money0(math.floor(highs.sum()))}{most}): {do}."
            )
        scale = max(budget, 1.0)

        def objective(x: np.ndarray) -> float:
            amounts = dict(zip(self.slugs, x * scale, strict=True))
            return -float(self.draws(amounts).mean()) / scale

        room = highs - lows
        spare = budget - lows.sum()
        if room.sum() <= 0:
            return lows
        # Three starts: spare budget spread by room above the minimums, by
        # today's split, and the grid's best (_grid_start); the best answer wins.
        today = np.array([self.today()[s] for s in self.slugs])
        weights = [room / room.sum()]
        extra = np.clip(today - lows, 0, None) * (room > 0)
        if extra.sum() > 0:
            weights.append(extra / extra.sum())
        guesses = [np.clip(lows + spare * weight, lows, highs) for weight in weights]
        guesses.append(self._grid_start(lows, highs, spare))
        best, best_value = None, np.inf
        for guess in guesses:
            found = optimize.minimize(
                objective,
                guess / scale,
                method="SLSQP",
                bounds=[(lo / scale, hi / scale) for lo, hi in limits],
                constraints=[{"type": "eq", "fun": lambda x: x.sum() - budget / scale}],
                options={"maxiter": 300, "ftol": 1e-10},
            )
            x = np.clip(found.x * scale, lows, highs)
            value = objective(x / scale)
            if value < best_value:
                best, best_value = x, value
        return np.asarray(best)

    def optimise(
        self,
        budget: float,
        bounds: Mapping[str, Bound] | None = None,
        *,
        reach: float | None = None,
    ) -> PlanResult:
        """The split of `budget` (total over the period) with the highest
        expected outcome (`reach`: see _limits)."""
        if budget < 0:
            raise PlanError("The budget cannot be negative.")
        limits = self._limits(bounds or {}, reach)
        x = self._best(budget, limits, reach, bounds)
        result = self.evaluate(dict(zip(self.slugs, (float(v) for v in x), strict=True)))
        # (A channel cut to nothing is at no limit the user could move; one at
        # the most the model has seen it spend is marked as such: a wider
        # bound would not move it, its curve is flat past that.)
        capped = set(result.capped)
        at_limit = {
            slug: "minimum" if amount <= low + ROUNDING else "maximum"
            for slug, amount, (low, high) in zip(self.slugs, x, limits, strict=True)
            if high - low > ROUNDING
            and ((low > ROUNDING and amount <= low + ROUNDING) or amount >= high - ROUNDING)
            and not (slug in capped and amount > low + ROUNDING)
        }
        notes = list(result.notes)
        if at_limit:
            widen = f", or {WIDEN}" if reach else ""
            notes.append(
                f"{len(at_limit)} of {len(self.slugs)} channels are planned at the least or "
                "the most they may take (marked below): the model would move them further. "
                f"Give them other bounds{widen} to see how far."
            )
        if capped:
            names = _listed([self.curves[s].name for s in self.slugs if s in capped], "and")
            notes.append(
                f"{names} {'is' if len(capped) == 1 else 'are'} planned at the most the model "
                "has seen spent there, or past it (marked below): its curves say nothing "
                "beyond that point, so more would bring nothing the model can show."
            )
        return replace(result, at_limit=at_limit, notes=notes)

    def smallest_budget(
        self,
        target: float,
        bounds: Mapping[str, Bound] | None = None,
        *,
        reach: float | None = None,
    ) -> PlanResult:
        """The smallest budget whose best split reaches `target` (expected outcome)."""
        limits = self._limits(bounds or {}, reach)
        low = sum(lo for lo, _ in limits)
        high = sum(hi for _, hi in limits)

        def gap(budget: float) -> float:
            x = self._best(budget, limits)
            return float(self.draws(dict(zip(self.slugs, x, strict=True))).mean()) - target

        if gap(low) >= 0:
            least = self.optimise(low, bounds, reach=reach)
            note = (
                "The least the channels may take already reaches the target (and expects "
                f"more): to spend less, {_floor_words(bounds or {}, reach)[1]}."
            )
            return replace(least, notes=[note])
        if gap(high) < 0:
            most, do = _ceiling_words(bounds or {}, reach, len(self.slugs))
            raise PlanError(
                "Even the largest budget the channels may take does not reach the target "
                f"by the model's curves ({money0(math.floor(high))}{most}): {do}."
            )
        step = max(1.0, high * 1e-4)
        budget = optimize.brentq(gap, low, high, xtol=step, maxiter=60)
        # The root is known within a step either side: the answer is the side
        # that reaches the target, never one a hair short of it.
        if gap(budget) < 0:
            budget = min(budget + step, high)
        return self.optimise(float(budget), bounds, reach=reach)
