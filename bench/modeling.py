"""Modeled ROI benchmark: our fit against PyMC-Marketing's defaults on simulated
businesses with a known truth.

    .venv/bin/python bench/modeling.py [--scenarios retail,saas] [--seed 1] [--no-baseline]

For each simulated business (kpis/modeling/simulate.py: three years of daily
data, four or five paid channels, biased attribution) it prints:

- ours (`kpis.modeling.fitting.fit`, default settings: daily, 2 x 500 draws,
  last 8 weeks held out): fit seconds (wall and CPU), per-channel incremental
  ROAS against the truth over the fitted window, relative error, whether the
  truth lies in the 90% interval, whether the ranking of channels by marginal
  ROAS is right, and how much each estimate moves when the fit has one more
  week (the same business fitted without its last week, then with it);
- the baseline: PyMC-Marketing's `MMM` with its defaults (geometric adstock
  over 28 days, logistic saturation, default priors, yearly seasonality of
  order 2 and no other controls, nutpie, 2 x 500 draws) on the same days;
- the attributed ROAS (what the sources reported) for comparison.

No database is needed. The last line is machine-readable. The machine may be
shared: CPU seconds are printed next to wall seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")

from kpis.modeling.contract import INTERVAL, FitSettings, ModelData  # noqa: E402
from kpis.modeling.fitting import fit  # noqa: E402
from kpis.modeling.simulate import SCENARIOS, simulate, truncate  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-stability", action="store_true")
    args = parser.parse_args()
    settings = FitSettings()

    fit_seconds, errors, covered, channels, rankings, moves = [], [], 0, 0, [], []
    base_errors, base_covered, base_rankings, base_seconds = [], 0, [], []
    for name in args.scenarios.split(","):
        data, truth = simulate(name, seed=args.seed)
        print(f"\n== {name} (seed {args.seed}): {SCENARIOS[name].description}")
        print(f"   {len(data.days)} days, {data.media.shape[1]} channels")
        cpu = time.process_time()
        result = fit(data, settings)
        cpu = time.process_time() - cpu
        fit_seconds.append(result.fit_seconds)
        d = result.diagnostics
        print(
            f"   ours: {result.fit_seconds:.0f} s wall, {cpu:.0f} s CPU; R2 {d.r2:.3f}, holdout MAPE "
            f"{d.mape_holdout:.1%}, r-hat max {d.rhat_max:.3f}, ESS min {d.ess_min:.0f}, "
            f"divergences {d.divergences}, baseline share {d.baseline_share:.0%}"
        )
        for warning in result.warnings:
            print(f"   warning: {warning}")
        true_roas = truth.incremental_roas(result.start, result.end)
        true_marginal = truth.marginal_roas(result.start, result.end)
        true_half = truth.half_life_days()
        spend = truth.spend(result.start, result.end)
        modeled_marginal = {}
        print(f"   {'channel':<12} {'truth':>6} {'ours':>6} {'90% interval':>14} {'err':>6} "
              f"{'in':>3} {'attrib':>7} {'mROAS':>6} {'true':>6} {'half-life':>10}")  # fmt: skip
        for estimate in result.channels:
            slug = estimate.slug
            if estimate.incremental_roas is None:
                print(f"   {slug:<12} refused: {estimate.reason}")
                continue
            error = estimate.incremental_roas / true_roas[slug] - 1
            inside = estimate.roas_low <= true_roas[slug] <= estimate.roas_high
            errors.append(abs(error))
            covered += inside
            channels += 1
            modeled_marginal[slug] = estimate.marginal_roas
            attributed = data.attributed_revenue[slug] / spend[slug]
            print(
                f"   {slug:<12} {true_roas[slug]:6.2f} {estimate.incremental_roas:6.2f} "
                f"[{estimate.roas_low:5.2f},{estimate.roas_high:5.2f}] {error:+6.0%} "
                f"{'yes' if inside else 'NO':>3} {attributed:7.2f} {estimate.marginal_roas:6.2f} "
                f"{true_marginal[slug]:6.2f} {estimate.half_life_days:4.1f}/{true_half[slug]:4.1f}d"
            )
        right = ranking_right(modeled_marginal, {s: true_marginal[s] for s in modeled_marginal})
        rankings.append(right)
        print(f"   ranking by marginal ROAS right: {'yes' if right else 'NO'}")

        if not args.no_stability:
            shorter = fit(truncate(data, len(data.days) - WEEK), settings)
            before = {c.slug: c.incremental_roas for c in shorter.channels if c.incremental_roas}
            after = {c.slug: c.incremental_roas for c in result.channels if c.incremental_roas}
            move = max(abs(after[s] / before[s] - 1) for s in after if s in before)
            moves.append(move)
            print(f"   one more week of data moves the incremental ROAS by at most {move:.1%}")

        if not args.no_baseline:
            fitted_days = int((data.days <= pd.Timestamp(result.end)).sum())
            base, seconds, base_cpu = baseline_fit(data, len(data.days) - fitted_days, args.seed)
            base_seconds.append(seconds)
            print(
                f"   baseline (PyMC-Marketing defaults): {seconds:.0f} s wall, {base_cpu:.0f} s CPU"
            )
            for slug, (roas, low, high, _) in base.items():
                error = roas / true_roas[slug] - 1
                inside = low <= true_roas[slug] <= high
                base_errors.append(abs(error))
                base_covered += inside
                print(f"   {slug:<12} {true_roas[slug]:6.2f} {roas:6.2f} [{low:5.2f},{high:5.2f}] "
                      f"{error:+6.0%} {'yes' if inside else 'NO':>3}")  # fmt: skip
            base_right = ranking_right({s: v[3] for s, v in base.items()}, true_marginal)
            base_rankings.append(base_right)
            print(f"   baseline ranking by marginal ROAS right: {'yes' if base_right else 'NO'}")

    coverage = covered / max(channels, 1)
    summary = {
        "fit_s": f"{max(fit_seconds):.0f}",
        "max_rel_err": f"{max(errors):.3f}",
        "coverage": f"{coverage:.2f}",
        "ranking_right": f"{sum(rankings)}/{len(rankings)}",
        "max_move_one_week": f"{max(moves):.3f}" if moves else "na",
        "baseline_max_rel_err": f"{max(base_errors):.3f}" if base_errors else "na",
        "baseline_coverage": f"{base_covered / max(len(base_errors), 1):.2f}"
        if base_errors
        else "na",
        "baseline_ranking_right": f"{sum(base_rankings)}/{len(base_rankings)}"
        if base_rankings
        else "na",
        "baseline_fit_s": f"{max(base_seconds):.0f}" if base_seconds else "na",
    }
    print()
    print(" ".join(f"{key}={value}" for key, value in summary.items()))


if __name__ == "__main__":
    main()
