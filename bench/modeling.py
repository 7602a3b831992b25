"""Modeled ROI benchmark: our fit against PyMC-Marketing's defaults on simulated
businesses with a known truth.

    .venv/bin/python bench/modeling.py [--scenarios retail,saas] [--seed 1] [--jobs 3]
        [--no-baseline] [--no-stability] [--no-lift-tests]

For each simulated business (kpis/modeling/simulate.py: three years of daily
data, four or five paid channels, biased attribution) it prints:

- ours (`kpis.modeling.fitting.fit`, default settings: daily, 2 x 500 draws,
  last 8 weeks held out): fit seconds (wall and CPU), per-channel incremental
  ROAS against the truth over the fitted window, relative error, whether the
  truth lies in the 90% interval, whether the ranking of channels by marginal
  ROAS is right (and, for each two channels next to each other in the true
  order, the share of the model's draws that order them as the truth does and
  whether their 90% intervals of marginal ROAS overlap: how sure the model is
  of that order), and how much each estimate moves when the fit has one more
  week (the same business fitted without its last week, then with it);
  unless --no-lift-tests, our fit is given one four-week switch-off test of
  each always-on channel (measured on the true curve, 10% noise), the use the
  product is built for: an always-on channel's level cannot be read from data
  whose cost never goes near zero;
- the baseline: PyMC-Marketing's `MMM` with its defaults (geometric adstock
  over 28 days, logistic saturation, default priors, yearly seasonality of
  order 2 and no other controls, nutpie, 2 x 500 draws) on the same days;
- the attributed ROAS (what the sources reported) for comparison;
- the budget planner, held to the truth: a month's budget at today's pace
  split by the planner on the fit's curves (near today, the page's default,
  and free), priced on the simulator's true curves against today's split and
  a split in proportion to attributed ROAS.

No database is needed. The last line is machine-readable. The machine may be
shared: CPU seconds are printed next to wall seconds. `--jobs N` fits N
businesses at once in separate processes (wall seconds then include waiting
for the CPU).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")

from kpis.modeling.contract import (  # noqa: E402
    INTERVAL,
    ChannelEstimate,
    FitResult,
    FitSettings,
    ModelData,
)
from kpis.modeling.fitting import check, fit  # noqa: E402
from kpis.modeling.planner import Planner, fit_curves  # noqa: E402
from kpis.modeling.simulate import (  # noqa: E402
    ALWAYS_ON,
    SCENARIOS,
    Truth,
    lift_test,
    simulate,
    truncate,
)

WEEK = 7


def baseline_fit(data: ModelData, holdout_days: int, seed: int) -> tuple[dict, float, float]:
    """PyMC-Marketing with its defaults on the same fitted days: per channel
    (roas, low, high, marginal roas at the average daily cost)."""
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    days = len(data.days) - holdout_days
    frame = data.media.iloc[:days].reset_index(drop=True)
    frame.insert(0, "date", data.days[:days])
    target = pd.Series(data.revenue[:days], name="y")
    started, cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm = MMM(
            date_column="date",
            channel_columns=list(data.media.columns),
            adstock=GeometricAdstock(l_max=28),
            saturation=LogisticSaturation(),
            yearly_seasonality=2,
        )
        idata = mmm.fit(
            frame, target, nuts_sampler="nutpie", chains=2, draws=500, tune=500,
            progressbar=False, random_seed=seed,
        )  # fmt: skip
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    target_scale = float(np.asarray(mmm.scalers._target).ravel()[0])
    channel_scale = np.asarray(mmm.scalers._channel, dtype=float).ravel()
    contribution = idata.posterior["channel_contribution"].stack(sample=("chain", "draw"))
    contribution = contribution.transpose("sample", "date", "channel").values * target_scale
    lam = idata.posterior["saturation_lam"].stack(sample=("chain", "draw")).transpose("sample", ...)
    beta = (
        idata.posterior["saturation_beta"].stack(sample=("chain", "draw")).transpose("sample", ...)
    )
    result = {}
    for k, slug in enumerate(data.media.columns):
        spend = float(data.media[slug].iloc[:days].sum())
        roas = contribution[:, :, k].sum(axis=1) / spend
        low, high = np.quantile(roas, INTERVAL)
        x = spend / days / channel_scale[k]
        lam_k, beta_k = lam.values[:, k], beta.values[:, k]
        slope = beta_k * target_scale * lam_k / 2 * (1 - np.tanh(lam_k * x / 2) ** 2)
        result[slug] = (
            float(roas.mean()),
            float(low),
            float(high),
            float(slope.mean() / channel_scale[k]),
        )
    return result, seconds, cpu_seconds


def ranking_right(modeled: dict[str, float], true: dict[str, float]) -> bool:
    return sorted(modeled, key=modeled.__getitem__) == sorted(true, key=true.__getitem__)


def ranking_pairs(
    estimates: dict[str, ChannelEstimate], true: dict[str, float]
) -> list[tuple[str, str, float, bool, bool]]:
    """Each pair of channels next to each other in the true order by marginal
    ROAS (lower first): the share of the model's draws that order them as the
    truth does, whether the model's figures swap them and whether their 90%
    intervals overlap. The ranking is right exactly when no such pair is
    swapped; a share near 0.5 says the data cannot tell the two apart."""
    order = sorted(estimates, key=true.__getitem__)
    pairs = []
    for low, high in pairwise(order):
        a, b = estimates[low], estimates[high]
        assert a.curve is not None and b.curve is not None
        assert a.curve.marginal is not None and b.curve.marginal is not None
        share = float(np.mean(b.curve.marginal > a.curve.marginal))
        swapped = (a.marginal_roas or 0.0) > (b.marginal_roas or 0.0)
        overlap = (a.marginal_roas_high or 0.0) >= (b.marginal_roas_low or 0.0)
        pairs.append((low, high, share, swapped, overlap))
    return pairs


def run_scenario(name: str, seed: int, baseline: bool, stability: bool, lift: bool) -> dict:
    """Everything measured on one business; the printed lines are returned, not printed."""
    lines: list[str] = []
    say = lines.append
    settings = FitSettings()
    out: dict = {"errors": [], "covered": 0, "channels": 0, "base_errors": [], "base_covered": 0}
    data, truth = simulate(name, seed=seed)
    if lift:
        data = with_lift_tests(data, truth)
    say(f"\n== {name} (seed {seed}): {SCENARIOS[name].description}")
    say(f"   {len(data.days)} days, {data.media.shape[1]} channels")
    for test in data.lift_tests:
        say(
            f"   lift test given to the fit: {test.channel} switched off {test.start} to {test.end}, "
            f"measured {test.delta_revenue:,.0f} +/- {test.sigma:,.0f}"
        )
    cpu = time.process_time()
    result = fit(data, settings)
    cpu = time.process_time() - cpu
    out["fit_seconds"] = result.fit_seconds
    out["fit_cpu"] = cpu
    d = result.diagnostics
    say(
        f"   ours: {result.fit_seconds:.0f} s wall, {cpu:.0f} s CPU (load average "
        f"{os.getloadavg()[0]:.1f}); R2 {d.r2:.3f}, holdout MAPE "
        f"{d.mape_holdout:.1%}, r-hat max {d.rhat_max:.3f}, ESS min {d.ess_min:.0f}, "
        f"divergences {d.divergences}, baseline share {d.baseline_share:.0%}"
    )
    for warning in result.warnings:
        say(f"   warning: {warning}")
    true_roas = truth.incremental_roas(result.start, result.end)
    true_marginal = truth.marginal_roas(result.start, result.end)
    true_half = truth.half_life_days()
    spend = truth.spend(result.start, result.end)
    modeled_marginal = {}
    say(
        f"   {'channel':<12} {'truth':>6} {'ours':>6} {'90% interval':>14} {'err':>6} "
        f"{'in':>3} {'attrib':>7} {'mROAS':>6} {'90% interval':>14} {'true':>6} {'half-life':>10}"
    )
    compared: dict[str, ChannelEstimate] = {}
    for estimate in result.channels:
        slug = estimate.slug
        if estimate.incremental_roas is None or estimate.roas_low is None:
            say(f"   {slug:<12} refused: {estimate.reason}")
            continue
        assert estimate.roas_high is not None and estimate.marginal_roas is not None
        error = estimate.incremental_roas / true_roas[slug] - 1
        inside = estimate.roas_low <= true_roas[slug] <= estimate.roas_high
        out["errors"].append(abs(error))
        out["covered"] += inside
        out["channels"] += 1
        modeled_marginal[slug] = estimate.marginal_roas
        compared[slug] = estimate
        attributed = (data.attributed_until(slug, result.end) or 0.0) / spend[slug]
        say(
            f"   {slug:<12} {true_roas[slug]:6.2f} {estimate.incremental_roas:6.2f} "
            f"[{estimate.roas_low:5.2f},{estimate.roas_high:5.2f}] {error:+6.0%} "
            f"{'yes' if inside else 'NO':>3} {attributed:7.2f} {estimate.marginal_roas:6.2f} "
            f"[{estimate.marginal_roas_low:5.2f},{estimate.marginal_roas_high:5.2f}] "
            f"{true_marginal[slug]:6.2f} {estimate.half_life_days:4.1f}/{true_half[slug]:4.1f}d"
        )
    right = ranking_right(modeled_marginal, {s: true_marginal[s] for s in modeled_marginal})
    out["ranking"] = right
    say(f"   ranking by marginal ROAS right: {'yes' if right else 'NO'}")
    pairs = ranking_pairs(compared, true_marginal)
    out["ranking_weakest"] = min((share for *_, share, _, _ in pairs), default=1.0)
    say(
        "   neighbours in the true order by marginal ROAS (share of the model's draws "
        "that order them as the truth does; 90% intervals overlapping or apart):"
    )
    for low, high, share, swapped, overlap in pairs:
        say(
            f"     {low} < {high} (true {true_marginal[low]:.2f} < {true_marginal[high]:.2f}): "
            f"{share:.2f}, intervals {'overlap' if overlap else 'apart'}"
            + (", SWAPPED by the model's figures" if swapped else "")
        )

    plan_against_truth(result, data, truth, spend, out, say)

    if stability:
        shorter = fit(truncate(data, len(data.days) - WEEK), settings)
        before = {c.slug: c.incremental_roas for c in shorter.channels if c.incremental_roas}
        after = {c.slug: c.incremental_roas for c in result.channels if c.incremental_roas}
        move = max(abs(after[s] / before[s] - 1) for s in after if s in before)
        out["move"] = move
        say(f"   one more week of data moves the incremental ROAS by at most {move:.1%}")

    if baseline:
        measure_baseline(data, truth, result.end, seed, out, say)
    out["lines"] = lines
    return out


PLAN_DAYS = 30  # a month's budget at today's pace


def plan_against_truth(
    result: FitResult, data: ModelData, truth: Truth, spend: dict, out: dict, say
) -> None:
    """The planner's split of a month at today's pace, on the fit's curves,
    held to the simulator's true response; against today's split and a split
    in proportion to attributed ROAS (what a manager reading attribution would
    do). Both of the planner's reaches: near today (the page's default) and free."""
    curves = fit_curves(result)
    planner = Planner(curves, days=PLAN_DAYS)
    budget = sum(planner.today().values())
    attributed = {
        c.slug: (data.attributed_until(c.slug, result.end) or 0.0) / spend[c.slug] for c in curves
    }
    by_attribution = {s: budget * r / sum(attributed.values()) for s, r in attributed.items()}
    today = truth.steady_revenue(planner.today(), PLAN_DAYS)
    attribution = truth.steady_revenue(by_attribution, PLAN_DAYS)
    for reach, factor in (("near", 2.0), ("free", None)):
        plan = planner.optimise(budget, reach=factor)
        earned = truth.steady_revenue(plan.allocation, PLAN_DAYS)
        out[f"plan_{reach}_vs_today"] = earned / today - 1
        out[f"plan_{reach}_vs_attributed"] = earned / attribution - 1
        say(
            f"   planner ({reach}), {budget:,.0f} over {PLAN_DAYS} days, by the true curves: "
            f"{earned:,.0f}, {earned / today - 1:+.1%} against today's split, "
            f"{earned / attribution - 1:+.1%} against a split by attributed ROAS"
        )


def measure_baseline(data: ModelData, truth: Truth, end, seed: int, out: dict, say) -> None:
    """PyMC-Marketing with its defaults on the days our fit used (up to `end`)."""
    true_roas = truth.incremental_roas(data.days[0].date(), end)
    true_marginal = truth.marginal_roas(data.days[0].date(), end)
    fitted_days = int((data.days <= pd.Timestamp(end)).sum())
    base, seconds, base_cpu = baseline_fit(data, len(data.days) - fitted_days, seed)
    out["base_seconds"] = seconds
    out["base_cpu"] = base_cpu
    say(
        f"   baseline (PyMC-Marketing defaults): {seconds:.0f} s wall, {base_cpu:.0f} s CPU "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    for slug, (roas, low, high, _) in base.items():
        error = roas / true_roas[slug] - 1
        inside = low <= true_roas[slug] <= high
        out["base_errors"].append(abs(error))
        out["base_covered"] += inside
        say(
            f"   {slug:<12} {true_roas[slug]:6.2f} {roas:6.2f} [{low:5.2f},{high:5.2f}] "
            f"{error:+6.0%} {'yes' if inside else 'NO':>3}"
        )
    base_right = ranking_right({s: v[3] for s, v in base.items()}, true_marginal)
    out["base_ranking"] = base_right
    say(f"   baseline ranking by marginal ROAS right: {'yes' if base_right else 'NO'}")


def run_baseline_only(name: str, seed: int) -> dict:
    """The baseline alone, on the window our fit would use (from `check`, no sampling)."""
    lines: list[str] = []
    out: dict = {"errors": [], "covered": 0, "channels": 0, "base_errors": [], "base_covered": 0}
    data, truth = simulate(name, seed=seed)
    lines.append(f"\n== {name} (seed {seed}), baseline only: {SCENARIOS[name].description}")
    prepared = check(data, FitSettings())
    measure_baseline(
        data, truth, prepared.days[prepared.fit_days - 1].date(), seed, out, lines.append
    )
    out["lines"] = lines
    return out


def with_lift_tests(data: ModelData, truth: Truth) -> ModelData:
    """One four-week switch-off test of each always-on channel, in the second year
    (what a careful manager would have run): these are the channels whose level
    the data alone cannot pin down, since their cost never goes near zero."""
    tests = []
    always_on = [s for s, spec in truth.specs.items() if spec.pattern == ALWAYS_ON]
    for number, slug in enumerate(always_on):
        start = data.days[400 + 70 * number].date()
        tests.append(lift_test(truth, slug, start, 28, -1.0, rng_seed=number))
    return replace(data, lift_tests=tuple(tests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-stability", action="store_true")
    parser.add_argument("--no-lift-tests", action="store_true")
    parser.add_argument(
        "--baseline-only", action="store_true", help="only PyMC-Marketing's defaults, not ours"
    )
    parser.add_argument("--jobs", type=int, default=1, help="businesses fitted at once")
    args = parser.parse_args()
    print("load average at start: " + "/".join(f"{value:.1f}" for value in os.getloadavg()))
    names = args.scenarios.split(",")
    jobs = [
        (name, args.seed, not args.no_baseline, not args.no_stability, not args.no_lift_tests)
        for name in names
    ]
    if args.baseline_only:
        jobs = [(name, args.seed) for name in names]
    runner = run_baseline_only if args.baseline_only else run_scenario
    results = []
    if args.jobs > 1:  # each business is printed as soon as it is done
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("fork")) as pool:
            for future in as_completed([pool.submit(runner, *job) for job in jobs]):
                results.append(future.result())
                print("\n".join(results[-1]["lines"]), flush=True)
    else:
        for job in jobs:
            results.append(runner(*job))
            print("\n".join(results[-1]["lines"]), flush=True)

    errors = [e for r in results for e in r["errors"]]
    base_errors = [e for r in results for e in r["base_errors"]]
    channels = sum(r["channels"] for r in results)
    moves = [r["move"] for r in results if "move" in r]
    base = [r for r in results if "base_ranking" in r]
    ours = [r for r in results if "fit_seconds" in r]
    summary = {
        "fit_s": f"{max(r['fit_seconds'] for r in ours):.0f}" if ours else "na",
        "fit_cpu_s": f"{max(r['fit_cpu'] for r in ours):.0f}" if ours else "na",
        "max_rel_err": f"{max(errors):.3f}" if errors else "na",
        "coverage": f"{sum(r['covered'] for r in ours) / channels:.2f}" if channels else "na",
        "ranking_right": f"{sum(r['ranking'] for r in ours)}/{len(ours)}" if ours else "na",
        # the least sure neighbours: share of draws in the true order (0.5: a coin flip)
        "ranking_weakest_pair": f"{min(r['ranking_weakest'] for r in ours):.2f}" if ours else "na",
        "max_move_one_week": f"{max(moves):.3f}" if moves else "na",
        # the planner's split by the true curves, worst business: gain over today's
        # split and over a split by attributed ROAS (near today: the page's default)
        **{
            f"plan_{reach}_vs_{other}_min": (
                f"{min(r[f'plan_{reach}_vs_{other}'] for r in ours):+.3f}" if ours else "na"
            )
            for reach in ("near", "free")
            for other in ("today", "attributed")
        },
        "baseline_max_rel_err": f"{max(base_errors):.3f}" if base_errors else "na",
        "baseline_coverage": (
            f"{sum(r['base_covered'] for r in base) / len(base_errors):.2f}"
            if base_errors
            else "na"
        ),
        "baseline_ranking_right": f"{sum(r['base_ranking'] for r in base)}/{len(base)}"
        if base
        else "na",
        "baseline_fit_s": f"{max(r['base_seconds'] for r in base):.0f}" if base else "na",
        "baseline_fit_cpu_s": f"{max(r['base_cpu'] for r in base):.0f}" if base else "na",
        "load": "/".join(f"{value:.1f}" for value in os.getloadavg()),
    }
    print()
    print(" ".join(f"{key}={value}" for key, value in summary.items()))


if __name__ == "__main__":
    main()
