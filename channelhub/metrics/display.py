"""How a number is shown to people: money in the reporting currency, percentages,
KPI values by their unit and changes against before.

Formatting happens only at the edge (pages, emails, packs); everything below works
with exact Decimals (docs/metrics.md: compute exactly, round only for output).
The template filters of `channelhub.templatetags.channelhub` are these functions.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from .formulas import METRICS, THIN_BASES, Thin

CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "AUD": "A$",
    "CAD": "C$",
}


def _group(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def money(value: Any, places: int = 2) -> str:
    """1234.5 -> $1,234.50 (the reporting currency); empty stays an em dash."""
    if value is None or value == "":
        return "—"
    amount = Decimal(str(value))
    code = settings.REPORTING_CURRENCY
    sign = "-" if amount < 0 else ""
    body = _group(abs(amount), int(places))
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {code}"


def money0(value: Any) -> str:
    return money(value, 0)


def pct(value: Any, places: int = 1) -> str:
    """A fraction as a percentage: 0.1234 -> 12.3%."""
    if value is None or value == "":
        return "—"
    return f"{_group(Decimal(str(value)) * 100, int(places))}%"


def number(value: Any, places: int = 0) -> str:
    if value is None or value == "":
        return "—"
    return _group(Decimal(str(value)), int(places))


def metric_value(value: Any, metric: str) -> str:
    """Format a KPI value by its unit (money, count, percent, multiple, score)."""
    if value is None or value == "":
        return "—"
    unit = METRICS[metric].unit
    if unit == "money":
        return money(value)
    if unit == "count":
        return number(value)
    if unit == "percent":
        return pct(value)
    if unit == "multiple":
        return f"{number(value, 2)}×"
    return number(value, 1 if metric == "nps" else 2)


def raw_value(value: Any) -> str:
    """A value as plain digits for a sortable cell's data-value (no exponent)."""
    if value is None:
        return ""
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def metric_label(metric: str) -> str:
    return METRICS[metric].label if metric in METRICS else metric


def delta_text(value: Any, metric: str) -> str:
    """A change against an earlier span (docs/metrics.md s3 and s7): sums
    relative (%), ratios as the difference of the values, in the ratio's own
    unit. The page says against what ("vs before", "vs last year")."""
    if value is None or value == "":
        return "—"
    d = Decimal(str(value))
    sign = "+" if d > 0 else ("−" if d < 0 else "±")
    m = METRICS[metric]
    if m.additive:
        return f"{sign}{_group(abs(d) * 100, 1)}%"
    if m.unit == "percent":
        return f"{sign}{_group(abs(d) * 100, 1)} pts"
    if m.unit == "money":
        return f"{sign}{money(abs(d))}"
    return f"{sign}{_group(abs(d), 2)}"


def delta_class(value: Any, metric: str) -> str:
    """`up` when the change is good news, `down` when bad (lower is better for costs)."""
    if value is None or value == "" or Decimal(str(value)) == 0:
        return ""
    better = Decimal(str(value)) < 0 if METRICS[metric].lower_is_better else Decimal(str(value)) > 0
    return "up" if better else "down"


def thin_reason(thin: Thin) -> str:
    """Why a ratio carries the warning mark, in words: "ROI over only $45.00
    of cost (under $100.00)"."""
    label = METRICS[thin.metric].label
    rule = thin.rule
    if thin.orders_over_leads:
        return f"{label} above 100%: more orders than leads (orders that did not come from leads)"
    if rule.money:
        return f"{label} over only {money(thin.base)} {rule.words} (under {money(rule.floor)})"
    return f"{label} over only {number(thin.base)} {rule.words} (fewer than {number(rule.floor)})"


def thin_rules() -> str:
    """The thin-base rule in words, for the note under a table: "ROI under
    $100.00 of cost; ROAS under $100.00 of cost; CAC under 10 new customers; ..."."""
    parts = []
    for metric, rule in THIN_BASES.items():
        floor = (
            f"less than {money(rule.floor)}" if rule.money else f"fewer than {number(rule.floor)}"
        )
        parts.append(f"{METRICS[metric].label} over {floor} {rule.words}")
    return "; ".join(parts)
