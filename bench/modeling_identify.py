"""What a simulated business's data alone can tell about one channel's
marginal ROAS: least-squares fits of that channel's curve that are *told* the
truth of everything else, for comparison with the model's figure.

    .venv/bin/python bench/modeling_identify.py [--scenario seasonal] [--channel display]
        [--seeds 1,2]

Per seed it prints the true marginal ROAS (slope of the true curve at the
fitted window's average daily cost) and two fits of the channel's Hill curve
(ceiling, half point, slope) on the channel's true carry-over, both given the
other channels' true contributions:

- "season learnt": the baseline (level, trend, yearly sine/cosine terms,
  weekday: the model's own controls) is fitted with the curve, as any model
  has to;
- "season known": the true baseline is subtracted too.

When the first is far from the truth and the second is not, the data of that
seed cannot tell the channel's bend from the season, whatever the model.
No sampling, a few seconds per seed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpis.modeling.contract import FitSettings  # noqa: E402
from kpis.modeling.fitting import check  # noqa: E402
from kpis.modeling.simulate import _carry, simulate  # noqa: E402

STARTS = ((1.0, 1.0, 1.0), (0.7, 0.5, 1.5), (1.7, 2.0, 0.8))  # x the true ceiling, half point


def _hill(x: np.ndarray, ceiling: float, half: float, slope: float) -> np.ndarray:
    level = np.maximum(x, 1e-9) ** slope
    return np.asarray(ceiling * level / (level + half**slope))


def _fit(y: np.ndarray, x: np.ndarray, controls: np.ndarray | None, guess: tuple[float, float]):
    """Least squares of y on the Hill curve of x (and, given, the controls)."""

    def sse(theta: np.ndarray) -> float:
        residual = y - _hill(x, *np.exp(theta))
        if controls is not None:
            gamma, *_ = np.linalg.lstsq(controls, residual, rcond=None)
            residual = residual - controls @ gamma
        return float((residual**2).sum())

    runs = [
        minimize(
            sse,
            np.log([guess[0] * c, guess[1] * k, s]),
            method="Nelder-Mead",
            options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-3},
        )
        for c, k, s in STARTS
    ]
    return np.exp(min(runs, key=lambda run: run.fun).x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="seasonal")
    parser.add_argument("--channel", default="display")
    parser.add_argument("--seeds", default="1,2")
    args = parser.parse_args()
    slug = args.channel
    for seed in (int(value) for value in args.seeds.split(",")):
        data, truth = simulate(args.scenario, seed=seed)
        prepared = check(data, FitSettings())
        n = prepared.fit_days
        spec = truth.specs[slug]
        others = sum(truth.contributions[c].to_numpy() for c in truth.contributions if c != slug)
        cost = truth.media[slug].to_numpy()
        average = float(cost[:n].mean())
        x = _carry(cost, spec.alpha)[:n]
        controls = np.column_stack([np.ones(n), prepared.controls.to_numpy()[:n]])
        true = truth.marginal_roas(None, prepared.days[n - 1].date())[slug]
        line = f"{args.scenario} seed {seed} {slug}: true marginal ROAS {true:.3f}"
        for label, y, with_controls in (
            ("season learnt", (data.revenue - others)[:n], True),
            ("season known", (data.revenue - others - truth.baseline)[:n], False),
        ):
            ceiling, half, slope = _fit(
                y, x, controls if with_controls else None, (spec.ceiling, spec.half_saturation)
            )
            step = average * 1e-4
            marginal = float(
                (_hill(np.array([average + step]), ceiling, half, slope)
                 - _hill(np.array([average - step]), ceiling, half, slope))[0] / (2 * step)
            )  # fmt: skip
            line += f"; {label} {marginal:.3f} (slope {slope:.2f}, true {spec.shape:.2f})"
        print(line)


if __name__ == "__main__":
    main()
