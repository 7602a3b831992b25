"""A deterministic stand-in for `kpis.modeling.fitting.fit` in application tests:
realistic curves with posterior draws, built from the data it is given, so the
runs, pages, planner and API can be tested without sampling a model.

Channel c with average daily cost a gets the curve f(x) = C * x / (x + a), with
C = 2 * roas_c * a, so its incremental ROAS at today's spend is roas_c. Draws
scale the curve by a fixed log-normal factor per draw (seeded).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping

import numpy as np

from kpis.modeling import contract


def roas_of(slug: str) -> float:
    """A stable ROAS per channel slug (0.5 to 2.4)."""
    return 0.5 + (zlib.crc32(slug.encode()) % 20) / 10


def make_fit(roas: Mapping[str, float] | None = None, draws: int = 60, points: int = 13):
    """A fit function: `roas` overrides per slug; channels whose cost never
    varies are refused, those with cost on few days flagged."""
    roas = dict(roas or {})

    def fit(data: contract.ModelData, settings: contract.FitSettings | None = None):
        if len(data.days) < 14:
            raise contract.FitRefused("There are fewer than 26 weeks of daily figures.")
        rng = np.random.default_rng(20261206)
        factors = np.exp(rng.normal(0, 0.15, size=draws))
        n = len(data.days)
        estimates = []
        for slug in data.media.columns:
            cost = data.media[slug].to_numpy(dtype=float)
            a = float(cost.mean())
            name = data.channel_names.get(slug, slug)
            if float(cost.std()) == 0.0:
                estimates.append(
                    contract.ChannelEstimate(
                        slug=slug,
                        name=name,
                        status=contract.ChannelStatus.REFUSED,
                        reason=f"{name}'s spend never varies: the model cannot tell what it adds.",
                        spend=float(cost.sum()),
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
            r = roas.get(slug, roas_of(slug))
            ceiling = 2 * r * a
            grid = np.linspace(0, 3 * a, points)
            mean_curve = ceiling * grid / (grid + a)
            samples = np.outer(factors, mean_curve)
            daily = ceiling * a / (a + a)
            per_draw = daily * n * factors
            low, high = np.quantile(per_draw, contract.INTERVAL)
            few_days = int((cost > 0).sum()) < n / 4
            estimates.append(
                contract.ChannelEstimate(
                    slug=slug, name=name,
                    status=contract.ChannelStatus.FLAGGED if few_days else contract.ChannelStatus.OK,
                    reason=f"{name} has cost on few days: its estimate is uncertain."
                    if few_days else "",
                    spend=float(cost.sum()),
                    incremental_revenue=float(per_draw.mean()),
                    incremental_revenue_low=float(low), incremental_revenue_high=float(high),
                    incremental_roas=float(per_draw.mean() / cost.sum()),
                    roas_low=float(low / cost.sum()), roas_high=float(high / cost.sum()),
                    marginal_roas=float(ceiling * a / (2 * a) ** 2),
                    marginal_roas_low=float(ceiling * a / (2 * a) ** 2 * np.quantile(factors, 0.05)),
                    marginal_roas_high=float(ceiling * a / (2 * a) ** 2 * np.quantile(factors, 0.95)),
                    half_life_days=2.0, saturation_point=a,
                    curve=contract.Curve(
                        spend=grid, mean=samples.mean(axis=0),
                        low=np.quantile(samples, 0.05, axis=0),
                        high=np.quantile(samples, 0.95, axis=0), samples=samples,
                    ),
                )
            )  # fmt: skip
        warnings = (
            ("Less than 52 weeks of data: the yearly pattern is a guess.",) if n < 364 else ()
        )
        return contract.FitResult(
            start=data.days[0].date(),
            end=data.days[-1].date(),
            channels=tuple(estimates),
            diagnostics=contract.Diagnostics(
                r2=0.91,
                mape_holdout=0.08,
                rhat_max=1.01,
                ess_min=420.0,
                divergences=0,
                baseline_share=0.55,
            ),
            warnings=warnings,
            fit_seconds=1.5,
            library="fake fit (tests)",
        )

    return fit
