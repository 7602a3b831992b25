"""The one definition of every KPI (docs/metrics.md sections 3 and 4).

Snapshots store additive *components* (sums and counts); every ratio is derived
here from components, exactly, and rounded only for output. Pages, exports,
the API and review packs all call these functions: no formula is written twice.
Everything here is pure Python on plain numbers, so it is unit-tested without a
database.
"""

from __future__ import annotations

import decimal
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Number = Decimal | int
Unit = Literal["money", "count", "percent", "multiple", "score"]

# Exact enough for any ratio of sums we store (bigint cents over bigint counts);
# rounding to 4 places happens once, at output.
_CTX = decimal.Context(prec=60, rounding=ROUND_HALF_UP)
CENT = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: Unit
    additive: bool
    # `at_most` is the default objective direction for costs (docs/metrics.md s4).
    lower_is_better: bool = False
    help: str = ""


_METRICS = [
    Metric("spend", "Spend", "money", True, True, "Marketing, media and channel fees"),
    Metric("incentive_cost", "Incentive cost", "money", True, False, "Partner incentives"),
    Metric("total_cost", "Total cost", "money", True, True, "Spend + incentive cost"),
    Metric("revenue", "Revenue", "money", True, help="Gross sales (sales target)"),
    Metric("cogs", "COGS", "money", True, True, "Cost of goods sold"),
    Metric("gross_profit", "Gross profit", "money", True, help="Revenue - COGS"),
    Metric("orders", "Orders", "count", True),
    Metric("units", "Units", "count", True, help="Sales volume"),
    Metric("leads", "Leads", "count", True),
    Metric("new_customers", "New customers", "count", True),
    Metric("impressions", "Impressions", "count", True, help="Brand visibility"),
    Metric("clicks", "Clicks", "count", True),
    Metric("roi", "ROI", "percent", False, help="(Gross profit - total cost) / total cost"),
    Metric("roas", "ROAS", "multiple", False, help="Revenue / total cost"),
    Metric("cac", "CAC", "money", False, True, "Total cost / new customers"),
    Metric("cpl", "CPL", "money", False, True, "Total cost / leads"),
    Metric("conversion_rate", "Conversion rate", "percent", False, help="Orders / leads"),
    Metric("ctr", "CTR", "percent", False, help="Clicks / impressions"),
    Metric("aov", "AOV", "money", False, help="Revenue / orders"),
    Metric("gross_margin_pct", "Gross margin", "percent", False, help="Gross profit / revenue"),
    Metric(
        "revenue_share",
        "Revenue share",
        "percent",
        False,
        help="Share of all channels' revenue (market penetration)",
    ),
    Metric(
        "inventory_turnover",
        "Inventory turnover",
        "multiple",
        False,
        help="COGS / average daily inventory",
    ),
    Metric("nps", "NPS", "score", False, help="Promoters - detractors, per 100 responses"),
    Metric("avg_rating", "Average rating", "score", False, help="Mean 1-5 rating"),
]
METRICS: dict[str, Metric] = {m.key: m for m in _METRICS}
METRIC_CHOICES = [(m.key, m.label) for m in _METRICS]
ADDITIVE_METRICS = frozenset(m.key for m in _METRICS if m.additive)
RATIO_METRICS = frozenset(m.key for m in _METRICS if not m.additive)
MONEY_METRICS = frozenset(m.key for m in _METRICS if m.unit == "money")
# Targets may be negative only where the KPI itself can be (docs/metrics.md s4).
NEGATIVE_TARGET_METRICS = frozenset({"roi", "nps"})
# The scale of a score, which its targets stay within.
SCORE_RANGES = {"nps": (-100, 100), "avg_rating": (1, 5)}

# The KPI columns of the export contract, in order (docs/metrics.md s6).
EXPORT_KPIS = [
    "spend",
    "incentive_cost",
    "total_cost",
    "revenue",
    "cogs",
    "gross_profit",
    "orders",
    "units",
    "leads",
    "new_customers",
    "impressions",
    "clicks",
    "roi",
    "roas",
    "cac",
    "cpl",
    "conversion_rate",
    "ctr",
    "aov",
    "gross_margin_pct",
    "revenue_share",
    "inventory_turnover",
    "nps",
    "avg_rating",
]


def default_direction(metric: str) -> str:
    return "at_most" if METRICS[metric].lower_is_better else "at_least"


MONEY_COMPONENTS = frozenset({"spend", "revenue", "cogs", "incentive_cost", "inventory_sum"})


