"""What the modeled ROI pages say, in words a manager understands: one
sentence per channel, and the model's health as plain warnings."""

from __future__ import annotations

from channelhub.metrics.display import money
from kpis.models import ChannelModelResult, ModelRun

# Above these the page warns (fit quality, sampler convergence).
MAPE_WARN = 0.10
RHAT_WARN = 1.05
ESS_WARN = 200
MIN_WEEKS = 52


def sentence(result: ChannelModelResult) -> str:
    """ "For every $1 on Paid Search, about $1.40 of sales would not have
    happened without it; attribution says $3.60." """
    if result.incremental_roas is None:
        return f"{result.name}: no modeled figure. {result.reason}".strip()
    text = (
        f"For every {money(1, 0)} on {result.name}, about {money(result.incremental_roas)} "
        "of sales would not have happened without it"
    )
    attributed = result.attributed_roas
    if attributed is not None:
        text += f"; attribution says {money(attributed)}"
    return text + "."


# Words a fit's own warning uses for each diagnostic (kpis/modeling/fitting.py
# says so itself past its thresholds): the page then does not say it twice.
_SAID_BY_FIT = {
    "mape_holdout": "misses the last",
    "rhat_max": "r-hat",
    "ess_min": "effective sample size",
    "divergences": "divergent",
}


def health(run: ModelRun) -> list[str]:
    """The fit's own warnings, then what its diagnostics say, in words (each
    diagnostic once: not where the fit's warnings already speak of it)."""
    warnings = [str(w) for w in (run.warnings or [])]
    said = {key for key, words in _SAID_BY_FIT.items() if any(words in w for w in warnings)}
    d = {key: value for key, value in (run.diagnostics or {}).items() if key not in said}
    if run.data_start and run.data_end:
        weeks = ((run.data_end - run.data_start).days + 1) // 7
        if weeks < MIN_WEEKS and not any("52 weeks" in w for w in warnings):
            warnings.append(
                f"Less than 52 weeks of data ({weeks} weeks): the yearly pattern is a guess."
            )
    mape = d.get("mape_holdout")
    if mape is not None and mape > MAPE_WARN:
        warnings.append(
            f"The fit misses the last 8 weeks by {mape * 100:.0f}%: treat its figures with care."
        )
    rhat = d.get("rhat_max")
    if rhat is not None and rhat > RHAT_WARN:
        warnings.append(
            "The sampler did not settle (r-hat above 1.05): fit again, or with more data."
        )
    ess = d.get("ess_min")
    if ess is not None and ess < ESS_WARN:
        warnings.append(
            "Few independent draws (effective sample size below 200): intervals are rough."
        )
    divergences = d.get("divergences")
    if divergences:
        warnings.append(f"The sampler reported {divergences} divergences: intervals may be off.")
    return warnings