@dataclass(frozen=True)
class Components:
    """The additive parts a snapshot stores; any range is the sum of its periods."""

    spend: Decimal = Decimal(0)
    revenue: Decimal = Decimal(0)
    cogs: Decimal = Decimal(0)
    incentive_cost: Decimal = Decimal(0)
    orders: int = 0
    units: int = 0
    leads: int = 0
    new_customers: int = 0
    impressions: int = 0
    clicks: int = 0
    # Sum over days of that day's reported inventory, and the number of days
    # with at least one report: their quotient is the average daily inventory.
    inventory_sum: Decimal = Decimal(0)
    inventory_days: int = 0
    nps_promoters: int = 0
    nps_detractors: int = 0
    nps_responses: int = 0
    rating_sum: int = 0
    rating_count: int = 0

    def __add__(self, other: Components) -> Components:
        return Components(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @classmethod
    def from_mapping(cls, row: Mapping[str, object]) -> Components:
        values: dict[str, Number] = {}
        for f in fields(cls):
            raw = row.get(f.name)
            if raw is None:
                continue
            values[f.name] = Decimal(str(raw)) if f.name in MONEY_COMPONENTS else int(str(raw))
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def total(cls, items: list[Components]) -> Components:
        result = cls()
        for item in items:
            result = result + item
        return result


COMPONENT_NAMES = [f.name for f in fields(Components)]


def ratio(numerator: Number | None, denominator: Number | None) -> Decimal | None:
    """numerator / denominator, exact; None when undefined (denominator 0)."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return _CTX.divide(Decimal(numerator), Decimal(denominator))


def total_cost(c: Components) -> Decimal:
    return c.spend + c.incentive_cost


def gross_profit(c: Components) -> Decimal:
    return c.revenue - c.cogs


def roi(c: Components) -> Decimal | None:
    cost = total_cost(c)
    return ratio(gross_profit(c) - cost, cost)


def revenue_share(c: Components, revenue_total: Decimal | None) -> Decimal | None:
    return ratio(c.revenue, revenue_total) if revenue_total else None


def kpis(c: Components, *, revenue_total: Decimal | None = None) -> dict[str, Number | None]:
    """Every KPI of docs/metrics.md section 3 from components, exact (unrounded).

    `revenue_total` is the revenue of all channels (every status) in the same
    period(s); without it revenue_share is undefined.
    """
    cost = total_cost(c)
    profit = gross_profit(c)
    average_inventory = ratio(c.inventory_sum, c.inventory_days)
    nps = ratio((c.nps_promoters - c.nps_detractors) * 100, c.nps_responses)
    return {
        "spend": c.spend,
        "incentive_cost": c.incentive_cost,
        "total_cost": cost,
        "revenue": c.revenue,
        "cogs": c.cogs,
        "gross_profit": profit,
        "orders": c.orders,
        "units": c.units,
        "leads": c.leads,
        "new_customers": c.new_customers,
        "impressions": c.impressions,
        "clicks": c.clicks,
        "roi": roi(c),
        "roas": ratio(c.revenue, cost),
        "cac": ratio(cost, c.new_customers),
        "cpl": ratio(cost, c.leads),
        "conversion_rate": ratio(c.orders, c.leads),
        "ctr": ratio(c.clicks, c.impressions),
        "aov": ratio(c.revenue, c.orders),
        "gross_margin_pct": ratio(profit, c.revenue),
        "revenue_share": revenue_share(c, revenue_total),
        "inventory_turnover": ratio(c.cogs, average_inventory),
        "nps": nps,
        "avg_rating": ratio(c.rating_sum, c.rating_count),
    }


# --- Thin bases (docs/metrics.md, "Ratios over a thin base") -------------------------------


@dataclass(frozen=True)
class ThinBase:
    """A ratio whose denominator is below `floor` is shown with a warning
    mark: 3 orders over 2 leads is a 150% conversion rate, but not news."""

    component: str  # what the denominator counts, in Components or "total_cost"/"revenue"
    floor: Decimal
    words: str  # the denominator in words, plural ("leads")
    money: bool = False


THIN_BASES: dict[str, ThinBase] = {
    "roi": ThinBase("total_cost", Decimal(100), "of cost", money=True),
    "roas": ThinBase("total_cost", Decimal(100), "of cost", money=True),
    "cac": ThinBase("new_customers", Decimal(10), "new customers"),
    "cpl": ThinBase("leads", Decimal(20), "leads"),
    "conversion_rate": ThinBase("leads", Decimal(20), "leads"),
    "ctr": ThinBase("impressions", Decimal(1000), "impressions"),
    "aov": ThinBase("orders", Decimal(10), "orders"),
    "gross_margin_pct": ThinBase("revenue", Decimal(100), "of revenue", money=True),
    "inventory_turnover": ThinBase("inventory_days", Decimal(7), "days with stock reported"),
    "nps": ThinBase("nps_responses", Decimal(20), "responses"),
    "avg_rating": ThinBase("rating_count", Decimal(10), "ratings"),
}


def _base(c: Components, component: str) -> Decimal:
    if component == "total_cost":
        return total_cost(c)
    return Decimal(getattr(c, component))


@dataclass(frozen=True)
class Thin:
    """Why one ratio is marked: its base (the denominator's value) and rule;
    `orders_over_leads` for a conversion rate above 100%."""

    metric: str
    base: Decimal
    rule: ThinBase
    orders_over_leads: bool = False


def thin_ratios(c: Components) -> dict[str, Thin]:
    """The ratios of `c` that are defined but rest on a thin base (their
    denominator is above 0 and below the floor of THIN_BASES), and a
    conversion rate above 100% (more orders than leads: the orders did not
    come from these leads). An undefined ratio (denominator 0) is not thin:
    it is empty."""
    found: dict[str, Thin] = {}
    for metric, rule in THIN_BASES.items():
        base = _base(c, rule.component)
        if 0 < base < rule.floor:
            found[metric] = Thin(metric, base, rule)
    if c.leads and c.orders > c.leads and "conversion_rate" not in found:
        rule = THIN_BASES["conversion_rate"]
        found["conversion_rate"] = Thin("conversion_rate", Decimal(c.leads), rule, True)
    return found


def round_half_up(value: Number | None, places: Decimal) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def rounded(metric: str, value: Number | None) -> Number | None:
    """Round one KPI for output: money to cents, ratios to 4 places, counts as is."""
    if value is None:
        return None
    m = METRICS[metric]
    if m.additive and m.unit == "count":
        return int(value)
    if m.additive:
        return round_half_up(value, CENT)
    return round_half_up(value, RATIO_PLACES)


def rounded_kpis(values: Mapping[str, Number | None]) -> dict[str, Number | None]:
    return {key: rounded(key, value) for key, value in values.items()}


def change(metric: str, current: Number | None, previous: Number | None) -> Decimal | None:
    """Change against an earlier span (docs/metrics.md s3 and s7), exact; pages
    call it through compare(), which first checks that the spans are comparable.

    Ratios: the difference of the two values (a fraction). Sums: relative
    change, undefined when the previous value is 0 or missing.
    """
    if current is None or previous is None:
        return None
    if METRICS[metric].additive:
        return ratio(Decimal(current) - Decimal(previous), previous)
    return Decimal(current) - Decimal(previous)


# The earlier span's coverage (share of its days with facts) must reach this
# share of the current span's for a change to be shown (docs/metrics.md s7).
COMPARABLE_COVERAGE = Decimal("0.9")


@dataclass(frozen=True)
class Comparison:
    """A span's change against an earlier span, or why there is none.

    `changes` holds `change()` of every compared metric; it is empty when the
    spans are not comparable, and `reason` says why in words for the page.
    """

    against: str  # "before", "last year"
    changes: dict[str, Decimal | None]
    earlier: dict[str, Number | None]
    earlier_days: int  # days of the earlier span with facts
    reason: str = ""

    @property
    def comparable(self) -> bool:
        return not self.reason


def compare(
    metrics: Collection[str],
    current: Mapping[str, Number | None],
    earlier: Mapping[str, Number | None],
    *,
    against: str,
    current_days: int,
    current_span_days: int,
    earlier_days: int,
    earlier_span_days: int,
) -> Comparison:
    """The one comparison rule (docs/metrics.md s7): `current` and `earlier` are
    KPI values of two spans; `*_days` count the days with facts, `*_span_days`
    the days of each span. Coverage is their quotient; an earlier coverage
    below COMPARABLE_COVERAGE of the current one gives no change, only a reason.
    """
    earlier_values = {m: earlier.get(m) for m in metrics}
    if not current_days or not current_span_days:
        reason = "no data in this range"
    elif not earlier_days or not earlier_span_days:
        reason = "no earlier data"
    elif Decimal(earlier_days) * current_span_days < (
        COMPARABLE_COVERAGE * current_days * earlier_span_days
    ):
        days = f"{earlier_days} day{'s' if earlier_days != 1 else ''}"
        reason = f"not comparable: the earlier span holds {days} of data"
    else:
        changes = {m: change(m, current.get(m), earlier.get(m)) for m in metrics}
        return Comparison(against, changes, earlier_values, earlier_days)
    return Comparison(against, {}, earlier_values, earlier_days, reason)


# --- Incentives (docs/metrics.md section 5) -------------------------------------------------


def rebate_amount(
    revenue: Decimal,
    *,
    rate: Decimal | None,
    threshold: Decimal = Decimal(0),
    brackets: list[tuple[Decimal, Decimal]] | None = None,
) -> Decimal:
    """A rebate on a partner's revenue in one accrual period, rounded to cents.

    Flat: `rate` x the revenue above `threshold`. Tiered (`brackets` of
    (lower bound, rate), sorted): each bracket's rate applies to the revenue
    between its lower bound and the next one's, like tax brackets; the lowest
    bound plays the threshold's part.
    """
    total = Decimal(0)
    if brackets:
        for i, (lower, bracket_rate) in enumerate(brackets):
            if revenue <= lower:
                break
            upper = brackets[i + 1][0] if i + 1 < len(brackets) else None
            top = revenue if upper is None else min(revenue, upper)
            total += (top - lower) * bracket_rate
    elif rate:
        total = max(revenue - threshold, Decimal(0)) * rate
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Objectives (docs/metrics.md section 4) ---------------------------------------

NOT_STARTED = "not_started"
NO_DATA = "no_data"
ON_TRACK = "on_track"
AT_RISK = "at_risk"
OFF_TRACK = "off_track"
ACHIEVED = "achieved"
MISSED = "missed"
OBJECTIVE_STATUS_CHOICES = [
    (NOT_STARTED, "Not started"),
    (NO_DATA, "No data yet"),
    (ON_TRACK, "On track"),
    (AT_RISK, "At risk"),
    (OFF_TRACK, "Off track"),
    (ACHIEVED, "Achieved"),
    (MISSED, "Missed"),
]
OBJECTIVE_STATUS_LABELS = dict(OBJECTIVE_STATUS_CHOICES)
AT_RISK_BAND = Decimal("0.10")


@dataclass(frozen=True)
class ObjectiveEvaluation:
    status: str
    actual: Decimal | None = None
    projected: Decimal | None = None
    progress: Decimal | None = None
    as_of: date | None = None

    @property
    def label(self) -> str:
        return OBJECTIVE_STATUS_LABELS[self.status]


def _meets(value: Decimal, target: Decimal, direction: str) -> bool:
    return value >= target if direction == "at_least" else value <= target


def _within_band(value: Decimal, target: Decimal, direction: str) -> bool:
    band = AT_RISK_BAND * abs(target)
    if direction == "at_least":
        return value >= target - band
    return value <= target + band


def evaluate_objective(
    *,
    metric: str,
    direction: str,
    target: Decimal,
    start: date,
    end: date,
    today: date,
    as_of: date | None,
    has_facts_in_window: bool,
    actual: Number | None,
) -> ObjectiveEvaluation:
    """Status, progress and projection of one objective (docs/metrics.md s4).

    `as_of` is the channel's last day with facts; `actual` is the KPI over
    [start, min(as_of, end)] (a sum for additive KPIs, the ratio of the summed
    components otherwise). Our readings where the contract is silent:
    `not_started` means today is before the start; an undefined ratio (for
    example ROI with no cost) can be neither met nor missed, so it reports
    `no_data` with the actual left empty.
    """
    if not has_facts_in_window or as_of is None or as_of < start:
        return ObjectiveEvaluation(NOT_STARTED if today < start else NO_DATA, as_of=as_of)
    if actual is None:
        return ObjectiveEvaluation(NO_DATA, as_of=as_of)
    actual_d = Decimal(actual)
    progress = ratio(actual_d, target) if direction == "at_least" else ratio(target, actual_d)
    if as_of >= end:
        status = ACHIEVED if _meets(actual_d, target, direction) else MISSED
        return ObjectiveEvaluation(status, actual_d, actual_d, progress, as_of)
    window = (end - start).days + 1
    elapsed = (min(as_of, end) - start).days + 1
    if METRICS[metric].additive:
        projected = _CTX.divide(actual_d * window, Decimal(elapsed))
    else:
        projected = actual_d
    if _meets(projected, target, direction):
        status = ON_TRACK
    elif _within_band(projected, target, direction):
        status = AT_RISK
    else:
        status = OFF_TRACK
    return ObjectiveEvaluation(status, actual_d, projected, progress, as_of)
